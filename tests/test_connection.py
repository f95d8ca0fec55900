"""The browser-like peer connection: trickle ICE events, held candidates, checks, honest outcomes."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCConfiguration, RTCSessionDescription

import peerlab
from peerlab import (
    ConfigurationError,
    HeldCandidatesNote,
    InvalidCandidateError,
    InvalidDescriptionError,
    LateCandidateNote,
    PeerlabError,
    PeerlabNote,
    RTCPeerConnection,
    StepOrderError,
    WaitTimeout,
)
from peerlab.webrtc.connection import to_configuration

from .conftest import negotiate


async def collect(pc: RTCPeerConnection) -> list:
    events: list = []
    pc.addEventListener("icecandidate", events.append)
    return events


async def test_created_descriptions_carry_no_candidates_and_local_description_the_ones_surfaced(pair):
    _, caller, _ = pair
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    await caller.setLocalDescription(offer)
    assert "a=candidate" not in caller.localDescription.sdp  # none surfaced yet, as in a browser
    events = await collect(caller)
    again = await caller.createOffer()  # aiortc puts candidates into offers made after gathering
    for description in (offer, again):
        assert "a=candidate" not in description.sdp
        assert "a=end-of-candidates" not in description.sdp
        assert "m=application 9 " in description.sdp
    await caller.wait_for_end_of_candidates(timeout=2)
    local = caller.localDescription.sdp
    assert [line[2:] for line in local.splitlines() if line.startswith("a=candidate")] == [
        e.candidate.candidate for e in events if e.candidate is not None]
    assert "a=end-of-candidates" in local
    assert caller.pendingLocalDescription.sdp == local and caller.currentLocalDescription is None


async def test_the_non_trickle_pattern_connects_sending_local_description_after_gathering(pair):
    loopback, caller, callee = pair
    caller.createDataChannel("chat")
    for pc in (caller, callee):
        pc.addEventListener("icecandidate", lambda event: None)  # candidates go in the SDP instead
    await caller.setLocalDescription(await caller.createOffer())
    await caller.wait_for_end_of_candidates(timeout=2)
    loopback.caller.send({"type": "offer", "data": caller.localDescription})
    await callee.setRemoteDescription((await loopback.callee.receive("offer"))["data"])
    await callee.setLocalDescription(await callee.createAnswer())
    await callee.wait_for_end_of_candidates(timeout=2)
    loopback.callee.send({"type": "answer", "data": callee.localDescription})
    await caller.setRemoteDescription((await loopback.caller.receive("answer"))["data"])
    await caller.wait_for_state("connected", timeout=5)
    await callee.wait_for_state("connected", timeout=5)


async def test_icecandidate_events_then_one_end_of_candidates(pair):
    _, caller, _ = pair
    events = await collect(caller)
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    assert events == []  # dispatched after the call returns, as in a browser
    await caller.wait_for_end_of_candidates(timeout=2)
    assert len(events) >= 2 and events[-1].candidate is None
    candidates = [e.candidate for e in events[:-1]]
    assert all(c.type == "host" and c.sdpMid == "0" and c.sdpMLineIndex == 0 for c in candidates)
    assert all(c.candidate.startswith("candidate:") for c in candidates)
    assert {c.address for c in candidates}.isdisjoint({"127.0.0.1", "::1"})
    kinds = [e.name for e in caller.events if e.kind == "event"]
    assert kinds == ["icecandidate"] * len(events)


async def test_candidates_gathered_before_a_listener_are_held_with_a_note(pair):
    _, caller, _ = pair
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    # as lessons 01-02 do before their step 5: complete comes in the task of the last event (end-of-candidates)
    await caller.wait_for_state("complete", attribute="iceGatheringState", timeout=5)
    with pytest.raises(StepOrderError, match="no icecandidate listener.*caller step 5"):
        await caller.wait_for_end_of_candidates(timeout=1)
    events: list = []
    with pytest.warns(HeldCandidatesNote, match="a browser would have dropped them"):
        caller.addEventListener("icecandidate", events.append)
    await caller.wait_for_end_of_candidates(timeout=1)
    assert events[-1].candidate is None and len(events) >= 2


async def next_event(target, type: str, timeout: float = 2.0):
    """The next ``type`` event and the state the listener saw, the plain Python way: a future awaited."""
    future = asyncio.get_running_loop().create_future()

    def listener(event):
        if not future.done():
            future.set_result((event, target.iceGatheringState))

    target.addEventListener(type, listener)
    try:
        return await asyncio.wait_for(future, timeout)
    finally:
        target.removeEventListener(type, listener)


async def test_each_gathering_event_is_a_task_of_its_own_so_awaiting_one_after_another_sees_them_all(pair):
    _, caller, _ = pair
    seen: list = []  # as real code listens before it starts: every icecandidate, with the state it saw
    caller.addEventListener("icecandidate", lambda event: seen.append((event.candidate, caller.iceGatheringState)))
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    _, first = await next_event(caller, "icegatheringstatechange")
    first_candidate, during = await next_event(caller, "icecandidate")  # the next event, not a later one
    _, second = await next_event(caller, "icegatheringstatechange")
    assert (first, during, second) == ("gathering", "gathering", "complete")
    assert first_candidate.candidate is not None and first_candidate.candidate is seen[0][0]
    # end-of-candidates comes in the same task as 'complete', as the spec has it: it had fired by then
    assert seen[-1] == (None, "complete")
    assert len(seen) >= 2 and all(c is not None and s == "gathering" for c, s in seen[:-1])


async def test_states_move_and_are_logged(pair):
    loopback, caller, callee = pair
    await negotiate(loopback, caller, callee)
    await caller.wait_for_state("connected", timeout=5)
    await callee.wait_for_state("connected", timeout=5)
    assert caller.events.states("signalingState") == ["have-local-offer", "stable"]
    assert callee.events.states("signalingState") == ["have-remote-offer", "stable"]
    assert caller.events.states("connectionState") == ["connecting", "connected"]
    assert caller.events.states("iceGatheringState") == ["gathering", "complete"]
    assert caller.states() == {"signalingState": "stable", "iceGatheringState": "complete",
                               "iceConnectionState": "completed", "connectionState": "connected"}
    times = [e.time for e in caller.events]
    assert times == sorted(times)


async def test_one_side_adding_candidates_still_connects_through_a_peer_reflexive_candidate(pair):
    loopback, caller, callee = pair
    await negotiate(loopback, caller, callee, caller_adds=True, callee_adds=False)
    await asyncio.gather(caller.wait_for_state("connected", timeout=5),
                         callee.wait_for_state("connected", timeout=5))
    # The callee never added the caller's candidates, so the pair it uses has a remote
    # candidate it learnt from the caller's checks: a peer-reflexive one (RFC 8445 7.3.1.3).
    assert callee.aiortc.remoteDescription.sdp.count("a=candidate") == 0
    assert {c.type for c in callee.remote_candidates()} == {"prflx"}
    assert {c.type for c in caller.remote_candidates()} == {"host"}


async def test_neither_side_adding_candidates_never_connects_and_the_wait_says_why(pair):
    loopback, caller, callee = pair
    await negotiate(loopback, caller, callee, caller_adds=False, callee_adds=False)
    with pytest.raises(WaitTimeout, match="has given this peer no candidate.*caller step 8, callee step 7"):
        await caller.wait_for_state("connected", timeout=0.5)
    assert caller.iceConnectionState == "checking"
    assert callee.connectionState != "connected"


async def test_end_of_candidates_with_no_candidates_fails(pair):
    loopback, caller, callee = pair
    await negotiate(loopback, caller, callee, caller_adds=False, callee_adds=False)
    await caller.addIceCandidate(None)
    await callee.addIceCandidate(None)
    await caller.wait_for_state("failed", timeout=2)
    with pytest.raises(PeerlabError, match="'failed', so it will never be 'connected'"):
        await caller.wait_for_state("connected", timeout=1)


async def test_a_candidate_after_end_of_candidates_is_ignored_with_a_note(pair):
    loopback, caller, callee = pair
    await negotiate(loopback, caller, callee)
    msg = {"candidate": "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    with pytest.warns(LateCandidateNote, match="already added end-of-candidates"):
        await caller.addIceCandidate(msg)
    assert [e.value for e in caller.events if e.kind == "note" and e.name == "addIceCandidate"] == [
        "ignored after end-of-candidates"]


async def test_add_ice_candidate_before_remote_description_is_refused_like_a_browser(pair):
    _, caller, _ = pair
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    with pytest.raises(StepOrderError, match="needs the remote description first.*caller step 7"):
        await caller.addIceCandidate({"candidate": "candidate:1 1 udp 1 192.0.2.1 5 typ host", "sdpMid": "0"})


@pytest.mark.parametrize("bad, words", [
    ({"type": "offer", "sdp": "this is not sdp"}, "this is not SDP"),
    ({"type": "offer", "sdp": "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n"}, "no a=ice-ufrag"),
    ({"type": "pranswer", "sdp": "v=0\r\n"}, "aiortc supports neither"),
    ({"type": "offer"}, "this is not SDP: it should start with the line 'v=0', but starts with ''"),
    ({"sdp": "v=0"}, "has no 'type'"),
    ({"type": "bogus", "sdp": "v=0"}, "'offer' or 'answer', not 'bogus'"),
    ({"type": "offer", "data": {}}, "whole signalling message"),
    ("v=0", "not a str"),
])
async def test_a_bad_remote_description_is_refused_and_changes_nothing(pair, bad, words):
    loopback, caller, callee = pair
    with pytest.raises(InvalidDescriptionError, match=words):
        await callee.setRemoteDescription(bad)
    assert callee.signalingState == "stable"
    await negotiate(loopback, caller, callee)  # the connection is still usable
    await callee.wait_for_state("connected", timeout=5)


async def test_a_mangled_sdp_line_becomes_a_clear_error(pair):
    _, caller, callee = pair
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    mangled = offer.sdp.replace("m=application 9 UDP/DTLS/SCTP", "m=application nine UDP/DTLS/SCTP")
    with pytest.raises(InvalidDescriptionError, match="could not be parsed"):
        await callee.setRemoteDescription({"type": "offer", "sdp": mangled})
    assert callee.signalingState == "stable"


async def test_steps_out_of_order_name_the_step_that_comes_first(pair):
    loopback, caller, callee = pair
    with pytest.raises(StepOrderError, match="needs a remote offer first.*callee step 2"):
        await callee.createAnswer()
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    await caller.setLocalDescription(offer)
    with pytest.raises(StepOrderError, match="made an offer itself"):
        await caller.setRemoteDescription(offer)
    with pytest.raises(StepOrderError, match="answer only fits after this peer's own offer.*caller step 3"):
        await callee.setRemoteDescription({"type": "answer", "sdp": offer.sdp})
    with pytest.raises(StepOrderError, match="needs the remote offer first"):
        await callee.setLocalDescription({"type": "answer", "sdp": offer.sdp})


async def test_receiving_the_answer_twice_says_it_was_already_applied(pair):
    loopback, caller, callee = pair
    await negotiate(loopback, caller, callee)
    with pytest.raises(StepOrderError, match="already has an answer"):
        await caller.setRemoteDescription(callee.localDescription)


async def test_candidate_for_an_unknown_media_section_is_refused(pair):
    loopback, caller, callee = pair
    await negotiate(loopback, caller, callee, caller_adds=False)
    with pytest.raises(InvalidCandidateError, match="sdpMid '7'"):
        await caller.addIceCandidate({"candidate": "candidate:1 1 udp 1 192.0.2.1 5 typ host", "sdpMid": "7"})


async def test_inputs_may_be_dicts_or_aiortc_objects(pair):
    loopback, caller, callee = pair
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    await caller.setLocalDescription({"type": offer.type, "sdp": offer.sdp})
    await callee.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
    assert callee.signalingState == "have-remote-offer"


async def test_a_listener_that_raises_shows_up_in_the_next_wait(pair):
    _, caller, _ = pair

    def broken(event):
        raise KeyError("signalling")

    caller.addEventListener("icecandidate", broken)
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    with pytest.raises(PeerlabError, match="your 'icecandidate' listener on the caller raised KeyError"):
        await caller.wait_for_end_of_candidates(timeout=1)
    assert any(e.kind == "error" for e in caller.events)


async def test_closed_connection_says_start_again():
    pc = RTCPeerConnection(name="caller")
    await pc.close()
    await pc.close()  # safe to repeat
    with pytest.raises(StepOrderError, match="closed. Start again from step 1"):
        await pc.createOffer()


def test_configuration_in_the_browsers_shape():
    assert to_configuration(None).iceServers == []
    config = to_configuration({"iceServers": [{"urls": "stun:stun.example.org"}]})
    assert config.iceServers[0].urls == "stun:stun.example.org"
    assert isinstance(to_configuration(RTCConfiguration()), RTCConfiguration)
    with pytest.raises(ConfigurationError, match="needs 'urls'"):
        to_configuration({"iceServers": [{}]})
    with pytest.raises(ConfigurationError, match="unknown configuration keys"):
        to_configuration({"iceservers": []})
    assert to_configuration({"iceTransportPolicy": "relay"}).iceTransportPolicy.value == "relay"
    assert to_configuration({}).iceTransportPolicy.value == "all"
    with pytest.raises(ConfigurationError, match="'iceTransportPolicy' is one of 'all', 'relay', not 'none'"):
        to_configuration({"iceTransportPolicy": "none"})


async def test_a_new_connection_with_the_same_name_closes_the_old_one():
    first = RTCPeerConnection(name="caller")
    first.createDataChannel("chat")
    await first.setLocalDescription(await first.createOffer())
    with pytest.warns(PeerlabNote, match="'caller' was still open; peerlab closed it"):
        second = RTCPeerConnection(name="caller")
    for _ in range(50):
        if first.connectionState == "closed":
            break
        await asyncio.sleep(0.01)
    assert first.connectionState == "closed"
    assert second.connectionState == "new"
    await second.close()
    third = RTCPeerConnection(name="caller")  # the second was closed: no note
    await third.close()


async def test_code_right_after_await_set_local_description_registers_its_listener_in_time(pair):
    _, caller, _ = pair
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    events: list = []
    caller.addEventListener("icecandidate", events.append)  # no HeldCandidatesNote: nothing was fired yet
    await caller.wait_for_end_of_candidates(timeout=2)
    assert events[-1].candidate is None
    assert not [e for e in caller.events if e.value == "held: no listener yet"]


async def test_every_async_method_returns_a_promise_usable_both_ways(pair):
    from peerlab.webrtc.promise import Promise

    _, caller, _ = pair
    caller.createDataChannel("chat")
    promise = caller.createOffer()
    assert isinstance(promise, Promise)
    kinds = []
    await promise.then(lambda offer: kinds.append(offer.type))
    assert kinds == ["offer"]
    offer = await caller.createOffer()
    assert offer.type == "offer"
    for method in ("createAnswer", "setRemoteDescription", "addIceCandidate",
                   "getStats", "wait_for_state", "wait_for_end_of_candidates"):
        assert getattr(type(caller), method).__wrapped__  # made by @promising
    set_local = caller.setLocalDescription(offer)
    assert isinstance(set_local, Promise)
    await set_local
    assert isinstance(caller.close(), Promise)


async def test_a_forgotten_await_is_named(pair):
    loopback, caller, callee = pair
    caller.createDataChannel("chat")
    offer = caller.createOffer()  # no await: a Promise, not a description
    with pytest.raises(InvalidDescriptionError, match="forget `await`"):
        await callee.setRemoteDescription(offer)
    with pytest.raises(peerlab.SignallingError, match="forget `await`"):
        loopback.caller.send({"type": "offer", "data": offer})
    await offer
