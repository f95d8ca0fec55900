"""How a live view waits (for frames, for statistics): with a timeout, and stopped by the stop button.

Each wait names what it waits for. It ends at once with the view's own error when what it waits for
can no longer come (the track ended, the connection closed, the view was stopped); interrupted, it
says so in the one line every peerlab wait gives (:func:`peerlab.webrtc.interrupts.interruptible`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..webrtc.interrupts import Wait, interruptible

__all__ = ["view_wait"]

RECHECK = 0.1  # seconds between looks at cannot() when nothing set ``changed``
GOES_ON = "the view goes on showing what arrives, so run the cell again to wait again"


async def view_wait(who: str, what: str, ready: Callable[[], bool], changed: asyncio.Event, timeout: float,
                    cannot: Callable[[], BaseException | None], timed_out: Callable[[], BaseException]) -> None:
    """Wait until ``ready()``; ``changed`` is set whenever it may have become true.

    Raises what ``cannot()`` returns as soon as it returns an error, and ``timed_out()`` after
    ``timeout`` seconds. ``who`` waited for ``what``, in the line an interrupt shows.
    """
    await interruptible(_until(ready, changed, timeout, cannot, timed_out), Wait(who, what, GOES_ON))


async def _until(ready: Callable[[], bool], changed: asyncio.Event, timeout: float,
                 cannot: Callable[[], BaseException | None], timed_out: Callable[[], BaseException]) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not ready():
        problem = cannot()
        if problem is not None:
            raise problem
        left = started + timeout - loop.time()
        if left <= 0:
            raise timed_out()
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), min(left, RECHECK))  # cannot() may change unannounced
        except TimeoutError:
            pass
