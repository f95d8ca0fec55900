"""How a live view waits (for frames, for statistics): with a timeout, awake for the stop button, in one line.

Each wait names what it waits for. It ends at once with the view's own error when what it waits for
can no longer come (the track ended, the connection closed, the view was stopped), and interrupted,
it says in one line what it was waiting for instead of asyncio's traceback
(:func:`peerlab.teaching.rerun.show_instead_of_traceback`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..errors import PeerlabNote, note
from ..teaching.rerun import show_instead_of_traceback

__all__ = ["view_wait", "WAKE_EVERY"]

# ipykernel's stop button reaches an idle loop only when something wakes it (see
# peerlab.signalling.mailbox): the wait wakes it this often, so stop works at once.
WAKE_EVERY = 0.1


async def view_wait(what: str, ready: Callable[[], bool], changed: asyncio.Event, timeout: float,
                    cannot: Callable[[], BaseException | None], timed_out: Callable[[], BaseException]) -> None:
    """Wait until ``ready()``; ``changed`` is set whenever it may have become true.

    Raises what ``cannot()`` returns as soon as it returns an error, and ``timed_out()`` after
    ``timeout`` seconds. ``what`` names the wait in the line an interrupt shows.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        while not ready():
            problem = cannot()
            if problem is not None:
                raise problem
            left = started + timeout - loop.time()
            if left <= 0:
                raise timed_out()
            changed.clear()
            try:
                await asyncio.wait_for(changed.wait(), min(left, WAKE_EVERY))
            except TimeoutError:
                pass
    except asyncio.CancelledError as cancelled:
        line = (f"{what}: the wait was interrupted after {loop.time() - started:.1f} s. Nothing is broken: "
                "the view goes on showing what arrives; run the cell again to wait again.")
        if not show_instead_of_traceback(cancelled, line):
            note(line, PeerlabNote)
        raise
