"""A listener that a re-run notebook cell adds replaces the one its previous run added, on browser peers.

Learners run cells again. A cell such as lesson 06's chat, ``channel.addEventListener("message",
on_reply)``, defines a new function each run: without this, every run adds one more listener, and
each message is handled once per run. Here the n-th listener a cell's run adds to an object, for an
event type, replaces the n-th its previous run added there (the places of
:class:`peerlab.teaching.rerun.Replacements`). Outside a cell (a callback, a script) nothing is replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from ..teaching.rerun import Replacements
from ..webrtc.events import EventTarget

__all__ = ["CellListeners"]


class CellListeners(EventTarget):
    """``addEventListener`` where a re-run cell's listener takes the place of its previous run's."""

    def addEventListener(self, type: str, listener: Callable[..., Any]) -> None:
        places: Replacements[Callable[..., Any]] = self.__dict__.setdefault("_cell_listeners", Replacements())
        place = places.place()
        if place is not None and callable(listener):
            key: Hashable = (type, place)
            old = places.swap(key, listener)
            if old is not None:
                self.removeEventListener(type, old)
        super().addEventListener(type, listener)
