"""WPT webrtc/RTCPeerConnection-description-attributes-timing.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 0a7a06cd); see tests/wpt/README.md.
The attribute changes when the operation completes: not while its promise is pending.
"""

from .wpt import subtest, within


@subtest("pendingLocalDescription is surfaced at the right time")
async def test_pending_local(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    assert pc.pendingLocalDescription is None, "pendingLocalDescription is null before setLocalDescription"
    promise = pc.setLocalDescription(offer)
    assert pc.pendingLocalDescription is None, "pendingLocalDescription is still null while promise pending"
    await within(promise)
    assert pc.pendingLocalDescription is not None, "pendingLocalDescription is not null after await"


@subtest("pendingRemoteDescription is surfaced at the right time")
async def test_pending_remote(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    assert pc.pendingRemoteDescription is None, "pendingRemoteDescription is null before setRemoteDescription"
    promise = pc.setRemoteDescription(offer)
    assert pc.pendingRemoteDescription is None, "pendingRemoteDescription is still null while promise pending"
    await within(promise)
    assert pc.pendingRemoteDescription is not None, "pendingRemoteDescription is not null after await"


@subtest("currentLocalDescription is surfaced at the right time")
async def test_current_local(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    offer = await within(pc1.createOffer())
    await within(pc1.setLocalDescription(offer))
    await within(pc2.setRemoteDescription(offer))
    answer = await within(pc2.createAnswer())
    assert pc2.currentLocalDescription is None, "currentLocalDescription is null before setLocalDescription"
    promise = pc2.setLocalDescription(answer)
    assert pc2.currentLocalDescription is None, "currentLocalDescription is still null while promise pending"
    await within(promise)
    assert pc2.currentLocalDescription is not None, "currentLocalDescription is not null after await"


@subtest("currentRemoteDescription is surfaced at the right time")
async def test_current_remote(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    offer = await within(pc1.createOffer())
    await within(pc1.setLocalDescription(offer))
    await within(pc2.setRemoteDescription(offer))
    answer = await within(pc2.createAnswer())
    assert pc1.currentRemoteDescription is None, "currentRemoteDescription is null before setRemoteDescription"
    promise = pc1.setRemoteDescription(answer)
    assert pc1.currentRemoteDescription is None, "currentRemoteDescription is still null while promise pending"
    await within(promise)
    assert pc1.currentRemoteDescription is not None, "currentRemoteDescription is not null after await"
