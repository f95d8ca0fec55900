"""notebooks/room/: a caller laptop and a callee laptop, two real kernels, one ``peerlab serve``.

They join from the environment (PEERLAB_SERVER, PEERLAB_ROOM, as a teacher sets them), connect,
chat both ways and send a file whose SHA-256 both check; the server's status shows the pair
connected (each laptop reported it); Connect run again on both (the callee first, as the notebooks
say) connects again. tests/browser/test_status_page_in_browser.py looks at the same run on the page.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest

from .room_notebooks import CALLEE, CALLER, Laptop, at_once, connect_and_chat, peerlab_serve, send_a_file

ROOM = "table-5"


def status(url: str) -> dict:
    page = url.replace("ws://", "http://", 1).replace("/?", "/status.json?", 1)
    with urllib.request.urlopen(page, timeout=5) as response:
        return json.loads(response.read())


def room_when(url: str, ready, timeout: float = 20) -> dict:
    """The room's status once ``ready(room)`` holds (the laptops' state reports travel on their own)."""
    deadline = time.monotonic() + timeout
    while True:
        rooms = [r for r in status(url)["rooms"] if r["name"] == ROOM]
        if rooms and ready(rooms[0]):
            return rooms[0]
        assert time.monotonic() < deadline, f"room {ROOM!r} never got there: {rooms}"
        time.sleep(0.1)


@pytest.mark.timeout(400)
def test_two_laptops_run_the_room_notebooks_chat_both_ways_and_send_a_file(monkeypatch, tmp_path):
    with peerlab_serve() as url:
        monkeypatch.setenv("PEERLAB_SERVER", url)
        monkeypatch.setenv("PEERLAB_ROOM", ROOM)
        monkeypatch.setenv("TMPDIR", str(tmp_path))  # the kernels' temporary folder: the file sent and received
        caller, callee = Laptop("caller"), Laptop("callee")
        try:
            seen = connect_and_chat(caller, callee)
            base = url.split("?")[0]
            assert seen["caller settings"].strip() == f"server: {base}, room: {ROOM}"  # the token is not shown
            assert seen["caller connect"].strip() == \
                f"connected to the callee in room {ROOM!r}: connectionState 'connected'"
            assert seen["callee connect"].strip() == \
                f"connected to the caller in room {ROOM!r}: connectionState 'connected'"
            assert seen["caller heard"].strip() == "callee: hello from the callee"
            assert seen["callee heard"].strip() == "caller: hello from the caller"

            room = room_when(url, lambda r: r["state"] == "connected")
            assert {role: m["connection"]["connectionState"] for role, m in room["members"].items()} == \
                {"caller": "connected", "callee": "connected"}

            seen = send_a_file(caller, callee)
            made = re.fullmatch(r"to-send\.bin: 2097152 bytes, sha256 ([0-9a-f]{64})", seen["caller file"].strip())
            assert made, seen["caller file"]
            sent_hash = made.group(1)
            assert seen["caller sent"].strip() == "sent 2097152 of 2097152 bytes"
            assert seen["caller hashes"].splitlines() == [f"sha256 sent:     {sent_hash}",
                                                          f"sha256 received: {sent_hash}", "hashes match: True"]
            assert seen["callee check"].splitlines()[1:] == [f"sha256 the caller sent: {sent_hash}",
                                                             f"sha256 of what I wrote: {sent_hash}",
                                                             "hashes match: True"]
            assert (tmp_path / "peerlab-room" / "received" / "to-send.bin").stat().st_size == 2097152

            # Connect again, the callee first as the notebooks say: both connected again, and chat works.
            joined = room_when(url, lambda r: True)["members"]["callee"]["since"]
            again = at_once(callee, CALLEE["connect"], caller, CALLER["connect"],  # once the callee joined again
                            lambda: room_when(url, lambda r: True)["members"]["callee"]["since"] < joined)
            assert "connectionState 'connected'" in again[0] and "connectionState 'connected'" in again[1]
            assert "re-running the join cell starts over" in callee.outputs[CALLEE["connect"]].stderr
            caller.run(CALLER["say"])
            assert callee.run(CALLEE["heard"]).strip() == "caller: hello from the caller"

            for laptop, cells in ((caller, CALLER), (callee, CALLEE)):
                assert laptop.run(cells["clean_up"]).strip() == "closed"
        finally:
            caller.close()
            callee.close()
