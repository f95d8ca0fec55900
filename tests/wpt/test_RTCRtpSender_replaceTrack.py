"""WPT webrtc/RTCRtpSender-replaceTrack.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 13b3128d); see tests/wpt/README.md.
``getNoiseStream`` gives peerlab's generated tracks (``get_noise_stream``), stopped after the test.
Two subtests take ``track2`` from ``stream1`` as WPT does (so it is ``track1``); kept as written.
"""

from .wpt import rejects_dom, rejects_js, subtest, within


@subtest("Calling replaceTrack on closed connection should reject with InvalidStateError")
async def test_closed(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTransceiver("audio").sender
    closing = pc.close()
    await rejects_dom(sender.replaceTrack(track), "InvalidStateError")
    await closing


@subtest("Calling replaceTrack with track of different kind should reject with TypeError")
async def test_other_kind(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(video=True).getTracks()
    sender = pc.addTransceiver("audio").sender
    await rejects_js(sender.replaceTrack(track), TypeError)


@subtest("Calling replaceTrack on stopped sender should reject with InvalidStateError")
async def test_stopped(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    transceiver = pc.addTransceiver("audio")
    sender = transceiver.sender
    transceiver.stop()
    await rejects_dom(sender.replaceTrack(track), "InvalidStateError")


@subtest("Calling replaceTrack on sender with null track and not set to session description should resolve with "
         "sender.track set to given track")
async def test_null_track_not_negotiated(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTransceiver("audio").sender
    assert sender.track is None
    await within(sender.replaceTrack(track))
    assert sender.track is track


@subtest("Calling replaceTrack on sender not set to session description should resolve with sender.track set to "
         "given track")
async def test_not_negotiated(new_pc, get_noise_stream):
    pc = new_pc()
    [track1] = get_noise_stream(audio=True).getTracks()
    [track2] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTransceiver(track1).sender
    assert sender.track is track1
    await within(sender.replaceTrack(track2))
    assert sender.track is track2


@subtest("Calling replaceTrack(null) on sender not set to session description should resolve with sender.track set "
         "to null")
async def test_null_not_negotiated(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTransceiver(track).sender
    assert sender.track is track
    await within(sender.replaceTrack(None))
    assert sender.track is None


@subtest("Calling replaceTrack(null) on sender set to session description should resolve with sender.track set to "
         "null")
async def test_null_negotiated(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()
    sender = pc.addTransceiver(track).sender
    assert sender.track is track
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    await within(sender.replaceTrack(None))
    assert sender.track is None


@subtest("Calling replaceTrack on sender with stopped track and and set to session description should resolve with "
         "sender.track set to given track")
async def test_stopped_track(new_pc, get_noise_stream):
    pc = new_pc()
    stream1 = get_noise_stream(audio=True)
    [track1] = stream1.getTracks()
    get_noise_stream(audio=True)
    [track2] = stream1.getTracks()  # as WPT writes it: stream1's track again
    sender = pc.addTransceiver(track1).sender
    assert sender.track is track1
    track1.stop()
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    await within(sender.replaceTrack(track2))
    assert sender.track is track2


@subtest("Calling replaceTrack on sender with similar track and and set to session description should resolve with "
         "sender.track set to new track")
async def test_similar_track(new_pc, get_noise_stream):
    pc = new_pc()
    stream1 = get_noise_stream(audio=True)
    [track1] = stream1.getTracks()
    get_noise_stream(audio=True)
    [track2] = stream1.getTracks()  # as WPT writes it: stream1's track again
    sender = pc.addTransceiver(track1).sender
    assert sender.track is track1
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    await within(sender.replaceTrack(track2))
    assert sender.track is track2
