"""Which notebook cell is running, so that re-running a cell replaces what its last run made.

Learners re-run cells. Objects that keep running after their cell (a :class:`~peerlab.Loopback`
with its waiters, a scripted peer with its connection) must then be closed, or every re-run
leaves one more behind. Inside IPython the n-th such object made while a cell runs replaces the
n-th one its previous run made, so a set-up cell that makes two loopbacks replaces both, and a
what-if cell further down, which makes its own, replaces nothing of the set-up cell's.

A cell is known by the id the front end sends with it (JupyterLab does), else by the file name
IPython gives its code (the same for the same text). Only code running inside the cell counts,
including functions it calls and awaits; callbacks and background tasks do not. Outside IPython
nothing is replaced implicitly; an explicit name (``Loopback(name=...)``) works everywhere.

Signalling knows nothing of cells: :func:`peerlab.teaching.explain.install_hooks` puts
:func:`cell_key` and a :class:`Replacements` for Loopbacks into its hooks.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Cell", "current_cell", "cell_key", "Replacements", "show_instead_of_traceback"]

T = TypeVar("T")


@dataclass(frozen=True)
class Cell:
    """The notebook cell running now: ``key`` names the cell, ``run`` is this run of it."""

    key: Hashable
    run: Any


def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:  # an IPython too old or half imported: no cells to know of
        return None


def current_cell() -> Cell | None:
    """The IPython cell whose code is running now (directly or through functions it awaits), or None."""
    shell = _shell()
    if shell is None:
        return None
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    if result is None:  # between cells: a callback or a background task
        return None
    user_ns = getattr(shell, "user_ns", None)
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is user_ns and frame.f_code.co_name == "<module>":
            cell_id = getattr(getattr(result, "info", None), "cell_id", None)
            return Cell(cell_id or frame.f_code.co_filename, result)
        frame = frame.f_back  # type: ignore[assignment]
    return None


def cell_key() -> Hashable | None:
    """The key of the IPython cell whose code is running now, or None (signalling's ``cell`` hook)."""
    cell = current_cell()
    return None if cell is None else cell.key


class Replacements(Generic[T]):
    """The latest object made at each place: under a name, or as the n-th made by a cell's run."""

    def __init__(self) -> None:
        self._latest: dict[Hashable, T] = {}
        self._runs: dict[Hashable, tuple[Any, int]] = {}  # cell key -> (its latest run, objects made in it)

    def place(self, name: str | None = None) -> Hashable | None:
        """Where a new object belongs: ``name`` if given, else its cell and its number in this run."""
        if name is not None:
            return ("name", name)
        cell = current_cell()
        if cell is None:
            return None
        run, made = self._runs.get(cell.key, (None, 0))
        if run is not cell.run:
            made = 0
        self._runs[cell.key] = (cell.run, made + 1)
        return ("cell", cell.key, made)

    def at(self, place: Hashable | None) -> T | None:
        """The object at ``place`` now, if any."""
        return None if place is None else self._latest.get(place)

    def swap(self, place: Hashable | None, new: T) -> T | None:
        """Put ``new`` at ``place``; return what was there before (the object it replaces), if any."""
        if place is None:
            return None
        old = self._latest.get(place)
        self._latest[place] = new
        return old if old is not new else None

    def forget(self, obj: T) -> None:
        """``obj`` is closed: it replaces nothing and is replaced by nothing any more."""
        for place in [p for p, o in self._latest.items() if o is obj]:
            del self._latest[place]


_LINE = "_peerlab_line"  # the attribute that marks an exception whose traceback is one line


def show_instead_of_traceback(exc: BaseException, line: str) -> bool:
    """Have IPython show ``line`` instead of ``exc``'s traceback, if ``exc`` ends the running cell.

    Used for the ``CancelledError`` of an interrupted wait: the learner pressed stop, and the
    traceback through asyncio says nothing a learner needs. Returns False outside a cell (then the
    caller says it another way). The handler is IPython's ``set_custom_exc`` for CancelledError,
    added only if no other custom handler is set; other cancellations keep their full traceback.
    """
    shell = _shell()
    if shell is None or current_cell() is None:
        return False
    mine = (asyncio.CancelledError,)
    custom = getattr(shell, "custom_exceptions", None)
    if not (custom == mine and getattr(shell, "_peerlab_one_line", False)):
        if custom:
            return False  # someone else's handler: leave it alone
        shell.set_custom_exc(mine, _one_line)
        shell._peerlab_one_line = True
    setattr(exc, _LINE, line)
    return True


def _one_line(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
    """IPython's custom handler for CancelledError: one line for a marked one, else the usual traceback.

    IPython ignores what a custom handler returns when a cell raises, so it shows it itself.
    """
    line = getattr(value, _LINE, None)
    if line is None:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    else:
        stb = [f"\x1b[33mInterrupted\x1b[0m: {line}"]
    shell._showtraceback(etype, value, stb)
    return stb  # type: ignore[no-any-return]
