"""WPT webrtc/RTCPeerConnection-createOffer.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
The first subtest's checks that the offer is a plain dictionary and not an
``RTCSessionDescription`` instance are DOM-only; the port checks it has ``type`` and ``sdp``.
Adapted: "createOffer() and then setLocalDescription() should succeed" offers a data
channel instead of receiving video.
Left out: "When media stream is added when createOffer() is running in parallel, the
result offer should contain the new media stream" (adding an audio transceiver is the
subject).
"""

from .helpers import generate_data_channel_offer
from .wpt import assert_session_desc_similar, rejects_dom, subtest, within


@subtest("createOffer() with no argument from newly created RTCPeerConnection should succeed")
async def test_no_argument(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    assert offer.type == "offer"
    assert isinstance(offer.sdp, str)


@subtest("createOffer() and then setLocalDescription() should succeed")
async def test_then_set_local_description(new_pc):
    pc = new_pc()
    states = []
    pc.addEventListener("signalingstatechange", lambda event: states.append(pc.signalingState))
    offer = await generate_data_channel_offer(pc)  # WPT: generateVideoReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription(offer))
    assert pc.signalingState == "have-local-offer"
    assert_session_desc_similar(pc.localDescription, offer)
    assert_session_desc_similar(pc.pendingLocalDescription, offer)
    assert pc.currentLocalDescription is None
    assert states == ["have-local-offer"]


@subtest("createOffer() after connection is closed should reject with InvalidStateError")
async def test_after_close(new_pc):
    pc = new_pc()
    closing = pc.close()
    await rejects_dom(pc.createOffer(), "InvalidStateError")
    await within(closing, what="close()")
