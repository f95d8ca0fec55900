"""The one interface of a signalling endpoint, whoever carries the messages.

A :class:`~peerlab.signalling.Loopback` endpoint (both peers in one kernel) and a
:func:`peerlab.join` endpoint (a WebSocket to ``peerlab serve``) both satisfy
:class:`SignallingEndpoint`, so a lesson's cells work with either one unchanged.
Code that only needs to signal should ask for this type, never for one implementation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from .signalling import Transcript

__all__ = ["SignallingEndpoint", "Message"]

Message = dict[str, Any]


@runtime_checkable
class SignallingEndpoint(Protocol):
    """One side of a signalling service: ``send`` a message, ``await receive`` the next one.

    Messages are JSON-shaped dicts ``{"type": "offer"|"answer"|"candidate", "data": ...}``.
    """

    #: ``"caller"`` or ``"callee"``: which side this endpoint is.
    name: str

    @property
    def transcript(self) -> Transcript:
        """Every message this endpoint's service carried, in order."""
        ...

    @property
    def pending(self) -> list[Message]:
        """Messages that arrived and that no ``receive()`` has taken yet."""
        ...

    def send(self, message: Message) -> None:
        """Send ``message`` to the other side as JSON; returns at once."""
        ...

    async def receive(self, type: str | None = None, timeout: float | None = ...) -> Message:
        """The next message (of ``type``, if given); raises ``SignallingTimeout`` after ``timeout`` s."""
        ...

    def on(self, event: str, callback: Callable[[Message], Any] | None = None) -> Any:
        """Call ``callback(message)`` for every message that arrives (usable as a decorator)."""
        ...

    def off(self, event: str, callback: Callable[[Message], Any]) -> None:
        """Stop calling ``callback``."""
        ...

    def close(self) -> Awaitable[None] | None:
        """Stop signalling; waiting ``receive()`` calls end with ``SignallingClosed``.

        A network endpoint returns something to ``await`` until its socket is closed.
        """
        ...
