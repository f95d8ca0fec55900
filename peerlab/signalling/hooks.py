"""What the layer above puts into signalling: the words of a wait, and notebook cells.

Signalling knows messages and endpoints, not the guide's steps nor IPython's cells. Where a
learner needs them, it calls the :class:`Hooks` installed here, and the teaching layer installs
its own (:func:`peerlab.teaching.explain.install_hooks`), as aiortc's ``contrib`` builds on its W3C
objects and never the other way round. Without the teaching layer:

- a wait that runs out says what happened and what the transport knows (:func:`plain_words`):
  "The caller waited 10 s for an 'answer' message and none came.";
- ``receive()`` runs in no notebook cell (no wait is kept awake for the stop button, and nothing
  is "taken by an earlier run of this cell");
- an interrupted wait raises ``CancelledError``, and nothing is said (every peerlab wait, this
  layer's ``receive()`` among them, is interrupted alike: :mod:`peerlab.webrtc.interrupts`);
- a new :class:`~peerlab.signalling.loopback.Loopback` replaces none, and :func:`~peerlab.serve` always
  starts a new server (in a notebook, a re-run set-up cell gets the server its last run started).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .facts import WaitFacts

__all__ = ["Hooks", "Places", "NoPlaces", "hooks", "install", "plain_words"]


class Places(Protocol):
    """Where a new object goes, and which one it replaces (``peerlab.teaching.rerun.Replacements``)."""

    def place(self, name: str | None = None) -> Hashable | None:
        """Where a new object belongs (its ``name``, or the notebook cell making it); None: nowhere."""
        ...

    def at(self, place: Hashable | None) -> Any | None:
        """The object at ``place`` now, if any."""
        ...

    def swap(self, place: Hashable | None, new: Any) -> Any | None:
        """Put ``new`` at ``place``; return the object it replaces, if any."""
        ...

    def forget(self, obj: Any) -> None:
        """``obj`` is closed: it replaces nothing and is replaced by nothing any more."""
        ...


class NoPlaces:
    """No object replaces another: what signalling does without the teaching layer."""

    def place(self, name: str | None = None) -> None:
        return None

    def at(self, place: Hashable | None) -> None:
        return None

    def swap(self, place: Hashable | None, new: Any) -> None:
        return None

    def forget(self, obj: Any) -> None:
        return None


def plain_words(facts: WaitFacts) -> str:
    """Why nothing came, in the words signalling has: the scripted peer's error, the transport's words."""
    far = facts.far_side
    if far.failure is not None:
        return str(far.failure)
    return " ".join(words for words in (far.words, far.status) if words)


def no_cell() -> Hashable | None:
    """Outside a notebook (or without the teaching layer) code runs in no cell."""
    return None


@dataclass(frozen=True)
class Hooks:
    """The hooks signalling calls; each defaults to what signalling does on its own."""

    #: the words after "The caller waited 10 s for an 'answer' message and none came."
    explain: Callable[[WaitFacts], str] = plain_words
    #: the key of the notebook cell whose code runs now, or None
    cell: Callable[[], Hashable | None] = no_cell
    #: which Loopback a new one replaces
    loopbacks: Places = field(default_factory=NoPlaces)
    #: which running server ``serve()`` gives again (a re-run set-up cell), or closes first
    servers: Places = field(default_factory=NoPlaces)


_installed = Hooks()


def hooks() -> Hooks:
    """The hooks installed now."""
    return _installed


def install(new: Hooks) -> Hooks:
    """Call ``new`` from now on; return the hooks it replaces (to put them back: ``install(old)``)."""
    global _installed
    old, _installed = _installed, new
    return old
