"""WPT webrtc/RTCPeerConnection-iceGatheringState.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
Adapted: "...become complete after setLocalDescription" offers a data channel where WPT
offers to receive audio (the audio only gives ICE something to gather for). The ICE
transport is reached as ``sctp.transport.iceTransport`` (the spec's name; this WPT
version writes ``sctp.transport.transport``, which no browser has).
"""

import asyncio

from .helpers import exchange_ice_candidates, exchange_offer_answer
from .wpt import attribute, sleep_ms, subtest, within


@subtest("Initial iceGatheringState should be new")
async def test_initial(new_pc):
    pc = new_pc()
    assert pc.iceGatheringState == "new"


@subtest("iceGatheringState should eventually become complete after setLocalDescription")
async def test_complete_after_set_local_description(new_pc):
    pc = new_pc()
    complete: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_ice_gathering_state_change(event):
        if pc.iceGatheringState == "complete" and not complete.done():
            complete.set_result(None)

    assert attribute(pc, "onicegatheringstatechange") is None, (
        "Expect connection to have icegatheringstatechange event")
    pc.addEventListener("icegatheringstatechange", on_ice_gathering_state_change)
    pc.createDataChannel("test")  # WPT: generateAudioReceiveOnlyOffer(pc)
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    await within(complete, what="iceGatheringState 'complete'")


@subtest("connection with one data channel should eventually have connected connection state")
async def test_data_channel_transport_gathering_state(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    complete: asyncio.Future = asyncio.get_running_loop().create_future()
    seen = []

    def on_ice_gathering_state_change(event):
        try:
            state = pc2.iceGatheringState
            seen.append(state)
            if state == "gathering":
                ice_transport = pc2.sctp.transport.iceTransport
                assert ice_transport.gatheringState == "gathering", (
                    "Expect ICE transport to be in checking gatheringState when iceGatheringState is checking")
            elif state == "complete":
                ice_transport = pc2.sctp.transport.iceTransport
                assert ice_transport.gatheringState == "complete", (
                    "Expect ICE transport to be in complete gatheringState when iceGatheringState is complete")
                if not complete.done():
                    complete.set_result(None)
        except BaseException as exc:  # t.step_func: an assertion in a listener fails the test
            if not complete.done():
                complete.set_exception(exc)

    pc1.createDataChannel("test")
    assert attribute(pc2, "onicegatheringstatechange") is None, (
        "Expect connection to have icegatheringstatechange event")
    # sctp is only defined once the offer is set, so pc2 is the one listened to.
    pc2.addEventListener("icegatheringstatechange", on_ice_gathering_state_change)
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)
    await within(complete, what=f"pc2 iceGatheringState 'complete' (states seen: {seen})")


# -- from upstream WPT's current file --------------------------------------------------------------
# The subtest below is in web-platform-tests/wpt's current RTCPeerConnection-iceGatheringState.html,
# newer than both stored copies; title and steps as upstream has them (its helpers
# iceGatheringStateTransitions and initialOfferAnswerWithIceGatheringStateTransitions, ported here),
# with its recvonly audio transceiver.


def ice_gathering_state_transitions(pc, *states):
    """``iceGatheringStateTransitions(pc, ...states)``: each next icegatheringstatechange must show the next state.

    As the JavaScript async function, it awaits one event at a time, listening again only after the
    previous event resumed it: a browser fires each state change as a task of its own.
    """

    async def transitions():
        for state in states:
            seen = asyncio.get_running_loop().create_future()

            def listener(event, seen=seen):
                if not seen.done():
                    seen.set_result(pc.iceGatheringState)

            pc.addEventListener("icegatheringstatechange", listener)
            try:
                got = await within(seen, what=f"icegatheringstatechange to {state!r}")
            finally:
                pc.removeEventListener("icegatheringstatechange", listener)
            assert got == state, f"Unexpected gathering state: {got}, was expecting {state}"

    return asyncio.ensure_future(transitions())


async def initial_offer_answer_with_ice_gathering_state_transitions(pc1, pc2):
    """``initialOfferAnswerWithIceGatheringStateTransitions(pc1, pc2)``."""
    await within(pc1.setLocalDescription(await within(pc1.createOffer())))
    pc1_transitions = ice_gathering_state_transitions(pc1, "gathering", "complete")
    await within(pc2.setRemoteDescription(pc1.localDescription))
    await within(pc2.setLocalDescription(await within(pc2.createAnswer())))
    pc2_transitions = ice_gathering_state_transitions(pc2, "gathering", "complete")
    await within(pc1.setRemoteDescription(pc2.localDescription))
    await pc1_transitions
    await pc2_transitions


@subtest("setLocalDescription(reoffer) with no new transports should not cause iceGatheringState to change")
async def test_reoffer_keeps_gathering_state(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    pc1.addTransceiver("audio", {"direction": "recvonly"})
    await initial_offer_answer_with_ice_gathering_state_transitions(pc1, pc2)
    await within(pc1.setLocalDescription(await within(pc1.createOffer())))
    assert pc1.iceGatheringState == "complete", "ICE gathering state should not change"
    await sleep_ms(500)
    assert pc1.iceGatheringState == "complete", "ICE gathering state should not change"
