"""Why nothing came, in a learner's words: the one explainer of every signalling transport's waits.

Signalling decides which case a wait that runs out is, from facts every transport reports alike
(:mod:`peerlab.signalling.facts`): the far side failed or is not there, the learner's own step
comes first, an earlier ``receive()`` took the message, each side waits for the other, or it was
not sent. This module words each case in the guide's steps (:mod:`.steps`), so a wait on the
Loopback, on ``peerlab serve`` or on aiortc's TCP wire reads the same for the same facts, and
says in one line what an interrupted wait was for: any of peerlab's waits, since they all go
through :mod:`peerlab.webrtc.interrupts`.

:func:`install_hooks` puts these words, and :mod:`.rerun`'s notebook cells, into signalling's
hooks (:mod:`peerlab.signalling.hooks`) and the interrupt hooks (:mod:`peerlab.webrtc.interrupts`);
peerlab does that when it is imported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

from ..errors import PeerlabNote, note
from ..signalling.facts import WaitFacts
from ..signalling.hooks import Hooks, install
from ..signalling.messages import a_message
from ..webrtc import interrupts
from ..webrtc.interrupts import Wait
from .rerun import Replacements, cell_key, current_cell, show_instead_of_traceback
from .steps import Side, sender_of, step

__all__ = ["explain", "interrupted_line", "also_when_interrupted", "say_interrupted", "install_hooks"]

# The step of each side that waits for each kind of message (for the interrupt line).
_WAITING_STEP = {("caller", "answer"): 7, ("caller", "candidate"): 8,
                 ("callee", "offer"): 2, ("callee", "candidate"): 7}
_watchers: list[Callable[[], str]] = []  # what else an interrupted wait's line says (also_when_interrupted)


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def explain(facts: WaitFacts) -> str:
    """The words after "The caller waited 10 s for an 'answer' message and none came.": why, and what to do."""
    reason, far_side = facts.reason, facts.far_side
    if reason == "far-failed":
        return str(far_side.failure)
    if reason == "far-absent":
        return far_side.words
    if reason == "own-step":
        s4 = step("caller", 4)
        what = "nothing to answer" if facts.kind == "answer" else "not answered, so it sends no candidates"
        return _join(far_side.words, f"The caller has not sent an offer yet, so the callee has {what}: "
                                     f"{s4.label} ({s4.call}) comes first.", far_side.status)
    if reason == "consumed":
        return _join(_consumed(facts), far_side.status)
    if reason == "far-waiting":
        waits = " or ".join(sorted({a_message(kind) for kind in far_side.waits_for}))
        sends = [sender_of(kind, facts.far) for kind in far_side.waits_for if kind is not None]
        return _join(f"The {facts.far} is itself waiting for {waits} from the {facts.receiver}: each side waits "
                     "for the other.", *sends)
    if far_side.scripted:
        return _join(far_side.words, far_side.status)
    if facts.kind == "candidate" and not far_side.trickles and not facts.received:
        return _join(far_side.words, f"The {facts.far} sends its candidates inside the SDP of its offer or "
                                     "answer, and this endpoint hands them out as candidate messages once that "
                                     "description has come.")
    return _join(far_side.words, sender_of(facts.kind, facts.receiver))


def _consumed(facts: WaitFacts) -> str:
    """Words for a message that came and was taken by an earlier ``receive()``: by which, and what next."""
    kind, me, far = facts.kind, facts.receiver, facts.far
    by = {"this cell": "an earlier run of this cell", "another cell": "an earlier receive() in another cell"}.get(
        facts.taken_by, "an earlier receive()")
    if kind == "answer":
        return (f"The answer the {far} sent was already received by {by}, and no other answer is on its "
                f"way: the {far} answers each offer once. If that run set it, go on to "
                f"{step('caller', 8).label}; to start over, re-run step 1, and steps 2-4 send a new "
                "offer before this step.")
    if kind == "offer":
        start_over = "." if facts.far_side.scripted else f"; to start over, the {far} must send a new offer."
        return (f"The offer the {far} sent was already received by {by}, and no other offer is on its "
                f"way. If that run set it, go on to {step('callee', 3).label}{start_over}")
    if kind == "candidate":
        return (f"The candidates the {far} sent, up to its end-of-candidates, were already received by "
                f"{by}, and the {far} sends no more in this negotiation. If the {me} is connected, go on to "
                "the next cell; to start over, re-run step 1.")
    return f"The {kind!r} messages the {far} sent were already received by {by}, and no other is on its way."


def interrupted_line(wait: Wait, elapsed: float) -> str:
    """What an interrupted wait was for, and that nothing is broken, in one line (with what the
    watchers added by :func:`also_when_interrupted` say, such as whether a far process still runs)."""
    number = _WAITING_STEP.get((wait.who, wait.message)) if wait.message else None
    label = f" ({step(cast(Side, wait.who), number).label})" if number else ""
    what = f" for {wait.what}{label}" if wait.what else ""
    extra = [words for words in (watcher() for watcher in list(_watchers)) if words]
    return _join(f"The {wait.who} stopped waiting{what} after {elapsed:.1f} s: the wait was interrupted. "
                 f"Nothing is broken: {wait.meanwhile}.", *extra)


def also_when_interrupted(words: Callable[[], str]) -> Callable[[], None]:
    """Add ``words()`` (a sentence, or "" for none) to every interrupted wait's line from now on, e.g.
    whether a far peer's process still runs; returns the function that stops it."""
    _watchers.append(words)

    def stop() -> None:
        if words in _watchers:
            _watchers.remove(words)

    return stop


def say_interrupted(wait: Wait, elapsed: float, cancelled: asyncio.CancelledError) -> None:
    """Say :func:`interrupted_line`: in a notebook cell instead of the CancelledError's traceback
    (:func:`~.rerun.show_instead_of_traceback`), elsewhere as a note."""
    line = interrupted_line(wait, elapsed)
    if not show_instead_of_traceback(cancelled, line):
        note(line, PeerlabNote)


def in_cell() -> bool:
    """Whether the code running now runs in a notebook cell (its waits keep the loop awake for the stop button)."""
    return current_cell() is not None


def install_hooks() -> Hooks:
    """Put the teaching layer's words and notebook cells into signalling; return the hooks they replace."""
    interrupts.install(interrupts.InterruptHooks(in_cell=in_cell, interrupted=say_interrupted))
    return install(Hooks(explain=explain, cell=cell_key, loopbacks=Replacements(), servers=Replacements()))
