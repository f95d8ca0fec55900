"""WPT webrtc/RTCPeerConnection-candidate-in-sdp.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit ec96d0b3); see tests/wpt/README.md.
Adapted: WPT adds an audio transceiver only so that the offer has an m-section to gather
for; a data-channel peer creates a data channel instead.
"""

import asyncio

from .wpt import subtest, within


@subtest("localDescription contains candidates")
async def test_local_description_contains_candidates(new_pc):
    pc = new_pc()
    ice_candidate_sdp: asyncio.Future = asyncio.get_running_loop().create_future()

    def onicecandidate(event):
        if not ice_candidate_sdp.done():
            ice_candidate_sdp.set_result(pc.localDescription.sdp)
        pc.onicecandidate = None

    pc.onicecandidate = onicecandidate
    pc.createDataChannel("test")  # WPT: pc.addTransceiver("audio")
    await within(pc.setLocalDescription(await within(pc.createOffer())))
    assert "a=candidate:" not in pc.localDescription.sdp, (
        "localDescription is missing candidate before onicecandidate")
    # The localDescription at the time of the onicecandidate event.
    local_description_sdp = await within(ice_candidate_sdp, what="the first icecandidate event")
    assert "a=candidate:" in local_description_sdp, "localDescription contains candidate after onicecandidate"
