"""The receiving half of every signalling endpoint: messages that arrived, and the ``receive()`` calls waiting.

The Loopback's endpoints and the network endpoints share it, so ``receive()`` reads alike whoever
carries the messages: it takes the first message of its type, or waits for one; a wait that runs
out says why nothing came (the case decided from :mod:`.facts`, the words from :mod:`.hooks`); a
message that arrives just as a wait is stopped is kept for the next one; and a scripted peer
playing the endpoint (:meth:`Mailbox.attach`) is handed every message instead.

A subclass carries the messages. It hands each one that arrives to :meth:`Mailbox._deliver`,
says what it knows of the far side (:meth:`Mailbox._far_side`) and whether signalling has ended
(:meth:`Mailbox._raise_if_closed`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from ..defaults import DEFAULT_WAIT
from ..errors import MessageHandlerError, SignallingError, SignallingTimeout
from ..webrtc.interrupts import Wait, interruptible
from .endpoint import Player
from .facts import FarSide, Taken, WaitFacts
from .handlers import MessageHandlers
from .hooks import hooks
from .messages import MESSAGE_TYPES, Message, Problem, a_message, check_type, refuse
from .transcript import Transcript, TranscriptEntry

__all__ = ["Mailbox"]

# What an interrupted receive() leaves as it was (peerlab.webrtc.interrupts says it when the stop button stops one).
_KEPT = "a message that arrives meanwhile is kept for the next receive(), so run the cell again to wait again"

@dataclass(eq=False)
class _Waiter:
    """One ``receive()`` that waits: for ``type`` (None: anything), from notebook ``cell``."""

    type: str | None
    future: asyncio.Future[Message]
    cell: Hashable | None


class Mailbox(MessageHandlers):
    """Messages from the far side, handed to a waiting ``receive()`` (or to the scripted peer playing
    here), else kept until one asks; ``name`` is the role, ``types`` the message types it takes."""

    def __init__(self, name: str, types: tuple[str, ...] = MESSAGE_TYPES) -> None:
        super().__init__()
        self.name = name
        self.types = types
        self._inbox: deque[Message] = deque()
        self._waiters: list[_Waiter] = []
        self._taken: list[Taken] = []
        self._kept: deque[SignallingError | MessageHandlerError] = deque()  # raised by the next send/receive
        self._player: Player | None = None  # the scripted peer playing this endpoint, if any
        self._wait_watchers: list[Callable[[str | None], None]] = []
        #: Messages that came but no ``receive()`` is given, each with why: they belong to an offer of a
        #: connection closed since (:meth:`_stale`), oldest first.
        self.set_aside: list[tuple[Message, str]] = []

    @property
    def transcript(self) -> Transcript:
        """Every message this endpoint's service carried, in order."""
        raise NotImplementedError

    @property
    def pending(self) -> list[Message]:
        """Messages that arrived and that no ``receive()`` has taken yet."""
        return list(self._inbox)

    async def receive(self, type: str | None = None, timeout: float | None = DEFAULT_WAIT) -> Message:
        """Wait for the next message (of ``type``, if given) from the far side and return it as plain JSON data.

        Raises :class:`SignallingTimeout` if none comes within ``timeout`` seconds (``None``: wait
        forever), saying why: the far side is not there, a step of your own comes first, the message
        was already taken by an earlier run of the cell, or the other side waits for you. Raises at
        once what waiting would only meet later: an error kept from before (a message the far side
        refused, an ``on("message")`` handler that raised), :class:`SignallingClosed` when signalling
        has ended, the error of the scripted peer at the other end if it failed, and
        :class:`SignallingTimeout` when nothing will come. Interrupting the wait (Jupyter's stop
        button) loses nothing: a message that arrives meanwhile is kept for the next ``receive()``.
        """
        if type is not None:
            problem = check_type(type, self.types)
            if problem is not None:
                raise self._refuse(problem)
        self._raise_kept()
        cell = hooks().cell()
        message = self._take(type, cell)
        if message is not None:
            return message
        self._raise_if_closed(f"{self.name}.receive()")
        self._raise_if_nothing_will_come(type, cell)
        loop = asyncio.get_running_loop()
        waiter = _Waiter(type, loop.create_future(), cell)
        self._waiters.append(waiter)
        timer = None if timeout is None else loop.call_later(timeout, self._expire, waiter, timeout)
        for watcher in list(self._wait_watchers):
            watcher(type)
        try:
            return await interruptible(waiter.future, Wait(self.name, a_message(type), _KEPT, message=type))
        except asyncio.CancelledError:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                self._untake(future.result())  # it arrived just as the wait was stopped: keep it
            raise
        finally:
            if timer is not None:
                timer.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    # -- what a scripted peer asks (peerlab.signalling.endpoint.PlayableEndpoint, LearnerSide) ----

    @property
    def player(self) -> Player | None:
        """The scripted peer playing this endpoint, if any."""
        return self._player

    def attach(self, player: Player) -> None:
        """``player`` plays this endpoint from now on: it gets every message, those waiting first."""
        self._player = player
        waiting, self._inbox = self._inbox, deque()
        for message in waiting:
            player.deliver(message)

    def detach(self, player: Player) -> None:
        """``player`` stops playing this endpoint (if it is the one playing)."""
        if self._player is player:
            self._player = None

    def watch_waits(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(type)`` whenever a ``receive(type)`` starts waiting here."""
        self._wait_watchers.append(callback)

    def unwatch_waits(self, callback: Callable[[str | None], None]) -> None:
        """Stop calling ``callback``."""
        if callback in self._wait_watchers:
            self._wait_watchers.remove(callback)

    def waiting_for(self, *types: str | None) -> bool:
        """Whether a ``receive()`` here waits now for one of ``types`` (None: any message)."""
        return any(not w.future.done() and w.type in types for w in self._waiters)

    def outstanding(self, type: str) -> int:
        """How many messages of ``type`` wait here unread (a transport adds those on their way)."""
        return sum(1 for m in self._inbox if m["type"] == type)

    # -- for the transport -----------------------------------------------------------

    def _far_side(self, kind: str | None) -> FarSide:
        """What the transport knows of the far side, for a wait for ``kind``."""
        raise NotImplementedError

    def _raise_if_closed(self, what: str) -> None:
        """Raise :class:`SignallingClosed` (saying ``what`` was called) if signalling has ended."""
        raise NotImplementedError

    def _refuse(self, problem: Problem) -> Exception:
        """The error for a message (or a type) :func:`~.messages.check_message` refused."""
        return refuse(problem)

    def _raise_kept(self) -> None:
        """Raise the first error kept for the next ``send()`` or ``receive()``, if any."""
        if self._kept:
            error = self._kept.popleft()
            raise error from getattr(error, "error", None)

    def _keep_handler_error(self, error: MessageHandlerError) -> None:
        self._kept.append(error)

    def _stale(self, message: Message) -> str | None:
        """Why ``message`` must not reach ``receive()`` (it belongs to an offer of a connection closed
        since), or None: a transport that can tell says so."""
        return None

    def _put_aside(self, message: Message, why: str) -> None:
        """Keep ``message`` out of every ``receive()``, and say why (the transport notes it in the transcript)."""
        self.set_aside.append((message, why))

    def _deliver(self, message: Message) -> None:
        """A message arrived: to the scripted peer playing here, else set aside if it is stale, else to the
        first ``receive()`` waiting for its type, else into the inbox; then to the ``on("message")`` handlers."""
        if self._player is not None:
            self._player.deliver(message)
        elif (why := self._stale(message)) is not None:
            self._put_aside(message, why)
            return
        else:
            for waiter in self._waiters:
                if not waiter.future.done() and (waiter.type is None or waiter.type == message["type"]):
                    self._waiters.remove(waiter)
                    self._taken.append(Taken(message["type"], waiter.cell, len(self.transcript)))
                    waiter.future.set_result(message)
                    break
            else:
                self._inbox.append(message)
        self._call_handlers(message)

    def _fail_waiters(self, error: Exception) -> bool:
        """End every waiting ``receive()`` with ``error``; return whether one was waiting."""
        waiters, self._waiters = self._waiters, []
        live = [w.future for w in waiters if not w.future.done() and not w.future.get_loop().is_closed()]
        for future in live:
            future.set_exception(error)
        return bool(live)

    def _facts(self, kind: str | None, cell: Hashable | None) -> WaitFacts:
        """What this side knows, now, of a wait for ``kind`` from ``cell``."""
        outstanding = 0 if kind is None else self.outstanding(kind)
        return WaitFacts(self.name, kind, cell, self._carried(), self._taken, outstanding, self._far_side(kind))

    def _carried(self) -> Iterable[TranscriptEntry]:
        """The transcript a wait's facts read (a transport leaves out what it set aside)."""
        return self.transcript

    # -- receiving -------------------------------------------------------------------

    def _take(self, type: str | None, cell: Hashable | None) -> Message | None:
        """The first message in the inbox of ``type`` (any if None), taken out; None if there is none.

        One that became stale while it waited (its offer's connection was closed since) is set aside on the way.
        """
        for message in list(self._inbox):
            if type is None or message["type"] == type:
                if (why := self._stale(message)) is not None:
                    self._inbox.remove(message)
                    self._put_aside(message, why)
                    continue
                self._inbox.remove(message)
                self._taken.append(Taken(message["type"], cell, len(self.transcript)))
                return message
        return None

    def _untake(self, message: Message) -> None:
        self._inbox.appendleft(message)
        for index in range(len(self._taken) - 1, -1, -1):
            if self._taken[index].type == message["type"]:
                del self._taken[index]
                break

    def _raise_if_nothing_will_come(self, kind: str | None, cell: Hashable | None) -> None:
        """Raise now what a wait for ``kind`` would end with: the far scripted peer's failure, or
        "none will come" when the scripted peer already sent it and an earlier ``receive()`` took it.

        A scripted peer sends an answer, or candidates, only in a new negotiation (a new offer),
        so when the last one was already taken and no offer or answer has gone either way since,
        none will come: say so now rather than after the timeout (re-running a receive cell does this).
        A wait for an offer is what makes a scripted caller offer again, so it always waits.
        """
        facts = self._facts(kind, cell)
        if facts.far_side.failure is not None:
            raise facts.far_side.failure
        if facts.far_side.scripted and kind in ("answer", "candidate") and facts.reason == "consumed":
            raise SignallingTimeout(
                f"The {self.name} cannot receive {a_message(kind)}: none will come. {hooks().explain(facts)}".rstrip(),
                endpoint=self.name, type=kind, timeout=0, reason="consumed")

    def _expire(self, waiter: _Waiter, timeout: float) -> None:
        if waiter.future.done():
            return
        facts = self._facts(waiter.type, waiter.cell)
        why = hooks().explain(facts)
        waiter.future.set_exception(SignallingTimeout(
            f"The {self.name} waited {timeout:g} s for {a_message(waiter.type)} and none came. {why}".rstrip(),
            endpoint=self.name, type=waiter.type, timeout=timeout, reason=facts.reason))
