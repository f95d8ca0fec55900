"""Waiting for a Promise from code that cannot ``await``: the one place peerlab nests the event loop.

Lessons use top-level ``await``. But some code is synchronous and cannot await,
such as a widget's ``on_click`` callback or a plain helper function, and inside a
Jupyter kernel the event loop is already running, so ``loop.run_until_complete``
refuses to run. ``nest-asyncio2`` (the maintained fork of the archived
``nest-asyncio``; ipykernel 7 itself depends on it) patches asyncio so the running
loop can be run again from inside. It costs something, said in lesson 03:

- the patch is global: every later ``run_until_complete`` in this kernel is re-entrant;
- while you wait, other callbacks run *inside* your synchronous function;
- a wait that never ends blocks the whole kernel, so :func:`wait` always has a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from .errors import WaitTimeout

__all__ = ["wait"]

T = TypeVar("T")
DEFAULT_WAIT = 10.0


def wait(awaitable: Awaitable[T], timeout: float = DEFAULT_WAIT) -> T:
    """Block until ``awaitable`` (a Promise, a coroutine) is done and return its result.

    Outside a running loop (a plain script) it runs a fresh loop; inside one (a
    notebook cell, a widget callback) it nests the running loop with nest-asyncio2.
    Raises :class:`WaitTimeout` after ``timeout`` seconds.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_bounded(awaitable, timeout))
    import nest_asyncio2

    nest_asyncio2.apply(loop)
    return loop.run_until_complete(_bounded(awaitable, timeout))


async def _bounded(awaitable: Awaitable[T], timeout: float) -> T:
    """``awaitable``'s result, or WaitTimeout; built on a timer, not asyncio.wait_for."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = asyncio.ensure_future(awaitable)
    timer = loop.call_later(timeout, future.cancel)
    try:
        return await future
    except asyncio.CancelledError:
        if timer.cancelled() or loop.time() < timer.when():
            raise
        raise WaitTimeout(f"blocking.wait() gave up after {timeout:g} s; the awaited work was cancelled") from None
    finally:
        timer.cancel()
