"""WPT webrtc/RTCPeerConnection-setRemoteDescription-offer.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
Adapted: "setRemoteDescription multiple times with different offer should succeed" needs
two offers that differ; WPT's first has a data channel and its second adds audio. Here
pc1 sets a first offer without any m-section, then creates the data channel and makes
the second offer.
"""

from .helpers import generate_data_channel_offer
from .wpt import assert_session_desc_not_similar, assert_session_desc_similar, rejects_dom, subtest, within


async def offerer_and_answerer(new_pc):
    pc1 = new_pc()
    pc1.createDataChannel("datachannel")
    pc2 = new_pc()
    states = []
    pc2.addEventListener("signalingstatechange", lambda event: states.append(pc2.signalingState))
    return pc1, pc2, states


@subtest("setRemoteDescription with valid offer should succeed")
async def test_valid_offer(new_pc):
    pc1, pc2, states = await offerer_and_answerer(new_pc)
    offer = await within(pc1.createOffer())
    await within(pc2.setRemoteDescription(offer))
    assert pc2.signalingState == "have-remote-offer"
    assert_session_desc_similar(pc2.remoteDescription, offer)
    assert_session_desc_similar(pc2.pendingRemoteDescription, offer)
    assert pc2.currentRemoteDescription is None
    assert states == ["have-remote-offer"]


@subtest("setRemoteDescription multiple times should succeed")
async def test_same_offer_twice(new_pc):
    pc1, pc2, states = await offerer_and_answerer(new_pc)
    offer = await within(pc1.createOffer())
    await within(pc2.setRemoteDescription(offer))
    await within(pc2.setRemoteDescription(offer))
    assert pc2.signalingState == "have-remote-offer"
    assert_session_desc_similar(pc2.remoteDescription, offer)
    assert_session_desc_similar(pc2.pendingRemoteDescription, offer)
    assert pc2.currentRemoteDescription is None
    assert states == ["have-remote-offer"]


@subtest("setRemoteDescription multiple times with different offer should succeed")
async def test_different_offers(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    states = []
    pc2.addEventListener("signalingstatechange", lambda event: states.append(pc2.signalingState))
    offer1 = await within(pc1.createOffer())  # WPT: pc1 already has a data channel
    await within(pc1.setLocalDescription(offer1))
    offer2 = await generate_data_channel_offer(pc1)  # WPT: generateAudioReceiveOnlyOffer(pc1)
    assert_session_desc_not_similar(offer1, offer2)
    await within(pc2.setRemoteDescription(offer1))
    await within(pc2.setRemoteDescription(offer2))
    assert pc2.signalingState == "have-remote-offer"
    assert_session_desc_similar(pc2.remoteDescription, offer2)
    assert_session_desc_similar(pc2.pendingRemoteDescription, offer2)
    assert pc2.currentRemoteDescription is None
    assert states == ["have-remote-offer"]


@subtest("setRemoteDescription(offer) with invalid SDP should reject with RTCError")
async def test_invalid_sdp(new_pc):
    pc = new_pc()
    # RTCError is a DOMException whose name is OperationError
    error = await rejects_dom(pc.setRemoteDescription({"type": "offer", "sdp": "Invalid SDP"}), "OperationError")
    assert getattr(error, "errorDetail", None) == "sdp-syntax-error", (
        "Expect error detail field to set to sdp-syntax-error")


@subtest("setRemoteDescription(offer) from have-local-offer state should reject with InvalidStateError")
async def test_offer_in_have_local_offer(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    await rejects_dom(pc.setRemoteDescription(offer), "InvalidStateError")
