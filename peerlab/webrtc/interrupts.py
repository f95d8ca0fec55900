"""The stop button during any peerlab wait: it stops the wait at once and one line says what it was.

In Jupyter, the stop button sends SIGINT to the kernel, and ipykernel cancels the task running the
cell: the wait that runs ends with ``CancelledError``. Every wait a lesson awaits (signalling's
``receive()``, a connection's ``wait_for_state()`` and ``wait_for_end_of_candidates()``, the data
channel waits, the lines of a far peer's process) goes through :func:`interruptible`, so all of
them behave alike:

- while it runs in a notebook cell, the wait keeps the event loop awake: ipykernel schedules the
  cancellation from its signal handler without waking the loop, so a wait on an idle loop would
  notice the stop button only when its own timeout fires (or never, for a wait without one);
- when it is interrupted, the installed hook is told what the wait was for (a :class:`Wait`) and
  how long it had waited, once per interrupt however many waits are nested.

The layer that knows notebook cells installs the hooks (:func:`install`; ``import peerlab`` does,
through :func:`peerlab.teaching.explain.install_hooks`, which shows one line instead of the
``CancelledError``'s traceback). Without it nothing is said and the ``CancelledError`` goes on as
it came. Code above can use :func:`interruptible` for waits of its own (a live view, a file
transfer): that is the one mechanism.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Wait", "InterruptHooks", "interruptible", "install", "hooks", "WAKE_EVERY"]

T = TypeVar("T")

#: How often a wait in a notebook cell wakes the event loop, so that the stop button works at once.
WAKE_EVERY = 0.1

_TOLD = "_peerlab_interrupt_told"  # marks a CancelledError the hook was told of (nested waits tell once)


@dataclass(frozen=True)
class Wait:
    """What a wait is for, in the words the learner reads when it is interrupted.

    ``who`` waits (``"caller"``, ``"notebook"``), for ``what`` (``"connectionState 'connected'"``);
    ``meanwhile`` says why nothing is broken and what to do (``"the connection goes on in the
    background, so run the cell again to wait again"``); ``message`` is the signalling message type
    a ``receive()`` waits for (the teaching layer names the guide's step from it).
    """

    who: str
    what: str
    meanwhile: str = "what it waited for goes on in the background, so run the cell again to wait again"
    message: str | None = None


def _never() -> bool:
    return False


def _say_nothing(wait: Wait, elapsed: float, cancelled: asyncio.CancelledError) -> None:
    """Without the teaching layer an interrupted wait says nothing: its CancelledError goes on."""


@dataclass(frozen=True)
class InterruptHooks:
    """What :func:`interruptible` asks the layer above: whether code runs in a notebook cell, and who
    to tell of an interrupted wait."""

    #: whether the code running now runs in a notebook cell (then its waits keep the loop awake)
    in_cell: Callable[[], bool] = _never
    #: told once when a wait is interrupted: what it waited for, for how long, and the CancelledError
    interrupted: Callable[[Wait, float, asyncio.CancelledError], None] = _say_nothing


_installed = InterruptHooks()


def hooks() -> InterruptHooks:
    """The hooks installed now."""
    return _installed


def install(new: InterruptHooks) -> InterruptHooks:
    """Use ``new`` from now on; return the hooks it replaces (to put them back: ``install(old)``)."""
    global _installed
    old, _installed = _installed, new
    return old


class _Awake:
    """Wakes the loop every :data:`WAKE_EVERY` seconds until stopped."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._handle = loop.call_later(WAKE_EVERY, self._tick)

    def _tick(self) -> None:
        self._handle = self._loop.call_later(WAKE_EVERY, self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def interruptible(awaitable: Awaitable[T], wait: Wait | Callable[[], Wait]) -> T:
    """Await ``awaitable`` (in this task: a coroutine runs as part of the caller); if the stop button
    interrupts it, tell the hook what it was for (``wait``, or what ``wait()`` returns then), and let
    the ``CancelledError`` go on."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    awake = _Awake(loop) if _installed.in_cell() else None
    try:
        return await awaitable
    except asyncio.CancelledError as cancelled:
        if not getattr(cancelled, _TOLD, False):
            setattr(cancelled, _TOLD, True)
            _installed.interrupted(wait if isinstance(wait, Wait) else wait(), loop.time() - started, cancelled)
        raise
    finally:
        if awake is not None:
            awake.stop()
