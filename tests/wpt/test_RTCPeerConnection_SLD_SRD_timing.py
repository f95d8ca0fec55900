"""WPT webrtc/RTCPeerConnection-SLD-SRD-timing.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 621aabf4); see tests/wpt/README.md.
Adapted: WPT adds a recvonly audio transceiver only so the offer has an m-section; here a
data channel. Its one subtest fails here (tests/wpt/differences.py: aiortc has no rollback).
"""

import asyncio

from .wpt import subtest, within


@subtest("setLocalDescription and setRemoteDescription are not racy")
async def test_not_racy(new_pc):
    pc = new_pc()
    signaling_states = []
    pc.onsignalingstatechange = lambda event: signaling_states.append(pc.signalingState)
    pc.createDataChannel("test")  # WPT: pc.addTransceiver('audio', {direction: 'recvonly'})
    offer = await within(pc.createOffer())

    async def run(promise):
        return await promise

    sld = asyncio.ensure_future(run(pc.setLocalDescription(offer)))
    srd = asyncio.ensure_future(run(pc.setRemoteDescription(offer)))
    await within(asyncio.gather(sld, srd), what="setLocalDescription() and setRemoteDescription()")
    assert signaling_states == ["have-local-offer", "stable", "have-remote-offer"]
