"""The selected candidate pair, read from aioice's internals: aiortc's stats do not have it.

A browser says which pair ICE chose with ``iceTransport.getSelectedCandidatePair()`` and a
``candidate-pair`` stats entry; aiortc 1.16 has neither (the issue's fact 4). :func:`selected_pair`
reads it where aioice keeps it. This is the one place peerlab.natlab touches aiortc's and aioice's
private attributes; it is to move to ``peerlab/webrtc/internals.py`` with the others.
"""

from __future__ import annotations

from typing import Any

__all__ = ["selected_pair", "candidate_summary"]


def candidate_summary(candidate: Any) -> dict[str, Any]:
    """An aioice ``Candidate`` as a dict: ``type``, ``address``, ``port``, ``protocol``."""
    return {"type": candidate.type, "address": candidate.host, "port": candidate.port,
            "protocol": candidate.transport.lower()}


def selected_pair(pc: Any) -> dict[str, dict[str, Any]] | None:
    """The pair ICE nominated for ``pc``'s data: ``{"local": {...}, "remote": {...}}``, or ``None`` yet.

    ``pc`` is peerlab's ``RTCPeerConnection`` or aiortc's. It reads aioice internals: the
    connection's SCTP transport (else its first transceiver's), then aiortc's
    ``RTCDtlsTransport.transport`` (the ``RTCIceTransport``), its private ``_connection`` (aioice's
    ``Connection``), and that connection's private ``_nominated`` pairs, component 1 (the only
    one with bundling and rtcp-mux). A ``prflx`` remote candidate is one ICE learnt from a check.
    """
    aiortc_pc = getattr(pc, "aiortc", pc)
    dtls = None
    if aiortc_pc.sctp is not None:
        dtls = aiortc_pc.sctp.transport
    else:
        for transceiver in aiortc_pc.getTransceivers():
            dtls = transceiver.sender.transport
            break
    connection = getattr(getattr(dtls, "transport", None), "_connection", None)
    pair = getattr(connection, "_nominated", {}).get(1)
    if pair is None:
        return None
    return {"local": candidate_summary(pair.local_candidate), "remote": candidate_summary(pair.remote_candidate)}
