"""WPT webrtc/RTCPeerConnection-connectionState.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 00908bf4) and web-platform-tests/wpt
(stored commit 0a799c3b, identical subtests plus one); see tests/wpt/README.md.
Adapted: three subtests add an audio track only to have something to connect; a
data-channel peer creates a data channel instead (marked "adapted" below).
Left out: "Something something unbundled partially connected" (audio + video tracks,
BUNDLE munging).
"""

import asyncio

from .helpers import (
    exchange_ice_candidates,
    exchange_offer_answer,
    listen_to_connected,
    listen_to_ice_connected,
)
from .wpt import subtest, within


@subtest("Initial connectionState should be new")
async def test_initial(new_pc):
    pc = new_pc()
    assert pc.connectionState == "new"


@subtest("Closing the connection should set connectionState to closed")
async def test_close(new_pc):
    pc = new_pc()
    closing = pc.close()  # synchronous in the browser: the state changes before close() returns
    assert pc.connectionState == "closed"
    await within(closing, what="close()")


@subtest("connection with one data channel should eventually have connected connection state")
async def test_data_channel_connects_via_connecting(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    connected: asyncio.Future = asyncio.get_running_loop().create_future()
    had_connecting = False

    def on_connection_state_change(event):
        nonlocal had_connecting
        if connected.done():
            return
        if pc1.connectionState == "connecting":
            had_connecting = True
        elif pc1.connectionState == "connected":
            if had_connecting:
                connected.set_result(None)
            else:
                connected.set_exception(AssertionError("state should pass connecting before reaching connected"))

    pc1.createDataChannel("test")
    pc1.addEventListener("connectionstatechange", on_connection_state_change)
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(connected, what="connectionState 'connected'")


@subtest("connection with one data channel should eventually have transports in connected state")
async def test_data_channel_transports_connected(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    connected: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_connection_state_change(event):
        if connected.done() or pc1.connectionState != "connected":
            return
        try:
            dtls_transport = pc1.sctp.transport
            assert dtls_transport.state == "connected", "Expect DTLS transport to be in connected state"
            ice_transport = dtls_transport.iceTransport
            assert ice_transport.state in ("connected", "completed"), (
                "Expect ICE transport to be in connected or completed state")
            connected.set_result(None)
        except BaseException as exc:
            connected.set_exception(exc)

    pc1.createDataChannel("test")
    pc1.addEventListener("connectionstatechange", on_connection_state_change)
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(connected, what="connectionState 'connected'")


@subtest("connectionState remains new when not adding remote ice candidates")
async def test_new_without_remote_candidates(new_pc):
    # adapted: WPT adds an audio track to the caller; here the caller creates a data channel
    caller = new_pc()
    callee = new_pc()
    caller.createDataChannel("test")
    await exchange_offer_answer(caller, callee)
    assert caller.iceConnectionState == "new"
    assert callee.iceConnectionState == "new"


@subtest("connectionState transitions to connected via connecting")
async def test_transitions_via_connecting(new_pc):
    # adapted: WPT adds an audio track to the caller; here the caller creates a data channel
    caller = new_pc()
    callee = new_pc()
    caller.createDataChannel("test")
    states = []
    caller.addEventListener("connectionstatechange", lambda event: states.append(caller.connectionState))
    exchange_ice_candidates(caller, callee)
    await exchange_offer_answer(caller, callee)
    await listen_to_connected(caller)
    assert states == ["connecting", "connected"]


@subtest("Closing a PeerConnection should not fire connectionstatechange event")
async def test_close_fires_no_event(new_pc):
    # adapted: WPT adds an audio track to pc1; here pc1 creates a data channel
    pc1 = new_pc()
    pc2 = new_pc()
    pc1.createDataChannel("test")
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await listen_to_ice_connected(pc2)
    fired = []
    pc2.onconnectionstatechange = lambda event: fired.append(pc2.connectionState)
    closing = pc2.close()
    assert pc2.connectionState == "closed"
    await asyncio.sleep(0.1)
    await within(closing, what="close()")
    assert fired == [], f"connectionstatechange fired during close(): {fired}"
