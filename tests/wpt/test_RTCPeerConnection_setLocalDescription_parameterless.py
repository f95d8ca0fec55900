"""WPT webrtc/RTCPeerConnection-setLocalDescription-parameterless.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 329c523d); see tests/wpt/README.md.
Left out (transceivers are the subject): "Parameterless SLD() in 'stable' assigns
transceiver.mid" and "Parameterless SLD() in 'have-remote-offer' sets
transceiver.currentDirection".
"""

import asyncio

from .wpt import never_fulfils, subtest, within

kSmallTimeoutMs = 10  # WPT's wait for "never resolves"; never_fulfils() waits longer (200 ms)


def signalingstatechange_watcher(pc):
    """``new EventWatcher(t, pc, 'signalingstatechange').wait_for('signalingstatechange')``."""
    fired: asyncio.Future = asyncio.get_running_loop().create_future()
    pc.addEventListener("signalingstatechange", lambda event: fired.done() or fired.set_result(event))
    return fired


@subtest("Parameterless SLD() in 'stable' goes to 'have-local-offer'")
async def test_stable_to_have_local_offer(new_pc):
    offerer = new_pc()
    signaling_state_change = signalingstatechange_watcher(offerer)
    await within(offerer.setLocalDescription())
    await within(signaling_state_change, what="the signalingstatechange event")
    assert offerer.signalingState == "have-local-offer"


@subtest("Parameterless SLD() in 'stable' sets pendingLocalDescription")
async def test_stable_sets_pending(new_pc):
    offerer = new_pc()
    await within(offerer.setLocalDescription())
    assert offerer.pendingLocalDescription is not None


@subtest("Parameterless SLD() in 'have-remote-offer' goes to 'stable'")
async def test_have_remote_offer_to_stable(new_pc):
    offerer = new_pc()
    answerer = new_pc()
    await within(answerer.setRemoteDescription(await within(offerer.createOffer())))
    signaling_state_change = signalingstatechange_watcher(answerer)
    await within(answerer.setLocalDescription())
    await within(signaling_state_change, what="the signalingstatechange event")
    assert answerer.signalingState == "stable"


@subtest("Parameterless SLD() in 'have-remote-offer' sets currentLocalDescription")
async def test_have_remote_offer_sets_current(new_pc):
    offerer = new_pc()
    answerer = new_pc()
    await within(answerer.setRemoteDescription(await within(offerer.createOffer())))
    await within(answerer.setLocalDescription())
    assert answerer.currentLocalDescription is not None


@subtest("Parameterless SLD() uses [[LastCreatedOffer]] if it is still valid")
async def test_uses_last_created_offer(new_pc):
    offerer = new_pc()
    offer = await within(offerer.createOffer())
    await within(offerer.setLocalDescription())
    assert offerer.pendingLocalDescription.sdp == offer.sdp, "offerer.pendingLocalDescription.sdp == offer.sdp"


@subtest("Parameterless SLD() uses [[LastCreatedAnswer]] if it is still valid")
async def test_uses_last_created_answer(new_pc):
    offerer = new_pc()
    answerer = new_pc()
    await within(answerer.setRemoteDescription(await within(offerer.createOffer())))
    answer = await within(answerer.createAnswer())
    await within(answerer.setLocalDescription())
    assert answerer.currentLocalDescription.sdp == answer.sdp, "answerer.currentLocalDescription.sdp == answer.sdp"


@subtest("Parameterless SLD() never resolves if already closed")
async def test_never_resolves_if_closed(new_pc):
    offerer = new_pc()
    await within(offerer.close())
    await never_fulfils(offerer.setLocalDescription())


@subtest("Parameterless SLD() never resolves if closed while pending")
async def test_never_resolves_if_closed_while_pending(new_pc):
    offerer = new_pc()
    pending = offerer.setLocalDescription()
    closing = offerer.close()
    await never_fulfils(pending)
    await within(closing, what="close()")


@subtest("Parameterless SLD() in a full O/A exchange succeeds")
async def test_full_exchange(new_pc):
    offerer = new_pc()
    answerer = new_pc()
    await within(offerer.setLocalDescription())  # implicitly creates an offer
    await within(answerer.setRemoteDescription(offerer.pendingLocalDescription))
    await within(answerer.setLocalDescription())  # implicitly creates an answer
    await within(offerer.setRemoteDescription(answerer.currentLocalDescription))
