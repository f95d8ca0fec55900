"""The gaps a browser-conformance run found, each checked in a real run (issue: behave like the browser).

The web-platform-tests port in ``tests/wpt/`` checks the spec subtest by subtest;
these tests check the same behaviour the way a learner's code meets it.
"""

from __future__ import annotations

import asyncio
import warnings

import pytest

from peerlab import (
    CandidateTypeError,
    DescriptionModifiedError,
    DescriptionSyntaxError,
    DescriptionTypeError,
    InvalidCandidateError,
    PeerlabNote,
    RTCDataChannelEvent,
    RTCPeerConnection,
    StepOrderError,
)

from .conftest import negotiate

HOST = "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host"


async def turns(n: int = 20) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_every_listener_style_gets_an_event_with_type_and_target(pair):
    _, caller, _ = pair
    seen = []
    caller.addEventListener("signalingstatechange", lambda event: seen.append(("add", event.type, event.target)))
    caller.on("signalingstatechange", lambda event: seen.append(("on", event.type, event.target)))
    caller.onsignalingstatechange = lambda event: seen.append(("attr", event.type, event.target))
    caller.on("signalingstatechange", lambda: seen.append(("no-arg", None, None)))  # as aiortc's examples
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    assert seen == [("add", "signalingstatechange", caller), ("on", "signalingstatechange", caller),
                    ("attr", "signalingstatechange", caller), ("no-arg", None, None)]
    replaced = []
    caller.onsignalingstatechange = replaced.append  # an attribute holds one handler: this replaces it
    caller.onsignalingstatechange = None
    assert caller.onsignalingstatechange is None and caller.listeners("signalingstatechange")[-1] is not replaced


async def test_gathering_events_follow_the_promise_in_the_specs_order(pair):
    _, caller, _ = pair
    order = []
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    promise = caller.setLocalDescription(offer)
    promise.then(lambda _: order.append("promise settled"))
    caller.onicegatheringstatechange = lambda event: order.append(caller.iceGatheringState)
    caller.onicecandidate = lambda event: order.append("candidate" if event.candidate else None)
    await promise
    assert caller.iceGatheringState == "new"  # nothing has fired yet when the await resumes
    await caller.wait_for_end_of_candidates(timeout=2)
    count = order.count("candidate")
    assert count >= 1
    assert order == ["promise settled", "gathering", *["candidate"] * count, "complete", None]


async def test_a_listener_added_at_the_end_of_a_ten_step_then_chain_gets_every_candidate(pair):
    _, caller, _ = pair
    events: list = []
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    chain = caller.setLocalDescription(offer)
    for _ in range(10):
        chain = chain.then(lambda value: value)
    chain = chain.then(lambda _: caller.addEventListener("icecandidate", events.append))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PeerlabNote)  # no held-candidates note
        await chain
        await caller.wait_for_end_of_candidates(timeout=2)
    surfaced = [line for line in caller.localDescription.sdp.splitlines() if line.startswith("a=candidate")]
    assert len(events) == len(surfaced) + 1 and events[-1].candidate is None
    assert not [e for e in caller.events if e.kind == "note" and "held" in e.value]


async def test_the_guides_order_await_then_add_the_listener_loses_no_candidate(pair):
    _, caller, _ = pair
    events: list = []
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    await caller.setLocalDescription(offer)      # step 3
    caller.addEventListener("icecandidate", events.append)  # step 5, after the await
    await caller.wait_for_end_of_candidates(timeout=2)
    assert events[-1].candidate is None and len(events) >= 2
    assert all(e.candidate.usernameFragment for e in events[:-1])  # carried, as a browser does


async def test_error_kinds_are_the_browsers_and_keep_the_step_hint(pair):
    loopback, caller, callee = pair
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    with pytest.raises(DescriptionModifiedError) as modified:
        await caller.setLocalDescription({"type": "offer", "sdp": offer.sdp.replace("s=-", "s=changed")})
    assert modified.value.name == "InvalidModificationError"
    with pytest.raises(DescriptionTypeError) as unknown:
        await callee.setRemoteDescription({"type": "offre", "sdp": offer.sdp})
    assert isinstance(unknown.value, TypeError) and unknown.value.name == "TypeError"
    with pytest.raises(DescriptionSyntaxError) as syntax:
        await callee.setRemoteDescription({"type": "offer", "sdp": "not sdp"})
    assert (syntax.value.name, syntax.value.errorDetail) == ("OperationError", "sdp-syntax-error")
    await negotiate(loopback, caller, callee)
    for bad, words in (({"candidate": HOST, "sdpMid": "7"}, "sdpMid '7'"),
                       ({"candidate": HOST, "sdpMLineIndex": 3}, "sdpMLineIndex 3"),
                       ({"candidate": HOST, "sdpMid": "0", "usernameFragment": "nope"}, "usernameFragment 'nope'")):
        with pytest.raises(InvalidCandidateError, match=words) as error:
            await caller.addIceCandidate(bad)
        assert error.value.name == "OperationError"
    with pytest.raises(CandidateTypeError) as both_null:
        await caller.addIceCandidate({"candidate": HOST, "sdpMid": None, "sdpMLineIndex": None})
    assert isinstance(both_null.value, TypeError)
    with pytest.raises(StepOrderError) as state:
        await RTCPeerConnection().createAnswer()
    assert state.value.name == "InvalidStateError" and "callee step 2" in str(state.value)


async def test_empty_dicts_mean_end_of_candidates_as_webidl_fills_them(pair):
    loopback, caller, callee = pair
    await negotiate(loopback, caller, callee)
    await caller.addIceCandidate({})
    await caller.addIceCandidate({"sdpMid": "0"})
    await caller.addIceCandidate()
    assert "a=end-of-candidates" in caller.remoteDescription.sdp


async def test_close_fires_nothing_closes_every_channel_and_a_second_close_waits(pair):
    loopback, caller, callee = pair
    ours = caller.createDataChannel("chat")
    unopened = caller.createDataChannel("later")
    await negotiate(loopback, caller, callee)
    await caller.wait_for_state("connected", timeout=5)
    heard = []
    for name in ("signalingstatechange", "iceconnectionstatechange", "connectionstatechange",
                 "icegatheringstatechange"):
        caller.addEventListener(name, lambda event: heard.append(event.type))
    ours.on("close", lambda: heard.append("channel close"))
    first, second = caller.close(), caller.close()
    await second
    assert first.state == "fulfilled"  # the second close() waited for the first
    assert heard == []
    assert (ours.readyState, unopened.readyState) == ("closed", "closed")
    assert (caller.signalingState, caller.connectionState) == ("closed", "closed")
    assert caller.sctp.state == "closed"


async def test_sctp_appears_once_a_description_negotiates_it(pair):
    loopback, caller, callee = pair
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    assert caller.sctp is None  # nothing applied yet
    await caller.setLocalDescription(offer)
    assert caller.sctp.state == "connecting" and caller.sctp.maxMessageSize == 65536
    await caller.close()
    caller2, callee2 = RTCPeerConnection(), RTCPeerConnection()
    try:
        await negotiate(loopback, caller2, callee2)
        assert caller2.sctp is not None and callee2.sctp is not None
        await caller2.wait_for_state("connected", timeout=5)
        assert caller2.sctp.state in ("connecting", "connected")
    finally:
        await caller2.close()
        await callee2.close()


async def test_the_answering_side_hears_datachannel_before_the_channels_open(pair):
    loopback, caller, callee = pair
    order = []
    opened = asyncio.get_running_loop().create_future()

    def on_datachannel(event):
        assert isinstance(event, RTCDataChannelEvent)
        order.append(("datachannel", event.channel.readyState))
        event.channel.on("open", lambda: (order.append(("open", None)), opened.done() or opened.set_result(1)))

    callee.ondatachannel = on_datachannel
    caller.createDataChannel("chat")
    await negotiate(loopback, caller, callee)
    await asyncio.wait_for(opened, 5)
    assert order == [("datachannel", "open"), ("open", None)]


@pytest.mark.parametrize("state", ["stable", "have-local-offer", "have-remote-offer"])
async def test_parameterless_set_local_description_in_every_state(pair, state):
    _, caller, callee = pair
    caller.createDataChannel("chat")
    pc = caller
    if state == "have-local-offer":
        await caller.setLocalDescription()
    elif state == "have-remote-offer":
        await caller.setLocalDescription()
        await callee.setRemoteDescription(caller.localDescription)
        pc = callee
    assert pc.signalingState == state
    await pc.setLocalDescription()
    expected = {"stable": "offer", "have-local-offer": "offer", "have-remote-offer": "answer"}[state]
    assert pc.localDescription.type == expected
    assert pc.signalingState == ("stable" if expected == "answer" else "have-local-offer")


async def test_an_offer_with_no_media_section_is_accepted_as_a_browser_does(pair):
    _, caller, callee = pair
    with pytest.warns(PeerlabNote, match="no media section"):
        offer = await caller.createOffer()
    await callee.setRemoteDescription(offer)
    assert callee.signalingState == "have-remote-offer"
