"""WPT webrtc/RTCDataChannel-send.html, ported to peerlab.

Source: web-platform-tests/wpt (stored commit 169d0584; each subtest runs for an in-band
"Datachannel" and a "Negotiated datachannel"); see tests/wpt/README.md.
JavaScript's binary types map to Python's: a ``Uint8Array`` is ``bytes``, an
``ArrayBuffer`` is ``bytearray`` (a mutable buffer), and a binary message arrives as
``bytes`` (``event.data``). Left out, as they test JavaScript types Python lacks: the
``binaryType`` attribute and ``Blob`` ("... should ignore binaryType and always receive
string message as string", "... send Blob message and receive as ArrayBuffer", "... send
ArrayBuffer message and receive as Blob", "... binaryType should receive message as Blob
by default"). Adapted: "... sending multiple messages with different types ..." sends a
``bytearray`` where WPT sends a ``Blob``.
"""

import asyncio

import pytest

from .helpers import create_data_channel_pair
from .wpt import attribute, listen, message_data, subtest, throws_dom, within

# Simple ASCII encoded string
helloString = "hello"
# ASCII encoded buffer representation of the string
helloBuffer = bytes([0x68, 0x65, 0x6C, 0x6C, 0x6F])
# Unicode string with multiple code units
unicodeString = "世界你好"

VARIANTS = [({}, "Datachannel"), ({"negotiated": True, "id": 0}, "Negotiated datachannel")]


async def await_message(channel):
    """``awaitMessage``: the data of the next message event."""
    future = asyncio.get_running_loop().create_future()

    def on_message(*args):
        if not future.done():
            future.set_result(message_data(args[0]) if args else None)

    def on_error(*args):
        if not future.done():
            future.set_exception(AssertionError(f"error event on the channel: {args!r}"))

    listen(channel, "message", on_message)
    listen(channel, "error", on_error)
    return await within(future, what="the message")


def variant_subtests(template):
    """Both WPT variants of a subtest, as two pytest ids with WPT's titles."""
    return pytest.mark.parametrize(
        "options,wpt_title", [(options, template.format(datachannel=name)) for options, name in VARIANTS],
        ids=[template.format(datachannel=name) for _, name in VARIANTS])


@subtest("Calling send() when data channel is in connecting state should throw InvalidStateError")
async def test_send_while_connecting(new_pc):
    pc = new_pc()
    channel = pc.createDataChannel("test")
    assert channel.readyState == "connecting"
    throws_dom(lambda: channel.send(helloString), "InvalidStateError")


@variant_subtests("{datachannel} should be able to send simple string and receive as string")
async def test_string(new_pc, options, wpt_title):
    channel1, channel2 = await create_data_channel_pair(new_pc, options)
    channel1.send(helloString)
    message = await await_message(channel2)
    assert isinstance(message, str), "Expect message to be a string"
    assert message == helloString


@variant_subtests("{datachannel} should be able to send unicode string and receive as unicode string")
async def test_unicode_string(new_pc, options, wpt_title):
    channel1, channel2 = await create_data_channel_pair(new_pc, options)
    channel1.send(unicodeString)
    message = await await_message(channel2)
    assert isinstance(message, str), "Expect message to be a string"
    assert message == unicodeString


@variant_subtests("{datachannel} should be able to send Uint8Array message and receive as ArrayBuffer")
async def test_uint8array(new_pc, options, wpt_title):
    channel1, channel2 = await create_data_channel_pair(new_pc, options)
    channel1.send(helloBuffer)
    message = await await_message(channel2)
    assert isinstance(message, bytes), "Expect the message to be bytes"
    assert message == helloBuffer


@variant_subtests("{datachannel} should be able to send ArrayBuffer message and receive as ArrayBuffer")
async def test_arraybuffer(new_pc, options, wpt_title):
    channel1, channel2 = await create_data_channel_pair(new_pc, options)
    channel1.send(bytearray(helloBuffer))
    message = await await_message(channel2)
    assert isinstance(message, bytes), "Expect the message to be bytes"
    assert message == helloBuffer


@variant_subtests("{datachannel} sending multiple messages with different types should succeed and be received")
async def test_multiple_types(new_pc, options, wpt_title):
    channel1, channel2 = await create_data_channel_pair(new_pc, options)
    received = []
    three = asyncio.get_running_loop().create_future()

    def on_message(*args):
        received.append(message_data(args[0]))
        if len(received) == 3 and not three.done():
            three.set_result(None)

    listen(channel2, "message", on_message)
    channel1.send(helloBuffer)
    channel1.send(unicodeString)
    channel1.send(bytearray(helloBuffer))  # WPT: helloBlob
    await within(three, what="three messages")
    assert received == [helloBuffer, unicodeString, helloBuffer]


@variant_subtests("{datachannel} send() up to max size should succeed, above max size should fail")
async def test_max_size(new_pc, options, wpt_title):
    pc1 = new_pc()
    channel1, channel2 = await create_data_channel_pair(new_pc, options, pc1)
    max_message_size = attribute(pc1.sctp, "maxMessageSize")
    message = "hello888"  # 8 bytes
    while len(message) <= max_message_size:
        channel1.send(message)
        received = await await_message(channel2)
        assert len(received) == len(message), "Size mismatch"
        message = message + message  # double the size
    # send() step 4: if the byte size of data exceeds maxMessageSize, throw a TypeError.
    with pytest.raises(TypeError):
        channel1.send(message)
