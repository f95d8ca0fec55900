"""WPT webrtc/RTCPeerConnection-iceConnectionState.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 00908bf4); see tests/wpt/README.md.
``coupleIceCandidates`` is ``exchangeIceCandidates``. Adapted: two subtests add audio
(and video) tracks only to have something to connect; a data channel replaces them.
Left out (audio/video tracks or transceivers are the subject): "connection with audio
track ...", "connection with audio and video tracks ...", "ICE can connect in a recvonly
usecase", and the three "iceConnectionState changes at the right time, with bundle
policy ..." subtests.
"""

import asyncio

from .helpers import exchange_ice_candidates, exchange_offer_answer, listen_to_ice_connected
from .wpt import attribute, subtest, within


@subtest("Initial iceConnectionState should be new")
async def test_initial(new_pc):
    pc = new_pc()
    assert pc.iceConnectionState == "new"


@subtest("Closing the connection should set iceConnectionState to closed")
async def test_close(new_pc):
    pc = new_pc()
    closing = pc.close()
    assert pc.iceConnectionState == "closed"
    await within(closing, what="close()")


@subtest("connection with one data channel should eventually have connected or completed connection state")
async def test_checking_then_connected(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    done: asyncio.Future = asyncio.get_running_loop().create_future()
    had_checking = False

    def on_ice_connection_state_change(event):
        nonlocal had_checking
        if done.done():
            return
        state = pc1.iceConnectionState
        if state == "checking":
            had_checking = True
        elif state in ("connected", "completed"):
            if had_checking:
                done.set_result(None)
            else:
                done.set_exception(AssertionError(
                    "state should pass checking before reaching connected or completed"))

    pc1.createDataChannel("test")
    pc1.addEventListener("iceconnectionstatechange", on_ice_connection_state_change)
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(done, what="iceConnectionState 'connected' or 'completed'")


@subtest("connection with one data channel should eventually have connected connection state")
async def test_transport_state_matches(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    done: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_ice_connection_state_change(event):
        if done.done():
            return
        try:
            state = pc1.iceConnectionState
            if state in ("checking", "connected", "completed"):
                ice_transport = pc1.sctp.transport.iceTransport
                assert ice_transport.state == state, (
                    f"Expect ICE transport to be in {state} state when iceConnectionState is {state}")
                if state != "checking":
                    done.set_result(None)
        except BaseException as exc:
            done.set_exception(exc)

    pc1.createDataChannel("test")
    assert attribute(pc1, "oniceconnectionstatechange") is None, (
        "Expect connection to have iceconnectionstatechange event")
    pc1.addEventListener("iceconnectionstatechange", on_ice_connection_state_change)
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(done, what="iceConnectionState 'connected' or 'completed'")


@subtest("Responder ICE connection state behaves as expected")
async def test_responder_states(new_pc):
    # adapted: WPT adds audio+video tracks on both sides; here pc1 creates a data channel
    pc1 = new_pc()
    pc2 = new_pc()
    candidate_buffer = []

    def pc1_candidate(event):
        if event.candidate:
            pc2.addIceCandidate(event.candidate)

    def pc2_candidate(event):
        # Don't add the candidate yet: pc1 adds them after it has the answer
        if event.candidate and candidate_buffer is not None:
            candidate_buffer.append(event.candidate)

    pc1.onicecandidate = pc1_candidate
    pc2.onicecandidate = pc2_candidate
    pc1_states = [pc1.iceConnectionState]
    pc2_states = [pc2.iceConnectionState]
    pc1.oniceconnectionstatechange = lambda event: pc1_states.append(pc1.iceConnectionState)
    pc2.oniceconnectionstatechange = lambda event: pc2_states.append(pc2.iceConnectionState)
    pc1.createDataChannel("test")
    offer = await within(pc1.createOffer())
    await within(pc2.setRemoteDescription(offer))
    await within(pc1.setLocalDescription(offer))
    answer = await within(pc2.createAnswer())
    await within(pc2.setLocalDescription(answer))
    await within(pc1.setRemoteDescription(answer))
    for candidate in candidate_buffer:
        pc1.addIceCandidate(candidate)
    candidate_buffer = None
    await listen_to_ice_connected(pc1)
    await listen_to_ice_connected(pc2)
    # While waiting for pc2, pc1 may or may not have reached "completed".
    if len(pc1_states) == 3:
        assert pc1_states == ["new", "checking", "connected"]
    else:
        assert pc1_states == ["new", "checking", "connected", "completed"]
    assert pc2_states == ["new", "checking", "connected"]


@subtest("Closing a PeerConnection should not fire iceconnectionstatechange event")
async def test_close_fires_no_event(new_pc):
    # adapted: WPT adds an audio track to pc1; here pc1 creates a data channel
    pc1 = new_pc()
    pc2 = new_pc()
    pc1.createDataChannel("test")
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await listen_to_ice_connected(pc2)
    fired = []
    pc2.oniceconnectionstatechange = lambda event: fired.append(pc2.iceConnectionState)
    closing = pc2.close()
    assert pc2.iceConnectionState == "closed"
    await asyncio.sleep(0.1)
    await within(closing, what="close()")
    assert fired == [], f"iceconnectionstatechange fired during close(): {fired}"
