"""WPT webrtc/RTCSctpTransport-maxChannels.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 16e693ea; both its ?interop-2026 and ?rest
variants); see tests/wpt/README.md. ``instanceof RTCSctpTransport`` is DOM-only: the port
checks that ``pc.sctp`` is not None. WPT's ``waitForState`` (statechange events) is
polling ``sctp.state`` here.
"""

from .helpers import exchange_ice_candidates
from .wpt import attribute, subtest, wait_until, within


@subtest("An unconnected peerconnection must not have maxChannels set")
async def test_unconnected(new_pc):
    pc = new_pc()
    assert pc.sctp is None, "RTCSctpTransport must be null"
    pc.createDataChannel("test")
    offer = await within(pc.createOffer())
    assert pc.sctp is None, "RTCSctpTransport must be null ahead of have-local-offer"
    await within(pc.setRemoteDescription(offer))
    answer = await within(pc.createAnswer())
    await within(pc.setLocalDescription(answer))
    assert pc.sctp is not None, "RTCSctpTransport must be available"
    assert attribute(pc.sctp, "maxChannels") is None, "maxChannels must not be set"


@subtest("Sctp transport has null maxChannels and 65536 maxMessageSize in have-local-offer")
async def test_have_local_offer(new_pc):
    pc = new_pc()
    pc.createDataChannel("test")
    assert pc.sctp is None, "pc.sctp is null ahead of local offer"
    await within(pc.setLocalDescription())
    assert pc.sctp is not None, "pc.sctp in have-local-offer"
    assert attribute(pc.sctp, "maxChannels") is None, "maxChannels must be null"
    assert attribute(pc.sctp, "maxMessageSize") == 65536, "maxMessageSize must be 65536"


@subtest("Sctp transport has null maxChannels and maxMessageSize in have-remote-offer")
async def test_have_remote_offer(new_pc):
    pc = new_pc()
    pc.createDataChannel("test")
    offer = await within(pc.createOffer())
    assert pc.sctp is None, "pc.sctp is null ahead of remote offer"
    await within(pc.setRemoteDescription(offer))
    assert pc.sctp is not None, "pc.sctp in have-remote-offer"


@subtest("maxChannels gets instantiated after connecting")
async def test_after_connecting(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    exchange_ice_candidates(pc1, pc2)
    pc1.createDataChannel("")
    offer = await within(pc1.createOffer())
    await within(pc1.setLocalDescription(offer))
    assert pc1.sctp is not None, "pc1.sctp"
    await within(pc2.setRemoteDescription(offer))
    assert pc2.sctp is not None, "pc2.sctp"
    answer = await within(pc2.createAnswer())
    await within(pc2.setLocalDescription(answer))
    await within(pc1.setRemoteDescription(answer))
    assert attribute(pc1.sctp, "maxChannels") is None
    assert attribute(pc2.sctp, "maxChannels") is None
    await wait_until(lambda: pc1.sctp.state == "connected", what="pc1.sctp.state 'connected'")
    await wait_until(lambda: pc2.sctp.state == "connected", what="pc2.sctp.state 'connected'")
    assert pc1.sctp.maxChannels is not None
    assert pc2.sctp.maxChannels is not None
    assert pc1.sctp.maxChannels == pc2.sctp.maxChannels


@subtest("Sctp transport has null maxChannels and 65536 maxMessageSize in have-local-offer after rollback")
async def test_have_local_offer_after_rollback(new_pc):
    pc = new_pc()
    pc.createDataChannel("test")
    assert pc.sctp is None, "pc.sctp is null ahead of local offer"
    await within(pc.setLocalDescription())
    assert pc.sctp is not None, "pc.sctp in have-local-offer"
    await within(pc.setLocalDescription({"type": "rollback"}))
    assert pc.sctp is None, "pc.sctp is null after rollback"
    await within(pc.setLocalDescription())
    assert pc.sctp is not None, "pc.sctp in have-local-offer again"
    assert attribute(pc.sctp, "maxChannels") is None, "maxChannels must be null"
    assert attribute(pc.sctp, "maxMessageSize") == 65536, "maxMessageSize must be 65536"


@subtest("Sctp transport has null maxChannels and 65536 maxMessageSize in have-remote-offer after rollback")
async def test_have_remote_offer_after_rollback(new_pc):
    pc = new_pc()
    pc.createDataChannel("test")
    offer = await within(pc.createOffer())
    assert pc.sctp is None, "pc.sctp is null ahead of remote offer"
    await within(pc.setRemoteDescription(offer))
    assert pc.sctp is not None, "pc.sctp in have-remote-offer"
    await within(pc.setRemoteDescription({"type": "rollback"}))
    assert pc.sctp is None, "pc.sctp is null after rollback"
    await within(pc.setRemoteDescription(offer))
    assert pc.sctp is not None, "pc.sctp in have-remote-offer again"
    assert attribute(pc.sctp, "maxChannels") is None, "maxChannels must be null"
    assert attribute(pc.sctp, "maxMessageSize") == 65536, "maxMessageSize must be 65536"
