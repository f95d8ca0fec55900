"""``peerlab.tcp_signalling``: aiortc's own TCP signalling, against aiortc's unmodified datachannel-cli example.

The far peer is aiortc's ``examples/datachannel-cli/cli.py``, unmodified, taken from the installed aiortc's
source distribution at test time (``tests/aiortc_examples.py``), in its own process, started with ``--signaling tcp-socket`` on a free port of 127.0.0.1 and
stopped (its pipes read to the end) by the test that started it. The notebook side runs the guide's
steps with the same cells as lessons 01 and 02 (``Caller``/``Callee`` of ``tests/test_second_try.py``).
The translation is also tested line by line, against aiortc's own ``object_to_string``/``object_from_string``
and against a bare socket playing the far side.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import sys
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCSessionDescription
from aiortc.contrib.signaling import BYE, object_from_string, object_to_string
from aiortc.sdp import candidate_from_sdp

import peerlab
from peerlab import (
    PeerlabNote,
    ServerStartError,
    SignallingClosed,
    SignallingEndpoint,
    SignallingError,
    SignallingTimeout,
    SignallingUnreachable,
    TcpEndpoint,
    UnreadableMessage,
)
from peerlab.signalling.tcp import from_line, to_line
from tests.aiortc_examples import example
from tests.test_second_try import Callee, Caller

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote")

HOST = "127.0.0.1"
CANDIDATE = "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host"

# An SDP as aiortc's programs send it: the candidates inside, closed by a=end-of-candidates.
SDP = "\r\n".join([
    "v=0", "o=- 3900000000 3900000000 IN IP4 0.0.0.0", "s=-", "t=0 0", "a=group:BUNDLE 0",
    "a=msid-semantic:WMS *", "m=application 50000 DTLS/SCTP 5000", "c=IN IP4 192.0.2.1", "a=mid:0",
    "a=sctpmap:5000 webrtc-datachannel 65535", "a=max-message-size:65536",
    "a=candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host",
    "a=candidate:2 1 udp 2130706175 192.0.2.2 50001 typ host",
    "a=end-of-candidates", "a=ice-ufrag:abcd", "a=ice-pwd:0123456789abcdef012345",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", ""])


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# -- aiortc's datachannel-cli in its own process ---------------------------------------------

class FarPeer:
    """aiortc's cli.py running as ``role`` (``offer`` or ``answer``); ``lines`` is what it printed so far."""

    def __init__(self, process: asyncio.subprocess.Process, role: str, started: float) -> None:
        self.process = process
        self.role = role
        self.started = started
        self.lines: list[str] = []
        self.stderr = ""

    async def wait_for_line(self, text: str, timeout: float = 10) -> str:
        """The first line it printed that contains ``text``, reading its output until one comes."""
        assert self.process.stdout is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for line in self.lines:
            if text in line:
                return line
        while True:
            raw = await asyncio.wait_for(self.process.stdout.readline(), max(deadline - loop.time(), 0.01))
            assert raw, f"cli.py {self.role} ended without printing {text!r}:\n{self.output()}"
            self.lines.append(raw.decode().rstrip())
            if text in self.lines[-1]:
                return self.lines[-1]

    async def stop(self) -> None:
        """Wait a little for it to end by itself (it does after bye); else terminate, then kill. Read its pipes."""
        process = self.process
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
        out, err = await asyncio.wait_for(process.communicate(), 10)
        self.lines += out.decode().splitlines()
        self.stderr = err.decode()

    def output(self) -> str:
        return "\n".join(self.lines) + ("\n--- stderr ---\n" + self.stderr if self.stderr else "")


@contextlib.asynccontextmanager
async def cli_py(role: str, port: int) -> AsyncIterator[FarPeer]:
    """``python cli.py ROLE --signaling tcp-socket --signaling-host 127.0.0.1 --signaling-port PORT``."""
    program = example("examples/datachannel-cli/cli.py")  # fetched once, then from the cache
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(program), role, "--signaling", "tcp-socket", "--signaling-host", HOST,
        "--signaling-port", str(port), stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    far = FarPeer(process, role, started)
    try:
        yield far
    finally:
        await far.stop()


async def wait_until(condition, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)


# -- a peerlab notebook and aiortc's unmodified cli.py -----------------------------------------

async def test_a_peerlab_caller_connects_to_cli_py_answer_and_gets_pong_for_ping():
    port = free_port()
    signalling = await peerlab.tcp_signalling(HOST, port, role="caller")  # the caller listens: start it first
    caller = Caller(SimpleNamespace(caller=signalling))  # lesson 01's cells, unchanged
    try:
        async with cli_py("answer", port) as far:
            await wait_until(lambda: signalling.far_connected, timeout=20)  # cli.py's Python has started
            on_line = time.perf_counter()
            await caller.all_steps()
            connected = time.perf_counter()
            assert await caller.echo("ping 42") == "pong 42"  # cli.py answers ping with pong
            await far.wait_for_line("channel(chat) > pong 42")
            sent, received = signalling.transcript.sent_by("caller"), signalling.transcript.sent_by("callee")
            await signalling.close()  # says bye: cli.py prints "Exiting" and ends
            await far.wait_for_line("Exiting")
        assert far.process.returncode == 0, far.output()
        print(f"\n[tcp_signalling] peerlab caller <-> cli.py answer: connected {1000 * (connected - on_line):.0f} ms "
              f"after cli.py connected, {1000 * (connected - far.started):.0f} ms after it was started")
    finally:
        await signalling.close()
        if caller.pc is not None:
            await caller.pc.close()
    assert sent.splitlines()[0] == "caller → callee  offer      offer SDP, media: application, 0 candidates inside"
    assert sent.splitlines()[-1] == ("caller → callee  candidate  end-of-candidates (null), not sent: aiortc's "
                                     "signalling has no end-of-candidates message (its SDP says it)")
    assert re.fullmatch(r"callee → caller  answer     answer SDP, media: application, (\d+) candidates inside\n"
                        r"callee → caller  candidate  host candidate, udp, sdpMid 0, from the answer's SDP( +\(×\d+\))?\n"
                        r"callee → caller  candidate  end-of-candidates \(null\), from the answer's SDP", received)
    # The caller said bye first; cli.py's own close() answers with a bye as it exits, and the transcript shows
    # it when it arrives before the caller's reader stops (timing): nothing else may follow the caller's bye.
    entries = list(signalling.transcript)
    first_bye = next(i for i, e in enumerate(entries) if e.type == "bye")
    assert entries[first_bye].sender == "caller"
    assert [(e.sender, e.type) for e in entries[first_bye + 1:]] in ([], [("callee", "bye")])


async def test_cli_py_offer_calls_a_peerlab_callee_which_answers_its_ping():
    port = free_port()
    async with cli_py("offer", port) as far:  # the offerer listens: start it first
        callee = None
        signalling = await peerlab.tcp_signalling(HOST, port, role="callee", timeout=20)
        try:
            callee = Callee(SimpleNamespace(callee=signalling))  # lesson 02's cells, unchanged
            on_line = time.perf_counter()
            await callee.all_steps()
            connected = time.perf_counter()
            channel = await peerlab.wait_for_datachannel(callee.pc, timeout=5)
            assert channel.label == "chat"
            ping: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            channel.addEventListener("message", lambda event: ping.done() or ping.set_result(event.data))
            text = await asyncio.wait_for(ping, 5)  # cli.py sends "ping <microseconds>" every second
            assert text.startswith("ping ")
            channel.send("pong" + text[4:])
            rtt = await far.wait_for_line(" RTT ")  # cli.py read the pong
            assert rtt.strip().endswith(" ms")
            types = signalling.transcript.types()
        finally:
            await signalling.close()
            if callee is not None and callee.pc is not None:
                await callee.pc.close()
        await far.wait_for_line("Exiting")  # it heard the callee's bye
    assert far.process.returncode == 0, far.output()
    assert types[0] == "offer" and types.count("answer") == 1
    print(f"\n[tcp_signalling] cli.py offer <-> peerlab callee: connected {1000 * (connected - on_line):.0f} ms "
          f"after the callee connected, {1000 * (connected - far.started):.0f} ms after cli.py was started")


# -- the translation, line by line ------------------------------------------------------------

def test_a_peerlab_offer_becomes_the_line_aiortc_reads_and_back():
    message = {"type": "offer", "data": {"type": "offer", "sdp": SDP}}
    line = to_line(message)
    assert line == json.dumps({"sdp": SDP, "type": "offer"}, sort_keys=True)
    described = object_from_string(line)
    assert isinstance(described, RTCSessionDescription) and described.sdp == SDP and described.type == "offer"
    back = from_line(object_to_string(RTCSessionDescription(sdp=SDP, type="answer")))
    assert back is not None and back[0] == {"type": "answer", "data": {"type": "answer", "sdp": SDP}}


def test_a_peerlab_candidate_becomes_aiortcs_candidate_line_and_back():
    data = {"candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": None}
    line = to_line({"type": "candidate", "data": data})
    assert json.loads(line) == {"type": "candidate", "candidate": CANDIDATE, "id": "0", "label": 0}
    candidate = object_from_string(line)
    assert isinstance(candidate, AiortcCandidate)
    assert (candidate.ip, candidate.port, candidate.sdpMid, candidate.sdpMLineIndex) == ("192.0.2.1", 50000, "0", 0)
    theirs = candidate_from_sdp(CANDIDATE.split(":", 1)[1])
    theirs.sdpMid, theirs.sdpMLineIndex = "1", 1
    assert from_line(object_to_string(theirs)) == [{"type": "candidate", "data": {
        "candidate": CANDIDATE, "sdpMid": "1", "sdpMLineIndex": 1, "usernameFragment": None}}]


@pytest.mark.parametrize("end", [None, {}, {"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0}])
def test_end_of_candidates_is_not_put_on_aiortcs_wire(end):
    assert to_line({"type": "candidate", "data": end}) is None


def test_what_aiortcs_reader_cannot_take_is_refused_before_it_is_sent():
    with pytest.raises(SignallingError, match="'candidate' message carries event.candidate"):
        to_line({"type": "candidate", "data": "candidate:1 1 udp 1 192.0.2.1 1 typ host"})
    with pytest.raises(SignallingError, match="aiortc's reader would fail on it: .*8 fields"):
        to_line({"type": "candidate", "data": {"candidate": "candidate:1 1 udp", "sdpMid": "0"}})
    with pytest.raises(SignallingError, match="neither 'sdpMid' nor 'sdpMLineIndex'"):
        to_line({"type": "candidate", "data": {"candidate": CANDIDATE}})
    with pytest.raises(SignallingError, match="carries a description of type 'answer'"):
        to_line({"type": "offer", "data": {"type": "answer", "sdp": SDP}})
    with pytest.raises(SignallingError, match="only offer, answer and candidate .* not 'hello'"):
        to_line({"type": "hello", "data": 1})


def test_the_candidates_inside_an_sdp_become_candidate_messages_and_then_none():
    messages = from_line(json.dumps({"type": "answer", "sdp": SDP}))
    assert messages is not None
    assert [m["type"] for m in messages] == ["answer", "candidate", "candidate", "candidate"]
    assert [m["data"] and (m["data"]["candidate"], m["data"]["sdpMid"], m["data"]["sdpMLineIndex"])
            for m in messages[1:]] == [(CANDIDATE, "0", 0),
                                       ("candidate:2 1 udp 2130706175 192.0.2.2 50001 typ host", "0", 0), None]
    trickling = SDP.replace("a=end-of-candidates\r\n", "")  # more to come: no end-of-candidates yet
    messages = from_line(json.dumps({"type": "offer", "sdp": trickling}))
    assert messages is not None and [m["data"] is None for m in messages[1:]] == [False, False]
    bare = "\r\n".join(line for line in SDP.split("\r\n") if "candidate" not in line)
    assert from_line(json.dumps({"type": "offer", "sdp": bare})) == [
        {"type": "offer", "data": {"type": "offer", "sdp": bare}}]


def test_bye_and_lines_that_are_not_aiortcs():
    assert from_line('{"type": "bye"}') is None
    assert object_from_string('{"type": "bye"}') is BYE
    assert from_line('{"type": "candidate", "candidate": ""}') == [{"type": "candidate", "data": None}]
    for line, words in [("hello", "not JSON"), ("[1, 2]", "not an object but a list"),
                        ('{"type": "offer"}', "without an 'sdp' string"),
                        ('{"type": "joined", "data": {}}', "type 'joined', which aiortc's signalling does not have")]:
        with pytest.raises(UnreadableMessage, match=words) as caught:
            from_line(line)
        assert caught.value.line == line and "--signaling tcp-socket" in str(caught.value)


# -- the endpoint, with a bare socket as the far side -------------------------------------------

@contextlib.asynccontextmanager
async def far_listening(port: int) -> AsyncIterator[asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]:
    """A bare far side that listens (as aiortc's offerer does); the future gets its one connection."""
    accepted: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
        asyncio.get_running_loop().create_future())
    server = await asyncio.start_server(lambda r, w: accepted.done() or accepted.set_result((r, w)), HOST, port)
    try:
        yield accepted
    finally:
        server.close()
        if accepted.done():
            writer = accepted.result()[1]
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def caller_with_far_side() -> AsyncIterator[tuple[TcpEndpoint, asyncio.StreamReader, asyncio.StreamWriter]]:
    """A peerlab caller listening, and a bare far side (the callee) connected to it."""
    endpoint = await peerlab.tcp_signalling(HOST, 0, role="caller")
    reader, writer = await asyncio.open_connection(HOST, endpoint.port)
    try:
        await wait_until(lambda: endpoint.far_connected, timeout=5)
        yield endpoint, reader, writer
    finally:
        await endpoint.close()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_the_endpoint_is_a_signalling_endpoint_and_sends_aiortcs_lines_without_end_of_candidates():
    async with caller_with_far_side() as (endpoint, reader, _writer):
        assert isinstance(endpoint, SignallingEndpoint)
        data = {"candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": None}
        endpoint.send({"type": "offer", "data": {"type": "offer", "sdp": SDP}})
        endpoint.send({"type": "candidate", "data": data})
        endpoint.send({"type": "candidate", "data": None})
        await endpoint.close()
        lines = [json.loads(line) for line in (await asyncio.wait_for(reader.read(), 5)).decode().splitlines()]
        assert [line["type"] for line in lines] == ["offer", "candidate", "bye"]  # no end-of-candidates line
        assert endpoint.transcript.types() == ["offer", "candidate", "candidate", "bye"]
        assert endpoint.transcript[2].size == 0 and "not sent" in endpoint.transcript[2].summary


async def test_the_guides_candidate_loop_ends_with_the_candidates_of_the_far_sides_sdp():
    async with caller_with_far_side() as (endpoint, _reader, writer):
        writer.write(json.dumps({"type": "answer", "sdp": SDP}).encode() + b"\n")
        answer = await endpoint.receive("answer", timeout=5)
        assert answer["data"] == {"type": "answer", "sdp": SDP}
        added = []
        while True:  # caller step 8, as lesson 01 writes it
            message = await endpoint.receive("candidate", timeout=5)
            added.append(message["data"])
            if message["data"] is None:
                break
        assert len(added) == 3 and added[-1] is None and endpoint.pending == []
        assert str(endpoint.transcript).splitlines() == [
            "callee → caller  answer     answer SDP, media: application, 2 candidates inside",
            "callee → caller  candidate  host candidate, udp, sdpMid 0, from the answer's SDP  (×2)",
            "callee → caller  candidate  end-of-candidates (null), from the answer's SDP"]
        with pytest.raises(SignallingTimeout, match="up to its end-of-candidates, were already received") as caught:
            await endpoint.receive("candidate", timeout=0.05)
        assert caught.value.reason == "consumed"


async def test_on_message_handlers_get_every_message_delivered_and_what_they_raise_comes_back():
    async with caller_with_far_side() as (endpoint, _reader, writer):
        seen = []
        endpoint.on("message", lambda message: seen.append(message["type"]))

        @endpoint.on("message")
        def broken(message):
            raise RuntimeError("oops")

        writer.write(json.dumps({"type": "answer", "sdp": SDP}).encode() + b"\n")
        await wait_until(lambda: len(seen) == 4, timeout=5)
        assert seen == ["answer", "candidate", "candidate", "candidate"]
        with pytest.raises(peerlab.MessageHandlerError, match="handler broken on the caller raised RuntimeError"):
            endpoint.send({"type": "candidate", "data": None})
        endpoint.off("message", broken)


async def test_bye_from_the_far_side_ends_a_waiting_receive_naming_it():
    async with caller_with_far_side() as (endpoint, reader, writer):
        waiting = asyncio.ensure_future(endpoint.receive("answer", timeout=5))
        await asyncio.sleep(0.01)
        writer.write(b'{"type": "bye"}\n')
        said_bye = rf"the callee \(the far peer connected to 127\.0\.0\.1:{endpoint.port}\) said bye"
        with pytest.raises(SignallingClosed, match=rf"^{said_bye}: .* make a new endpoint: await "
                                                   rf"peerlab\.tcp_signalling\('127\.0\.0\.1', {endpoint.port}, "
                                                   r"role='caller'\)\.$"):
            await waiting
        assert endpoint.closed and endpoint.far_said_bye
        with pytest.raises(SignallingClosed, match=rf"^caller\.receive\(\): {said_bye}"):
            await endpoint.receive("answer")
        with pytest.raises(SignallingClosed, match="said bye"):
            endpoint.send({"type": "candidate", "data": None})
        assert await asyncio.wait_for(reader.read(), 5) == b""  # it closed the socket, without a bye back


async def test_the_far_side_closing_without_bye_ends_a_waiting_receive():
    async with caller_with_far_side() as (endpoint, _reader, writer):
        waiting = asyncio.ensure_future(endpoint.receive(timeout=5))
        await asyncio.sleep(0.01)
        writer.close()
        with pytest.raises(SignallingClosed, match="closed the connection without saying bye"):
            await waiting


async def test_a_line_that_is_not_json_raises_a_clear_error_and_the_next_line_still_arrives():
    async with caller_with_far_side() as (endpoint, _reader, writer):
        waiting = asyncio.ensure_future(endpoint.receive("answer", timeout=5))
        await asyncio.sleep(0.01)
        writer.write(b"HTTP/1.1 200 OK\n")
        with pytest.raises(UnreadableMessage, match=r"a line that is not JSON .*'HTTP/1.1 200 OK'.* aiortc example"):
            await waiting
        writer.write(b"<html>\n" + json.dumps({"type": "answer", "sdp": SDP}).encode() + b"\n")
        await wait_until(lambda: endpoint.pending, timeout=5)
        with pytest.raises(UnreadableMessage, match="'<html>'"):
            await endpoint.receive("answer", timeout=5)  # raised by the next receive()
        assert (await endpoint.receive("answer", timeout=5))["type"] == "answer"


async def test_a_callee_with_no_far_side_listening_says_what_to_start():
    port = free_port()
    with pytest.raises(SignallingUnreachable, match=rf"Nothing listens on 127\.0\.0\.1:{port} after 0\.3 s") as caught:
        await peerlab.tcp_signalling(HOST, port, role="callee", timeout=0.3)
    assert f"python cli.py offer --signaling tcp-socket --signaling-host 127.0.0.1 --signaling-port {port}" in str(
        caught.value)
    assert caught.value.url == f"tcp://127.0.0.1:{port}"


async def test_a_callee_started_before_the_far_side_connects_once_it_listens():
    port = free_port()
    connecting = asyncio.ensure_future(peerlab.tcp_signalling(HOST, port, role="callee", timeout=5))
    await asyncio.sleep(0.2)  # tries again meanwhile
    async with far_listening(port) as accepted:
        endpoint = await connecting
        try:
            reader, writer = await accepted
            writer.write(json.dumps({"type": "offer", "sdp": SDP}).encode() + b"\n")
            assert (await endpoint.receive("offer", timeout=5))["data"]["sdp"] == SDP
        finally:
            await endpoint.close()
        assert await asyncio.wait_for(reader.read(), 5) == b'{"type": "bye"}\n'


async def test_a_caller_nobody_connected_to_says_what_to_start_when_its_wait_runs_out():
    endpoint = await peerlab.tcp_signalling(HOST, 0, role="caller")
    try:
        endpoint.send({"type": "offer", "data": {"type": "offer", "sdp": SDP}})  # waits for the far side
        with pytest.raises(SignallingTimeout, match=rf"Nothing has connected to 127\.0\.0\.1:{endpoint.port} yet") as caught:
            await endpoint.receive("answer", timeout=0.05)
        assert caught.value.reason == "far-absent"
        assert f"python cli.py answer --signaling tcp-socket --signaling-host 127.0.0.1 --signaling-port " \
               f"{endpoint.port}" in str(caught.value)
        reader, writer = await asyncio.open_connection(HOST, endpoint.port)  # now it comes: the offer goes out
        try:
            assert json.loads(await asyncio.wait_for(reader.readline(), 5)) == {"type": "offer", "sdp": SDP}
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
    finally:
        await endpoint.close()


async def test_a_caller_cannot_listen_on_a_port_in_use():
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerStartError, match=rf"cannot listen on 127\.0\.0\.1:{port}"):
            await peerlab.tcp_signalling(HOST, port, role="caller")


async def test_a_new_endpoint_for_the_same_port_closes_the_one_made_before():
    port = free_port()
    first = await peerlab.tcp_signalling(HOST, port, role="caller")
    with pytest.warns(PeerlabNote, match=f"on 127.0.0.1:{port} made earlier was still open"):
        second = await peerlab.tcp_signalling(HOST, port, role="caller")  # the cell run again
    try:
        assert first.closed and not second.closed
        with pytest.raises(SignallingClosed, match="close\\(\\) was called"):
            await first.receive(timeout=1)
    finally:
        await second.close()


async def test_bad_arguments():
    with pytest.raises(SignallingError, match="role must be 'caller'"):
        await peerlab.tcp_signalling(HOST, 1234, role="offer")
    with pytest.raises(SignallingError, match="port must be a whole number"):
        await peerlab.tcp_signalling(HOST, "1234", role="caller")  # type: ignore[arg-type]
