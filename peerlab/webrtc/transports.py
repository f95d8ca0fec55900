"""The browser's ``RTCDtlsTransport`` and ``RTCIceTransport``, as views of aiortc's.

``pc.sctp.transport``, ``sender.transport`` and ``receiver.transport`` are an :class:`RTCDtlsTransport`;
its ``iceTransport`` is the :class:`RTCIceTransport` below it, which says which candidate pair ICE
selected (``getSelectedCandidatePair()``), as a browser's does. aiortc keeps the same objects under
other names (its DTLS transport's ``transport`` is the ICE transport) and has no selected pair: that
comes from aioice, through :func:`peerlab.webrtc.internals.selected_candidate_pair`.

The states are aiortc's (its ICE transport goes ``new``, ``checking``, ``completed``, never
``connected``), ``closed`` once the connection is; ``gatheringState`` is the connection's
``iceGatheringState`` as the events told it (peerlab replays aiortc's gathering as trickle ICE).
No ``statechange`` events: aiortc announces none that peerlab could fire them from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiortc import RTCDtlsTransport as AiortcDtlsTransport
from aiortc import RTCIceTransport as AiortcIceTransport

from .candidate import RTCIceCandidate
from .internals import selected_candidate_pair

if TYPE_CHECKING:
    from .connection import RTCPeerConnection

__all__ = ["RTCDtlsTransport", "RTCIceTransport", "RTCIceCandidatePair"]


@dataclass(frozen=True)
class RTCIceCandidatePair:
    """The browser's ``RTCIceCandidatePair``: this side's candidate and the far side's."""

    local: RTCIceCandidate
    remote: RTCIceCandidate


class RTCIceTransport:
    """The ICE transport under a DTLS transport: its states, candidates and the pair ICE selected."""

    def __init__(self, ice: AiortcIceTransport, pc: RTCPeerConnection) -> None:
        self.aiortc = ice
        self._pc = pc

    @property
    def state(self) -> str:
        return "closed" if self._pc.signalingState == "closed" else str(self.aiortc.state)

    @property
    def gatheringState(self) -> str:
        """``new``, ``gathering``, ``complete``: the connection's gathering, as its events told it."""
        return self._pc.iceGatheringState

    @property
    def role(self) -> str:
        """``controlling`` or ``controlled``."""
        return str(self.aiortc.role)

    @property
    def component(self) -> str:
        return "rtp"

    def getLocalCandidates(self) -> list[RTCIceCandidate]:
        return [RTCIceCandidate.from_aiortc(c) for c in self.aiortc.iceGatherer.getLocalCandidates()]

    def getRemoteCandidates(self) -> list[RTCIceCandidate]:
        """The far side's candidates ICE knows: those added and the peer-reflexive ones it learnt."""
        return [RTCIceCandidate.from_aiortc(c) for c in self.aiortc.getRemoteCandidates()]

    def getSelectedCandidatePair(self) -> RTCIceCandidatePair | None:
        """The pair ICE selected to carry the data, or ``None`` until it has one."""
        pair = selected_candidate_pair(self.aiortc)
        if pair is None:
            return None
        return RTCIceCandidatePair(RTCIceCandidate.from_aiortc(pair.local), RTCIceCandidate.from_aiortc(pair.remote))

    def getLocalParameters(self) -> Any:
        """This side's ICE ufrag and password (aiortc's ``RTCIceParameters``)."""
        return self.aiortc.iceGatherer.getLocalParameters()

    def __repr__(self) -> str:
        return f"<RTCIceTransport {self.state}, gathering {self.gatheringState}>"


class RTCDtlsTransport:
    """The DTLS transport media and data channels go over, and the ICE transport under it."""

    def __init__(self, dtls: AiortcDtlsTransport, pc: RTCPeerConnection) -> None:
        self.aiortc = dtls
        self._pc = pc
        self.iceTransport = RTCIceTransport(dtls.transport, pc)

    @property
    def state(self) -> str:
        """``new``, ``connecting``, ``connected``, ``closed`` or ``failed``."""
        return "closed" if self._pc.signalingState == "closed" else str(self.aiortc.state)

    def getRemoteCertificates(self) -> list[Any]:
        """The far side's certificates: aiortc keeps none it could hand out."""
        return []

    def __repr__(self) -> str:
        return f"<RTCDtlsTransport {self.state}>"
