"""WPT webrtc/RTCPeerConnection-onnegotiationneeded.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
``awaitNegotiation(pc)`` is ported as it is written: it sets ``pc.onnegotiationneeded`` and gives a
future of ``(next future, event)``. ``test_never_resolve`` is ``never_settles`` (100 ms, as WPT's
helper waits); WPT's ``generateAnswer(offer)`` is ``generate_answer(new_pc, offer)``.
"""

import asyncio

from .helpers import generate_answer, generate_audio_receive_only_offer
from .wpt import never_settles, subtest, within


def await_negotiation(pc):
    """``awaitNegotiation(pc)``: resolves at the next negotiationneeded with ``(nextPromise, event)``."""
    if pc.onnegotiationneeded:
        raise RuntimeError("connection is already attached with onnegotiationneeded event handler")
    loop = asyncio.get_running_loop()

    def wait_next_negotiation():
        promise = loop.create_future()

        def handler(event):
            next_promise = wait_next_negotiation()
            if not promise.done():
                promise.set_result((next_promise, event))

        pc.onnegotiationneeded = handler
        return promise

    return wait_next_negotiation()


async def assert_first_promise_fulfill_after_second(promise1, promise2, message=None):
    """``assert_first_promise_fulfill_after_second``: ``promise1`` must fulfil, and only after ``promise2``."""
    message = message or "first promise is resolved before second promise"
    second = asyncio.ensure_future(promise2)
    try:
        first = asyncio.ensure_future(promise1)
        done, _ = await asyncio.wait({first, second}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        assert done, "neither promise settled within 5 s"
        if first in done and second not in done:
            raise AssertionError(message)
        await within(first, what="the first promise")
        await within(second, what="the second promise")
    finally:
        for task in (second,):
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


@subtest("Creating first data channel should fire negotiationneeded event")
async def test_first_data_channel(new_pc):
    pc = new_pc()
    negotiated = await_negotiation(pc)
    pc.createDataChannel("test")
    await within(negotiated, what="negotiationneeded")


@subtest("calling createDataChannel twice should fire negotiationneeded event once")
async def test_two_data_channels(new_pc):
    pc = new_pc()
    negotiated = await_negotiation(pc)
    pc.createDataChannel("foo")

    async def second():
        next_promise, _ = await negotiated
        pc.createDataChannel("bar")
        return await next_promise

    await never_settles(second(), 0.1)


@subtest("addTransceiver() should fire negotiationneeded event")
async def test_add_transceiver(new_pc):
    pc = new_pc()
    negotiated = await_negotiation(pc)
    pc.addTransceiver("audio")
    await within(negotiated, what="negotiationneeded")


@subtest("Calling addTransceiver() twice should fire negotiationneeded event once")
async def test_add_transceiver_twice(new_pc):
    pc = new_pc()
    negotiated = await_negotiation(pc)
    pc.addTransceiver("audio")

    async def second():
        next_promise, _ = await negotiated
        pc.addTransceiver("video")
        return await next_promise

    await never_settles(second(), 0.1)


@subtest("Calling both addTransceiver() and createDataChannel() should fire negotiationneeded event once")
async def test_transceiver_and_channel(new_pc):
    pc = new_pc()
    negotiated = await_negotiation(pc)
    pc.createDataChannel("test")

    async def second():
        next_promise, _ = await negotiated
        pc.addTransceiver("video")
        return await next_promise

    await never_settles(second(), 0.1)


@subtest("negotiationneeded event should not fire if signaling state is not stable")
async def test_not_stable(new_pc):
    pc = new_pc()
    negotiated = None

    async def steps():
        nonlocal negotiated
        offer = await generate_audio_receive_only_offer(pc)
        pc.setLocalDescription(offer)  # not awaited, as in WPT
        negotiated = await_negotiation(pc)
        next_promise, _ = await negotiated
        assert pc.signalingState == "have-local-offer"
        pc.createDataChannel("test")
        return await next_promise

    await never_settles(steps(), 0.1)


@subtest("negotiationneeded event should fire only after signaling state go back to stable")
async def test_after_stable(new_pc):
    pc = new_pc()

    async def negotiate():
        offer = await generate_audio_receive_only_offer(pc)
        await within(pc.setLocalDescription(offer))
        pc.createDataChannel("test")
        answer = await generate_answer(new_pc, offer)
        await within(pc.setRemoteDescription(answer))

    await assert_first_promise_fulfill_after_second(
        await_negotiation(pc), negotiate(),
        "Expect negotiationneeded promise to resolve after pc has set remote answer and go back to stable state")
