"""WPT webrtc/RTCPeerConnection-addIceCandidate-timing.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 23d3995f); see tests/wpt/README.md.
Adapted: WPT adds an audio transceiver to the caller only so that it has an m-section to
gather candidates for; here the caller creates a data channel.
``p.then(() => order.push(x))`` is a task that awaits ``p`` and then records ``x``; the
tasks are created in WPT's call order.
"""

import asyncio

from .wpt import subtest, within


def first_candidate(pc):
    """``new Promise(resolve => pc.onicecandidate = e => resolve(e.candidate))``."""
    future = asyncio.get_running_loop().create_future()
    pc.onicecandidate = lambda event: future.done() or future.set_result(event.candidate)
    return future


async def then_record(promise, order, name):
    await promise
    order.append(name)


async def chained_operations(new_pc):
    caller = new_pc()
    callee = new_pc()
    caller.createDataChannel("test")  # WPT: caller.addTransceiver('audio')
    candidate_promise = first_candidate(caller)
    await within(caller.setLocalDescription(await within(caller.createOffer())))
    await within(callee.setRemoteDescription(caller.localDescription))
    candidate = await within(candidate_promise, what="the caller's first icecandidate event")
    # setLocalDescription(), setLocalDescription() and addIceCandidate(), with no await between the calls
    resolve_order = []
    pending = [
        asyncio.ensure_future(then_record(callee.setLocalDescription(), resolve_order, "setLocalDescription 1")),
        asyncio.ensure_future(then_record(callee.setLocalDescription(), resolve_order, "setLocalDescription 2")),
        asyncio.ensure_future(then_record(callee.addIceCandidate(candidate), resolve_order, "addIceCandidate")),
    ]
    await within(asyncio.gather(*pending), what="the three operations")
    return resolve_order


@subtest("addIceCandidate is not resolved first if 2x setLocalDescription operations are pending")
async def test_not_resolved_first(new_pc):
    resolve_order = await chained_operations(new_pc)
    assert resolve_order[0] == "setLocalDescription 1"


@subtest("addIceCandidate and setLocalDescription are resolved in the correct order, as defined by the "
         "operations chain specification")
async def test_operations_chain_order(new_pc):
    resolve_order = await chained_operations(new_pc)
    assert resolve_order == ["setLocalDescription 1", "setLocalDescription 2", "addIceCandidate"]


@subtest("onicecandidate fires after resolving setLocalDescription in offerer")
async def test_offerer_candidate_after_sld(new_pc):
    caller = new_pc()
    new_pc()  # the callee, unused, as in WPT
    caller.createDataChannel("test")  # WPT: caller.addTransceiver('audio')
    events = []
    on_candidate = asyncio.get_running_loop().create_future()

    def onicecandidate(event):
        events.append("candidate generated")
        if not on_candidate.done():
            on_candidate.set_result(None)

    caller.onicecandidate = onicecandidate
    sld = asyncio.ensure_future(then_record(caller.setLocalDescription(), events, "setLocalDescription"))
    await within(asyncio.gather(on_candidate, sld), what="the candidate and setLocalDescription()")
    assert events[:2] == ["setLocalDescription", "candidate generated"]


@subtest("onicecandidate fires after resolving setLocalDescription in answerer")
async def test_answerer_candidate_after_sld(new_pc):
    caller = new_pc()
    callee = new_pc()
    caller.createDataChannel("test")  # WPT: caller.addTransceiver('audio')
    events = []

    def caller_onicecandidate(event):
        if event.candidate:
            callee.addIceCandidate(event.candidate)  # not awaited, as in WPT: a rejection fails the test

    caller.onicecandidate = caller_onicecandidate
    offer = await within(caller.createOffer())
    on_candidate = asyncio.get_running_loop().create_future()

    def callee_onicecandidate(event):
        events.append("candidate generated")
        if not on_candidate.done():
            on_candidate.set_result(None)

    callee.onicecandidate = callee_onicecandidate
    await within(callee.setRemoteDescription(offer))
    answer = await within(callee.createAnswer())
    sld = asyncio.ensure_future(then_record(callee.setLocalDescription(answer), events, "setLocalDescription"))
    await within(asyncio.gather(on_candidate, sld), what="the candidate and setLocalDescription()")
    assert events[:2] == ["setLocalDescription", "candidate generated"]
