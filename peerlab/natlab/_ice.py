"""The selected candidate pair as natlab reports it: a small dict per end, for the demo's JSON and lesson 10.

aiortc's stats do not have the pair; :func:`peerlab.webrtc.internals.selected_candidate_pair` reads it where
aioice keeps it (the one module that touches aiortc's and aioice's private attributes), and peerlab's
connection shows it the browser's way too: ``pc.sctp.transport.iceTransport.getSelectedCandidatePair()``.
"""

from __future__ import annotations

from typing import Any

from ..webrtc.internals import selected_candidate_pair

__all__ = ["selected_pair", "candidate_summary"]


def candidate_summary(candidate: Any) -> dict[str, Any]:
    """An aiortc ``RTCIceCandidate`` as a dict: ``type``, ``address``, ``port``, ``protocol``."""
    return {"type": candidate.type, "address": candidate.ip, "port": candidate.port,
            "protocol": candidate.protocol.lower()}


def selected_pair(pc: Any) -> dict[str, dict[str, Any]] | None:
    """The pair ICE nominated for ``pc``'s data: ``{"local": {...}, "remote": {...}}``, or ``None`` yet.

    ``pc`` is peerlab's ``RTCPeerConnection`` or aiortc's: its SCTP transport's ICE transport (else its
    first transceiver's). ICE names this end by the socket the packets leave from (its host candidate,
    or its relay); a ``prflx`` remote candidate is one ICE learnt from a check.
    """
    aiortc_pc = getattr(pc, "aiortc", pc)
    dtls = aiortc_pc.sctp.transport if aiortc_pc.sctp is not None else next(
        (t.sender.transport for t in aiortc_pc.getTransceivers()), None)
    if dtls is None:
        return None
    pair = selected_candidate_pair(dtls.transport)
    if pair is None:
        return None
    return {"local": candidate_summary(pair.local), "remote": candidate_summary(pair.remote)}
