"""WPT webrtc/RTCDataChannel-close.html, ported to peerlab.

Source: web-platform-tests/wpt (stored commit 169d0584; each subtest runs for an in-band
"datachannel" and a "negotiated datachannel"); see tests/wpt/README.md.
The ``on...`` attribute subtests set ``channel.onclosing`` / ``channel.onclose`` /
``channel.onerror`` as WPT does; the ``addEventListener`` ones use wpt.listen.
"""

import asyncio

import pytest

from .helpers import create_data_channel_pair
from .wpt import listen, within

VARIANTS = [({}, "datachannel"), ({"negotiated": True, "id": 0}, "negotiated datachannel")]


def variant_subtests(template):
    return pytest.mark.parametrize(
        "options,wpt_title", [(options, template.format(datachannel=name)) for options, name in VARIANTS],
        ids=[template.format(datachannel=name) for _, name in VARIANTS])


@variant_subtests("Close {datachannel} causes onclosing and onclose to be called")
async def test_onclosing_onclose(new_pc, options, wpt_title):
    channel1, channel2 = await create_data_channel_pair(new_pc, options)
    have_closed = asyncio.get_running_loop().create_future()
    unexpected = []
    closing_seen = False

    def channel2_onclosing(event):
        nonlocal closing_seen
        if channel2.readyState != "closing":
            unexpected.append(f"channel2 readyState in onclosing: {channel2.readyState!r}")
        closing_seen = True

    channel2.onclose = lambda event: have_closed.done() or have_closed.set_result(None)
    channel1.onclosing = lambda event: unexpected.append("closing event on channel1")
    channel2.onclosing = channel2_onclosing
    listen(channel2, "error", lambda *args: unexpected.append(f"error event on channel2: {args!r}"))
    channel1.close()
    await within(have_closed, what="channel2's close event")
    assert channel2.readyState == "closed"
    assert unexpected == []
    assert closing_seen, "Closing event was seen"


@variant_subtests("Close {datachannel} causes closing and close event to be called")
async def test_closing_close_events(new_pc, options, wpt_title):
    channel1, channel2 = await create_data_channel_pair(new_pc, options)
    have_closed = asyncio.get_running_loop().create_future()
    unexpected = []
    closing_seen = False

    def channel2_closing(*args):
        nonlocal closing_seen
        if channel2.readyState != "closing":
            unexpected.append(f"channel2 readyState in closing listener: {channel2.readyState!r}")
        closing_seen = True

    listen(channel2, "close", lambda *args: have_closed.done() or have_closed.set_result(None))
    listen(channel1, "closing", lambda *args: unexpected.append("closing event on channel1"))
    listen(channel2, "closing", channel2_closing)
    listen(channel2, "error", lambda *args: unexpected.append(f"error event on channel2: {args!r}"))
    channel1.close()
    await within(have_closed, what="channel2's close event")
    assert channel2.readyState == "closed"
    assert unexpected == []
    assert closing_seen, "Closing event was seen"


@variant_subtests("Close peerconnection causes close event and error to be called on {datachannel}")
async def test_pc_close_error_then_close(new_pc, options, wpt_title):
    pc1 = new_pc()
    channel1, channel2 = await create_data_channel_pair(new_pc, options, pc1)
    events = []
    errors = []

    def on_error(*args):
        events.append("error")
        errors.append(getattr(args[0], "error", None) if args else None)

    have_closed = asyncio.get_running_loop().create_future()

    def on_close(*args):
        events.append("close")
        if not have_closed.done():
            have_closed.set_result(None)

    listen(channel2, "error", on_error)
    listen(channel2, "close", on_close)
    closing = pc1.close()
    await within(have_closed, what="channel2's close event")
    await within(closing, what="close()")
    # The error fires before close.
    assert events == ["error", "close"]
    assert getattr(errors[0], "name", None) == "OperationError", f"event.error is an RTCError: {errors[0]!r}"


@variant_subtests("Close peerconnection after {datachannel} close causes no events")
async def test_pc_close_after_channel_close(new_pc, options, wpt_title):
    pc1 = new_pc()
    channel1, channel2 = await create_data_channel_pair(new_pc, options, pc1)
    # Closing a channel: channel1 goes to closing, channel2 fires close, and once the close
    # is confirmed, channel1 fires close. After that, no more events should fire.
    unexpected = []
    channel1.onerror = lambda event: unexpected.append("error on channel1")
    close2 = asyncio.get_running_loop().create_future()
    close1 = asyncio.get_running_loop().create_future()
    channel2.onclose = lambda event: close2.done() or close2.set_result(None)
    channel1.onclose = lambda event: close1.done() or close1.set_result(None)
    channel1.close()
    await within(close2, what="channel2's close event")
    await within(close1, what="channel1's close event")
    channel1.onclose = lambda event: unexpected.append("close on channel1")
    channel2.onclose = lambda event: unexpected.append("close on channel2")
    channel2.onerror = lambda event: unexpected.append("error on channel2")
    closing = pc1.close()
    await asyncio.sleep(0.01)
    await within(closing, what="close()")
    assert unexpected == []
