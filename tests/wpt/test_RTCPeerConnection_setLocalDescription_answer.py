"""WPT webrtc/RTCPeerConnection-setLocalDescription-answer.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
Adapted: where WPT's offer (made by the same pc, never set locally) receives video, it
carries a data channel here.
"""

from .helpers import generate_answer, generate_data_channel_offer
from .wpt import assert_session_desc_similar, rejects_dom, subtest, within


@subtest("setLocalDescription() with valid answer should succeed")
async def test_valid_answer(new_pc):
    pc = new_pc()
    states = []
    pc.addEventListener("signalingstatechange", lambda event: states.append(pc.signalingState))
    offer = await generate_data_channel_offer(pc)  # WPT: generateVideoReceiveOnlyOffer(pc)
    await within(pc.setRemoteDescription(offer))
    answer = await within(pc.createAnswer())
    await within(pc.setLocalDescription(answer))
    assert pc.signalingState == "stable"
    assert_session_desc_similar(pc.localDescription, answer)
    assert_session_desc_similar(pc.remoteDescription, offer)
    assert_session_desc_similar(pc.currentLocalDescription, answer)
    assert_session_desc_similar(pc.currentRemoteDescription, offer)
    assert pc.pendingLocalDescription is None
    assert pc.pendingRemoteDescription is None
    assert states == ["have-remote-offer", "stable"]


@subtest("setLocalDescription() with type answer and null sdp should use lastAnswer generated from createAnswer")
async def test_null_sdp_uses_last_answer(new_pc):
    pc = new_pc()
    offer = await generate_data_channel_offer(pc)  # WPT: generateVideoReceiveOnlyOffer(pc)
    await within(pc.setRemoteDescription(offer))
    answer = await within(pc.createAnswer())
    await within(pc.setLocalDescription({"type": "answer"}))
    assert pc.signalingState == "stable"
    assert_session_desc_similar(pc.localDescription, answer)
    assert_session_desc_similar(pc.remoteDescription, offer)
    assert_session_desc_similar(pc.currentLocalDescription, answer)
    assert_session_desc_similar(pc.currentRemoteDescription, offer)
    assert pc.pendingLocalDescription is None
    assert pc.pendingRemoteDescription is None


@subtest("setLocalDescription() with answer not created by own createAnswer() should reject with "
         "InvalidModificationError")
async def test_foreign_answer(new_pc):
    pc = new_pc()
    offer = await generate_data_channel_offer(pc)  # WPT: generateVideoReceiveOnlyOffer(pc)
    await within(pc.setRemoteDescription(offer))
    answer = await generate_answer(new_pc, offer)
    await rejects_dom(pc.setLocalDescription(answer), "InvalidModificationError")


@subtest("Calling setLocalDescription(answer) from stable state should reject with InvalidStateError")
async def test_answer_in_stable(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    await rejects_dom(pc.setLocalDescription({"type": "answer", "sdp": offer.sdp}), "InvalidStateError")


@subtest("Calling setLocalDescription(answer) from have-local-offer state should reject with InvalidStateError")
async def test_answer_in_have_local_offer(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    answer = await generate_answer(new_pc, offer)
    await rejects_dom(pc.setLocalDescription(answer), "InvalidStateError")
