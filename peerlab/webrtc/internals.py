"""Everything peerlab takes from aiortc and aioice beyond their documented API, in one place.

aiortc documents its W3C objects (``RTCPeerConnection``, ``RTCSessionDescription``, ...) and
aioice its ``Connection``; peerlab also leans on parts neither promises to keep: aiortc's SDP
parser and its structures, the data channel's private ``_setReadyState``, the way the ICE
transports hang below the DTLS ones, a receiver's track and a sender's stream id, the packets a
receiver and a DTLS transport count, the candidate pairs aioice checks and the one it selected,
and a few helpers of aioice. An upgrade of either package may move or change any of them, so they
are all here: the rest of peerlab imports them from this module, and
``tests/test_aiortc_internals.py`` checks that each one still exists with the shape peerlab relies
on, naming the one that is gone (``INTERNALS``: what a dotted path reaches; ``ATTRIBUTES``: what only
an object made at run time has). ``WRITTEN_AGAINST`` gives the versions this module was last
checked against.

Only :mod:`peerlab.webrtc.sdp` calls ``SessionDescription.parse``; other modules ask it for what
they need (media sections, mids, ufrags, candidates).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aioice.candidate import candidate_priority
from aioice.ice import candidate_pair_priority, get_host_addresses
from aioice.mdns import is_mdns_hostname
from aiortc import RTCDataChannel as AiortcDataChannel
from aiortc import RTCDtlsTransport as AiortcDtlsTransport
from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCIceTransport as AiortcIceTransport
from aiortc import RTCPeerConnection as AiortcPeerConnection
from aiortc import RTCRtpReceiver as AiortcReceiver
from aiortc import RTCRtpSender as AiortcSender
from aiortc import RTCRtpTransceiver as AiortcTransceiver
from aiortc import RTCSctpTransport as AiortcSctpTransport
from aiortc.rtcicetransport import candidate_from_aioice
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.sdp import SessionDescription, candidate_from_sdp, candidate_to_sdp, grouplines, parse_attr

__all__ = ["WRITTEN_AGAINST", "INTERNALS", "ATTRIBUTES", "SessionDescription", "candidate_from_sdp",
           "candidate_to_sdp", "grouplines", "parse_attr", "candidate_priority", "get_host_addresses",
           "is_mdns_hostname", "sctp_max_message_size", "watch_ready_state", "ice_remote_candidates",
           "RemoteStreamTrack", "set_receiver_track", "set_stream_ids", "count_received_bytes",
           "transport_counters", "clock_rate", "IcePair", "candidate_pairs", "selected_candidate_pair",
           "left_out_of_answer", "relay_source"]

#: The versions this module was written against (``tests/test_aiortc_internals.py`` names them).
WRITTEN_AGAINST = {"aiortc": "1.16.0", "aioice": "0.13.0"}

#: Each internal peerlab uses, by its dotted path, and what peerlab relies on it for.
INTERNALS = {
    "aiortc.sdp.SessionDescription": "parse(sdp) and str(): media sections, their candidates, ICE, DTLS, SCTP",
    "aiortc.sdp.candidate_from_sdp": "an a=candidate value into aiortc's RTCIceCandidate",
    "aiortc.sdp.candidate_to_sdp": "aiortc's RTCIceCandidate back into an a=candidate value",
    "aiortc.sdp.grouplines": "an SDP's lines, split into the session's and each media section's",
    "aiortc.sdp.parse_attr": "an a= line into its name and value",
    "aiortc.rtcdatachannel.RTCDataChannel._setReadyState": "every readyState change of a channel goes through it",
    "aiortc.rtcicetransport.RTCIceTransport.getRemoteCandidates": "the remote candidates ICE knows",
    "aiortc.rtcsctptransport.RTCSctpTransport.getCapabilities": "the largest message aiortc can send",
    "aioice.candidate.candidate_priority": "aioice's priority formula, for its type preferences",
    "aioice.ice.get_host_addresses": "the addresses ICE gathers host candidates from",
    "aioice.mdns.is_mdns_hostname": "which host names are mDNS names (<uuid>.local)",
    "aiortc.rtcrtpreceiver.RemoteStreamTrack": "the class of a receiver's track: its _queue is what the decoder fills",
    "aiortc.rtcrtpreceiver.RTCRtpReceiver._handle_rtp_packet": "every RTP packet routed to a receiver",
    "aiortc.rtcdtlstransport.RTCDtlsTransport._get_stats": "a DTLS transport's packets and bytes, both ways",
    "aiortc.rtcicetransport.candidate_from_aioice": "aioice's candidate as aiortc's RTCIceCandidate",
    "aioice.ice.candidate_pair_priority": "a candidate pair's priority (RFC 8445 6.1.2.3)",
    "aiortc.rtcrtptransceiver.RTCRtpTransceiver._setCurrentDirection": "a transceiver's current direction, "
                                                                      "set back to none (left_out_of_answer)",
}

#: Each attribute peerlab reads or sets on objects aiortc and aioice make, and what for.
ATTRIBUTES = {
    "aiortc.rtcrtpreceiver.RTCRtpReceiver._track": "the receiver's track, which receive() feeds: set at creation",
    "aiortc.rtcrtpsender.RTCRtpSender._stream_id": "the stream id aiortc writes into the section's a=msid line",
    "aiortc.rtcicetransport.RTCIceTransport._connection": "aioice's Connection under aiortc's ICE transport",
    "aioice.ice.Connection._check_list": "the candidate pairs ICE checks (local_candidate, remote_candidate, "
                                         "state, nominated)",
    "aioice.ice.Connection._nominated": "the pair ICE selected, by component (1: RTP, with rtcp-mux the only one)",
    "aiortc.rtcrtptransceiver.RTCRtpTransceiver._codecs": "the negotiated codecs, the one used first: its RTP "
                                                         "clock rate turns aiortc's jitter into seconds",
    "aiortc.contrib.media.RelayStreamTrack._source": "the track a MediaRelay copy reads (None once it ended)",
    "aiortc.rtcrtptransceiver.RTCRtpTransceiver._offerDirection": "the remote offer's direction for the section: "
                                                                  "None where no offer associated the transceiver",
}


def sctp_max_message_size() -> int:
    """The largest message aiortc's SCTP transport can send (its ``getCapabilities().maxMessageSize``)."""
    return int(AiortcSctpTransport.getCapabilities().maxMessageSize)


def watch_ready_state(channel: AiortcDataChannel, changed: Callable[[str], None]) -> None:
    """Call ``changed(state)`` after each ``readyState`` change of aiortc's ``channel``.

    aiortc emits no event for ``closing``, and none that tells a clean close from an abort, but every
    state change goes through its private ``_setReadyState``: this wraps it, on this one channel.
    """
    set_ready_state = channel._setReadyState

    def watched(state: str) -> None:
        set_ready_state(state)
        changed(state)

    channel._setReadyState = watched  # type: ignore[method-assign]


def ice_remote_candidates(pc: AiortcPeerConnection) -> list[AiortcCandidate]:
    """The remote candidates every ICE transport of aiortc's ``pc`` knows (added, and peer-reflexive ones).

    aiortc keeps one ICE transport under each DTLS transport: the transceivers' and the SCTP one's.
    """
    transports: set[Any] = {t.sender.transport for t in pc.getTransceivers()}
    if pc.sctp is not None:
        transports.add(pc.sctp.transport)
    return [c for dtls in transports for c in dtls.transport.getRemoteCandidates()]


def set_receiver_track(receiver: AiortcReceiver, track: RemoteStreamTrack) -> None:
    """Give aiortc's ``receiver`` its track now, as a browser's receiver has one from the start.

    aiortc makes a receiver's track only when a remote description says the far side sends (and
    then emits ``track``); ``receive()`` feeds whatever track the receiver holds by then.
    """
    receiver._track = track


@contextlib.contextmanager
def left_out_of_answer(transceivers: Sequence[AiortcTransceiver]) -> Iterator[None]:
    """Around aiortc's ``setLocalDescription(answer)``: leave out transceivers no offer associated, as a browser does.

    A transceiver added after the far side's offer (a second ``addTrack`` of a kind the offer has
    once) has no media section in the answer; a browser leaves it alone until the next offer. aiortc
    sets every transceiver's current direction from the offer's and has none for it (``ValueError:
    None is not in list``): for the call it gets ``inactive``, and afterwards no direction again.
    """
    left = [t for t in transceivers if t.mid is None and t._offerDirection is None]
    for transceiver in left:
        transceiver._offerDirection = "inactive"
    try:
        yield
    finally:
        for transceiver in left:
            transceiver._offerDirection = None
            transceiver._setCurrentDirection(None)  # type: ignore[arg-type]  # aiortc's hint says str; None is its start


def relay_source(track: Any) -> Any:
    """The track a ``MediaRelay.subscribe()`` copy reads, or None (not a copy, or a copy that ended)."""
    return getattr(track, "_source", None)


def set_stream_ids(sender: AiortcSender, stream_ids: Sequence[str]) -> None:
    """The streams ``sender``'s track is announced in: aiortc writes one ``a=msid:<stream> <track>`` line.

    No stream is ``-``, as browsers write it; aiortc gives every sender the connection's own stream id
    otherwise. It writes one line only, so a track in several streams is announced in the first.
    """
    sender._stream_id = stream_ids[0] if stream_ids else "-"


def count_received_bytes(receiver: AiortcReceiver, counted: Callable[[int], None]) -> None:
    """Call ``counted(payload bytes)`` for every RTP packet aiortc routes to ``receiver``.

    aiortc counts packets per received stream but not bytes; a browser's ``inbound-rtp`` has both.
    """
    handle = receiver._handle_rtp_packet

    async def handled(packet: Any, arrival_time_ms: int) -> None:
        counted(len(packet.payload))
        await handle(packet, arrival_time_ms=arrival_time_ms)

    receiver._handle_rtp_packet = handled  # type: ignore[method-assign]


def transport_counters(dtls: AiortcDtlsTransport) -> dict[str, int]:
    """``packetsSent``, ``packetsReceived``, ``bytesSent``, ``bytesReceived`` of aiortc's DTLS ``dtls``."""
    [stats] = dtls._get_stats().values()
    return {name: int(getattr(stats, name)) for name in ("packetsSent", "packetsReceived", "bytesSent",
                                                         "bytesReceived")}


def clock_rate(transceiver: AiortcTransceiver) -> int | None:
    """The RTP clock rate of the codec ``transceiver`` negotiated (90000 for video, 48000 for Opus), or ``None``."""
    codecs = transceiver._codecs
    return int(codecs[0].clockRate) if codecs else None


@dataclass(frozen=True)
class IcePair:
    """One candidate pair ICE knows: aiortc's candidates at each end, its check ``state``
    (``frozen``, ``waiting``, ``in-progress``, ``succeeded``, ``failed``), whether it was ``nominated``,
    whether it is the ``selected`` one, and its ``priority``."""

    local: AiortcCandidate
    remote: AiortcCandidate
    state: str
    nominated: bool
    selected: bool
    priority: int


def _pair(pair: Any, controlling: bool, selected: Any) -> IcePair:
    local, remote = pair.local_candidate, pair.remote_candidate
    return IcePair(candidate_from_aioice(local), candidate_from_aioice(remote),
                   pair.state.name.lower().replace("_", "-"), bool(pair.nominated), pair is selected,
                   candidate_pair_priority(local, remote, controlling))


def candidate_pairs(ice: AiortcIceTransport) -> list[IcePair]:
    """The candidate pairs aiortc's ICE transport ``ice`` checks, the selected one included.

    aioice keeps them in its connection's private ``_check_list`` (pairs not yet checked leave it once
    one is nominated) and the selected pair in ``_nominated``.
    """
    connection = ice._connection
    controlling = bool(connection.ice_controlling)
    selected = connection._nominated.get(1)
    pairs = list(connection._check_list)
    if selected is not None and selected not in pairs:
        pairs.append(selected)
    return [_pair(pair, controlling, selected) for pair in pairs]


def selected_candidate_pair(ice: AiortcIceTransport) -> IcePair | None:
    """The pair aiortc's ICE transport ``ice`` selected (aioice's nominated pair), or ``None`` yet.

    What a browser's ``iceTransport.getSelectedCandidatePair()`` gives; component 1, the only one with
    rtcp-mux and bundling.
    """
    connection = ice._connection
    selected = connection._nominated.get(1)
    return None if selected is None else _pair(selected, bool(connection.ice_controlling), selected)
