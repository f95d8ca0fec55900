"""Media as the browser has it, beyond what the WPT port pins: the track event's streams, negotiationneeded
after each change, getStats() in the browser's shape once media flows, the selected candidate pair."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from peerlab import MediaAccessError, MediaStream, MediaTypeError, RTCPeerConnection, StepOrderError
from peerlab.media import PatternTrack, ToneTrack
from peerlab.teaching import rerun
from peerlab.webrtc import events
from peerlab.webrtc.negotiation import TransceiverFacts, negotiation_needed

from .conftest import negotiate


def next_event(pc: RTCPeerConnection, type: str) -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()

    def listener(event) -> None:
        if not future.done():
            future.set_result(event)

    pc.addEventListener(type, listener)
    return future


async def quiet(pc: RTCPeerConnection, type: str, seconds: float = 0.1) -> bool:
    """Whether no ``type`` event comes within ``seconds``."""
    future = next_event(pc, type)
    try:
        await asyncio.wait_for(asyncio.shield(future), seconds)
    except TimeoutError:
        return True
    return False


@pytest.fixture
async def tracks():
    made: list = []

    def make(kind: str):
        track = ToneTrack() if kind == "audio" else PatternTrack(160, 120, fps=15)
        made.append(track)
        return track

    yield make
    for track in made:
        track.stop()


async def test_the_track_event_names_the_streams_of_the_msid_lines_and_shares_them_between_tracks(pair, tracks):
    loopback, caller, callee = pair
    stream = MediaStream()
    audio, video = tracks("audio"), tracks("video")
    caller.addTrack(audio, stream)
    caller.addTrack(video, stream)
    caller.addTrack(tracks("audio"))  # no stream: a=msid:- <track>
    events: list = []
    callee.addEventListener("track", events.append)
    await negotiate(loopback, caller, callee)
    assert [e.track.kind for e in events] == ["audio", "video", "audio"]
    first, second, third = events
    assert [s.id for s in first.streams] == [stream.id] and first.streams[0] is second.streams[0]
    assert set(first.streams[0].getTracks()) == {first.track, second.track}
    assert third.streams == []
    assert all(e.receiver.track is e.track and e.transceiver.receiver is e.receiver for e in events)
    assert all(e.transceiver in callee.getTransceivers() for e in events)


async def test_a_receivers_track_is_muted_until_rtp_arrives(pair, tracks):
    loopback, caller, callee = pair
    caller.addTrack(tracks("audio"))
    arrived = next_event(callee, "track")
    await negotiate(loopback, caller, callee)
    track = (await arrived).track
    await caller.wait_for_state("connected", timeout=5)
    for _ in range(200):
        if not track.muted:
            break
        await asyncio.sleep(0.01)
    assert not track.muted


async def test_negotiationneeded_after_add_track_once_per_need_and_again_after_remove_track(pair, tracks):
    loopback, caller, callee = pair
    needed = next_event(caller, "negotiationneeded")
    caller.addTrack(tracks("video"))
    caller.addTrack(tracks("audio"))
    await asyncio.wait_for(needed, 2)
    assert await quiet(caller, "negotiationneeded")  # once for both
    await negotiate(loopback, caller, callee)
    assert await quiet(caller, "negotiationneeded")  # nothing left to negotiate
    needed = next_event(caller, "negotiationneeded")
    caller.removeTrack(caller.getSenders()[0])
    await asyncio.wait_for(needed, 2)
    assert caller.getTransceivers()[0].direction == "recvonly"


async def test_a_new_direction_asks_for_negotiation_and_a_bad_one_is_a_type_error(pair):
    _, caller, _ = pair
    transceiver = caller.addTransceiver("audio")
    await asyncio.wait_for(next_event(caller, "negotiationneeded"), 2)
    with pytest.raises(MediaTypeError) as raised:
        transceiver.direction = "sideways"
    assert raised.value.name == "TypeError"
    with pytest.raises(MediaTypeError):
        caller.addTransceiver("audio", direction="upwards")
    assert caller.addTransceiver("video", "recvonly").direction == "recvonly"  # aiortc's positional form


def test_the_check_compares_directions_and_streams_with_the_current_descriptions():
    offer = ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
             "a=mid:0\r\na=sendrecv\r\na=msid:s1 t1\r\na=rtpmap:96 opus/48000/2\r\n")
    answer = offer.replace("a=sendrecv", "a=recvonly").replace("a=msid:s1 t1", "a=msid:- t2")

    def needed(direction: str, streams: tuple[str, ...] = ("s1",), channels: bool = False) -> bool:
        return negotiation_needed(channels=channels, local=offer, local_type="offer", remote=answer,
                                  transceivers=[TransceiverFacts("0", direction, False, streams)])

    assert not needed("sendrecv")  # what this side offered
    assert not needed("sendonly")  # what the far side answered (recvonly), seen from this side
    assert needed("sendonly", ())  # the section announces stream s1, the sender none now
    assert needed("inactive") and needed("recvonly")  # neither the offer's direction nor the answer's
    assert needed("sendrecv", channels=True)  # a data channel and no data section
    assert negotiation_needed(channels=False, local=None, local_type=None, remote=None,
                              transceivers=[TransceiverFacts(None, "sendrecv", False, ())])
    assert not negotiation_needed(channels=False, local=None, local_type=None, remote=None,
                                  transceivers=[TransceiverFacts(None, "sendrecv", True, ())])


async def test_get_stats_once_media_flows_has_the_browsers_types_linked_by_id(pair, tracks):
    loopback, caller, callee = pair
    caller.addTrack(tracks("video"))
    await negotiate(loopback, caller, callee)
    await caller.wait_for_state("connected", timeout=5)
    report = await caller.getStats()
    for _ in range(60):  # the far side's first receiver report comes within about a second
        if report.of_type("remote-inbound-rtp"):
            break
        await asyncio.sleep(0.1)
        report = await caller.getStats()
    types = {s.type for s in report.values()}
    assert {"peer-connection", "data-channel", "transport", "candidate-pair", "local-candidate",
            "remote-candidate", "outbound-rtp", "remote-inbound-rtp"} <= types
    assert all(isinstance(s.timestamp, float) and s.timestamp > 1.7e12 for s in report.values())  # ms since 1970
    [transport] = report.of_type("transport")
    pair_stats = report[transport.selectedCandidatePairId]
    assert pair_stats.nominated is True and pair_stats.state == "succeeded"
    assert report[pair_stats.localCandidateId].type == "local-candidate"
    [out] = report.of_type("outbound-rtp")
    assert out.kind == "video" and out.packetsSent > 0 and report[out.remoteId].localId == out.id
    assert report[out.transportId] is transport
    far = await callee.getStats()
    [inbound] = far.of_type("inbound-rtp")
    assert inbound.packetsReceived > 0 and inbound.bytesReceived > 0 and inbound.jitter < 1  # seconds
    only = await callee.getStats(callee.getReceivers()[0].track)
    assert inbound.id in only and not only.of_type("data-channel") and not only.of_type("peer-connection")
    assert set(only) <= set(far)
    selected = caller.sctp.transport.iceTransport.getSelectedCandidatePair()
    local = report[pair_stats.localCandidateId]
    assert (selected.local.address, selected.local.port) == (local.address, local.port)


async def test_get_stats_refuses_a_track_it_does_not_have_and_closed_calls_refuse(pair, tracks):
    _, caller, callee = pair
    with pytest.raises(MediaAccessError):
        await caller.getStats(tracks("audio"))
    sender = caller.addTrack(tracks("audio"))
    with pytest.raises(MediaAccessError):
        callee.removeTrack(sender)
    await caller.close()
    with pytest.raises(StepOrderError):
        caller.addTrack(tracks("audio"))
    with pytest.raises(StepOrderError):
        await sender.replaceTrack(None)


async def test_a_track_added_twice_after_the_offer_is_left_out_of_the_answer_as_in_a_browser(pair, tracks):
    # lesson 08's track listener run twice added a second edges track to the callee; aiortc then refused its
    # answer with "None is not in list": a browser answers the offer's sections and keeps the extra one for later
    loopback, caller, callee = pair
    caller.addTrack(tracks("video"))
    offer = await caller.createOffer()
    await caller.setLocalDescription(offer)
    await callee.setRemoteDescription(offer)
    callee.addTrack(tracks("video"))  # reuses the offer's video transceiver
    callee.addTrack(tracks("video"))  # a new one: no section in this offer
    needed = next_event(callee, "negotiationneeded")
    answer = await callee.createAnswer()
    await callee.setLocalDescription(answer)
    assert answer.sdp.count("m=video") == 1 and callee.signalingState == "stable"
    first, extra = callee.getTransceivers()
    assert first.mid == "0" and first.currentDirection == "sendrecv"
    assert extra.mid is None and extra.currentDirection is None and extra.direction == "sendrecv"
    assert "a video transceiver added after the offer is not in this answer" in str(callee.events)
    await asyncio.wait_for(needed, 2)  # it asks for an offer of its own, as a browser's does
    await caller.setRemoteDescription(answer)
    assert caller.getTransceivers()[0].currentDirection == "sendrecv"


async def test_stopping_a_transceiver_leaves_its_track_live_as_in_a_browser(pair, tracks):
    loopback, caller, callee = pair
    video = tracks("video")
    sender = caller.addTrack(video)
    await negotiate(loopback, caller, callee)
    await caller.wait_for_state("connected", timeout=5)
    [transceiver] = caller.getTransceivers()
    [far] = callee.getTransceivers()
    transceiver.stop()
    await caller.close()  # waits for the transceiver's own stop
    assert video.readyState == "live" and sender.track is video
    assert far.receiver.track.ended_by is None  # the callee's connection is still open


async def test_a_listener_a_re_run_cell_adds_again_replaces_the_one_its_earlier_run_added(monkeypatch):
    # lesson 08's track-listener cell run twice: both listeners added an edges track to the callee
    cell = SimpleNamespace(key="cell-10", run=object())
    monkeypatch.setattr(rerun, "current_cell", lambda: cell)
    pc, other = RTCPeerConnection(name="rerun"), RTCPeerConnection(name="other")
    try:
        def first(event): ...
        def first_lambda(event): ...
        pc.addEventListener("track", first)
        pc.addEventListener("track", first_lambda)
        other.addEventListener("track", first)  # another target: its own place
        pc.addEventListener("negotiationneeded", first)  # another event: its own place
        cell.run = object()  # the same cell, run again: new functions for the same places
        def second(event): ...
        def second_lambda(event): ...
        pc.addEventListener("track", second)
        assert pc.listeners("track") == [first_lambda, second]
        pc.addEventListener("track", second_lambda)
        assert pc.listeners("track") == [second, second_lambda]
        assert other.listeners("track") == [first] and pc.listeners("negotiationneeded") == [first]
        cell.key, cell.run = "cell-11", object()  # another cell adds: nothing of cell-10's goes
        pc.addEventListener("track", first)
        assert pc.listeners("track") == [second, second_lambda, first]
    finally:
        await pc.close()
        await other.close()
    events.install_listener_places(None)  # outside a notebook: every listener stays until removed, as in a browser
    try:
        plain = RTCPeerConnection(name="plain")
        plain.addEventListener("track", first)
        plain.addEventListener("track", second)
        assert plain.listeners("track") == [first, second]
        await plain.close()
    finally:
        events.install_listener_places(rerun.Replacements)
