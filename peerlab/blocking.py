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
import atexit
import threading
from collections.abc import Awaitable
from typing import TypeVar

from .defaults import DEFAULT_WAIT
from .errors import WaitTimeout

__all__ = ["wait", "loop"]

T = TypeVar("T")

# Outside a running loop (a plain script), every wait() in a thread runs on that thread's one loop,
# so what one call made (a connection, a scripted peer, a Loopback's timers) is alive in the next.
_local = threading.local()


def loop() -> asyncio.AbstractEventLoop:
    """The loop :func:`wait` runs on: the running one, else this thread's own, made once and kept."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    kept: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if kept is None or kept.is_closed():
        kept = _local.loop = asyncio.new_event_loop()
        atexit.register(_close, kept)
    return kept


def wait(awaitable: Awaitable[T], timeout: float = DEFAULT_WAIT) -> T:
    """Block until ``awaitable`` (a Promise, a coroutine) is done and return its result.

    Inside a running loop (a notebook cell, a widget callback) it nests that loop with
    nest-asyncio2. Outside one (a plain script) it runs this thread's one kept loop (see
    :func:`loop`): a connection made in one ``wait()`` is still alive in the next, although
    nothing runs on that loop between two calls. Raises :class:`WaitTimeout` after ``timeout``
    seconds.
    """
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return loop().run_until_complete(_bounded(awaitable, timeout))
    import nest_asyncio2

    nest_asyncio2.apply(running)
    return running.run_until_complete(_bounded(awaitable, timeout))


def _close(kept: asyncio.AbstractEventLoop) -> None:
    """At exit: cancel what is still running on a kept loop, let it finish, then close the loop."""
    if kept.is_closed() or kept.is_running():
        return
    tasks = asyncio.all_tasks(kept)
    for task in tasks:
        task.cancel()
    if tasks:
        kept.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    kept.run_until_complete(kept.shutdown_asyncgens())
    kept.close()


async def _bounded(awaitable: Awaitable[T], timeout: float) -> T:
    """``awaitable``'s result, or WaitTimeout; built on a timer, not asyncio.wait_for."""
    running = asyncio.get_running_loop()
    future: asyncio.Future[T] = asyncio.ensure_future(awaitable)
    timer = running.call_later(timeout, future.cancel)
    try:
        return await future
    except asyncio.CancelledError:
        if timer.cancelled() or running.time() < timer.when():
            raise
        raise WaitTimeout(f"blocking.wait() gave up after {timeout:g} s; the awaited work was cancelled") from None
    finally:
        timer.cancel()
