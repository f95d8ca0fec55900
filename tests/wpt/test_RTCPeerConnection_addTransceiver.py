"""WPT webrtc/RTCPeerConnection-addTransceiver.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 00908bf4); see tests/wpt/README.md.
``addTransceiver(kind, {direction, sendEncodings})`` takes the dict as WPT writes it;
``assert_throws(new TypeError(), ...)`` is ``pytest.raises(TypeError)``. ``instanceof`` checks are
left out (DOM-only); ``getNoiseStream`` gives peerlab's generated tone (``get_noise_stream``).
"""

import pytest

from .wpt import subtest


@subtest("addTransceiver() with string argument as invalid kind should throw TypeError")
async def test_invalid_kind(new_pc):
    pc = new_pc()
    with pytest.raises(TypeError):
        pc.addTransceiver("invalid")


@subtest("addTransceiver('audio') should return an audio transceiver")
async def test_audio(new_pc):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio")
    assert transceiver.mid is None
    assert transceiver.stopped is False
    assert transceiver.direction == "sendrecv"
    assert transceiver.currentDirection is None
    assert pc.getTransceivers() == [transceiver], (
        "Expect added transceiver to be the only element in connection's list of transceivers")
    sender = transceiver.sender
    assert sender.track is None
    assert pc.getSenders() == [sender], "Expect added sender to be the only element in connection's list of senders"
    receiver = transceiver.receiver
    track = receiver.track
    assert track is not None, "Expect receiver.track to be instance of MediaStreamTrack"
    assert track.kind == "audio"
    assert track.readyState == "live"
    assert track.muted is True
    assert pc.getReceivers() == [receiver], (
        "Expect added receiver to be the only element in connection's list of receivers")


@subtest("addTransceiver('video') should return a video transceiver")
async def test_video(new_pc):
    pc = new_pc()
    transceiver = pc.addTransceiver("video")
    assert transceiver.mid is None
    assert transceiver.stopped is False
    assert transceiver.direction == "sendrecv"
    assert pc.getTransceivers() == [transceiver], (
        "Expect added transceiver to be the only element in connection's list of transceivers")
    sender = transceiver.sender
    assert sender.track is None
    assert pc.getSenders() == [sender], "Expect added sender to be the only element in connection's list of senders"
    receiver = transceiver.receiver
    track = receiver.track
    assert track is not None, "Expect receiver.track to be instance of MediaStreamTrack"
    assert track.kind == "video"
    assert track.readyState == "live"
    assert track.muted is True
    assert pc.getReceivers() == [receiver], (
        "Expect added receiver to be the only element in connection's list of receivers")


@subtest("addTransceiver() with direction sendonly should have result transceiver.direction be the same")
async def test_sendonly(new_pc):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio", {"direction": "sendonly"})
    assert transceiver.direction == "sendonly"


@subtest("addTransceiver() with direction inactive should have result transceiver.direction be the same")
async def test_inactive(new_pc):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio", {"direction": "inactive"})
    assert transceiver.direction == "inactive"


@subtest("addTransceiver() with invalid direction should throw TypeError")
async def test_invalid_direction(new_pc):
    pc = new_pc()
    with pytest.raises(TypeError):
        pc.addTransceiver("audio", {"direction": "invalid"})


@subtest("addTransceiver(track) should have result with sender.track be given track")
async def test_track(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    transceiver = pc.addTransceiver(track)
    sender, receiver = transceiver.sender, transceiver.receiver
    assert sender.track is track, "Expect sender.track should be the track that is added"
    receiver_track = receiver.track
    assert receiver_track is not None, "Expect receiver.track to be instance of MediaStreamTrack"
    assert receiver_track.kind == "audio", "receiver.track should have the same kind as added track's kind"
    assert receiver_track.readyState == "live"
    assert receiver_track.muted is True
    assert pc.getTransceivers() == [transceiver], (
        "Expect added transceiver to be the only element in connection's list of transceivers")
    assert pc.getSenders() == [sender], "Expect added sender to be the only element in connection's list of senders"
    assert pc.getReceivers() == [receiver], (
        "Expect added receiver to be the only element in connection's list of receivers")


@subtest("addTransceiver(track) multiple times should create multiple transceivers")
async def test_track_twice(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    transceiver1 = pc.addTransceiver(track)
    transceiver2 = pc.addTransceiver(track)
    assert transceiver1 is not transceiver2
    sender1, sender2 = transceiver1.sender, transceiver2.sender
    assert sender1 is not sender2
    assert transceiver1.sender.track is track
    assert transceiver2.sender.track is track
    transceivers = pc.getTransceivers()
    assert len(transceivers) == 2
    assert transceiver1 in transceivers and transceiver2 in transceivers
    senders = pc.getSenders()
    assert len(senders) == 2
    assert sender1 in senders and sender2 in senders


@subtest("addTransceiver() with rid containing invalid non-alphanumeric characters should throw TypeError")
async def test_rid_characters(new_pc):
    pc = new_pc()
    with pytest.raises(TypeError):
        pc.addTransceiver("audio", {"sendEncodings": [{"rid": "@Invalid!"}]})


@subtest("addTransceiver() with rid longer than 16 characters should throw TypeError")
async def test_rid_length(new_pc):
    pc = new_pc()
    with pytest.raises(TypeError):
        pc.addTransceiver("audio", {"sendEncodings": [{"rid": "a" * 17}]})


@subtest("addTransceiver() with valid rid value should succeed")
async def test_valid_rid(new_pc):
    pc = new_pc()
    pc.addTransceiver("audio", {"sendEncodings": [{"rid": "foo"}]})


@subtest("addTransceiver() with valid sendEncodings should succeed")
async def test_valid_send_encodings(new_pc):
    pc = new_pc()
    pc.addTransceiver("audio", {"sendEncodings": [{"dtx": "enabled", "active": False, "priority": "low", "ptime": 5,
                                                   "maxBitrate": 8, "maxFramerate": 25, "rid": "foo"}]})
