"""WPT webrtc/RTCPeerConnection-setRemoteDescription-answer.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 13b3128d); see tests/wpt/README.md.
Adapted: the first subtest's offer carries a data channel instead of receiving video.
"""

from .helpers import generate_answer, generate_data_channel_offer
from .wpt import assert_session_desc_similar, rejects_dom, subtest, within


@subtest("setRemoteDescription() with valid state and answer should succeed")
async def test_valid_answer(new_pc):
    pc = new_pc()
    states = []
    pc.addEventListener("signalingstatechange", lambda event: states.append(pc.signalingState))
    offer = await generate_data_channel_offer(pc)  # WPT: generateVideoReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription(offer))
    answer = await generate_answer(new_pc, offer)
    await within(pc.setRemoteDescription(answer))
    assert pc.signalingState == "stable"
    assert_session_desc_similar(pc.localDescription, offer)
    assert_session_desc_similar(pc.remoteDescription, answer)
    assert_session_desc_similar(pc.currentLocalDescription, offer)
    assert_session_desc_similar(pc.currentRemoteDescription, answer)
    assert pc.pendingLocalDescription is None
    assert pc.pendingRemoteDescription is None
    assert states == ["have-local-offer", "stable"]


@subtest("Calling setRemoteDescription(answer) from stable state should reject with InvalidStateError")
async def test_answer_in_stable(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    await rejects_dom(pc.setRemoteDescription({"type": "answer", "sdp": offer.sdp}), "InvalidStateError")


@subtest("Calling setRemoteDescription(answer) from have-remote-offer state should reject with InvalidStateError")
async def test_answer_in_have_remote_offer(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    await within(pc.setRemoteDescription(offer))
    answer = await generate_answer(new_pc, offer)
    await rejects_dom(pc.setRemoteDescription(answer), "InvalidStateError")
