"""WPT webrtc/RTCPeerConnection-ontrack.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
``pc.ontrack = t.step_func(...)`` is kept (attribute style); ``t.unreached_func`` is a listener that
fails the test; ``getTrackFromUserMedia('audio')`` gives peerlab's generated tone and its stream
(the ``get_noise_stream`` fixture). ``validateTrackEvent`` is ported without its ``instanceof``
checks (DOM-only).
"""

import asyncio

from .wpt import sleep_ms, subtest, within

# The SDP the first two subtests set, as WPT writes it (a=sendonly, then a=recvonly).
SDP = """v=0
o=- 166855176514521964 2 IN IP4 127.0.0.1
s=-
t=0 0
a=msid-semantic:WMS *
m=audio 9 UDP/TLS/RTP/SAVPF 111
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:someufrag
a=ice-pwd:somelongpwdwithenoughrandomness
a=fingerprint:sha-256 8C:71:B3:8D:A5:38:FD:8F:A4:2E:A2:65:6C:86:52:BC:E0:6E:94:F2:9F:7C:4D:B5:DF:AF:AA:6F:44:90:8D:F4
a=setup:actpass
a=rtcp-mux
a=mid:mid1
a={direction}
a=rtpmap:111 opus/48000/2
a=msid:stream1 track1
a=ssrc:1001 cname:some
"""


def validate_track_event(track_event):
    """``validateTrackEvent``: track, streams, receiver and transceiver belong together."""
    receiver, track, streams, transceiver = (track_event.receiver, track_event.track, track_event.streams,
                                             track_event.transceiver)
    assert isinstance(streams, list), "Expect streams to be an array"
    for media_stream in streams:
        assert track in media_stream.getTracks(), "Expect each mediaStream to have track as one of their tracks"
    assert receiver is not None, "Expect trackEvent.receiver to be defined and is instance of RTCRtpReceiver"
    assert receiver.track is track, "Expect trackEvent.receiver.track to be the same as trackEvent.track"
    assert transceiver is not None, "Expect trackEvent.transceiver to be defined and is instance of RTCRtpTransceiver"
    assert transceiver.receiver is receiver, (
        "Expect trackEvent.transceiver.receiver to be the same as trackEvent.receiver")


def step_func(done, check):
    """``t.step_func(handler)`` ending in ``t.done()``: the test's outcome is the first event's."""

    def handler(event):
        if done.done():
            return
        try:
            check(event)
        except BaseException as exc:
            done.set_exception(exc)
        else:
            done.set_result(None)

    return handler


def unreached_func(failed, message):
    """``t.unreached_func(message)``: a listener that fails the test if it is called."""

    def handler(event):
        if not failed.done():
            failed.set_exception(AssertionError(message))

    return handler


@subtest("setRemoteDescription should trigger ontrack event when the MSID of the stream is is parsed.")
async def test_msid_parsed(new_pc):
    pc = new_pc()
    done = asyncio.get_running_loop().create_future()
    assert hasattr(pc, "ontrack"), "Expect pc to have ontrack event handler attribute"

    def check(track_event):
        streams, track, transceiver = track_event.streams, track_event.track, track_event.transceiver
        assert len(streams) == 1, "the track belongs to one MediaStream"
        [stream] = streams
        assert stream.id == "stream1", "Expect stream.id to be the same as specified in the a=msid line"
        assert track.kind == "audio", "Expect track.kind to be audio"
        validate_track_event(track_event)
        assert transceiver.direction == "recvonly", "Expect transceiver.direction to be reverse of sendonly (recvonly)"

    pc.ontrack = step_func(done, check)
    await within(pc.setRemoteDescription({"type": "offer", "sdp": SDP.format(direction="sendonly")}))
    await within(done, what="the track event")


@subtest("setRemoteDescription() with m= line of recvonly direction should not trigger track event")
async def test_recvonly_no_event(new_pc):
    pc = new_pc()
    failed = asyncio.get_running_loop().create_future()
    assert hasattr(pc, "ontrack"), "Expect pc to have ontrack event handler attribute"
    pc.ontrack = unreached_func(failed, "ontrack event should not fire for track with recvonly direction")
    await within(pc.setRemoteDescription({"type": "offer", "sdp": SDP.format(direction="recvonly")}))
    await sleep_ms(100)
    assert not failed.done(), failed.exception()


@subtest("addTrack() should cause remote connection to fire ontrack when setRemoteDescription()")
async def test_add_track(new_pc, get_noise_stream):
    pc1 = new_pc()
    pc2 = new_pc()
    done = asyncio.get_running_loop().create_future()

    def check(track_event):
        assert track_event.track.kind == "audio", "Expect track.kind to be audio"
        validate_track_event(track_event)

    pc2.ontrack = step_func(done, check)
    media_stream = get_noise_stream(audio=True)  # WPT: getTrackFromUserMedia('audio')
    [track] = media_stream.getTracks()
    pc1.addTrack(track, media_stream)
    offer = await within(pc1.createOffer())
    await within(pc2.setRemoteDescription(offer))
    await within(done, what="the track event")


@subtest("addTransceiver('video') should cause remote connection to fire ontrack when setRemoteDescription()")
async def test_add_transceiver(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    done = asyncio.get_running_loop().create_future()

    def check(track_event):
        assert track_event.track.kind == "video", "Expect track.kind to be video"
        validate_track_event(track_event)

    pc2.ontrack = step_func(done, check)
    pc1.addTransceiver("video")
    offer = await within(pc1.createOffer())
    await within(pc2.setRemoteDescription(offer))
    await within(done, what="the track event")


@subtest("addTransceiver() with inactive direction should not cause remote connection to fire ontrack when "
         "setRemoteDescription()")
async def test_inactive_no_event(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    failed = asyncio.get_running_loop().create_future()
    pc1.addTransceiver("audio", {"direction": "inactive"})
    pc2.ontrack = unreached_func(failed, "ontrack event should not fire for track with inactive direction")
    offer = await within(pc1.createOffer())
    await within(pc2.setRemoteDescription(offer))
    await sleep_ms(100)
    assert not failed.done(), failed.exception()
