"""What a network signalling endpoint keeps on this side: arrived messages, waiting receives, handlers.

The WebSocket endpoint (:mod:`peerlab.signalling.websocket`) and aiortc's TCP signalling (:mod:`peerlab.signalling.tcp`)
share it, so ``receive()``, ``on("message")`` and their errors read alike whatever carries the
messages. A subclass supplies the wire (``send``, ``close``) and says why nothing came (``_explain``).
"""

from __future__ import annotations

import asyncio
from collections import deque

from ..defaults import DEFAULT_WAIT
from ..errors import MessageHandlerError, SignallingClosed, SignallingError, SignallingTimeout
from .handlers import MessageHandlers
from .messages import MESSAGE_TYPES, Message, a_message, check_type

__all__ = ["Inbox"]


class Inbox(MessageHandlers):
    """Messages from the far side, handed to a waiting ``receive()`` or kept until one asks."""

    name: str
    #: the message types ``receive(type)`` accepts
    types: tuple[str, ...] = MESSAGE_TYPES

    def __init__(self) -> None:
        super().__init__()
        self._inbox: deque[Message] = deque()
        self._waiters: list[tuple[str | None, asyncio.Future[Message]]] = []
        self._problems: deque[SignallingError | MessageHandlerError] = deque()  # raised by the next send/receive
        self._closed: SignallingClosed | None = None

    @property
    def pending(self) -> list[Message]:
        """Messages that arrived and that no ``receive()`` has taken yet."""
        return list(self._inbox)

    async def receive(self, type: str | None = None, timeout: float | None = DEFAULT_WAIT) -> Message:
        """Wait for the next message (of ``type``, if given) from the far side and return it.

        Raises :class:`SignallingTimeout` if none comes within ``timeout`` seconds (``None``: wait
        forever), saying why; :class:`SignallingClosed` at once when the connection ends; first, an
        error kept from before (a message the far side refused or could not read, a handler that raised).
        """
        problem = None if type is None else check_type(type, self.types)
        if problem is not None:
            raise SignallingError(problem.words)
        self._raise_problem()
        for message in self._inbox:
            if type is None or message["type"] == type:
                self._inbox.remove(message)
                return message
        if self._closed is not None:
            raise SignallingClosed(f"{self.name}.receive(): {self._closed}")
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        waiter = (type, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            if future.done() and not future.cancelled() and future.exception() is None:
                return future.result()
            reason, why = self._explain(type)
            raise SignallingTimeout(
                f"The {self.name} waited {timeout:g} s for {a_message(type)} and none came. {why}".rstrip(),
                endpoint=self.name, type=type, timeout=timeout or 0.0, reason=reason) from None
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.exception() is None:
                self._inbox.appendleft(future.result())  # arrived as the wait was stopped: keep it
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            if not future.done():
                future.cancel()

    # -- for the subclass --------------------------------------------------------

    def _explain(self, kind: str | None) -> tuple[str, str]:
        """Why no ``kind`` message came, as far as this side can tell: (reason, words)."""
        return "not-sent", ""

    def _raise_problem(self) -> None:
        if self._problems:
            error = self._problems.popleft()
            raise error from getattr(error, "error", None)

    def _hand_over(self, message: Message) -> None:
        """Give ``message`` to the first receive() waiting for its type, else keep it; call the handlers."""
        for waiter in list(self._waiters):
            kind, future = waiter
            if not future.done() and (kind is None or kind == message["type"]):
                self._waiters.remove(waiter)
                future.set_result(message)
                break
        else:
            self._inbox.append(message)
        self._call_handlers(message)

    def _keep_handler_error(self, error: MessageHandlerError) -> None:
        self._problems.append(error)
