"""WPT webrtc/RTCPeerConnection-setLocalDescription-offer.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
Adapted (a data-channel peer has no audio or video to offer): where WPT offers to receive
audio, the peer offers a data channel; where WPT needs two offers that differ, the first
has no m-section and the second a data m-section.
"""

from .helpers import generate_data_channel_offer
from .wpt import assert_session_desc_not_similar, assert_session_desc_similar, rejects_dom, subtest, within


@subtest("setLocalDescription with valid offer should succeed")
async def test_valid_offer(new_pc):
    pc = new_pc()
    states = []
    pc.addEventListener("signalingstatechange", lambda event: states.append(pc.signalingState))
    offer = await generate_data_channel_offer(pc)  # WPT: generateAudioReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription(offer))
    assert pc.signalingState == "have-local-offer"
    assert_session_desc_similar(pc.localDescription, offer)
    assert_session_desc_similar(pc.pendingLocalDescription, offer)
    assert pc.currentLocalDescription is None
    assert states == ["have-local-offer"]


@subtest("setLocalDescription with type offer and null sdp should use lastOffer generated from createOffer")
async def test_null_sdp_uses_last_offer(new_pc):
    pc = new_pc()
    offer = await generate_data_channel_offer(pc)  # WPT: generateAudioReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription({"type": "offer"}))
    assert pc.signalingState == "have-local-offer"
    assert_session_desc_similar(pc.localDescription, offer)
    assert_session_desc_similar(pc.pendingLocalDescription, offer)
    assert pc.currentLocalDescription is None


@subtest("setLocalDescription() with offer not created by own createOffer() should reject with "
         "InvalidModificationError")
async def test_foreign_offer(new_pc):
    pc = new_pc()
    pc2 = new_pc()
    offer = await generate_data_channel_offer(pc)
    await rejects_dom(pc2.setLocalDescription(offer), "InvalidModificationError")


@subtest("Set created offer other than last offer should reject with InvalidModificationError")
async def test_not_last_offer(new_pc):
    pc = new_pc()
    offer1 = await within(pc.createOffer())  # WPT: generateAudioReceiveOnlyOffer(pc)
    pc.createDataChannel("test")
    offer2 = await within(pc.createOffer())  # WPT: generateVideoReceiveOnlyOffer(pc)
    assert_session_desc_not_similar(offer1, offer2)
    await rejects_dom(pc.setLocalDescription(offer1), "InvalidModificationError")


@subtest("Creating and setting offer multiple times should succeed")
async def test_offer_twice(new_pc):
    pc = new_pc()
    states = []
    pc.addEventListener("signalingstatechange", lambda event: states.append(pc.signalingState))
    offer1 = await within(pc.createOffer())  # WPT: generateAudioReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription(offer1))
    pc.createDataChannel("test")
    offer2 = await within(pc.createOffer())  # WPT: generateVideoReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription(offer2))
    assert_session_desc_not_similar(offer1, offer2)
    assert pc.signalingState == "have-local-offer"
    assert_session_desc_similar(pc.localDescription, offer2)
    assert_session_desc_similar(pc.pendingLocalDescription, offer2)
    assert pc.currentLocalDescription is None
    assert states == ["have-local-offer"]
