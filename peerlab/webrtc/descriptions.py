"""Which descriptions a connection holds: pending and current, local and remote, as JSEP says.

aiortc keeps these too, but not as the browser names them (an answer set locally
leaves its remote offer "pending"), and its local description always carries
every candidate. This bookkeeping follows the W3C spec (section 4.4.1.5, "set the
session description"):

- an offer applied locally or remotely is *pending* until the answer arrives;
- applying the answer makes both sides' descriptions *current* and clears the
  pending ones;
- ``localDescription`` is the pending one if there is one, else the current one.

It also remembers the last offer and answer ``createOffer``/``createAnswer`` made,
since ``setLocalDescription`` must be given exactly one of those
(``InvalidModificationError`` otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCSessionDescription

__all__ = ["Descriptions"]


@dataclass
class Descriptions:
    """The six description slots of one connection, and the last offer/answer created."""

    pending_local: RTCSessionDescription | None = None
    current_local: RTCSessionDescription | None = None
    pending_remote: RTCSessionDescription | None = None
    current_remote: RTCSessionDescription | None = None
    last_created: dict[str, str] = field(default_factory=dict)  # "offer"/"answer" -> SDP

    @property
    def local(self) -> RTCSessionDescription | None:
        return self.pending_local or self.current_local

    @property
    def remote(self) -> RTCSessionDescription | None:
        return self.pending_remote or self.current_remote

    def created(self, description: RTCSessionDescription) -> None:
        """``createOffer``/``createAnswer`` made ``description``: it may now be set locally."""
        self.last_created[description.type] = description.sdp

    def was_created(self, description: RTCSessionDescription) -> bool:
        """Whether ``description`` is the last offer/answer this connection created, unchanged."""
        return self.last_created.get(description.type) == description.sdp

    def set_local(self, description: RTCSessionDescription) -> None:
        if description.type == "offer":
            self.pending_local = description
        else:  # an answer completes the negotiation
            self.current_local, self.pending_local = description, None
            self.current_remote, self.pending_remote = self.pending_remote or self.current_remote, None

    def set_remote(self, description: RTCSessionDescription) -> None:
        if description.type == "offer":
            self.pending_remote = description
        else:
            self.current_remote, self.pending_remote = description, None
            self.current_local, self.pending_local = self.pending_local or self.current_local, None
