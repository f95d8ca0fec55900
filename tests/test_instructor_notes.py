"""INSTRUCTOR.md's table of common mistakes quotes what peerlab really prints for each."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

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
