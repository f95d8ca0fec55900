"""The one interface of a signalling endpoint, whoever carries the messages.

A :class:`~peerlab.signalling.loopback.Loopback` endpoint (both peers in one kernel), a
:func:`peerlab.join` endpoint (a WebSocket to ``peerlab serve``) and a :func:`peerlab.tcp_signalling`
endpoint (aiortc's TCP wire) all satisfy :class:`SignallingEndpoint`, so a lesson's cells work with
any of them unchanged. Code that only needs to signal should ask for this type, never for one
implementation.

A scripted peer (:mod:`peerlab.teaching.scripted`) needs a little more of the endpoint it plays:
:class:`PlayableEndpoint`, which all three implement too, and it is a :class:`Player` to them.
Where the learner's endpoint lives in the same process as the scripted peer (a Loopback), it also
offers :class:`LearnerSide`, so that the scripted peer can explain and cut short the learner's
waits; across a network it cannot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from ..errors import ScriptedPeerError
from .messages import Message
from .transcript import Transcript

__all__ = ["SignallingEndpoint", "PlayableEndpoint", "LearnerSide", "Player", "Message"]


class Player(Protocol):
    """What an endpoint asks of a scripted peer playing it (:mod:`peerlab.teaching.scripted`)."""

    role: str

    def deliver(self, message: Message) -> None:
        """Take a message that arrived at the endpoint it plays (it is handed over, not received)."""

    def failure(self, kind: str | None) -> ScriptedPeerError | None:
        """A new error to raise on the learner's side for a wait for ``kind`` while this peer is
        failed; None if it is not failed, or if that wait is what makes it start again."""

    def status(self, kind: str | None) -> str:
        """One sentence: what it is doing now, with what matters for a wait for ``kind``."""

    def stop(self) -> asyncio.Future[None] | None:
        """Stop playing and close its connection in the background; the future ends when done."""

    def signalling_ended(self) -> None:
        """Its signalling service ended: stop playing (its connection closes, unless it was asked to
        keep a connected one: the server is not on the data channel's path)."""


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


class LearnerSide(Protocol):
    """The learner's endpoint, as the scripted peer at the other end of a Loopback sees it."""

    def watch_waits(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(type)`` whenever a ``receive(type)`` starts waiting here."""
        ...

    def unwatch_waits(self, callback: Callable[[str | None], None]) -> None:
        """Stop calling ``callback``."""
        ...

    def far_failed(self) -> None:
        """The scripted peer failed: end the waits here now, with its error."""
        ...

    def withdraw(self) -> None:
        """Drop what waits here unread (a new negotiation makes it stale); the transcript keeps it."""
        ...

    def outstanding(self, type: str) -> int:
        """How many messages of ``type`` are on their way here, or here and not received yet."""
        ...

    def waiting_for(self, *types: str | None) -> bool:
        """Whether a ``receive()`` here waits now for one of ``types`` (None: any message)."""
        ...


@runtime_checkable
class PlayableEndpoint(SignallingEndpoint, Protocol):
    """An endpoint a scripted peer can play: it hands the peer every message instead of keeping it."""

    @property
    def player(self) -> Player | None:
        """The scripted peer playing this endpoint, if any."""
        ...

    @property
    def closed(self) -> bool:
        """Whether signalling through this endpoint has ended."""
        ...

    def attach(self, player: Player) -> None:
        """Hand ``player`` every message from now on (those waiting first)."""
        ...

    def detach(self, player: Player) -> None:
        """Stop handing messages to ``player`` (if it is the one playing)."""
        ...

    def relay(self, message: Message) -> None:
        """Send ``message`` for the player; nothing happens if signalling has ended."""
        ...

    def learner(self) -> LearnerSide | None:
        """The learner's endpoint at the other end, if it is in this process (a Loopback)."""
        ...

    def watch_far(self, callback: Callable[[], None]) -> bool:
        """Call ``callback()`` whenever a far side (a new one, or the same one again) joins; returns
        whether one is there now. A Loopback's far side is always there and never joins again."""
        ...
