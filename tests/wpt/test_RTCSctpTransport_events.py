"""WPT webrtc/RTCSctpTransport-events.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 25605423); see tests/wpt/README.md.
WPT waits for the transport's ``statechange`` event; the port polls ``sctp.state`` (every
10 ms, with a timeout), which needs no event API on the transport.
"""

from .helpers import exchange_ice_candidates
from .wpt import subtest, wait_until, within


@subtest("SctpTransport objects are created at appropriate times")
async def test_created_at_appropriate_times(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    pc1.createDataChannel("")
    assert pc1.sctp is None
    assert pc2.sctp is None
    offer = await within(pc1.createOffer())
    await within(pc1.setLocalDescription(offer))
    assert pc1.sctp is not None
    await within(pc2.setRemoteDescription(offer))
    assert pc2.sctp is not None
    answer = await within(pc2.createAnswer())
    await within(pc2.setLocalDescription(answer))
    await within(pc1.setRemoteDescription(answer))
    # Since this test does not exchange candidates, state remains "connecting".
    assert pc1.sctp.state == "connecting"
    assert pc2.sctp.state == "connecting"


@subtest("SctpTransport reaches connected and closed state")
async def test_connected_then_closed(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    exchange_ice_candidates(pc1, pc2)
    pc1.createDataChannel("")
    offer = await within(pc1.createOffer())
    await within(pc1.setLocalDescription(offer))
    await within(pc2.setRemoteDescription(offer))
    answer = await within(pc2.createAnswer())
    await within(pc2.setLocalDescription(answer))
    await within(pc1.setRemoteDescription(answer))
    await wait_until(lambda: pc1.sctp.state == "connected", what="pc1.sctp.state 'connected'")
    await wait_until(lambda: pc2.sctp.state == "connected", what="pc2.sctp.state 'connected'")
    sctp1 = pc1.sctp
    closing = pc1.close()
    await wait_until(lambda: sctp1.state == "closed", what="pc1.sctp.state 'closed'")
    await within(closing, what="close()")
