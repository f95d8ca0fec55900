"""The data channel as a learner meets it: what send() takes, what arrives, the errors and the events."""

from __future__ import annotations

import asyncio

import pytest

import peerlab
from peerlab import InvalidMessageError, MessageEvent, RTCDataChannel, StepOrderError

from .conftest import negotiate


async def open_pair(loopback, caller, callee):
    """The caller's "chat" channel and the callee's end of it, both open."""
    ours = caller.createDataChannel("chat")
    await negotiate(loopback, caller, callee)
    theirs = await peerlab.wait_for_datachannel(callee, timeout=5)
    await peerlab.wait_for_open(ours, timeout=5)
    await peerlab.wait_for_open(theirs, timeout=5)
    return ours, theirs


async def next_message(channel):
    """The next message event on ``channel``."""
    arrived = asyncio.get_running_loop().create_future()

    def on_message(event):
        if not arrived.done():
            arrived.set_result(event)

    channel.addEventListener("message", on_message)
    try:
        return await asyncio.wait_for(arrived, 5)
    finally:
        channel.removeEventListener("message", on_message)


async def test_binary_data_arrives_as_bytes_and_text_as_str(pair):
    ours, theirs = await open_pair(*pair)
    assert isinstance(ours, RTCDataChannel) and isinstance(theirs, RTCDataChannel)
    assert ours.binaryType == "arraybuffer"
    for sent, expected in ((bytearray(b"abc"), b"abc"), (memoryview(b"xyz"), b"xyz"), (b"", b""),
                           ("héllo", "héllo"), ("", "")):
        ours.send(sent)
        event = await next_message(theirs)
        assert event.data == expected and type(event.data) is type(expected)


async def test_a_message_event_has_the_browser_shape(pair):
    ours, theirs = await open_pair(*pair)
    seen = []
    theirs.onmessage = seen.append
    ours.send("hi")
    event = await next_message(theirs)
    assert isinstance(event, MessageEvent)
    assert (event.type, event.data, event.target) == ("message", "hi", theirs)
    assert seen == [event]


async def test_on_message_still_gets_the_data_as_aiortc_gave_it(pair):
    ours, theirs = await open_pair(*pair)
    received = []
    theirs.on("message", received.append)

    @theirs.on("message")
    def reply(message):
        theirs.send("echo: " + message)

    ours.send("ping")
    event = await next_message(ours)
    assert event.data == "echo: ping"
    assert received == ["ping"]
    theirs.remove_listener("message", received.append)
    theirs.remove_listener("message", reply)
    assert theirs.listeners("message") == []


async def test_send_before_open_says_to_wait_for_open(pair):
    _, caller, _ = pair
    channel = caller.createDataChannel("chat")
    assert channel.readyState == "connecting"
    with pytest.raises(StepOrderError) as raised:
        channel.send("too early")
    assert raised.value.name == "InvalidStateError"
    assert "open" in str(raised.value) and "wait_for_open" in str(raised.value)


async def test_send_refuses_what_it_cannot_send(pair):
    ours, _ = await open_pair(*pair)
    with pytest.raises(InvalidMessageError) as raised:
        ours.send({"not": "text"})
    assert raised.value.name == "TypeError" and isinstance(raised.value, TypeError)
    assert "json.dumps" in str(raised.value)


async def test_an_oversized_message_names_its_size_and_the_limit(pair):
    _, caller, _ = pair
    ours, _ = await open_pair(*pair)
    limit = caller.sctp.maxMessageSize
    ours.send(b"x" * limit)  # exactly the limit is fine
    for too_big, size in ((b"x" * (limit + 1), limit + 1), ("é" * (limit // 2 + 1), 2 * (limit // 2 + 1))):
        with pytest.raises(InvalidMessageError) as raised:
            ours.send(too_big)
        assert raised.value.name == "TypeError"
        assert f"{size} bytes" in str(raised.value) and f"{limit} bytes" in str(raised.value)


async def test_close_closing_then_close_on_the_far_side_close_only_here(pair):
    ours, theirs = await open_pair(*pair)
    events = []
    for name, channel in (("ours", ours), ("theirs", theirs)):
        for type in ("closing", "close", "error"):
            channel.addEventListener(type, lambda event, name=name: events.append(
                (name, event.type, event.target.readyState)))
    loop = asyncio.get_running_loop()
    closed = [loop.create_future(), loop.create_future()]
    ours.onclose = lambda: closed[0].done() or closed[0].set_result(None)
    theirs.onclose = lambda: closed[1].done() or closed[1].set_result(None)
    ours.close()
    assert ours.readyState == "closing"
    await asyncio.wait_for(asyncio.gather(*closed), 5)
    assert [e for e in events if e[0] == "theirs"] == [("theirs", "closing", "closing"), ("theirs", "close", "closed")]
    assert [e for e in events if e[0] == "ours"] == [("ours", "close", "closed")]
    with pytest.raises(StepOrderError, match="closed"):
        ours.send("after close")


async def test_pc_close_closes_channels_at_once_without_events(pair):
    _, caller, callee = pair
    ours, theirs = await open_pair(*pair)
    events = []
    for type in ("closing", "close", "error"):
        ours.addEventListener(type, events.append)
    far = asyncio.get_running_loop().create_future()
    theirs.addEventListener("error", lambda event: far.done() or far.set_result(event.error))
    closing = caller.close()
    assert ours.readyState == "closed"
    await closing
    error = await asyncio.wait_for(far, 5)  # the far side hears the association end
    assert (error.name, error.errorDetail) == ("OperationError", "sctp-failure")
    assert theirs.readyState == "closed"
    assert events == []


async def test_bufferedamountlow_fires_when_the_buffer_drains(pair):
    ours, _ = await open_pair(*pair)
    ours.bufferedAmountLowThreshold = 1024
    drained = asyncio.get_running_loop().create_future()
    ours.onbufferedamountlow = lambda event: drained.done() or drained.set_result(event.type)
    for _ in range(8):
        ours.send(b"x" * 16384)
    assert ours.bufferedAmount > 1024
    assert await asyncio.wait_for(drained, 5) == "bufferedamountlow"
    assert ours.bufferedAmount <= 1024


async def test_a_failing_message_listener_shows_up_in_the_next_wait(pair):
    _, caller, callee = pair
    ours, theirs = await open_pair(*pair)
    theirs.onmessage = lambda event: 1 / 0
    ours.send("boom")
    await next_message(theirs)
    with pytest.raises(peerlab.PeerlabError, match="ZeroDivisionError"):
        await callee.wait_for_state("connected")
