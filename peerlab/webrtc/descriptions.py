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

from dataclasses import dataclass, replace

from aiortc import RTCSessionDescription

__all__ = ["Descriptions"]


@dataclass(frozen=True)
class Descriptions:
    """The six description slots of one connection, and the last offer/answer created.

    Immutable: each step returns the next ``Descriptions``, so a connection can hand its
    current one out (``pc.descriptions``) without anyone changing it. The descriptions are
    as they were set, without the candidates the browser's attributes add.
    """

    pending_local: RTCSessionDescription | None = None
    current_local: RTCSessionDescription | None = None
    pending_remote: RTCSessionDescription | None = None
    current_remote: RTCSessionDescription | None = None
    last_offer: str | None = None  # the SDP createOffer made last
    last_answer: str | None = None  # the SDP createAnswer made last

    @property
    def local(self) -> RTCSessionDescription | None:
        """The pending local description if there is one, else the current one."""
        return self.pending_local or self.current_local

    @property
    def remote(self) -> RTCSessionDescription | None:
        """The pending remote description if there is one, else the current one."""
        return self.pending_remote or self.current_remote

    def last_created(self, kind: str) -> str | None:
        """The SDP of the last ``kind`` ("offer" or "answer") this connection created, if any."""
        return self.last_offer if kind == "offer" else self.last_answer

    def created(self, description: RTCSessionDescription) -> Descriptions:
        """``createOffer``/``createAnswer`` made ``description``: it may now be set locally."""
        if description.type == "offer":
            return replace(self, last_offer=description.sdp)
        return replace(self, last_answer=description.sdp)

    def was_created(self, description: RTCSessionDescription) -> bool:
        """Whether ``description`` is the last offer/answer this connection created, unchanged."""
        return self.last_created(description.type) == description.sdp

    def set_local(self, description: RTCSessionDescription) -> Descriptions:
        """The slots once ``description`` is set locally."""
        if description.type == "offer":
            return replace(self, pending_local=description)
        # an answer completes the negotiation
        return replace(self, current_local=description, pending_local=None,
                       current_remote=self.pending_remote or self.current_remote, pending_remote=None)

    def set_remote(self, description: RTCSessionDescription) -> Descriptions:
        """The slots once ``description`` is set remotely."""
        if description.type == "offer":
            return replace(self, pending_remote=description)
        return replace(self, current_remote=description, pending_remote=None,
                       current_local=self.pending_local or self.current_local, pending_local=None)
