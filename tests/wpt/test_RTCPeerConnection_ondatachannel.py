"""WPT webrtc/RTCPeerConnection-ondatachannel.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 2b9c47e9); see tests/wpt/README.md.
``pc2.ondatachannel = handler`` is kept (attribute style); channel events use
``addEventListener`` or, where the channel only has pyee's API, ``on`` (wpt.listen).
DOM-only checks left out: ``instanceof RTCDataChannelEvent`` / ``RTCDataChannel`` and the
event's ``bubbles`` / ``cancelable``.
"""

import asyncio

from .helpers import exchange_ice_candidates, exchange_offer_answer
from .wpt import listen, message_data, subtest, within


def resolver():
    return asyncio.get_running_loop().create_future()


def settle(future, exc=None):
    if not future.done():
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)


@subtest("Data channel event should fire when new data channel is announced to the remote peer")
async def test_event_fires(new_pc):
    done = resolver()
    pc1 = new_pc()
    pc2 = new_pc()
    event_count = 0

    def ondatachannel(event):
        nonlocal event_count
        event_count += 1
        try:
            assert event_count == 1, "Expect data channel event to fire exactly once"
            dc = event.channel
            # The channel should be in the 'open' state already (w3c/webrtc-pc#1851)
            assert dc.readyState == "open", "Expect channel ready state to be open"
            settle(done)
        except BaseException as exc:
            settle(done, exc)

    pc2.ondatachannel = ondatachannel
    pc1.createDataChannel("fire-me!")
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(done, what="the datachannel event")


@subtest("Should be able to send data in a datachannel event handler")
async def test_send_in_handler(new_pc):
    done = resolver()
    pc1 = new_pc()
    pc2 = new_pc()
    message = "meow meow!"
    pc2.ondatachannel = lambda event: event.channel.send(message)
    dc1 = pc1.createDataChannel("fire-me!")

    def onmessage(event):
        if message_data(event) == message:
            settle(done)
        else:
            settle(done, AssertionError(f"Received data should be equal to sent data: {event!r}"))

    listen(dc1, "message", onmessage)
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(done, what="the message")


@subtest("Open event should not be raised when closing the channel in the datachannel event")
async def test_close_in_handler_prevents_open(new_pc):
    done = resolver()
    pc1 = new_pc()
    pc2 = new_pc()
    opened = []

    def ondatachannel(event):
        dc = event.channel
        listen(dc, "open", lambda *args: opened.append(True))
        dc.close()  # prevents the 'open' event
        asyncio.get_running_loop().call_later(0.5, settle, done)  # wait to see that 'open' does NOT fire

    pc2.ondatachannel = ondatachannel
    pc1.createDataChannel("fire-me!")
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(done, what="the datachannel event and 500 ms")
    assert opened == [], "Open event should not fire"


@subtest("Open event should be raised when closing the channel in the datachannel event after enqueuing a task")
async def test_close_after_a_task_allows_open(new_pc):
    done = resolver()
    pc1 = new_pc()
    pc2 = new_pc()

    def ondatachannel(event):
        dc = event.channel
        listen(dc, "open", lambda *args: settle(done))
        # Closing after two queued tasks does NOT prevent the 'open' event
        loop = asyncio.get_running_loop()
        loop.call_later(0.001, lambda: loop.call_later(0.001, dc.close))

    pc2.ondatachannel = ondatachannel
    pc1.createDataChannel("fire-me!")
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(done, what="the open event")


@subtest("Open event should not be raised when sending and immediately closing the channel in the "
         "datachannel event")
async def test_send_and_close_in_handler(new_pc):
    done = resolver()
    pc1 = new_pc()
    pc2 = new_pc()
    message = "meow meow!"
    opened = []

    def ondatachannel(event):
        dc2 = event.channel
        listen(dc2, "open", lambda *args: opened.append(True))
        # sends, but still prevents the 'open' event
        dc2.send(message)
        dc2.close()

    pc2.ondatachannel = ondatachannel
    dc1 = pc1.createDataChannel("fire-me!")

    def onmessage(event):
        if message_data(event) == message:
            settle(done)
        else:
            settle(done, AssertionError(f"Received data should be equal to sent data: {event!r}"))

    listen(dc1, "message", onmessage)
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(done, what="the message")
    assert opened == [], "Open event should not fire"


async def check_remote_configuration(new_pc, options, expected):
    done = resolver()
    pc1 = new_pc()
    pc2 = new_pc()
    dc1 = pc1.createDataChannel(expected["label"], **options)
    for name, value in expected.items():
        assert getattr(dc1, name) == value, f"dc1.{name}"
    assert dc1.negotiated is False

    def ondatachannel(event):
        try:
            dc2 = event.channel
            for name, value in expected.items():
                assert getattr(dc2, name) == value, f"dc2.{name}"
            assert dc2.negotiated is False
            assert dc2.id == dc1.id
            settle(done)
        except BaseException as exc:
            settle(done, exc)

    pc2.ondatachannel = ondatachannel
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(done, what="the datachannel event")


@subtest("In-band negotiated channel created on remote peer should match the same configuration as local peer")
async def test_remote_configuration(new_pc):
    await check_remote_configuration(
        new_pc, {"ordered": False, "maxRetransmits": 1, "protocol": "custom"},
        {"label": "test", "ordered": False, "maxPacketLifeTime": None, "maxRetransmits": 1, "protocol": "custom"})


@subtest("In-band negotiated channel created on remote peer should match the same (default) configuration as "
         "local peer")
async def test_remote_default_configuration(new_pc):
    await check_remote_configuration(
        new_pc, {},
        {"label": "", "ordered": True, "maxPacketLifeTime": None, "maxRetransmits": None, "protocol": ""})


@subtest("Negotiated channel should not fire datachannel event on remote peer")
async def test_negotiated_no_event(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    fired = []
    pc2.ondatachannel = lambda event: fired.append(event)
    pc1.createDataChannel("test", negotiated=True, id=42)
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await asyncio.sleep(0.5)  # wait to see that 'datachannel' does NOT fire
    assert fired == [], "datachannel event should not be fired"
