"""The browser's ``negotiationneeded`` event: when it is needed (a pure check), and when it fires.

aiortc has no such event. W3C webrtc-pc section 4.7.3 says when a connection needs negotiating:
a data channel exists and no description has a data section yet; a transceiver has no media
section in the current local description; a sending transceiver's section announces other
streams than its sender's (``a=msid``); a transceiver's direction is not what the last
negotiation agreed. :func:`negotiation_needed` answers that from the current descriptions and the
transceivers, as a pure function.

:class:`NegotiationNeeded` is the spec's "update the negotiation-needed flag": the first data
channel, ``addTrack``, ``addTransceiver``, ``removeTrack``, a new ``direction`` and a return to
``stable`` ask for it; it waits for the connection's operations chain to empty, checks in a task
of its own (so code right after ``addTrack()`` runs first), only in ``stable``, and fires once
per need: until a negotiation ends in ``stable`` again, a second change fires nothing.

A stopped transceiver never needs negotiating here: aiortc cannot reject its media section (port 0),
so the spec's "stopped but not yet rejected" would ask for negotiation after every negotiation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .promise import queue_task
from .rtp import intersect, reverse
from .sdp import MediaSection, media_sections

__all__ = ["TransceiverFacts", "negotiation_needed", "NegotiationNeeded"]


@dataclass(frozen=True)
class TransceiverFacts:
    """What the check needs of one transceiver: its ``mid`` (``None``: not yet in a description), its
    ``direction``, whether it was stopped, and the stream ids its sender announces its track in."""

    mid: str | None
    direction: str
    stopped: bool
    stream_ids: tuple[str, ...]


def _by_mid(sdp: str | None) -> dict[str | None, MediaSection]:
    return {} if sdp is None else {section.mid: section for section in media_sections(sdp)}


def negotiation_needed(*, channels: bool, local: str | None, local_type: str | None, remote: str | None,
                       transceivers: Sequence[TransceiverFacts]) -> bool:
    """Whether the connection needs negotiating (webrtc-pc, "check if negotiation is needed").

    ``channels``: it has data channels; ``local``/``local_type`` the current local description's SDP and
    type (``offer`` or ``answer``), ``remote`` the current remote description's SDP (``None``: none yet).
    """
    local_sections, remote_sections = _by_mid(local), _by_mid(remote)
    if channels and not any(s.kind == "application" for s in local_sections.values()):
        return True
    for t in transceivers:
        if t.stopped:
            continue
        section = local_sections.get(t.mid) if t.mid is not None else None
        if section is None:
            return True
        if t.direction in ("sendrecv", "sendonly") and (not section.msid or section.stream_ids != t.stream_ids):
            return True
        far = remote_sections.get(t.mid)
        if local_type == "offer":
            agreed = {section.direction, None if far is None or far.direction is None else reverse(far.direction)}
            if t.direction not in agreed:
                return True
        elif local_type == "answer" and far is not None and far.direction is not None:
            if section.direction != intersect(t.direction, reverse(far.direction)):
                return True
    return False


class NegotiationNeeded:
    """One connection's negotiation-needed flag, and the tasks that update it and fire the event.

    ``fire()`` dispatches the event; ``busy()`` says whether the operations chain holds an operation;
    ``state()`` is the signaling state (``closed`` once closed); ``needed()`` runs the check.
    """

    def __init__(self, *, fire: Callable[[], None], busy: Callable[[], bool], state: Callable[[], str],
                 needed: Callable[[], bool]) -> None:
        self._fire, self._busy, self._state, self._needed = fire, busy, state, needed
        self.flag = False  # [[NegotiationNeeded]]
        self._on_empty_chain = False  # [[UpdateNegotiationNeededFlagOnEmptyChain]]

    def update(self) -> None:
        """Update the negotiation-needed flag: now if the chain is empty, else once it empties."""
        if self._state() == "closed":
            return
        if self._busy():
            self._on_empty_chain = True
            return
        queue_task(self._check)

    def chain_emptied(self) -> None:
        """The operations chain has just emptied: the update it put off, if any."""
        if self._on_empty_chain:
            self._on_empty_chain = False
            self.update()

    def stable_again(self) -> None:
        """A description brought the connection back to ``stable``: clear the flag, and look again."""
        self.flag = False
        self.update()

    def _check(self) -> None:
        if self._state() == "closed":
            return
        if self._busy():
            self._on_empty_chain = True
            return
        if self._state() != "stable":
            return  # looked at again once a description brings it back to stable
        if not self._needed():
            self.flag = False
            return
        if self.flag:
            return  # already fired for this need
        self.flag = True
        self._fire()
