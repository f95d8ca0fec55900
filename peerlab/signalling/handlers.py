"""``on("message")`` handlers of a signalling endpoint, the same for the Loopback and the network ones.

A handler runs on the event loop after the code that delivered the message; an ``async def``
handler is awaited; what a handler raises is kept, and the endpoint raises it in the learner's
next ``send()`` or ``receive()`` (where it is kept is the endpoint's business).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from ..errors import MessageHandlerError, SignallingError
from .messages import Message

__all__ = ["MessageHandlers"]

Callback = Callable[[Message], Any]


class MessageHandlers:
    """Registers ``on("message")`` callbacks and runs them, awaiting async ones and keeping their errors."""

    name: str

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._handler_tasks: set[asyncio.Future[Any]] = set()

    def on(self, event: str, callback: Callback | None = None) -> Any:
        """Call ``callback(message)`` for every message that arrives (usable as a decorator).

        Callbacks run on the event loop, after the cell that sent the message. An
        ``async def`` callback is awaited; whatever a callback raises is raised by the
        next ``receive()`` or ``send()`` on this signalling service, as a :class:`MessageHandlerError`.
        A message set aside when it arrives (``set_aside``: it belongs to an offer of a connection
        closed since) is not handed to callbacks either.
        """
        if event != "message":
            raise SignallingError(f"an endpoint only has the 'message' event, not {event!r}")

        def register(f: Callback) -> Callback:
            if not callable(f):
                raise SignallingError(f"on('message', ...) needs a function, not {type(f).__name__}")
            self._callbacks.append(f)
            return f

        return register if callback is None else register(callback)

    def off(self, event: str, callback: Callback) -> None:
        """Stop calling ``callback`` for new messages."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def _call_handlers(self, message: Message) -> None:
        """Schedule every handler with its own copy of ``message`` (JSON, as it crossed the wire)."""
        if self._callbacks:
            loop = asyncio.get_running_loop()
            for callback in list(self._callbacks):
                loop.call_soon(self._run_handler, callback, json.loads(json.dumps(message)))

    def _run_handler(self, handler: Callback, message: Message) -> None:
        """Call an on("message") handler; await it if it is async; keep what it raises."""
        try:
            result = handler(message)
        except Exception as exc:
            self._handler_failed(handler, exc)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._handler_tasks.add(task)
            task.add_done_callback(functools.partial(self._handler_done, handler))

    def _handler_done(self, handler: Callback, task: asyncio.Future[Any]) -> None:
        self._handler_tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self._handler_failed(handler, error)

    def _handler_failed(self, handler: Callback, exc: BaseException) -> None:
        name = getattr(handler, "__name__", type(handler).__name__)
        self._keep_handler_error(MessageHandlerError(
            f"your on('message') handler {name} on the {self.name} raised {type(exc).__name__}: {exc}",
            handler=handler, error=exc))

    def _keep_handler_error(self, error: MessageHandlerError) -> None:
        """Keep ``error`` for the learner's next ``send()`` or ``receive()``."""
        raise NotImplementedError
