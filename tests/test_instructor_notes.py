"""INSTRUCTOR.md's table of common mistakes quotes what peerlab really prints for each."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

import peerlab
from peerlab.teaching.checks import check

NOTES = Path(__file__).resolve().parent.parent / "notebooks" / "INSTRUCTOR.md"
pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote", "ignore::peerlab.PeerlabNote")


def table() -> dict[str, str]:
    """The mistakes table: what the learner does -> the quoted message (``…`` leaves words out)."""
    rows = re.findall(r"^\| (.+?) \| [^`|]*`(.+)` \|$", NOTES.read_text(encoding="utf-8"), flags=re.M)
    return dict(rows)


class Room:
    """A lesson 01/02 namespace with the far side scripted, for one mistake."""

    def __init__(self, side: str) -> None:
        self.loopback = peerlab.Loopback()
        self.side = side
        far = peerlab.play_callee if side == "caller" else peerlab.play_caller
        self.far = far(self.loopback.callee if side == "caller" else self.loopback.caller)
        self.signalling = self.loopback.caller if side == "caller" else self.loopback.callee
        self.pc = peerlab.RTCPeerConnection({"iceServers": []}, name=side)
        self.ns: dict[str, Any] = {"pc": self.pc, "loopback": self.loopback, "signalling": self.signalling}

    async def offer(self, send: bool = True) -> Any:
        self.pc.createDataChannel("chat")
        offer = self.ns["offer"] = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)
        if send:
            self.signalling.send({"type": "offer", "data": offer})
        return offer

    async def close(self) -> None:
        await self.pc.close()
        await self.far.close()
        self.loopback.close()


async def without_await(room: Room) -> None:
    room.pc.createDataChannel("chat")
    room.ns["offer"] = room.pc.createOffer()
    await asyncio.sleep(0.05)
    await check("caller", 2, room.ns)


async def no_set_local(room: Room) -> None:
    room.pc.createDataChannel("chat")
    room.ns["offer"] = await room.pc.createOffer()
    await check("caller", 3, room.ns)


async def send_offer_alone(room: Room) -> None:
    room.signalling.send(await room.offer(send=False))


async def typo(room: Room) -> None:
    room.signalling.send({"type": "ofer", "data": await room.offer(send=False)})


async def real_candidates_only(room: Room) -> None:
    def listener(event: Any) -> None:
        if event.candidate is not None:
            room.signalling.send({"type": "candidate", "data": event.candidate})
    room.pc.addEventListener("icecandidate", listener)
    await room.offer()
    await check("caller", 6, room.ns)


async def whole_message_description(room: Room) -> None:
    await room.offer()
    await room.pc.setRemoteDescription(await room.signalling.receive("answer", timeout=5))


async def whole_message_candidate(room: Room) -> None:
    await room.offer()
    await room.pc.setRemoteDescription((await room.signalling.receive("answer", timeout=5))["data"])
    await room.pc.addIceCandidate(await room.signalling.receive("candidate", timeout=5))


async def callee_no_set_local(room: Room) -> None:
    await room.pc.setRemoteDescription((await room.signalling.receive("offer", timeout=5))["data"])
    room.ns["answer"] = await room.pc.createAnswer()
    await check("callee", 3, room.ns)


async def answer_first(room: Room) -> None:
    await room.pc.createAnswer()


async def candidate_first(room: Room) -> None:
    await room.offer()
    await room.pc.addIceCandidate({"candidate": "candidate:1 1 udp 1 192.0.2.1 5 typ host", "sdpMid": "0"})


async def nobody_sends(room: Room) -> None:
    async with peerlab.Loopback() as lonely:  # no scripted callee plays on this one
        room.signalling = lonely.caller
        await room.offer()
        await lonely.caller.receive("answer", timeout=0.1)


MISTAKES: dict[str, tuple[str, Callable[[Room], Awaitable[None]]]] = {
    "`offer = pc.createOffer()` without `await`": ("caller", without_await),
    "forgets `setLocalDescription(offer)`": ("caller", no_set_local),
    "`signalling.send(offer)` (no message dict)": ("caller", send_offer_alone),
    'a typo in the type: `"ofer"`': ("caller", typo),
    "listener sends only real candidates, not the final `None`": ("caller", real_candidates_only),
    '`setRemoteDescription(message)` instead of `message["data"]`': ("caller", whole_message_description),
    '`addIceCandidate(message)` instead of `message["data"]`': ("caller", whole_message_candidate),
    "callee forgets `setLocalDescription(answer)` (the guide omits it!)": ("callee", callee_no_set_local),
    "`createAnswer()` before the offer is set": ("callee", answer_first),
    "`addIceCandidate()` before the remote description": ("caller", candidate_first),
    "waits for a message nobody sends": ("caller", nobody_sends),
}


def test_every_row_of_the_mistakes_table_is_tested():
    assert sorted(table()) == sorted(MISTAKES)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
async def test_the_table_quotes_what_peerlab_prints(mistake):
    side, make = MISTAKES[mistake]
    room = Room(side)
    try:
        with pytest.raises(peerlab.PeerlabError) as info:
            await make(room)
    finally:
        await room.close()
    printed = str(info.value).replace("0.1 s", "10 s")  # the table quotes the default timeout
    quoted = table()[mistake]
    pattern = ".*".join(re.escape(part.strip()) for part in quoted.split("…"))
    assert re.match(pattern, printed, flags=re.S), f"INSTRUCTOR.md quotes\n  {quoted}\npeerlab prints\n  {printed}"


async def test_the_room_of_laptops_section_quotes_the_refusal_of_a_taken_role():
    section = NOTES.read_text(encoding="utf-8").split("## A room of laptops", 1)[1]
    quoted = re.search(r"`(room 'table-3' already has a caller: .+?)`", section).group(1)
    assert "peerlab serve --host 0.0.0.0" in section and 'room="table-3"' in section
    server = await peerlab.serve(port=0)
    try:
        async with await peerlab.join(server.url, room="table-3", role="caller", client_id="laptop-a"):
            with pytest.raises(peerlab.JoinRefused) as refused:
                await peerlab.join(server.url, room="table-3", role="caller", client_id="laptop-b")
    finally:
        await server.close()
    printed = str(refused.value).split("refused to let the caller join: ", 1)[1]
    pattern = re.escape(quoted).replace(r"192\.168\.1\.31", r"[\d.]+").replace("42", r"\d+")
    assert re.fullmatch(pattern, printed), f"INSTRUCTOR.md quotes\n  {quoted}\npeerlab prints\n  {printed}"


def test_the_hub_section_quotes_what_a_learner_sees_when_the_browser_lessons_cannot_connect():
    """Each quote of "Running the workshop on a hub" is what peerlab prints (``…`` leaves words out)."""
    from peerlab.browser.connection import browser_error, no_path_hint
    from peerlab.browser.page import no_page_message, unlinked_message

    section = NOTES.read_text(encoding="utf-8").split("## Running the workshop on a hub", 1)[1]
    quotes = re.findall(r"`((?:BrowserUnavailable|BrowserUnlinked|WaitTimeout|BrowserError): .+?)`\.?$", section,
                        flags=re.M)
    failures = {
        "comm": "no answer within 3 s (a kernel older than ipykernel 7.4 reads a widget's messages only after "
                "the running cell)",
        "proxy": "HTTP 404 at https://hub.example.org/user/ada/proxy/41235/: the Jupyter server has no proxy "
                 "(jupyter-server-proxy is not installed where it runs)",
        "direct": "not tried: this page comes from hub.example.org, so the browser's 127.0.0.1 is not the kernel's",
    }
    camera = browser_error("addCamera", {"name": "NotSupportedError", "message": "navigator.mediaDevices is "
                                         "missing: a camera needs a secure page (https, or http://localhost)"})
    printed = [
        "BrowserUnavailable: " + no_page_message("createOffer()", 5),
        "BrowserUnlinked: " + unlinked_message("createOffer()", "browser", failures),
        "WaitTimeout: the browser waited 10 s for connectionState 'connected'; it is 'connecting'" + no_path_hint([]),
        "BrowserError: " + str(camera),
    ]
    assert len(quotes) == len(printed)
    for quoted in quotes:
        pattern = ".*".join(re.escape(part.strip()) for part in quoted.split("…"))
        assert any(re.fullmatch(pattern, text, flags=re.S) for text in printed), quoted


# -- "A room of laptops", run as written -----------------------------------------------------------

def room_section() -> str:
    text = NOTES.read_text(encoding="utf-8")
    return text.split("## A room of laptops", 1)[1].split("**A role is taken.**", 1)[0]


def fenced(section: str) -> list[tuple[str, str]]:
    """The section's fenced blocks, as (language, text without the list's indent)."""
    return [(lang, textwrap.dedent(body).strip("\n"))
            for _, lang, body in re.findall(r"^( *)```(\w*)\n(.*?)^\1```", section, flags=re.M | re.S)]


def block(blocks: list[tuple[str, str]], lang: str, words: str) -> str:
    found = [text for kind, text in blocks if kind == lang and words in text]
    assert len(found) == 1, f"INSTRUCTOR.md's room section has {len(found)} {lang} blocks with {words!r}"
    return found[0]


def lesson_cells(name: str) -> list[tuple[str, str, str]]:
    """A lesson's code cells as (its "## " heading, cell id, source)."""
    heading, cells = "", []
    for cell in nbformat.read(NOTES.parent / name, as_version=4).cells:
        if cell.cell_type == "markdown":
            heading = next((line for line in cell.source.splitlines() if line.startswith("## ")), heading)
        else:
            cells.append((heading, cell.id, cell.source))
    return cells


def as_the_notes_say(name: str, role: str, url: str, section: str) -> tuple[list[tuple[str, str]], list[int]]:
    """Lesson ``name`` changed as the room section tells the ``role`` to change it, with ``url`` for the
    teacher's: its code cells, and where each turn of the pair ends (the section's order of turns)."""
    blocks = fenced(section)
    join = block(blocks, "python", "peerlab.join(").replace('"ws://192.168.1.20:8765/?token=..."', repr(url))
    assert 'role="caller"' in join and '(the callee writes `role="callee"`)' in " ".join(section.split())
    join = join.replace('role="caller"', f'role="{role}"')
    printed, written = re.search(r"Wherever the lesson prints `([^`]+)`, write `([^`]+)`", section).groups()
    echo = block(blocks, "python", "def echo(")
    if role == "callee":
        echo = re.search(r"The callee's is the same with `([^`]+)`\s+as its first line", section).group(1) + "\n" + echo
    clean_up = block(blocks, "python", "await signalling.close()")
    cells: list[tuple[str, str]] = []
    turns: list[int] = []
    for index, (heading, cell_id, source) in enumerate(lesson_cells(name)):
        if index == 0:  # the set-up cell: its import lines stay, the rest is the join
            source = "\n".join(line for line in source.splitlines() if line.startswith(("import ", "from ")))
            source += "\n\n" + join
        if heading.startswith("## Clean up"):
            source = clean_up
        if heading.startswith(("## Step 7", "## It works", "## What if")) and \
                not lesson_cells(name)[index - 1][0].startswith(heading[:10]):
            turns.append(len(cells))  # a turn ends before step 7, before It works, before the what-ifs
            if heading.startswith("## It works"):
                cells.append((f"{role}-echo", echo))
                turns.append(len(cells))
        cells.append((cell_id, source.replace(printed, written)))
    turns.append(len(cells))
    return cells, turns


def room_state(url: str, room: str) -> str:
    """The room's ``state`` on the server's status.json, once the laptops' reports say connected (or after 10 s)."""
    status_url = url.replace("ws://", "http://", 1).replace("/?", "/status.json?", 1)
    deadline = time.monotonic() + 10
    while True:
        with urllib.request.urlopen(status_url, timeout=5) as response:
            state = next(r["state"] for r in json.loads(response.read())["rooms"] if r["name"] == room)
        if state == "connected" or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


@pytest.mark.timeout(400)
def test_the_room_of_laptops_section_runs_as_written_on_two_kernels_and_one_server(monkeypatch):
    """Lessons 01 and 02 changed exactly as "A room of laptops" says, run by two kernels in the turns it
    gives, against ``peerlab serve`` started as it says (on 127.0.0.1): both connect and hear the other's echo,
    and the status page calls the pair connected."""
    from .room_notebooks import Laptop

    section = room_section()
    blocks = fenced(section)
    assert block(blocks, "sh", "peerlab serve").startswith("peerlab serve --host 0.0.0.0 ")
    printout = block(blocks, "", "peerlab signalling server on").splitlines()
    process = subprocess.Popen([sys.executable, "-m", "peerlab", "serve", "--host", "127.0.0.1", "--port", "0",
                                "--token", "8EWEXgYw-uZNVDTJurWx3g"], cwd=NOTES.parent.parent,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    laptops: list[Laptop] = []
    try:
        lines: list[str] = []
        while not lines or lines[-1] != "Stop it with Ctrl-C.":
            line = process.stdout.readline()
            assert line, "peerlab serve ended early:\n" + "\n".join(lines)
            lines.append(line.rstrip())

        def shape(text: str) -> str:
            return re.sub(r"\d+\.\d+\.\d+\.\d+:\d+", "ADDRESS:PORT", text)

        assert [shape(line) for line in lines[:3]] == [shape(line) for line in printout]
        url = re.search(r"peerlab\.join\('([^']+)'", lines[1]).group(1)

        caller_cells, caller_turns = as_the_notes_say("01-caller.ipynb", "caller", url, section)
        callee_cells, callee_turns = as_the_notes_say("02-callee.ipynb", "callee", url, section)
        # up to step 6, steps 7-8 (callee: 7), the echo cell, It works, the what-ifs and the clean-up
        assert len(caller_turns) == len(callee_turns) == 5
        caller, callee = Laptop("caller", caller_cells), Laptop("callee", callee_cells)
        laptops += [caller, callee]
        start = {"caller": 0, "callee": 0}
        for turn in range(5):
            for laptop, turns in ((caller, caller_turns), (callee, callee_turns)):
                for index in range(start[laptop.role], turns[turn]):
                    laptop.run(index)  # fails with the cell's traceback if it raises (a NameError, ...)
                start[laptop.role] = turns[turn]
            if turn == 3:  # It works, both ways: each heard the other's echo, and the page says connected
                caller_works, callee_works = caller_turns[2], callee_turns[2]
                assert caller.outputs[caller_works].result == "'echo: hello from the caller'"
                assert callee.outputs[callee_works].stdout.strip() == "chat"
                assert callee.outputs[callee_works].result == "'echo: hello from the callee'"
                assert room_state(url, "table-3") == "connected"
    finally:
        for laptop in laptops:
            laptop.close()
        process.terminate()
        process.communicate(timeout=30)
