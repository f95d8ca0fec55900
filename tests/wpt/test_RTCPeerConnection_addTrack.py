"""WPT webrtc/RTCPeerConnection-addTrack.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 00908bf4); see tests/wpt/README.md.
``getNoiseStream`` and ``getUserMedia`` give peerlab's generated tracks (the ``get_noise_stream``
fixture: a tone, a pattern), stopped after the test. ``instanceof RTCRtpSender`` checks are left out
(DOM-only).
"""

import peerlab

from .wpt import subtest, throws_dom, within


@subtest("addTrack when pc is closed should throw InvalidStateError")
async def test_closed(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    closing = pc.close()
    throws_dom(lambda: pc.addTrack(track, stream), "InvalidStateError")
    await closing


@subtest("addTrack with single track argument and no stream should succeed")
async def test_no_stream(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTrack(track)
    assert sender.track is track, "Expect sender's track to be the added track"
    transceivers = pc.getTransceivers()
    assert len(transceivers) == 1, "Expect only one transceiver with sender added"
    [transceiver] = transceivers
    assert transceiver.sender is sender
    assert pc.getSenders() == [sender], "Expect only one sender with given track added"
    receiver = transceiver.receiver
    assert receiver.track.kind == "audio"
    assert pc.getReceivers() == [transceiver.receiver], "Expect only one receiver associated with transceiver added"


@subtest("addTrack with single track argument and single stream should succeed")
async def test_single_stream(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    sender = pc.addTrack(track, stream)
    assert sender.track is track, "Expect sender's track to be the added track"


@subtest("addTrack with single track argument and multiple streams should succeed")
async def test_multiple_streams(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    stream2 = peerlab.MediaStream([track])
    sender = pc.addTrack(track, stream, stream2)
    assert sender.track is track, "Expect sender's track to be the added track"


@subtest("Adding the same track multiple times should throw InvalidAccessError")
async def test_same_track_twice(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    pc.addTrack(track, stream)
    throws_dom(lambda: pc.addTrack(track, stream), "InvalidAccessError")


@subtest("addTrack with existing sender with null track, same kind, and recvonly direction should reuse sender")
async def test_reuse_recvonly(new_pc, get_noise_stream):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio", {"direction": "recvonly"})
    assert transceiver.sender.track is None
    assert transceiver.direction == "recvonly"
    [track] = get_noise_stream(audio=True).getTracks()  # WPT: navigator.mediaDevices.getUserMedia({audio: true})
    sender = pc.addTrack(track)
    assert sender is transceiver.sender
    assert sender.track is track
    assert transceiver.direction == "sendrecv"
    assert pc.getSenders() == [sender]


@subtest("addTrack with existing sender that has not been used to send should reuse the sender")
async def test_reuse_unused(new_pc, get_noise_stream):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio")
    assert transceiver.sender.track is None
    assert transceiver.direction == "sendrecv"
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTrack(track)
    assert sender.track is track
    assert sender is transceiver.sender


@subtest("addTrack with existing sender that has been used to send should create new sender")
async def test_used_sender_not_reused(new_pc, get_noise_stream):
    caller = new_pc()
    callee = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    transceiver = caller.addTransceiver(track)

    async def negotiate():
        offer = await within(caller.createOffer())
        await within(caller.setLocalDescription(offer))
        await within(callee.setRemoteDescription(offer))
        answer = await within(callee.createAnswer())
        await within(callee.setLocalDescription(answer))
        await within(caller.setRemoteDescription(answer))

    await negotiate()
    assert transceiver.currentDirection == "sendonly"
    caller.removeTrack(transceiver.sender)
    await negotiate()
    assert transceiver.direction == "recvonly"
    assert transceiver.currentDirection == "inactive"
    # |transceiver.sender| is currently not used for sending, but it should not
    # be reused because it has been used for sending before.
    sender = caller.addTrack(track)
    assert sender is not None
    assert sender is not transceiver.sender


@subtest("addTrack with existing sender with null track, different kind, and recvonly direction should create "
         "new sender")
async def test_different_kind(new_pc, get_noise_stream):
    pc = new_pc()
    transceiver = pc.addTransceiver("video", {"direction": "recvonly"})
    assert transceiver.sender.track is None
    assert transceiver.direction == "recvonly"
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTrack(track)
    assert sender.track is track
    assert sender is not transceiver.sender
    senders = pc.getSenders()
    assert len(senders) == 2, "Expect 2 senders added to connection"
    assert sender in senders, "Expect senders list to include sender"
    assert transceiver.sender in senders, "Expect senders list to include first transceiver's sender"
