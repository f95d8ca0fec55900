"""WPT webrtc/RTCPeerConnection-close.html, ported to peerlab.

Sources (see tests/wpt/README.md): Chromium's import of WPT (stored commit 39aca943) has
the first subtest; web-platform-tests/wpt (stored commit 27eedd05, an earlier version of
the file) has the three data-channel subtests, ported as well.
``pc.close()`` is synchronous in the browser: the port checks the state right after the
call and only then awaits the Promise peerlab returns.
In "Closing the peer connection should set the SCTP transport to closed", WPT calls
``createDataChannelPair()`` without its two connections and then reads ``pc1.sctp`` of
two unconnected ones (null, so the test cannot pass anywhere); the port connects pc1 and
pc2, as the test means.
"""

import asyncio

from .helpers import create_data_channel_pair
from .wpt import subtest, within


@subtest("RTCPeerConnection.close() does not fire signalingstatechange event.")
async def test_close_fires_no_signalingstatechange(new_pc):
    pc = new_pc()
    fired = []
    pc.onsignalingstatechange = lambda event: fired.append(pc.signalingState)
    closing = pc.close()
    assert pc.signalingState == "closed"
    await asyncio.sleep(0.1)
    await within(closing, what="close()")
    assert fired == [], f"signalingstatechange fired during close(): {fired}"


@subtest("Closing the peer connection should close all channels (before connection establishment)")
async def test_close_closes_channels_before_connecting(new_pc):
    pc = new_pc()
    # Create 24 channels, some of them negotiated
    channels = []
    for i in range(24):
        options = {"negotiated": True, "id": i} if i % 2 == 0 else {}
        dc = pc.createDataChannel(f"test-channel-{i}", **options)
        assert dc.readyState != "closed", "Channel may not be closed before connection establishment"
        channels.append(dc)
    closing = pc.close()
    # The spec schedules no 'close': it is synchronous
    states = [dc.readyState for dc in channels]
    await within(closing, what="close()")
    assert states == ["closed"] * 24, "Channel should be closed after closing the peer connection"


@subtest("Closing the peer connection should close all channels (after connection establishment)")
async def test_close_closes_channels_after_connecting(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    dc1, dc2 = await create_data_channel_pair(new_pc, {}, pc1, pc2)
    channels = []
    assert dc1.readyState != "closed", "Channel may not be closed after connection establishment"
    channels.append(dc1)
    assert dc2.readyState != "closed", "Channel may not be closed after connection establishment"
    channels.append(dc2)
    # Create 23 further channels, some of them negotiated
    for i in range(1, 24):
        options = {"negotiated": True, "id": i} if i % 2 == 0 else {}
        dc = pc1.createDataChannel(f"test-channel-{i}", **options)
        assert dc.readyState != "closed", "Channel may not be closed after connection establishment"
        channels.append(dc)
    closing = [pc1.close(), pc2.close()]
    states = [dc.readyState for dc in channels]
    await within(asyncio.gather(*(asyncio.ensure_future(_await(p)) for p in closing)), what="close()")
    assert states == ["closed"] * 25, "Channel should be closed after closing the peer connection"


async def _await(promise):
    return await promise


@subtest("Closing the peer connection should set the SCTP transport to closed")
async def test_close_closes_sctp(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    await create_data_channel_pair(new_pc, {}, pc1, pc2)
    closing = [pc1.close(), pc2.close()]
    states = [pc1.sctp.state, pc2.sctp.state]
    await within(asyncio.gather(*(asyncio.ensure_future(_await(p)) for p in closing)), what="close()")
    assert states == ["closed", "closed"], "RTCSctpTransport should be in the closed state"
