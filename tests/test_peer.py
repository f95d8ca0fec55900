"""``python -m peerlab.peer``: the far peer in a second process, as lesson 05 starts it.

Each test starts a server on 127.0.0.1 (a free port) and the peer as a child process, reads what
the peer prints, and ends both; every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

import peerlab
from peerlab import SignallingEndpoint

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote")
WAIT = 10.0


@pytest.fixture
async def server():
    async with await peerlab.serve(port=0) as running:
        yield running


class Far:
    """A ``python -m peerlab.peer`` child process and the lines it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def line(self) -> str:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        text = raw.decode().rstrip("\n")
        if text:
            self.lines.append(text)
        return text

    async def until(self, words: str) -> str:
        while True:
            text = await self.line()
            assert text, f"the peer ended before printing {words!r}; it printed {self.lines}"
            if words in text:
                return text

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signum)
        return await self.end()

    async def end(self) -> int:
        """Read to the end of its output; its exit status."""
        while await self.line():
            pass
        return await asyncio.wait_for(self.process.wait(), WAIT)


@pytest.fixture
async def start():
    started: list[Far] = []

    async def run(*args: str) -> Far:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "peerlab.peer", *args,
                                                       stdout=asyncio.subprocess.PIPE)
        far = Far(process)
        started.append(far)
        return far

    yield run
    for far in started:
        if far.process.returncode is None:
            far.process.kill()
        await far.process.wait()


async def room_when(server, name: str, ready, timeout: float = 10) -> dict:
    """Room ``name``'s status once ``ready(room)`` holds, or an AssertionError showing the rooms."""
    async def reached() -> dict:
        while not any(r["name"] == name and ready(r) for r in server.status()["rooms"]):
            await asyncio.sleep(0.02)
        return next(r for r in server.status()["rooms"] if r["name"] == name)
    try:
        return await asyncio.wait_for(reached(), timeout)
    except TimeoutError:
        raise AssertionError(f"room {name!r} never got there: {server.status()['rooms']}") from None


async def caller(signalling: SignallingEndpoint) -> tuple[peerlab.RTCPeerConnection, peerlab.RTCDataChannel]:
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    channel = pc.createDataChannel("chat")
    pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    signalling.send({"type": "offer", "data": offer})
    await pc.setRemoteDescription((await signalling.receive("answer", timeout=5))["data"])
    while True:
        message = await signalling.receive("candidate", timeout=5)
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            break
    await pc.wait_for_state("connected", timeout=5)
    return pc, channel


async def test_the_far_callee_answers_echoes_says_each_step_and_stops_on_sigterm(server, start):
    far = await start("--role", "callee", server.url, "--room", "table-3")
    assert await far.line() == f"callee: joined room 'table-3' on {server.url} (waiting for the caller)"
    signalling = await peerlab.join(server.url, room="table-3", role="caller")
    pc, channel = await caller(signalling)
    try:
        assert await peerlab.send_and_receive(channel, "hello", timeout=5) == "echo: hello"
        await far.until("received 'hello'")
        # The far process reported its connection to the server by itself, as the kernel did: the status
        # page shows both roles connected.
        room = await room_when(server, "table-3", lambda r: r["state"] == "connected")
        assert room["members"]["callee"]["connection"]["connectionState"] == "connected"
    finally:
        await pc.close()
        await signalling.close()
    assert await far.stop() == 0
    for line in ["callee step 1-2: received an offer; a new connection has it as the remote description",
                 "callee step 3: created the answer and set it as the local description",
                 "callee step 4: sent the answer", "callee step 5-6: sent its candidates and end-of-candidates",
                 "callee step 7: added the far side's candidates, up to its end-of-candidates",
                 "callee: connectionState is 'connected'",
                 "callee: data channel 'chat': received 'hello', sent back 'echo: hello'"]:
        assert line in far.lines
    assert far.lines[-1] == "callee: stopped (SIGTERM came); it left room 'table-3'"
    assert signalling.transcript.sent_by("callee").startswith("callee → caller  answer")


async def test_the_far_caller_offers_when_the_callee_joins_and_stops_on_sigint(server, start):
    far = await start("--role", "caller", server.url, "--room", "t")
    assert "waiting for the callee" in await far.line()
    signalling = await peerlab.join(server.url, room="t", role="callee")
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="callee")
    pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    try:
        await pc.setRemoteDescription((await signalling.receive("offer", timeout=5))["data"])
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        signalling.send({"type": "answer", "data": answer})
        while (message := await signalling.receive("candidate", timeout=5))["data"] is not None:
            await pc.addIceCandidate(message["data"])
        channel = await peerlab.wait_for_datachannel(pc, timeout=5)
        assert await peerlab.send_and_receive(channel, "hi", timeout=5) == "echo: hi"
    finally:
        await pc.close()
        await signalling.close()
    assert await far.stop(signal.SIGINT) == 0
    assert "caller step 4: sent the offer" in far.lines
    assert far.lines[-1] == "caller: stopped (SIGINT came); it left room 't'"


async def test_the_far_peer_stops_when_the_server_does(start):
    server = await peerlab.serve(port=0)
    far = await start(server.url, "--room", "r")
    await far.line()
    await server.close()
    assert await far.end() == 0  # by itself: no signal sent
    assert far.lines[-1].startswith("callee: stopped (the signalling connection ended: the signalling server at ")


async def test_the_far_peer_lives_no_longer_than_its_lifetime(server, start):
    far = await start(server.url, "--room", "r", "--lifetime", "0.5")
    assert await far.until("stopped") == "callee: stopped (its lifetime of 0.5 s is over); it left room 'r'"
    assert await far.end() == 0


async def test_a_peer_that_cannot_join_says_why_and_exits_1(server, start):
    async with await peerlab.join(server.url, room="full", role="callee", client_id="someone-else"):
        far = await start(server.url, "--room", "full")
        assert "callee: could not join room 'full'" in await far.line()
        assert "already has a callee" in far.lines[0]
        assert await far.end() == 1


async def test_the_far_peer_takes_step_1s_configuration_as_json_and_says_it(server, start):
    configuration = '{"iceServers": [], "iceTransportPolicy": "all", "bundlePolicy": "max-bundle"}'
    far = await start("--role", "callee", server.url, "--room", "c", "--configuration", configuration)
    await far.line()
    assert await far.line() == "callee: step 1's configuration: no ICE servers"
    signalling = await peerlab.join(server.url, room="c", role="caller")
    pc, channel = await caller(signalling)  # host candidates only, as the configuration says
    try:
        assert await peerlab.send_and_receive(channel, "hello", timeout=5) == "echo: hello"
    finally:
        await pc.close()
        await signalling.close()
    assert await far.stop() == 0


async def test_the_far_peer_takes_the_ice_servers_the_server_hands_out():
    stun, turn = "stun:192.0.2.1:3478", "turn:192.0.2.1:3478"
    async with await peerlab.serve(port=0, stun_urls=[stun], turn_urls=[turn], turn_secret="s") as server:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "peerlab.peer", server.url, "--room", "t", "--ice-servers-from-server",
            "--configuration", '{"iceTransportPolicy": "relay"}', stdout=asyncio.subprocess.PIPE)
        far = Far(process)
        try:
            await far.line()
            assert await far.line() == f"callee: step 1's configuration: {stun}, {turn} (relay candidates only)"
        finally:
            await far.stop()


@pytest.mark.parametrize("configuration, words", [
    ("{not json", "--configuration is step 1's configuration as a JSON object"),
    ("[]", "it is not a JSON object"),
    ('{"iceTransportPolicy": "nohost"}', "'iceTransportPolicy' is one of 'all', 'relay', not 'nohost'"),
    ('{"iceServers": [{"url": "stun:x"}]}', "iceServers[0] needs 'urls'"),
])
def test_a_configuration_it_cannot_use_is_refused_before_it_joins(configuration, words, capsys):
    from peerlab.peer import main

    with pytest.raises(SystemExit) as exited:
        main(["ws://127.0.0.1:9/", "--room", "r", "--configuration", configuration])
    assert exited.value.code == 2
    assert words in capsys.readouterr().err
