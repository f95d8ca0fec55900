"""WPT webrtc/RTCPeerConnection-removeTrack.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 00908bf4); see tests/wpt/README.md.
``getNoiseStream`` gives peerlab's generated tracks (the ``get_noise_stream`` fixture), stopped after
the test. WPT's ``generateAnswer(offer)`` is ``generate_answer(new_pc, offer)``.
"""

from .helpers import generate_answer
from .wpt import subtest, throws_dom, within


@subtest("addTransceiver - Calling removeTrack when connection is closed should throw InvalidStateError")
async def test_transceiver_closed(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTransceiver(track).sender
    closing = pc.close()
    throws_dom(lambda: pc.removeTrack(sender), "InvalidStateError")
    await closing


@subtest("addTrack - Calling removeTrack when connection is closed should throw InvalidStateError")
async def test_track_closed(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    sender = pc.addTrack(track, stream)
    closing = pc.close()
    throws_dom(lambda: pc.removeTrack(sender), "InvalidStateError")
    await closing


@subtest("addTransceiver - Calling removeTrack on different connection that is closed should throw "
         "InvalidStateError")
async def test_transceiver_other_closed(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTransceiver(track).sender
    pc2 = new_pc()
    closing = pc2.close()
    throws_dom(lambda: pc2.removeTrack(sender), "InvalidStateError")
    await closing


@subtest("addTrack - Calling removeTrack on different connection that is closed should throw InvalidStateError")
async def test_track_other_closed(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    sender = pc.addTrack(track, stream)
    pc2 = new_pc()
    closing = pc2.close()
    throws_dom(lambda: pc2.removeTrack(sender), "InvalidStateError")
    await closing


@subtest("addTransceiver - Calling removeTrack on different connection should throw InvalidAccessError")
async def test_transceiver_other(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTransceiver(track).sender
    pc2 = new_pc()
    throws_dom(lambda: pc2.removeTrack(sender), "InvalidAccessError")


@subtest("addTrack - Calling removeTrack on different connection should throw InvalidAccessError")
async def test_track_other(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    sender = pc.addTrack(track, stream)
    pc2 = new_pc()
    throws_dom(lambda: pc2.removeTrack(sender), "InvalidAccessError")


@subtest("addTransceiver - Calling removeTrack with valid sender should set sender.track to null")
async def test_transceiver_removes(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    transceiver = pc.addTransceiver(track)
    sender = transceiver.sender
    assert sender.track is track
    assert transceiver.direction == "sendrecv"
    assert transceiver.currentDirection is None
    pc.removeTrack(sender)
    assert sender.track is None
    assert transceiver.direction == "recvonly"


@subtest("addTrack - Calling removeTrack with valid sender should set sender.track to null")
async def test_track_removes(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    sender = pc.addTrack(track, stream)
    assert sender.track is track
    pc.removeTrack(sender)
    assert sender.track is None


@subtest("Calling removeTrack with currentDirection sendrecv should set direction to recvonly")
async def test_sendrecv(new_pc, get_noise_stream):
    caller = new_pc()
    callee = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    transceiver = caller.addTransceiver(track)
    sender = transceiver.sender
    assert sender.track is track
    assert transceiver.direction == "sendrecv"
    assert transceiver.currentDirection is None
    offer = await within(caller.createOffer())
    await within(caller.setLocalDescription(offer))
    await within(callee.setRemoteDescription(offer))
    callee.addTrack(track, stream)
    answer = await within(callee.createAnswer())
    await within(callee.setLocalDescription(answer))
    await within(caller.setRemoteDescription(answer))
    assert transceiver.currentDirection == "sendrecv"
    caller.removeTrack(sender)
    assert sender.track is None
    assert transceiver.direction == "recvonly"
    assert transceiver.currentDirection == "sendrecv", "Expect currentDirection to not change"


@subtest("Calling removeTrack with currentDirection sendonly should set direction to inactive")
async def test_sendonly(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    transceiver = pc.addTransceiver(track, {"direction": "sendonly"})
    sender = transceiver.sender
    assert sender.track is track
    assert transceiver.direction == "sendonly"
    assert transceiver.currentDirection is None
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    answer = await generate_answer(new_pc, offer)
    await within(pc.setRemoteDescription(answer))
    assert transceiver.currentDirection == "sendonly"
    pc.removeTrack(sender)
    assert sender.track is None
    assert transceiver.direction == "inactive"
    assert transceiver.currentDirection == "sendonly", "Expect currentDirection to not change"


@subtest("Calling removeTrack with currentDirection recvonly should not change direction")
async def test_recvonly(new_pc, get_noise_stream):
    caller = new_pc()
    callee = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    transceiver = caller.addTransceiver(track, {"direction": "recvonly"})
    sender = transceiver.sender
    assert sender.track is track
    assert transceiver.direction == "recvonly"
    assert transceiver.currentDirection is None
    offer = await within(caller.createOffer())
    await within(caller.setLocalDescription(offer))
    await within(callee.setRemoteDescription(offer))
    callee.addTrack(track, stream)
    answer = await within(callee.createAnswer())
    await within(callee.setLocalDescription(answer))
    await within(caller.setRemoteDescription(answer))
    assert transceiver.currentDirection == "recvonly"
    caller.removeTrack(sender)
    assert sender.track is None
    assert transceiver.direction == "recvonly"
    assert transceiver.currentDirection == "recvonly"


@subtest("Calling removeTrack with currentDirection inactive should not change direction")
async def test_inactive(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    transceiver = pc.addTransceiver(track, {"direction": "inactive"})
    sender = transceiver.sender
    assert sender.track is track
    assert transceiver.direction == "inactive"
    assert transceiver.currentDirection is None
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    answer = await generate_answer(new_pc, offer)
    await within(pc.setRemoteDescription(answer))
    assert transceiver.currentDirection == "inactive"
    pc.removeTrack(sender)
    assert sender.track is None
    assert transceiver.direction == "inactive"
    assert transceiver.currentDirection == "inactive"


@subtest("Calling removeTrack on a stopped transceiver should be a no-op")
async def test_stopped(new_pc, get_noise_stream):
    pc = new_pc()
    stream = get_noise_stream(audio=True)
    [track] = stream.getTracks()
    sender = pc.addTrack(track, stream)
    pc.getTransceivers()[0].stop()
    pc.removeTrack(sender)
    assert sender.track is track
