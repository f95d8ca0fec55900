"""The core decides, the teaching layer words: the rules refuse, and the installed wording says why.

With no teaching layer (the hook reset to its default) the connection still refuses every call
the spec refuses, with the browser's own words (Chromium's); with the teaching layer installed,
as ``import peerlab`` installs it, the same refusal names the step that comes first. Either way
the error keeps its class and its browser ``name``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiortc.exceptions import InvalidAccessError

from peerlab import InvalidDescriptionError, PeerlabNote, RTCPeerConnection, StepOrderError, WaitTimeout
from peerlab.teaching.hints import StepWording
from peerlab.webrtc import rules, wording

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote")


@pytest.fixture
def browser_words() -> Iterator[None]:
    """The hook reset to its default, as with no teaching layer; the teaching words back afterwards."""
    installed = wording.current()
    wording.reset()
    try:
        yield
    finally:
        wording.install(installed)


def test_importing_peerlab_installs_the_teaching_words():
    assert isinstance(wording.current(), StepWording)


async def offerer(name: str = "offerer") -> RTCPeerConnection:
    pc = RTCPeerConnection(name=name, replace_same_name=False)
    pc.createDataChannel("chat")
    await pc.setLocalDescription(await pc.createOffer())
    return pc


async def refusal_of(call) -> StepOrderError:
    with pytest.raises(StepOrderError) as info:
        await call
    assert info.value.name == "InvalidStateError"
    return info.value


async def test_without_the_teaching_layer_the_connection_refuses_in_the_browsers_words(browser_words):
    pc = await offerer()
    answerer = RTCPeerConnection(name="answerer", replace_same_name=False)
    try:
        failed = "Failed to execute '{}' on 'RTCPeerConnection': "
        error = await refusal_of(pc.createAnswer())
        assert str(error) == failed.format("createAnswer") + (
            "PeerConnection cannot create an answer in a state other than have-remote-offer or have-local-pranswer.")
        error = await refusal_of(pc.setRemoteDescription(pc.localDescription))
        assert str(error) == failed.format("setRemoteDescription") + (
            "Failed to set remote offer sdp: Called in wrong state: have-local-offer")
        error = await refusal_of(answerer.setLocalDescription({"type": "answer", "sdp": ""}))
        assert str(error) == failed.format("setLocalDescription") + (
            "Failed to set local answer sdp: Called in wrong state: stable")
        error = await refusal_of(answerer.addIceCandidate(
            {"candidate": "candidate:1 1 udp 1 192.0.2.1 5 typ host", "sdpMid": "0"}))
        assert str(error) == failed.format("addIceCandidate") + "The remote description was null"
        await answerer.close()
        error = await refusal_of(answerer.createOffer())
        assert str(error) == failed.format("createOffer") + "The RTCPeerConnection's signalingState is 'closed'."
        with pytest.raises(StepOrderError, match="^Failed to execute 'createDataChannel'"):
            answerer.createDataChannel("chat")
    finally:
        await asyncio.gather(pc.close(), answerer.close())


async def test_with_the_teaching_layer_the_same_refusals_name_the_steps():
    pc = await offerer()
    answerer = RTCPeerConnection(name="answerer", replace_same_name=False)
    try:
        error = await refusal_of(pc.createAnswer())
        assert "callee step 2 comes first" in str(error)
        error = await refusal_of(pc.setRemoteDescription(pc.localDescription))
        assert str(error).startswith("the offerer made an offer itself, so it expects an answer")
        error = await refusal_of(answerer.setLocalDescription({"type": "answer", "sdp": ""}))
        assert "callee step 2 setRemoteDescription(offer) comes first" in str(error)
        await answerer.close()
        error = await refusal_of(answerer.createOffer())
        assert str(error) == ("createOffer(): the answerer's connection is closed. Start again from step 1 with a new "
                              "RTCPeerConnection().")
    finally:
        await asyncio.gather(pc.close(), answerer.close())


async def test_a_wait_that_runs_out_adds_a_hint_only_when_the_wording_has_one(browser_words):
    pc = RTCPeerConnection(name="alone", replace_same_name=False)
    try:
        with pytest.raises(WaitTimeout) as info:
            await pc.wait_for_state("connected", timeout=0.05)
        assert str(info.value) == "the alone waited 0.05 s for connectionState 'connected'; it is 'new'."
        wording.install(StepWording())
        with pytest.raises(WaitTimeout) as info:
            await pc.wait_for_state("connected", timeout=0.05)
        assert "caller step 3 setLocalDescription(offer) is next" in str(info.value)
    finally:
        await pc.close()


async def test_the_wait_for_end_of_candidates_is_refused_in_either_words(browser_words):
    pc = RTCPeerConnection(name="alone", replace_same_name=False)
    try:
        error = await refusal_of(pc.wait_for_end_of_candidates(timeout=0.05))
        assert "has not called setLocalDescription()" in str(error) and "step" not in str(error)
        wording.install(StepWording())
        error = await refusal_of(pc.wait_for_end_of_candidates(timeout=0.05))
        assert "(caller step 3)" in str(error)
    finally:
        await pc.close()


async def test_replacing_a_named_connection_says_so_in_the_installed_words(browser_words):
    first = RTCPeerConnection(name="twin")
    with pytest.warns(PeerlabNote) as notes:
        second = RTCPeerConnection(name="twin")
    assert str(notes[0].message) == ("a connection named 'twin' was still open; peerlab closed it, since this new "
                                     "one replaces it.")
    wording.install(StepWording())
    with pytest.warns(PeerlabNote, match=r"replaces it \(re-running step 1 starts over\)\.$"):
        third = RTCPeerConnection(name="twin")
    await asyncio.gather(first.close(), second.close(), third.close())


async def test_an_error_aiortc_raises_is_kept_as_the_cause(browser_words):
    pc = await offerer()
    other = RTCPeerConnection(name="other", replace_same_name=False)
    answerer = RTCPeerConnection(name="answerer", replace_same_name=False)
    try:
        other.addTransceiver("audio")
        other.createDataChannel("chat")
        await other.setLocalDescription(await other.createOffer())
        await answerer.setRemoteDescription(other.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        with pytest.raises(InvalidDescriptionError) as info:  # two media sections answer pc's one
            await pc.setRemoteDescription(answerer.localDescription)
        assert isinstance(info.value.__cause__, (ValueError, InvalidAccessError))
        assert info.value.name == "OperationError"
    finally:
        await asyncio.gather(pc.close(), other.close(), answerer.close())


@pytest.mark.parametrize("refusal, expected", [
    (rules.create_offer("have-remote-offer"), "offer-received"),
    (rules.create_offer("closed"), "closed"),
    (rules.create_answer("stable", "answer"), "already-answered"),
    (rules.create_answer("have-local-offer", None), "no-remote-offer"),
    (rules.set_local_description("offer", "have-remote-offer", None), "offer-received"),
    (rules.set_local_description("answer", "stable", "answer"), "already-answered"),
    (rules.set_local_description("answer", "have-local-offer", None), "no-remote-offer"),
    (rules.set_remote_description("offer", "have-local-offer", False), "offer-made"),
    (rules.set_remote_description("answer", "stable", True), "answer-applied"),
    (rules.set_remote_description("answer", "stable", False), "no-local-offer"),
    (rules.add_ice_candidate("have-local-offer", False), "no-remote-description"),
    (rules.wait_for_end_of_candidates("stable", False, False), "not-gathering"),
    (rules.wait_for_end_of_candidates("have-local-offer", True, True), "no-icecandidate-listener"),
])
def test_the_rules_refuse_with_a_reason(refusal, expected):
    assert refusal is not None and refusal.reason == expected
    assert rules.REASONS[refusal.reason] in str(refusal)


@pytest.mark.parametrize("allowed", [
    rules.create_offer("stable"), rules.create_offer("have-local-offer"),
    rules.create_answer("have-remote-offer", None),
    rules.set_local_description("offer", "stable", None), rules.set_local_description("offer", "have-local-offer", None),
    rules.set_local_description("answer", "have-remote-offer", None),
    rules.set_remote_description("offer", "stable", False), rules.set_remote_description("offer", "have-remote-offer", True),
    rules.set_remote_description("answer", "have-local-offer", False),
    rules.add_ice_candidate("stable", True), rules.wait_for_end_of_candidates("stable", True, False),
])
def test_the_rules_allow_what_the_spec_allows(allowed):
    assert allowed is None
