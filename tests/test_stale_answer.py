"""A learner who starts over (lesson 05's set-up cell again: a new join, a new RTCPeerConnection, a new
offer) never takes the far callee's answer to the earlier offer, nor its candidates, whenever they come.

The far callee marks its answer and candidates with its offer's ICE username fragment
(``OFFER_UFRAG``); the caller's endpoint sets aside what belongs to an offer of a connection closed
since, says so in its transcript, and gives ``receive()`` only the rest. The races are made
deterministic here: a hand-driven callee on a real server answers the earlier offer exactly when the
test says (before the new connection is made, or after its offer went out).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import peerlab
from peerlab import SignallingServer, SignallingTimeout
from peerlab.signalling.messages import OFFER_UFRAG
from peerlab.signalling.websocket import WebSocketEndpoint, stale_words
from peerlab.webrtc.sdp import ice_ufrag

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote", "ignore::peerlab.PeerlabNote")

LEARNER = "learner-kernel"  # one client id: a join run again replaces the socket, as CLIENT_ID does in a kernel


@pytest.fixture
async def server():
    async with await peerlab.serve(port=0) as running:
        yield running


class Room:
    """Room "r" on the test's server: the far callee, the learner's first caller endpoint, the connections made,
    and the caller's endpoint joined again (``join_again``: the same client id, as a re-run join cell)."""

    def __init__(self, server: SignallingServer, callee: WebSocketEndpoint, first: WebSocketEndpoint) -> None:
        self.server, self.callee, self.first = server, callee, first
        self.pcs: list[peerlab.RTCPeerConnection] = []
        self.again: WebSocketEndpoint | None = None

    async def join_again(self) -> WebSocketEndpoint:
        self.again = await peerlab.join(self.server.url, room="r", role="caller", client_id=LEARNER)
        return self.again


@pytest.fixture
async def room(server):
    """The far callee and the learner's caller in room "r"; everything they opened is closed afterwards."""
    made = Room(server, await peerlab.join(server.url, room="r", role="callee", client_id="far"),
                await peerlab.join(server.url, room="r", role="caller", client_id=LEARNER))
    yield made
    for each in made.pcs:
        await each.close()
    for endpoint in (made.first, made.callee, made.again):
        if endpoint is not None:
            await endpoint.close()


async def offer_from(pc: peerlab.RTCPeerConnection, signalling: WebSocketEndpoint) -> str:
    """Caller steps 2-6 as lesson 05 runs them; returns the offer's ICE username fragment."""
    offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    await pc.wait_for_state("complete", attribute="iceGatheringState", timeout=10)
    signalling.send({"type": "offer", "data": offer})
    pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    await pc.wait_for_end_of_candidates(timeout=10)
    ufrag = ice_ufrag(pc.localDescription.sdp)
    assert ufrag is not None
    return ufrag


async def answer_as_callee(offer: dict[str, Any], callee: WebSocketEndpoint, name: str) -> peerlab.RTCPeerConnection:
    """A callee that answers ``offer`` and trickles its candidates, each marked with the offer's ufrag."""
    ufrag = ice_ufrag(offer["data"]["sdp"])
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name=name, replace_same_name=False)
    await pc.setRemoteDescription(offer["data"])
    answer = await pc.createAnswer()
    await pc.setLocalDescription(answer)
    callee.send({"type": "answer", "data": answer, OFFER_UFRAG: ufrag})
    pc.addEventListener("icecandidate",
                        lambda event: callee.send({"type": "candidate", "data": event.candidate, OFFER_UFRAG: ufrag}))
    await pc.wait_for_end_of_candidates(timeout=10)
    return pc


async def add_candidates(pc: peerlab.RTCPeerConnection | None, signalling: WebSocketEndpoint) -> None:
    """Step 8's loop: add what receive("candidate") gives, up to end-of-candidates (no ``pc``: read them only)."""
    while True:
        message = await signalling.receive("candidate", timeout=10)
        if pc is not None:
            await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            return


async def arrived(endpoint: WebSocketEndpoint, count: int) -> None:
    """Until ``endpoint``'s transcript holds ``count`` messages from the callee (a generous wait, not a timing check)."""
    async with asyncio.timeout(20):
        while len(endpoint.transcript.between("callee", "caller")) < count:
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("when", ["before-the-new-connection", "after-the-new-offer"])
async def test_starting_over_sets_the_earlier_offers_answer_aside_and_the_new_connection_connects(room, when):
    callee, first, pcs = room.callee, room.first, room.pcs
    old_pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    pcs.append(old_pc)
    old_pc.createDataChannel("chat")
    old_ufrag = await offer_from(old_pc, first)
    old_offer = await callee.receive("offer", timeout=10)
    await add_candidates(None, callee)  # the callee reads the old connection's candidates (not this test's case)
    again = await room.join_again()  # the set-up run again
    await first.close()
    if when == "before-the-new-connection":  # the old connection is still open when the stale answer comes
        pcs.append(await answer_as_callee(old_offer, callee, "callee-1"))
        await arrived(again, 1)
        assert again.pending and again.pending[0][OFFER_UFRAG] == old_ufrag  # it waits, not yet known stale
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")  # step 1 again: closes the old one
    pcs.append(pc)
    assert old_pc.signalingState == "closed"
    pc.createDataChannel("chat")
    handed: list[dict[str, Any]] = []
    again.on("message", handed.append)
    ufrag = await offer_from(pc, again)
    if when == "after-the-new-offer":
        pcs.append(await answer_as_callee(old_offer, callee, "callee-1"))
    offer = await callee.receive("offer", timeout=10)
    assert ice_ufrag(offer["data"]["sdp"]) == ufrag
    callee_pc = await answer_as_callee(offer, callee, "callee-2")
    pcs.append(callee_pc)
    await add_candidates(callee_pc, callee)

    answer = await again.receive("answer", timeout=10)  # step 7
    assert answer[OFFER_UFRAG] == ufrag, "step 7 took the answer to the earlier connection's offer"
    await pc.setRemoteDescription(answer["data"])
    await add_candidates(pc, again)  # step 8
    await pc.wait_for_state("connected", timeout=20)

    if when == "after-the-new-offer":  # set aside as it came: no on("message") callback saw it either
        assert handed and all(m[OFFER_UFRAG] == ufrag for m in handed)
    stale = [message for message, _ in again.set_aside]
    assert [m["type"] for m in stale].count("answer") == 1  # set aside when it came, or when step 7 looked
    assert {"type": "candidate", "data": None, OFFER_UFRAG: old_ufrag} in stale
    assert all(m[OFFER_UFRAG] == old_ufrag for m in stale)
    text = again.transcript.sent_by("callee")
    lines = text.splitlines()
    assert lines[0] == ("callee → caller  answer     answer SDP, media: application, 0 candidates inside, set aside: "
                        "an answer to the offer of an earlier RTCPeerConnection, closed since (an earlier run of "
                        "the set-up or of step 1)"), text
    new_answer = lines.index("callee → caller  answer     answer SDP, media: application, 0 candidates inside")
    assert lines[new_answer - 1] == (
        "callee → caller  candidate  end-of-candidates (null), set aside: a 'candidate' message for the offer of "
        "an earlier RTCPeerConnection, closed since (an earlier run of the set-up or of step 1)"), text
    assert all("set aside" in line for line in lines[:new_answer]), text
    assert not any("set aside" in line for line in lines[new_answer:]), text


async def test_the_join_cell_alone_run_again_still_gets_the_answer_to_its_offer(room):
    callee, first, pcs = room.callee, room.first, room.pcs
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    pcs.append(pc)
    pc.createDataChannel("chat")
    ufrag = await offer_from(pc, first)
    offer = await callee.receive("offer", timeout=10)
    again = await room.join_again()  # only the join again
    await first.close()
    callee_pc = await answer_as_callee(offer, callee, "callee-1")
    pcs.append(callee_pc)
    await add_candidates(callee_pc, callee)
    answer = await again.receive("answer", timeout=10)
    assert answer[OFFER_UFRAG] == ufrag
    await pc.setRemoteDescription(answer["data"])
    await add_candidates(pc, again)
    await pc.wait_for_state("connected", timeout=20)
    assert again.set_aside == [] and "set aside" not in str(again.transcript)


async def test_a_wait_that_runs_out_says_what_was_set_aside(room):
    callee, first, pcs = room.callee, room.first, room.pcs
    old_pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    pcs.append(old_pc)
    old_pc.createDataChannel("chat")
    await offer_from(old_pc, first)
    old_offer = await callee.receive("offer", timeout=10)
    await add_candidates(None, callee)
    again = await room.join_again()
    await first.close()
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    pcs.append(pc)
    pc.createDataChannel("chat")
    await offer_from(pc, again)
    pcs.append(await answer_as_callee(old_offer, callee, "callee-1"))  # and the new offer is never answered
    await arrived(again, 1)
    with pytest.raises(SignallingTimeout) as caught:
        await again.receive("answer", timeout=0.5)
    words = str(caught.value)
    assert words.startswith("The caller waited 0.5 s for an 'answer' message and none came."), words
    assert ("The callee is in room 'r'. Its answer to the offer of an earlier RTCPeerConnection of this process, "
            "closed since (an earlier run of the set-up or of step 1), came and was set aside, with its candidates: "
            "no receive() gets them. An 'answer' message is sent by callee step 4") in words, words
    assert "earlier run of this cell" not in words  # not taken: set aside


async def test_the_scripted_far_callee_marks_its_answer_and_candidates_with_the_offer(server):
    callee_end = await peerlab.join(server.url, room="r", role="callee", client_id="far")
    callee = peerlab.play_callee(callee_end)
    signalling = await peerlab.join(server.url, room="r", role="caller", client_id=LEARNER)
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    try:
        pc.createDataChannel("chat")
        ufrag = await offer_from(pc, signalling)
        answer = await signalling.receive("answer", timeout=10)
        assert answer[OFFER_UFRAG] == ufrag
        await pc.setRemoteDescription(answer["data"])
        candidate = await signalling.receive("candidate", timeout=10)
        assert candidate[OFFER_UFRAG] == ufrag
    finally:
        await pc.close()
        await callee.close()
        await callee_end.close()
        await signalling.close()


async def test_a_loopback_scripted_callee_adds_nothing_to_its_messages():
    loopback = peerlab.Loopback()
    callee = peerlab.play_callee(loopback.callee)
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    try:
        pc.createDataChannel("chat")
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        loopback.caller.send({"type": "offer", "data": offer})
        answer = await loopback.caller.receive("answer", timeout=10)
        assert set(answer) == {"type", "data"}
    finally:
        await pc.close()
        await callee.close()
        loopback.close()


class _Pc:
    def __init__(self, state: str) -> None:
        self.signalingState = state


def test_only_a_marked_message_of_a_closed_connections_offer_is_stale():
    open_pc, closed_pc = _Pc("have-local-offer"), _Pc("closed")
    offered: dict[str, Any] = {"open": lambda: open_pc, "closed": lambda: closed_pc, "gone": lambda: None}
    answer = {"type": "answer", "data": {"type": "answer", "sdp": "v=0"}}
    assert stale_words(answer, offered) is None  # not marked: a learner's callee, a browser
    assert stale_words({**answer, OFFER_UFRAG: "unknown"}, offered) is None  # not an offer this process sent
    assert stale_words({**answer, OFFER_UFRAG: "open"}, offered) is None
    assert stale_words({**answer, OFFER_UFRAG: "closed"}, offered) == (
        "set aside: an answer to the offer of an earlier RTCPeerConnection, closed since (an earlier run of the "
        "set-up or of step 1)")
    assert stale_words({"type": "candidate", "data": None, OFFER_UFRAG: "gone"}, offered) == (
        "set aside: a 'candidate' message for the offer of an earlier RTCPeerConnection, closed since (an earlier "
        "run of the set-up or of step 1)")
