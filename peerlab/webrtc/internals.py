"""Everything peerlab takes from aiortc and aioice beyond their documented API, in one place.

aiortc documents its W3C objects (``RTCPeerConnection``, ``RTCSessionDescription``, ...) and
aioice its ``Connection``; peerlab also leans on parts neither promises to keep: aiortc's SDP
parser and its structures, the data channel's private ``_setReadyState``, the way the ICE
transports hang below the DTLS ones, and three helpers of aioice. An upgrade of either package
may move or change any of them, so they are all here: the rest of peerlab imports them from this
module, and ``tests/test_aiortc_internals.py`` checks that each one still exists with the shape
peerlab relies on, naming the one that is gone. ``WRITTEN_AGAINST`` gives the versions this
module was last checked against.

Only :mod:`peerlab.webrtc.sdp` calls ``SessionDescription.parse``; other modules ask it for what
they need (media sections, mids, ufrags, candidates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aioice.candidate import candidate_priority
from aioice.ice import get_host_addresses
from aioice.mdns import is_mdns_hostname
from aiortc import RTCDataChannel as AiortcDataChannel
from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCPeerConnection as AiortcPeerConnection
from aiortc import RTCSctpTransport as AiortcSctpTransport
from aiortc.sdp import SessionDescription, candidate_from_sdp, candidate_to_sdp, grouplines, parse_attr

__all__ = ["WRITTEN_AGAINST", "INTERNALS", "SessionDescription", "candidate_from_sdp", "candidate_to_sdp",
           "grouplines", "parse_attr", "candidate_priority", "get_host_addresses", "is_mdns_hostname",
           "sctp_max_message_size", "watch_ready_state", "ice_remote_candidates"]

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
