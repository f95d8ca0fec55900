"""The loopback signalling service: JSON on the wire, a transcript, clear errors, no hangs."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCSessionDescription

from peerlab import (
    Loopback,
    MessageHandlerError,
    RTCIceCandidate,
    SignallingClosed,
    SignallingError,
    SignallingTimeout,
)

CANDIDATE = "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host"
SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"


async def test_receiver_gets_plain_json_dicts():
    lb = Loopback()
    lb.caller.send({"type": "offer", "data": RTCSessionDescription(sdp=SDP, type="offer")})
    message = await lb.callee.receive("offer", timeout=1)
    assert message == {"type": "offer", "data": {"type": "offer", "sdp": SDP}}
    assert type(message["data"]) is dict


async def test_candidates_cross_in_the_browsers_tojson_shape():
    lb = Loopback()
    lb.caller.send({"type": "candidate", "data": RTCIceCandidate(CANDIDATE, "0", 0)})
    aio = AiortcCandidate(component=1, foundation="1", ip="192.0.2.1", port=50000,
                          priority=2130706431, protocol="udp", type="host", sdpMid="0", sdpMLineIndex=0)
    lb.caller.send({"type": "candidate", "data": aio})
    lb.caller.send({"type": "candidate", "data": None})
    expected = {"candidate": CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": None}
    assert (await lb.callee.receive("candidate", timeout=1))["data"] == expected
    assert (await lb.callee.receive("candidate", timeout=1))["data"] == expected
    assert (await lb.callee.receive("candidate", timeout=1)) == {"type": "candidate", "data": None}


async def test_send_returns_at_once_and_receive_waits():
    lb = Loopback()
    waiting = asyncio.ensure_future(lb.callee.receive("offer", timeout=1))
    await asyncio.sleep(0)
    assert not waiting.done()
    assert lb.caller.send({"type": "offer", "data": {"type": "offer", "sdp": SDP}}) is None
    assert (await waiting)["data"]["sdp"] == SDP


async def test_receive_by_type_leaves_other_messages_waiting():
    lb = Loopback()
    lb.caller.send({"type": "candidate", "data": None})
    lb.caller.send({"type": "offer", "data": {"type": "offer", "sdp": SDP}})
    assert (await lb.callee.receive("offer", timeout=1))["type"] == "offer"
    assert [m["type"] for m in lb.callee.pending] == ["candidate"]
    assert (await lb.callee.receive(timeout=1))["type"] == "candidate"


async def test_transcript_records_every_message_in_order():
    lb = Loopback()
    lb.caller.send({"type": "offer", "data": {"type": "offer", "sdp": SDP + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"}})
    lb.callee.send({"type": "answer", "data": {"type": "answer", "sdp": SDP}})
    lb.caller.send({"type": "candidate", "data": RTCIceCandidate(CANDIDATE, "0", 0)})
    lb.caller.send({"type": "candidate", "data": None})
    entries = list(lb.transcript)
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert [(e.sender, e.receiver, e.type) for e in entries] == [
        ("caller", "callee", "offer"), ("callee", "caller", "answer"),
        ("caller", "callee", "candidate"), ("caller", "callee", "candidate")]
    assert entries[0].summary == "offer SDP, media: application, 0 candidates inside"
    assert entries[2].summary == "host candidate, udp, sdpMid 0"
    assert entries[3].summary == "end-of-candidates (null)"
    assert entries[2].size == len(json.dumps(entries[2].message, separators=(",", ":")).encode())
    assert all(0 <= a.time <= b.time for a, b in itertools.pairwise(entries))
    assert "caller → callee  candidate  end-of-candidates (null)" in str(lb.transcript)


async def test_receive_timeout_names_what_it_waited_for_and_the_step_that_sends_it():
    lb = Loopback()
    lb.caller.send({"type": "offer", "data": {"type": "offer", "sdp": SDP}})
    with pytest.raises(SignallingTimeout) as info:
        await lb.caller.receive("answer", timeout=0.05)
    assert str(info.value) == (
        "The caller waited 0.05 s for an 'answer' message and none came. An 'answer' message is sent by "
        'callee step 4 (send({"type": "answer", "data": answer})). Has the callee run it?')
    assert (info.value.reason, info.value.type, info.value.endpoint) == ("not-sent", "answer", "caller")
    assert isinstance(info.value, TimeoutError)
    assert lb.caller._waiters == []


async def test_callback_style_gets_each_message():
    lb = Loopback()
    got = []
    lb.callee.on("message", got.append)
    lb.caller.send({"type": "candidate", "data": None})
    assert got == []  # callbacks run after the sending code, as network messages do
    await asyncio.sleep(0)
    assert got == [{"type": "candidate", "data": None}]


async def test_an_async_message_handler_is_awaited():
    lb = Loopback()
    got = []

    @lb.callee.on("message")
    async def handle(message):
        await asyncio.sleep(0.01)
        got.append(message["type"])

    lb.caller.send({"type": "candidate", "data": None})
    await asyncio.sleep(0.05)
    assert got == ["candidate"]
    lb.close()


async def test_what_a_message_handler_raises_is_raised_by_the_next_receive_not_logged(caplog):
    lb = Loopback()

    def handle(message):
        raise KeyError("sdp")

    lb.callee.on("message", handle)
    lb.caller.send({"type": "offer", "data": {"type": "offer", "sdp": SDP}})
    await asyncio.sleep(0)
    with pytest.raises(MessageHandlerError) as info:
        await lb.callee.receive("offer", timeout=1)
    assert str(info.value) == "your on('message') handler handle on the callee raised KeyError: 'sdp'"
    assert isinstance(info.value.__cause__, KeyError) and info.value.handler is handle
    assert (await lb.callee.receive("offer", timeout=1))["type"] == "offer"  # raised once, message kept
    assert caplog.records == []
    lb.close()


async def test_what_an_async_message_handler_raises_is_raised_by_the_next_send():
    lb = Loopback()

    @lb.callee.on("message")
    async def handle(message):
        await asyncio.sleep(0)
        raise ValueError("bad offer")

    lb.caller.send({"type": "candidate", "data": None})
    await asyncio.sleep(0.01)
    with pytest.raises(MessageHandlerError, match="handler handle on the callee raised ValueError: bad offer"):
        lb.caller.send({"type": "candidate", "data": None})
    assert len(lb.transcript) == 1  # that send was refused, to show the error first
    lb.callee.off("message", handle)
    lb.caller.send({"type": "candidate", "data": None})  # raised once: the next send goes through
    assert len(lb.transcript) == 2
    lb.close()


async def test_closing_cancels_message_handlers_still_running():
    lb = Loopback()
    started = asyncio.Event()

    @lb.callee.on("message")
    async def handle(message):
        started.set()
        await asyncio.sleep(3600)

    lb.caller.send({"type": "candidate", "data": None})
    await started.wait()
    async with lb:
        pass
    assert lb.callee._handler_tasks == set()


@pytest.mark.parametrize("message, words", [
    ("offer", "takes a dict like"),
    ({"data": 1}, "has no 'type'"),
    ({"type": "ofer", "data": 1}, "unknown message type 'ofer'"),
    ({"type": "candidate", "data": {"x": {1, 2}}}, "message['data']['x'] is a set"),
    ({"type": "candidate", "data": {1: "a"}}, "key 1"),
    ({"type": "candidate", "data": float("nan")}, "finite number"),
    ({"type": "offer", "data": "v=0"}, "carries a description"),
    ({"type": "offer", "data": {"type": "answer", "sdp": SDP}}, "says 'offer' but carries a description of type 'answer'"),
    ({"type": "candidate", "data": "candidate:1"}, "carries event.candidate"),
])
async def test_bad_messages_say_what_is_wrong_and_nothing_is_sent(message, words):
    lb = Loopback()
    with pytest.raises(SignallingError, match=words.replace("(", r"\(").replace("[", r"\[")):
        lb.caller.send(message)
    assert len(lb.transcript) == 0 and lb.callee.pending == []
    lb.caller.send({"type": "candidate", "data": None})  # still usable
    assert len(lb.transcript) == 1


async def test_extra_types_are_allowed_when_asked_for():
    lb = Loopback(extra_types=["chat"])
    lb.caller.send({"type": "chat", "data": "hi"})
    assert (await lb.callee.receive("chat", timeout=1))["data"] == "hi"


async def test_closed_service_refuses_and_wakes_waiters():
    lb = Loopback()
    waiting = asyncio.ensure_future(lb.callee.receive("offer", timeout=5))
    await asyncio.sleep(0)
    lb.close()
    with pytest.raises(SignallingClosed):
        await waiting
    with pytest.raises(SignallingClosed, match="Make a new Loopback"):
        lb.caller.send({"type": "candidate", "data": None})
    with pytest.raises(SignallingClosed):
        await lb.caller.receive()
    lb.reset()
    lb.caller.send({"type": "candidate", "data": None})
    assert len(lb.transcript) == 1


async def test_delay_holds_messages_back():
    lb = Loopback(delay=0.05)
    loop = asyncio.get_running_loop()
    start = loop.time()
    lb.caller.send({"type": "candidate", "data": None})
    assert lb.callee.pending == []
    await lb.callee.receive("candidate", timeout=1)
    assert loop.time() - start >= 0.045


async def test_jitter_can_reorder_messages_but_the_transcript_keeps_send_order():
    lb = Loopback(jitter=0.03, seed=7)
    for i in range(8):
        lb.caller.send({"type": "candidate", "data": {"candidate": f"candidate:{i} 1 udp 1 192.0.2.1 {i + 1} typ host", "sdpMid": "0"}})
    got = [(await lb.callee.receive(timeout=1))["data"]["candidate"].split()[0] for _ in range(8)]
    assert sorted(got) == [f"candidate:{i}" for i in range(8)]
    assert got != sorted(got)  # seed 7 reorders
    assert [e.message["data"]["candidate"].split()[0] for e in lb.transcript] == sorted(got)


async def test_close_cancels_messages_still_in_flight():
    lb = Loopback(delay=10)
    lb.caller.send({"type": "candidate", "data": None})
    lb.close()
    assert lb._timers == {}


async def test_transcript_text_folds_alike_candidates_so_it_reads_the_same_on_any_machine():
    lb = Loopback()
    lb.caller.send({"type": "offer", "data": {"type": "offer", "sdp": SDP}})
    lb.callee.send({"type": "candidate", "data": RTCIceCandidate(CANDIDATE, "0", 0)})
    for port in (50000, 50001, 50002):
        lb.caller.send({"type": "candidate", "data": RTCIceCandidate(CANDIDATE.replace("50000", str(port)), "0", 0)})
    lb.caller.send({"type": "candidate", "data": None})
    assert lb.transcript.sent_by("caller") == (
        "caller → callee  offer      offer SDP, media: none, 0 candidates inside\n"
        "caller → callee  candidate  host candidate, udp, sdpMid 0  (×3)\n"
        "caller → callee  candidate  end-of-candidates (null)")
    assert str(lb.transcript).splitlines()[1] == "callee → caller  candidate  host candidate, udp, sdpMid 0  (×1)"
