"""``peerlab.start_far_peer``: lesson 05's far peer as a child process the kernel owns, and what
``python -m peerlab.peer`` does when its signalling ends or its parent goes (issue 21).

Each test starts a server on 127.0.0.1 (a free port) and ends what it started; every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys

import pytest

import peerlab
from peerlab import FarPeerEnded, PeerlabNote
from peerlab.webrtc.interrupts import Wait, interruptible

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote")
PID = r"pid \d+"


@pytest.fixture
async def server():
    async with await peerlab.serve(port=0) as running:
        yield running


async def connect(url: str, room: str) -> tuple[peerlab.WebSocketEndpoint, peerlab.RTCPeerConnection,
                                               peerlab.RTCDataChannel]:
    """The lesson's caller: join, the eight steps, connected."""
    signalling = await peerlab.join(url, room=room, role="caller")
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    channel = pc.createDataChannel("chat")
    pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    await pc.setLocalDescription(await pc.createOffer())
    signalling.send({"type": "offer", "data": pc.localDescription})
    await pc.setRemoteDescription((await signalling.receive("answer", timeout=10))["data"])
    while (message := await signalling.receive("candidate", timeout=10))["data"] is not None:
        await pc.addIceCandidate(message["data"])
    await pc.wait_for_state("connected", timeout=10)
    return signalling, pc, channel


async def test_it_runs_the_far_peer_in_a_process_of_its_own_reads_its_lines_and_stops_it_twice(server):
    far = await peerlab.start_far_peer(server.url, room="r1")
    try:
        assert far.command_line == (f"python -m peerlab.peer --role callee {server.url} --room r1 --lifetime 600 "
                                    "--stop-with-stdin")
        assert await far.joined() == f"callee: joined room 'r1' on {server.url} (waiting for the caller)"
        assert await far.joined() == far.lines[0]  # again: the same line at once
        assert far.pid != os.getpid() and os.getsid(far.pid) != os.getsid(0)  # a session of its own: no SIGINT
        signalling, pc, channel = await connect(server.url, "r1")
        assert await peerlab.send_and_receive(channel, "hi", timeout=10) == "echo: hi"
        assert await far.printed("sent back") == "callee: data channel 'chat': received 'hi', sent back 'echo: hi'"
        await pc.close()
        await signalling.close()
    finally:
        last = await far.stop()
    assert last == "callee: stopped (SIGTERM came); it left room 'r1'" and far.returncode == 0
    assert await far.stop() == last and far.returncode == 0  # twice: nothing to stop, the same last line
    assert repr(far) == f"<FarProcess callee in room 'r1' on {server.url}, pid {far.pid}: exit status 0>"


async def test_started_again_in_the_same_room_it_gives_the_running_one_back(server):
    far = await peerlab.start_far_peer(server.url, room="r2")
    try:
        await far.joined()
        with pytest.warns(PeerlabNote) as notes:
            again = await peerlab.start_far_peer(server.url, room="r2")
        assert again is far
        assert re.fullmatch(
            rf"The far callee \(python -m peerlab\.peer, {PID}\) that this notebook started before still runs in room "
            rf"'r2' on {re.escape(server.url)}: here it is again, rather than a second callee, which the server would "
            r"refuse \(a room has one callee\)\. To start a new one, await far\.stop\(\) first\.",
            str(notes[0].message))
    finally:
        await far.stop()


async def test_a_far_peer_that_cannot_join_says_why_without_the_advice_meant_for_a_notebook(server):
    async with await peerlab.join(server.url, room="taken", role="callee", client_id="someone-else"):
        far = await peerlab.start_far_peer(server.url, room="taken")
        with pytest.raises(FarPeerEnded) as info:
            await far.joined()
    assert re.fullmatch(
        rf"The far callee \(python -m peerlab\.peer, {PID}\) could not join room 'taken': room 'taken' already has "
        r"a callee \(client \S+ from 127\.0\.0\.1, there for \d+ s\)\. Stop that callee first \(a far peer started "
        r"before: await far\.stop\(\)\), or start this one in another room\. \(exit status 1\)", str(info.value))
    assert "join as caller" not in str(info.value)
    assert info.value.returncode == 1 and await far.stop() == far.lines[-1]


async def test_at_the_end_of_its_output_a_read_is_an_error_with_its_exit_status_not_a_wait(server):
    far = await peerlab.start_far_peer(server.url, room="r3")
    await far.joined()
    os.kill(far.pid, signal.SIGKILL)
    with pytest.raises(FarPeerEnded) as info:
        await far.says(timeout=30)
    assert re.fullmatch(
        rf"The far callee \(python -m peerlab\.peer, {PID}\) has ended \(killed by SIGKILL\) before its next line; it "
        rf"printed: callee: joined room 'r3' on {re.escape(server.url)} \(waiting for the caller\)\. Start it again: "
        r"re-run the cell that started it \(peerlab\.start_far_peer\)\.", str(info.value))
    with pytest.raises(FarPeerEnded, match="before it printed a line with 'sent back'"):
        await far.printed("sent back", timeout=30)
    assert info.value.returncode == -9 and not far.running
    assert await far.stop() == far.lines[-1]  # clean-up after it ended: no ProcessLookupError


async def test_a_connected_far_peer_keeps_its_connection_when_the_server_stops():
    server = await peerlab.serve(port=0)
    far = await peerlab.start_far_peer(server.url, room="r4")
    try:
        await far.joined()
        signalling, pc, channel = await connect(server.url, "r4")
        await server.close()
        line = await far.printed("signalling connection ended")
        assert line.endswith("its connection is 'connected' and goes on without it: the server is not on the data "
                             "channel's path")
        assert "`peerlab serve`" not in line and "join again" not in line
        assert await peerlab.send_and_receive(channel, "still here", timeout=10) == "echo: still here"
        await pc.close()  # the far connection ends, and without signalling it cannot make another: it stops
        assert await far.printed("callee: stopped") == ("callee: stopped (its connection is 'closed', and without "
                                                "signalling it cannot make another); it left room 'r4'")
        await signalling.close()
    finally:
        await far.stop()
    assert far.returncode == 0


async def test_with_stop_with_stdin_the_far_peer_stops_when_the_process_that_started_it_goes(server):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "peerlab.peer", server.url, "--room", "r5", "--stop-with-stdin",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    try:
        assert b"joined room 'r5'" in await asyncio.wait_for(process.stdout.readline(), 10)
        process.stdin.close()  # what the kernel's end of the pipe does when the kernel ends
        rest = await asyncio.wait_for(process.stdout.read(), 10)
        assert rest.decode().splitlines()[-1] == (
            "callee: stopped (its stdin ended: the process that started it ended); it left room 'r5'")
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_interrupted_outside_a_notebook_a_wait_says_what_it_was_for_as_a_note_once():
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    inner = interruptible(never, Wait("caller", "the inner thing"))
    waiting = asyncio.ensure_future(interruptible(inner, Wait("caller", "the outer thing")))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.warns(PeerlabNote) as notes, pytest.raises(asyncio.CancelledError):
        await waiting
    assert len(notes) == 1  # the innermost wait says it; the one around it says nothing more
    assert re.match(  # (then what it says of far processes this process started, if any)
        r"The caller stopped waiting for the inner thing after \d+\.\d s: the wait was interrupted\. Nothing is "
        r"broken: what it waited for goes on in the background, so run the cell again to wait again\.",
        str(notes[0].message))
