"""WPT webrtc/RTCPeerConnection-getStats.https.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
RTCStats-helper.js is tests/wpt/stats.py (its checks adapted to today's webrtc-stats: see there).
``getTrackFromUserMedia``, ``getUserMedia`` and ``getNoiseStream`` give peerlab's generated tracks
(``get_noise_stream``); ``promise_rejects(t, 'InvalidAccessError', p)`` is ``rejects_dom``.
"""

import asyncio

from .helpers import exchange_ice_candidates, exchange_offer_answer
from .stats import assert_stats_report_has_stats, find_stats_from_report, validate_stats_report
from .wpt import rejects_dom, sleep_ms, subtest, within


def track_from_user_media(get_noise_stream, kind):
    """``getTrackFromUserMedia(kind)``: ``[track, mediaStream]``."""
    stream = get_noise_stream(**{kind: True})
    return stream.getTracks()[0], stream


@subtest("getStats() with no argument should succeed")
async def test_no_argument(new_pc):
    pc = new_pc()
    await within(pc.getStats())


@subtest("getStats(null) should succeed")
async def test_null(new_pc):
    pc = new_pc()
    await within(pc.getStats(None))


@subtest("getStats() with track not added to connection should reject with InvalidAccessError")
async def test_track_not_added(new_pc, get_noise_stream):
    pc = new_pc()
    track, _ = track_from_user_media(get_noise_stream, "audio")
    await rejects_dom(pc.getStats(track), "InvalidAccessError")


@subtest("getStats() with track added via addTrack should succeed")
async def test_track_added(new_pc, get_noise_stream):
    pc = new_pc()
    track, media_stream = track_from_user_media(get_noise_stream, "audio")
    pc.addTrack(track, media_stream)
    await within(pc.getStats(track))


@subtest("getStats() with track added via addTransceiver should succeed")
async def test_track_transceiver(new_pc, get_noise_stream):
    pc = new_pc()
    [track] = get_noise_stream(audio=True).getTracks()  # WPT: navigator.mediaDevices.getUserMedia({audio: true})
    pc.addTransceiver(track)
    await within(pc.getStats(track))


@subtest("getStats() with track associated with more than one sender should reject with InvalidAccessError")
async def test_two_senders(new_pc, get_noise_stream):
    pc = new_pc()
    track, _ = track_from_user_media(get_noise_stream, "audio")
    # addTransceiver allows adding same track multiple times
    transceiver1 = pc.addTransceiver(track)
    transceiver2 = pc.addTransceiver(track)
    assert transceiver1 is not transceiver2
    assert transceiver1.sender is not transceiver2.sender
    assert transceiver1.sender.track is transceiver2.sender.track
    await rejects_dom(pc.getStats(track), "InvalidAccessError")


@subtest("getStats() with track associated with both sender and receiver should reject with InvalidAccessError")
async def test_sender_and_receiver(new_pc):
    pc = new_pc()
    transceiver1 = pc.addTransceiver("audio")
    # Create another transceiver that resends what
    # is being received, kind of like echo
    transceiver2 = pc.addTransceiver(transceiver1.receiver.track)
    assert transceiver1.receiver.track is transceiver2.sender.track
    await rejects_dom(pc.getStats(transceiver1.receiver.track), "InvalidAccessError")


@subtest("getStats() with no argument should return stats report containing peer-connection stats on an empty PC")
async def test_empty_pc(new_pc):
    pc = new_pc()
    report = await within(pc.getStats())
    validate_stats_report(report)
    assert_stats_report_has_stats(report, ["peer-connection"])


@subtest("getStats() with no argument should return stats report containing peer-connection stats and "
         "outbound-track-stats")
async def test_outbound(new_pc, get_noise_stream):
    pc = new_pc()
    track, media_stream = track_from_user_media(get_noise_stream, "audio")
    pc.addTrack(track, media_stream)
    report = await within(pc.getStats())
    validate_stats_report(report)
    assert_stats_report_has_stats(report, ["peer-connection"])
    assert_stats_report_has_stats(report, ["outbound-rtp"])


@subtest("getStats() with no argument should return stats for no-stream tracks")
async def test_no_stream_track(new_pc, get_noise_stream):
    pc = new_pc()
    track, _ = track_from_user_media(get_noise_stream, "audio")
    pc.addTrack(track)
    report = await within(pc.getStats())
    validate_stats_report(report)
    assert_stats_report_has_stats(report, ["peer-connection"])
    assert_stats_report_has_stats(report, ["outbound-rtp"])


@subtest("getStats() on track associated with RtpSender should return stats report containing outbound-rtp stats")
async def test_sender_selector(new_pc, get_noise_stream):
    pc = new_pc()
    track, media_stream = track_from_user_media(get_noise_stream, "audio")
    pc.addTrack(track, media_stream)
    report = await within(pc.getStats(track))
    validate_stats_report(report)
    assert_stats_report_has_stats(report, ["outbound-rtp"])


@subtest("getStats() on track associated with RtpReceiver should return stats report containing inbound-rtp stats")
async def test_receiver_selector(new_pc):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio")
    report = await within(pc.getStats(transceiver.receiver.track))
    validate_stats_report(report)
    assert_stats_report_has_stats(report, ["inbound-rtp"])


MANDATORY_STATS = ["codec", "inbound-rtp", "outbound-rtp", "remote-inbound-rtp", "remote-outbound-rtp",
                   "peer-connection", "data-channel", "stream", "track", "transport", "candidate-pair",
                   "local-candidate", "remote-candidate", "certificate"]


@subtest("getStats() with connected peer connections having tracks and data channel should return all mandatory to "
         "implement stats")
async def test_mandatory(new_pc, get_noise_stream):
    pc1 = new_pc()
    pc2 = new_pc()
    data_channel = pc1.createDataChannel("test-channel")
    media_stream = get_noise_stream(audio=True, video=True)
    [audio_track] = media_stream.getAudioTracks()
    [video_track] = media_stream.getVideoTracks()
    for track in media_stream.getTracks():
        pc1.addTrack(track, media_stream)

    def test_stats_report(pc, report):
        validate_stats_report(report)
        assert_stats_report_has_stats(report, MANDATORY_STATS)
        data_channel_stats = find_stats_from_report(
            report, lambda s: s["type"] == "data-channel" and s["dataChannelIdentifier"] == data_channel.id,
            "Expect data channel stats to be found")
        assert data_channel_stats["label"] == "test-channel"
        audio_track_stats = find_stats_from_report(
            report, lambda s: s["type"] == "track" and s["trackIdentifier"] == audio_track.id,
            "Expect audio track stats to be found")
        assert audio_track_stats["kind"] == "audio"
        video_track_stats = find_stats_from_report(
            report, lambda s: s["type"] == "track" and s["trackIdentifier"] == video_track.id,
            "Expect video track stats to be found")
        assert video_track_stats["kind"] == "video"
        media_stream_stats = find_stats_from_report(
            report, lambda s: s["type"] == "stream" and s["streamIdentifier"] == media_stream.id,
            "Expect media stream stats to be found")
        assert audio_track_stats["id"] in media_stream_stats["trackIds"]
        assert video_track_stats["id"] in media_stream_stats["trackIds"]

    connected = asyncio.get_running_loop().create_future()
    tracks, channels = [], []

    def on_connected():
        if len(tracks) == 2 and channels and not connected.done():
            connected.set_result(None)

    pc2.addEventListener("track", lambda event: (tracks.append(event), on_connected()))
    pc2.addEventListener("datachannel", lambda event: (channels.append(event), on_connected()))
    exchange_ice_candidates(pc1, pc2)
    await exchange_offer_answer(pc1, pc2)  # WPT: doSignalingHandshake(pc1, pc2)
    await within(connected, what="two track events and the datachannel event")
    await sleep_ms(200)  # Wait a while for the peer connections to collect stats
    test_stats_report(pc1, await within(pc1.getStats()))
    test_stats_report(pc2, await within(pc2.getStats()))
