"""WPT webrtc/RTCPeerConnection-createAnswer.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 13b3128d); see tests/wpt/README.md.
The checks that the answer is a plain dictionary and not an ``RTCSessionDescription``
instance are DOM-only; the port checks it has ``type`` and ``sdp``.
Adapted: "createAnswer() after setting remote description should succeed" uses an offer
with a data channel instead of one receiving video.
"""

from .helpers import generate_data_channel_offer
from .wpt import rejects_dom, subtest, within


@subtest("createAnswer() with null remoteDescription should reject with InvalidStateError")
async def test_no_remote_description(new_pc):
    pc = new_pc()
    await rejects_dom(pc.createAnswer(), "InvalidStateError")


@subtest("createAnswer() after setting remote description should succeed")
async def test_after_remote_description(new_pc):
    pc = new_pc()
    offer = await generate_data_channel_offer(pc)  # WPT: generateVideoReceiveOnlyOffer(pc)
    await within(pc.setRemoteDescription(offer))
    answer = await within(pc.createAnswer())
    assert answer.type == "answer"
    assert isinstance(answer.sdp, str)


@subtest("createAnswer() when connection is closed reject with InvalidStateError")
async def test_after_close(new_pc):
    pc = new_pc()
    offer = await generate_data_channel_offer(pc)
    await within(pc.setRemoteDescription(offer))
    closing = pc.close()
    await rejects_dom(pc.createAnswer(), "InvalidStateError")
    await within(closing, what="close()")
