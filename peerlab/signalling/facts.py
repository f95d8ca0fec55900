"""Why nothing came, as facts: what one endpoint knows when a ``receive()`` waits, and the reason code.

Every transport reports the same facts (:class:`WaitFacts`): what it carried, what ``receive()``
took and from which notebook cell, what is on its way; and what it knows of the far side
(:class:`FarSide`): whether it is there, what it waits for, how the scripted peer playing it is
doing, and the transport's own words on where it is or how to start it. From them alone this module decides
which case a wait is (:attr:`WaitFacts.reason`, the ``reason`` of
:class:`~peerlab.errors.SignallingTimeout`), so a wait on the Loopback, on ``peerlab serve`` or on
aiortc's TCP wire is the same case for the same facts. The words a learner reads come from the
layer above (:mod:`.hooks`): signalling decides, teaching words.

Pure: no I/O, no clock; the facts are read when the wait starts or runs out.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from ..errors import ScriptedPeerError
from .messages import other_role
from .transcript import TranscriptEntry

__all__ = ["Taken", "FarSide", "WaitFacts", "REASONS"]

#: The cases of a wait, in the order they are told apart.
REASONS = ("far-failed", "far-absent", "own-step", "consumed", "far-waiting", "not-sent")


@dataclass(frozen=True)
class Taken:
    """A message some ``receive()`` took: its type, the notebook cell whose ``receive()`` took it, and
    ``at``, how many messages the transcript held then (what was sent before it was taken)."""

    type: str
    cell: Hashable | None
    at: int | None = None


@dataclass(frozen=True)
class FarSide:
    """What a transport knows, now, of the far side of a wait."""

    #: whether it is there to send (joined the room, connected); a Loopback's always is
    present: bool = True
    #: the transport's own words about it: where it is, or how to start it
    words: str = ""
    #: False when its candidates come inside its description (aiortc's TCP wire)
    trickles: bool = True
    #: what ``receive()`` on it waits for now (known only when it is in this process)
    waits_for: tuple[str | None, ...] = ()
    #: whether a scripted peer (in this process) plays it
    scripted: bool = False
    #: that scripted peer's one sentence on what it is doing, for this wait
    status: str = ""
    #: that scripted peer's error, if it failed in a way this wait should see
    failure: ScriptedPeerError | None = None


@dataclass(frozen=True)
class WaitFacts:
    """What the ``receiver``'s endpoint knows, now, of a wait for a ``kind`` message (None: any).

    ``transcript`` and ``taken`` are read, not copied (a wait on a long transcript costs nothing
    until its words are needed): use the facts at once.
    """

    receiver: str
    kind: str | None
    #: the notebook cell whose ``receive()`` waits (None: outside a cell, or no teaching layer)
    cell: Hashable | None
    #: every message the service carried, both ways, as far as this side knows
    transcript: Iterable[TranscriptEntry]
    #: what ``receive()`` on this side took, in order
    taken: Sequence[Taken]
    #: messages of ``kind`` waiting here unread, or on their way here
    outstanding: int
    far_side: FarSide = FarSide()

    @property
    def far(self) -> str:
        """The other role: the side that would send."""
        return other_role(self.receiver)

    @property
    def received(self) -> list[TranscriptEntry]:
        """The ``kind`` messages that came to this side."""
        return [e for e in self.transcript if e.receiver == self.receiver and e.type == self.kind]

    @property
    def own_step_missing(self) -> bool:
        """The caller waits for an answer or candidates, has sent no offer and got no answer: its own
        step (the offer) comes first."""
        return (self.receiver == "caller" and self.kind in ("answer", "candidate")
                and not any((e.sender == self.receiver and e.type == "offer")
                            or (e.receiver == self.receiver and e.type == "answer") for e in self.transcript))

    @property
    def consumed(self) -> bool:
        """What the far side sent of ``kind`` came and was taken, and no more will come in this negotiation.

        The far side answers each offer once, and sends candidates up to its end-of-candidates
        (``data`` None) unless a new offer starts a new negotiation.
        """
        received = self.received
        if self.kind is None or not received or self.outstanding > 0:
            return False
        last = received[-1]
        if self.kind == "answer" and self._new_offer_since(last.seq, sender=self.receiver):
            return False  # the latest offer is not answered yet
        if self.kind == "candidate":
            if last.message.get("data") is not None:
                return False  # more may come: no end-of-candidates yet
            if self._new_offer_since(last.seq):
                return False  # a new negotiation since: its candidates are on their way
        return True

    def _new_offer_since(self, seq: int, sender: str | None = None) -> bool:
        """Whether an offer went after message ``seq`` (from ``sender``, if given) that starts a new negotiation.

        The same offer sent again (step 4 run twice) while the answer to it was still unread starts none: the
        far side answers each offer once, and that answer answers both.
        """
        offers = [e for e in self.transcript if e.type == "offer" and (sender is None or e.sender == sender)]
        before = [e.message.get("data") for e in offers if e.seq < seq]
        answer_taken_at = next((t.at for t in reversed(self.taken) if t.type == "answer"), None)
        return any(e.seq > seq and not (e.message.get("data") in before and answer_taken_at is not None
                                        and e.seq <= answer_taken_at) for e in offers)

    @property
    def taken_by(self) -> str:
        """Who took the last ``kind`` message: ``"this cell"`` (an earlier run of the waiting cell),
        ``"another cell"``, or ``""`` (not known: outside a notebook cell)."""
        taker = next((t.cell for t in reversed(self.taken) if t.type == self.kind), None)
        if taker is None:
            return ""
        return "this cell" if taker == self.cell else "another cell"

    @property
    def reason(self) -> str:
        """Which case this wait is: one of :data:`REASONS`."""
        if self.far_side.failure is not None:
            return "far-failed"
        if not self.far_side.present:
            return "far-absent"
        if self.own_step_missing:
            return "own-step"
        if self.consumed:
            return "consumed"
        if self.far_side.waits_for:
            return "far-waiting"
        return "not-sent"
