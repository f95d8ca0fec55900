"""An in-process loopback signalling service: two endpoints, honest JSON between them.

WebRTC leaves signalling to the application; a real app sends JSON through a
server (often a WebSocket). In a notebook both peers live in one kernel, so
:class:`Loopback` plays that server: ``loopback.caller.send(message)`` turns the
message into JSON text, records it in ``loopback.transcript``, and the callee gets
back exactly what ``JSON.parse`` would give a browser: plain dicts.

A ``delay`` (and ``jitter``, which can reorder messages) shows what a slow
network does.

Both endpoints are in this process, so a wait that runs out knows more here than across a
network: what the other endpoint waits for, what is still in flight, how the scripted peer
playing the other end is doing (:mod:`.facts`). Learners re-run cells: a new Loopback made by the
same notebook cell replaces (and closes) the one its last run made, through the hook the teaching
layer installs (:mod:`.hooks`); without it, a Loopback is replaced by none.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from ..errors import MessageHandlerError, PeerlabNote, SignallingClosed, SignallingError, note
from .facts import FarSide
from .hooks import hooks
from .mailbox import Mailbox
from .messages import MESSAGE_TYPES, Message, Problem, encode, refuse
from .transcript import Transcript

__all__ = ["Loopback", "Endpoint"]


class Endpoint(Mailbox):
    """One client of the signalling service: ``caller`` or ``callee``.

    ``send()`` returns at once, as the guide's ``signallingService.send`` does;
    ``await receive(type)`` waits for the next message of that type.
    """

    def __init__(self, loopback: Loopback, name: str) -> None:
        super().__init__(name, loopback.types)
        self._loopback = loopback

    @property
    def loopback(self) -> Loopback:
        """The Loopback this endpoint belongs to."""
        return self._loopback

    @property
    def peer(self) -> Endpoint:
        """The endpoint at the other end."""
        lb = self._loopback
        return lb.callee if self is lb.caller else lb.caller

    @property
    def transcript(self) -> Transcript:
        """Every message the service carried, both ways (the Loopback's transcript)."""
        return self._loopback.transcript

    @property
    def closed(self) -> bool:
        """Whether the Loopback is closed."""
        return self._loopback.closed

    def close(self) -> None:
        """Close the whole Loopback: one end of a line cannot stay open without the other."""
        self._loopback.close()

    def send(self, message: Message) -> None:
        """Send ``message`` (``{"type": ..., "data": ...}``) to the other endpoint as JSON.

        Raises :class:`MessageHandlerError` first if an ``on("message")`` handler raised.
        """
        self._raise_kept()
        self._loopback._carry(self, message)

    # -- what a scripted peer asks (peerlab.signalling.endpoint.PlayableEndpoint, LearnerSide) --

    def relay(self, message: Message) -> None:
        """Carry ``message`` for the scripted peer playing here; nothing if the Loopback is closed."""
        if not self._loopback.closed:
            self._loopback._carry(self, message)

    def learner(self) -> Endpoint:
        """The endpoint at the other end: in a Loopback, always in this process."""
        return self.peer

    def watch_far(self, callback: Callable[[], None]) -> bool:
        """The far end of a Loopback is always there: ``callback`` is never called."""
        return True

    def far_failed(self) -> None:
        """The scripted peer at the other end failed: every wait here ends now, with its error."""
        player = self.peer.player
        for waiter in list(self._waiters):
            if not waiter.future.done():
                error = player.failure(waiter.type) if player is not None else None
                if error is not None:
                    waiter.future.set_exception(error)

    def withdraw(self) -> None:
        """Drop what waits here unread, in the inbox or in flight (the transcript keeps it).

        A scripted peer calls this on the learner's endpoint when it starts a new negotiation:
        its answer and candidates for the old one would only mislead the learner's next steps.
        """
        self._inbox.clear()
        for handle, (receiver, _) in list(self._loopback._timers.items()):
            if receiver is self:
                handle.cancel()
                del self._loopback._timers[handle]

    def outstanding(self, type: str) -> int:
        """Messages of ``type`` on their way here: waiting in the inbox or still in flight."""
        return super().outstanding(type) + sum(1 for receiver, kind in self._loopback._timers.values()
                                               if receiver is self and kind == type)

    def __repr__(self) -> str:
        played = f", played by peerlab's scripted {self._player.role}" if self._player is not None else ""
        return f"<Endpoint {self.name}: {len(self._inbox)} waiting{played}>"

    # -- for Mailbox ----------------------------------------------------------------

    def _far_side(self, kind: str | None) -> FarSide:
        """The other endpoint is in this process: what it waits for, and the scripted peer playing it."""
        peer = self.peer
        player = peer.player
        return FarSide(
            waits_for=tuple(w.type for w in peer._waiters if not w.future.done()),
            scripted=player is not None,
            status=player.status(kind) if player is not None else "",
            failure=player.failure(kind) if player is not None else None)

    def _raise_if_closed(self, what: str) -> None:
        self._loopback._check_open(what)

    def _refuse(self, problem: Problem) -> Exception:
        if problem.rule == "unknown-type":
            return SignallingError(f"{problem.words} (Loopback(extra_types=[...]) allows others)")
        return refuse(problem)

    def _raise_kept(self) -> None:
        """An ``on("message")`` handler's error is raised by the next send() or receive() on either endpoint."""
        errors = self._loopback._handler_errors
        if errors:
            error = errors.pop(0)
            raise error from error.error

    def _keep_handler_error(self, error: MessageHandlerError) -> None:
        self._loopback._handler_errors.append(error)


_closing: set[asyncio.Future[Any]] = set()  # scripted peers of closed loopbacks, still closing


class Loopback:
    """A signalling service inside one kernel, with a ``caller`` and a ``callee`` endpoint.

    ``delay`` seconds (plus up to ``jitter`` more, chosen at random per message,
    so messages can overtake each other) pass between send and arrival.
    ``extra_types`` allows message types beyond offer, answer and candidate.

    A new Loopback closes the one it replaces, with the scripted peers playing on it:
    the one made by the previous run of the same notebook cell (the n-th made by a cell
    replaces the n-th its last run made), or the one with the same ``name``.
    """

    def __init__(
        self,
        *,
        delay: float = 0.0,
        jitter: float = 0.0,
        seed: int | None = None,
        extra_types: tuple[str, ...] | list[str] = (),
        name: str | None = None,
    ) -> None:
        if delay < 0 or jitter < 0:
            raise SignallingError("delay and jitter are seconds and cannot be negative")
        self.delay = delay
        self.jitter = jitter
        self.name = name
        self._random = random.Random(seed)
        self.types = MESSAGE_TYPES + tuple(extra_types)
        self.caller = Endpoint(self, "caller")
        self.callee = Endpoint(self, "callee")
        self.transcript = Transcript()
        self._timers: dict[asyncio.TimerHandle, tuple[Endpoint, str]] = {}  # in flight: receiver, type
        self._handler_errors: list[MessageHandlerError] = []
        self._stopping: set[asyncio.Future[Any]] = set()
        self._closed = False
        self._replaced = False
        places = hooks().loopbacks
        old = places.swap(places.place(name), self)
        if isinstance(old, Loopback) and not old.closed:
            old._close_replaced()

    @property
    def closed(self) -> bool:
        return self._closed

    def reset(self) -> None:
        """Forget every message and reopen: for re-running a lesson from the top.

        Scripted peers playing on it go on playing (and answer the next offer).
        """
        self._cancel_all(SignallingClosed("the signalling service was reset while a receive() was waiting"))
        self._closed = False
        self._replaced = False
        self.transcript.clear()
        self._handler_errors.clear()
        for endpoint in (self.caller, self.callee):
            endpoint._taken.clear()

    def close(self) -> None:
        """Stop carrying messages: waiting ``receive()`` calls fail with :class:`SignallingClosed`,
        and the scripted peers playing on it stop and close their connections (in the background;
        ``async with Loopback() as loopback:`` waits for that at its end)."""
        if self._closed:
            return
        self._closed = True
        hooks().loopbacks.forget(self)
        why = ("it was replaced by a new Loopback" if self._replaced
               else "the signalling service was closed")
        self._cancel_all(SignallingClosed(f"{why} while a receive() was waiting"))
        for endpoint in (self.caller, self.callee):
            player = endpoint.player
            stopping = player.stop() if player is not None else None
            if stopping is not None:
                self._stopping.add(stopping)
                _closing.add(stopping)
                stopping.add_done_callback(_closing.discard)
            for task in list(endpoint._handler_tasks):
                task.cancel()

    async def _closed_fully(self) -> None:
        """Wait until the scripted peers and handlers stopped by close() have finished."""
        pending = [f for f in self._stopping if not f.done()]
        pending += [t for e in (self.caller, self.callee) for t in e._handler_tasks if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        self._stopping.clear()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Loopback:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        await self._closed_fully()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Loopback {state}: {len(self.transcript)} messages, delay {self.delay:g} s>"

    # -- internals ---------------------------------------------------------

    def _close_replaced(self) -> None:
        """Close this Loopback because a new one takes its place, and tell the learner."""
        roles = [e.player.role for e in (self.caller, self.callee) if e.player is not None]
        self._replaced = True
        self.close()
        what = (f"The Loopback named {self.name!r}" if self.name is not None
                else "The Loopback made by the last run of this cell")
        stopped = f" and stopped the scripted {' and '.join(roles)} playing on it" if roles else ""
        note(f"{what} was still open; peerlab closed it{stopped}, since this new one replaces it "
             "(re-running the set-up cell starts over).", PeerlabNote)

    def _check_open(self, what: str) -> None:
        if self._closed and self._replaced:
            raise SignallingClosed(f"{what}: this signalling service was closed when a new Loopback replaced "
                                   "it (its set-up cell ran again). Use the new one.")
        if self._closed:
            raise SignallingClosed(f"{what}: the signalling service is closed. Make a new Loopback(), or call reset().")

    def _carry(self, sender: Endpoint, message: Any) -> None:
        """Check ``message``, record it, and hand it to the other endpoint (after the delay, if any)."""
        self._check_open(f"{sender.name}.send()")
        wire, text = encode(message, self.types, sender._refuse)
        receiver = sender.peer
        self.transcript.record(sender.name, receiver.name, wire, len(text.encode()))
        wait = self.delay + (self._random.uniform(0, self.jitter) if self.jitter else 0.0)
        if wait <= 0:
            receiver._deliver(wire)
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle | None = None

        def arrive() -> None:
            self._timers.pop(handle, None)  # type: ignore[arg-type]
            if not self._closed:
                receiver._deliver(wire)

        handle = loop.call_later(wait, arrive)
        self._timers[handle] = (receiver, wire["type"])

    def _cancel_all(self, error: Exception) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for endpoint in (self.caller, self.callee):
            endpoint._fail_waiters(error)
            endpoint._inbox.clear()
