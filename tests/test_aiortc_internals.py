"""aiortc's and aioice's internals that peerlab uses (:mod:`peerlab.webrtc.internals`) are still there.

Each test checks one internal with the shape peerlab relies on; when an upgrade of aiortc or
aioice removes or reshapes one, the failure names it, with the versions installed and the
versions the module was written against.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from importlib.metadata import version
from typing import Any

import pytest
from aiortc import RTCDataChannel as AiortcDataChannel
from aiortc import RTCPeerConnection as AiortcPeerConnection

from peerlab.webrtc import internals
from peerlab.webrtc.internals import INTERNALS, WRITTEN_AGAINST

INSTALLED = {name: version(name) for name in WRITTEN_AGAINST}
OFFER = """v=0
o=- 1 1 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0
m=application 50000 DTLS/SCTP 5000
c=IN IP4 192.0.2.1
a=mid:0
a=sctpmap:5000 webrtc-datachannel 65535
a=max-message-size:1024
a=candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host
a=end-of-candidates
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuvwx
a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
a=setup:actpass
"""


def gone(internal: str, what: str) -> str:
    """The failure message: which internal, what peerlab needs of it, which versions."""
    installed = ", ".join(f"{name} {v}" for name, v in INSTALLED.items())
    written = ", ".join(f"{name} {v}" for name, v in WRITTEN_AGAINST.items())
    return (f"{internal} is gone or changed ({what}). Installed: {installed}; peerlab.webrtc.internals was "
            f"written against {written}: adapt that module (and only it) to the new version.")


def resolve(path: str) -> Any:
    """The object at a dotted path, importing the longest module prefix."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ImportError(path)


def test_the_versions_it_was_written_against_are_named():
    assert set(WRITTEN_AGAINST) == {"aiortc", "aioice"}
    print(f"installed {INSTALLED}; peerlab.webrtc.internals written against {WRITTEN_AGAINST}")


@pytest.mark.parametrize("path", sorted(INTERNALS))
def test_each_internal_still_exists(path):
    try:
        found = resolve(path)
    except (ImportError, AttributeError):
        pytest.fail(gone(path, INTERNALS[path]))
    assert callable(found), gone(path, INTERNALS[path])


def test_the_sdp_parser_gives_the_structures_peerlab_reads():
    internal = "aiortc.sdp.SessionDescription"
    try:
        parsed = internals.SessionDescription.parse(OFFER)
        [media] = parsed.media
        [group] = parsed.group
        facts = (group.semantic, list(map(str, group.items)), media.kind, media.rtp.muxId,
                 media.ice.usernameFragment, media.ice.password, bool(media.dtls.fingerprints),
                 media.sctpCapabilities.maxMessageSize, media.host, media.port,
                 [c.ip for c in media.ice_candidates], media.ice_candidates_complete)
    except Exception as exc:
        pytest.fail(gone(internal, f"{type(exc).__name__}: {exc}"))
    assert facts == ("BUNDLE", ["0"], "application", "0", "abcd", "abcdefghijklmnopqrstuvwx", True, 1024,
                     "192.0.2.1", 50000, ["192.0.2.1"], True), gone(internal, "the fields of a parsed SDP")
    media.ice_candidates = []  # peerlab edits a parsed description and writes it out again
    media.ice_candidates_complete = False
    written = str(parsed)
    assert "a=candidate" not in written and "a=end-of-candidates" not in written, gone(internal, "str() of it")


def test_candidates_go_from_sdp_and_back():
    text = "1 1 udp 2130706431 192.0.2.1 50000 typ host"
    try:
        candidate = internals.candidate_from_sdp(text)
        back = internals.candidate_to_sdp(candidate)
    except Exception as exc:
        pytest.fail(gone("aiortc.sdp.candidate_from_sdp / candidate_to_sdp", f"{type(exc).__name__}: {exc}"))
    assert (candidate.ip, candidate.port, candidate.type, candidate.sdpMid) == ("192.0.2.1", 50000, "host", None), \
        gone("aiortc.sdp.candidate_from_sdp", "the fields of aiortc's RTCIceCandidate")
    assert back == text, gone("aiortc.sdp.candidate_to_sdp", "the a=candidate value it writes")


def test_sdp_lines_split_into_sections_and_attributes():
    try:
        session, media = internals.grouplines(OFFER)
        attribute = internals.parse_attr("a=mid:0"), internals.parse_attr("a=end-of-candidates")
    except Exception as exc:
        pytest.fail(gone("aiortc.sdp.grouplines / parse_attr", f"{type(exc).__name__}: {exc}"))
    assert session[0] == "v=0" and len(media) == 1 and media[0][0].startswith("m=application"), \
        gone("aiortc.sdp.grouplines", "(session lines, [lines of each media section])")
    assert attribute == (("mid", "0"), ("end-of-candidates", None)), gone("aiortc.sdp.parse_attr", "(name, value)")


def test_the_sctp_transport_says_how_large_a_message_it_can_send():
    size = internals.sctp_max_message_size()
    assert isinstance(size, int) and size > 0, gone("aiortc.rtcsctptransport.RTCSctpTransport.getCapabilities",
                                                    "getCapabilities().maxMessageSize")


async def test_every_ready_state_change_goes_through_set_ready_state():
    internal = "aiortc.rtcdatachannel.RTCDataChannel._setReadyState"
    pc = AiortcPeerConnection()
    try:
        channel = pc.createDataChannel("chat")
        assert isinstance(channel, AiortcDataChannel)
        assert list(inspect.signature(channel._setReadyState).parameters) == ["state"], gone(internal, "(state)")
        seen: list[str] = []
        internals.watch_ready_state(channel, seen.append)
        channel.close()  # never connected: closing, then closed at once
        assert seen == ["closing", "closed"] and channel.readyState == "closed", \
            gone(internal, "close() goes through it")
    finally:
        await pc.close()


async def test_ice_transports_hang_below_the_dtls_ones():
    internal = "aiortc.rtcicetransport.RTCIceTransport.getRemoteCandidates"
    pc = AiortcPeerConnection()
    far = AiortcPeerConnection()
    try:
        pc.createDataChannel("chat")
        await pc.setLocalDescription(await pc.createOffer())
        await far.setRemoteDescription(pc.localDescription)
        await far.setLocalDescription(await far.createAnswer())
        await pc.setRemoteDescription(far.localDescription)
        try:
            found = internals.ice_remote_candidates(pc)
        except AttributeError as exc:
            pytest.fail(gone(internal, f"pc.sctp.transport.transport.getRemoteCandidates(): {exc}"))
        assert found and all(c.port for c in found), gone(internal, "the candidates of the far side's answer")
    finally:
        await asyncio.gather(pc.close(), far.close())


def test_aioice_helpers_take_what_peerlab_passes():
    try:
        host = internals.candidate_priority(1, "host")
        addresses = internals.get_host_addresses(use_ipv4=True, use_ipv6=True)
        mdns = internals.is_mdns_hostname("1f0c2d3e-0000-4000-8000-000000000000.local"), \
            internals.is_mdns_hostname("192.0.2.1")
    except Exception as exc:
        pytest.fail(gone("aioice.candidate / aioice.ice / aioice.mdns", f"{type(exc).__name__}: {exc}"))
    assert host >> 24 == 126, gone("aioice.candidate.candidate_priority", "host type preference 126")
    assert isinstance(addresses, list), gone("aioice.ice.get_host_addresses", "a list of addresses")
    assert mdns == (True, False), gone("aioice.mdns.is_mdns_hostname", "True for <uuid>.local only")


async def connected_aiortc_pair(kind: str = "audio") -> tuple[AiortcPeerConnection, AiortcPeerConnection, Any]:
    """Two aiortc connections with one transceiver each way, connected (candidates in the SDP); the track sent."""
    from peerlab.media import PatternTrack, ToneTrack

    track = ToneTrack() if kind == "audio" else PatternTrack(160, 120, fps=10)
    pc, far = AiortcPeerConnection(), AiortcPeerConnection()
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    await far.setRemoteDescription(pc.localDescription)
    await far.setLocalDescription(await far.createAnswer())
    await pc.setRemoteDescription(far.localDescription)
    for _ in range(300):
        if pc.connectionState == "connected" and far.connectionState == "connected":
            break
        await asyncio.sleep(0.01)
    return pc, far, track


async def test_a_receiver_track_set_before_the_offer_is_the_one_aiortc_feeds_and_no_track_event_comes():
    internal = "aiortc.rtcrtpreceiver.RTCRtpReceiver._track"
    pc, far = AiortcPeerConnection(), AiortcPeerConnection()
    try:
        transceiver = far.addTransceiver("audio", "recvonly")
        track = internals.RemoteStreamTrack(kind="audio")
        internals.set_receiver_track(transceiver.receiver, track)
        emitted: list[Any] = []
        far.on("track", emitted.append)
        pc.addTransceiver("audio", "sendonly")
        offer = await pc.createOffer()
        await far.setRemoteDescription(offer)
        assert transceiver.receiver.track is track, gone(internal, "the receiver keeps the track it was given")
        assert emitted == [], gone(internal, "aiortc makes (and announces) a track only for a receiver without one")
        assert hasattr(track, "_queue"), gone("aiortc.rtcrtpreceiver.RemoteStreamTrack", "_queue, which receive() fills")
    finally:
        await asyncio.gather(pc.close(), far.close())


async def test_the_stream_id_a_sender_has_is_the_one_its_msid_line_names():
    internal = "aiortc.rtcrtpsender.RTCRtpSender._stream_id"
    pc = AiortcPeerConnection()
    try:
        transceiver = pc.addTransceiver("audio")
        internals.set_stream_ids(transceiver.sender, ["my-stream", "another"])
        sdp = (await pc.createOffer()).sdp
        assert "a=msid:my-stream " in sdp, gone(internal, "a=msid:<stream id> <track id>")
        internals.set_stream_ids(transceiver.sender, [])
        assert "a=msid:- " in (await pc.createOffer()).sdp, gone(internal, "'-' for no stream")
    finally:
        await pc.close()


async def test_received_bytes_transport_counters_pairs_and_clock_rate_once_media_flows():
    pc, far, track = await connected_aiortc_pair("audio")
    try:
        [receiving] = far.getTransceivers()
        received: list[int] = []
        internals.count_received_bytes(receiving.receiver, received.append)
        for _ in range(300):
            if received:
                break
            await asyncio.sleep(0.01)
        assert received and all(size > 0 for size in received), gone(
            "aiortc.rtcrtpreceiver.RTCRtpReceiver._handle_rtp_packet", "called with each RTP packet (payload)")
        counters = internals.transport_counters(receiving.receiver.transport)
        assert set(counters) == {"packetsSent", "packetsReceived", "bytesSent", "bytesReceived"} and \
            counters["packetsReceived"] > 0, gone("aiortc.rtcdtlstransport.RTCDtlsTransport._get_stats", "the counters")
        ice = pc.getTransceivers()[0].sender.transport.transport
        pairs = internals.candidate_pairs(ice)
        selected = internals.selected_candidate_pair(ice)
        assert selected is not None and selected.selected and selected.nominated and selected.state == "succeeded", \
            gone("aioice.ice.Connection._nominated", "the nominated pair of component 1")
        assert selected in pairs and all(p.state in ("frozen", "waiting", "in-progress", "succeeded", "failed")
                                         for p in pairs), gone("aioice.ice.Connection._check_list", "its pairs' states")
        assert selected.priority > 0 and selected.local.port and selected.remote.port, \
            gone("aioice.ice.candidate_pair_priority / aiortc.rtcicetransport.candidate_from_aioice", "their results")
        assert internals.clock_rate(receiving) == 48000, gone("aiortc.rtcrtptransceiver.RTCRtpTransceiver._codecs",
                                                              "Opus first, at 48000 Hz")
    finally:
        track.stop()
        await asyncio.gather(pc.close(), far.close())


async def test_a_transceiver_the_offer_did_not_associate_is_left_out_of_the_answer():
    internal = "aiortc.rtcrtptransceiver.RTCRtpTransceiver._offerDirection"
    pc, far = AiortcPeerConnection(), AiortcPeerConnection()
    try:
        pc.addTransceiver("video")
        await far.setRemoteDescription(await pc.createOffer())
        extra = far.addTransceiver("video")  # after the offer: no section of it in the answer
        assert extra.mid is None and extra._offerDirection is None, gone(internal, "None before an offer")
        answer = await far.createAnswer()
        with pytest.raises(ValueError):  # what peerlab keeps the learner from seeing
            await far.setLocalDescription(answer)
        far2 = AiortcPeerConnection()
        try:
            await far2.setRemoteDescription(await pc.createOffer())
            extra = far2.addTransceiver("video")
            with internals.left_out_of_answer(far2.getTransceivers()):
                await far2.setLocalDescription(await far2.createAnswer())
            assert far2.signalingState == "stable" and extra.mid is None and extra.currentDirection is None, \
                gone(internal, "set for the answer, then none again")
        finally:
            await far2.close()
    finally:
        await asyncio.gather(pc.close(), far.close())


def test_a_relay_copy_names_the_track_it_reads():
    from aiortc.contrib.media import MediaRelay
    from aiortc.mediastreams import VideoStreamTrack

    source = VideoStreamTrack()
    copy = MediaRelay().subscribe(source)
    assert internals.relay_source(copy) is source, gone("aiortc.contrib.media.RelayStreamTrack._source",
                                                       "the source of a MediaRelay copy")
    assert internals.relay_source(source) is None
    copy.stop()
    source.stop()


def test_every_attribute_has_its_check():
    """Each entry of ATTRIBUTES is read above, on objects aiortc made (this list is what they check)."""
    checked = {"aiortc.rtcrtpreceiver.RTCRtpReceiver._track", "aiortc.rtcrtpsender.RTCRtpSender._stream_id",
               "aiortc.rtcicetransport.RTCIceTransport._connection", "aioice.ice.Connection._check_list",
               "aioice.ice.Connection._nominated", "aiortc.rtcrtptransceiver.RTCRtpTransceiver._codecs",
               "aiortc.rtcrtptransceiver.RTCRtpTransceiver._offerDirection",
               "aiortc.contrib.media.RelayStreamTrack._source"}
    assert set(internals.ATTRIBUTES) == checked
