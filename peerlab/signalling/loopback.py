"""An in-process loopback signalling service: two endpoints, honest JSON between them.

WebRTC leaves signalling to the application; a real app sends JSON through a
server (often a WebSocket). In a notebook both peers live in one kernel, so
:class:`Loopback` plays that server: ``loopback.caller.send(message)`` turns the
message into JSON text, records it in ``loopback.transcript``, and the callee gets
back exactly what ``JSON.parse`` would give a browser: plain dicts.

A ``delay`` (and ``jitter``, which can reorder messages) shows what a slow
network does.

Learners re-run cells, so the service also keeps track of what happened: a wait that runs
out says why nothing came (the message was already taken by an earlier run of the cell, the
learner's own earlier step has not run, the scripted peer on the other end failed or waits for
something), and re-running the cell that made a Loopback closes the one it made before.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from ..defaults import DEFAULT_WAIT
from ..errors import (
    MessageHandlerError,
    PeerlabNote,
    ScriptedPeerError,
    SignallingClosed,
    SignallingError,
    SignallingTimeout,
    note,
)
from ..teaching.rerun import Replacements, current_cell, show_instead_of_traceback
from ..teaching.steps import sender_of, step
from .handlers import MessageHandlers
from .messages import MESSAGE_TYPES, Message, Problem, a_message, check_type, encode, refuse
from .transcript import Transcript, TranscriptEntry

__all__ = ["Loopback", "Endpoint", "Player"]


class Player(Protocol):
    """What the signalling service asks of a scripted peer playing one endpoint (:mod:`peerlab.teaching.scripted`)."""

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


@dataclass(eq=False)
class _Waiter:
    """One receive() that waits: for ``type`` (None: anything), from ``cell``."""

    type: str | None
    future: asyncio.Future[Message]
    cell: Hashable | None


@dataclass(frozen=True)
class _Taken:
    """A message some receive() took: its type, and the cell whose receive() took it."""

    type: str
    cell: Hashable | None


# The step of each side that waits for each kind of message (for the interrupt line).
_WAITING_STEP = {("caller", "answer"): 7, ("caller", "candidate"): 8,
                 ("callee", "offer"): 2, ("callee", "candidate"): 7}


def _refuse(problem: Problem) -> Exception:
    """A Loopback allows more message types when asked: it says how."""
    if problem.rule == "unknown-type":
        return SignallingError(f"{problem.words} (Loopback(extra_types=[...]) allows others)")
    return refuse(problem)


# ipykernel turns the stop button into a callback scheduled from its SIGINT handler without waking
# the loop (tornado's add_callback sees the running loop and skips call_soon_threadsafe), so an
# idle loop would notice the interrupt only when the wait's own timeout fires. A notebook cell's
# wait therefore wakes the loop this often, so that stop works at once.
_WAKE_EVERY = 0.1


def _keep_awake(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
    if not future.done():
        loop.call_later(_WAKE_EVERY, _keep_awake, loop, future)


def _cell_key() -> Hashable | None:
    cell = current_cell()
    return None if cell is None else cell.key


class Endpoint(MessageHandlers):
    """One client of the signalling service: ``caller`` or ``callee``.

    ``send()`` returns at once, as the guide's ``signallingService.send`` does;
    ``await receive(type)`` waits for the next message of that type.
    """

    def __init__(self, loopback: Loopback, name: str) -> None:
        super().__init__()
        self._loopback = loopback
        self.name = name
        self._inbox: deque[Message] = deque()
        self._waiters: list[_Waiter] = []
        self._taken: list[_Taken] = []
        self._player: Player | None = None  # the scripted peer playing this endpoint, if any
        self._wait_watchers: list[Callable[[str | None], None]] = []

    @property
    def peer(self) -> Endpoint:
        """The endpoint at the other end."""
        lb = self._loopback
        return lb.callee if self is lb.caller else lb.caller

    @property
    def pending(self) -> list[Message]:
        """Messages that arrived and that no ``receive()`` has taken yet."""
        return list(self._inbox)

    @property
    def transcript(self) -> Transcript:
        """Every message the service carried, both ways (the Loopback's transcript)."""
        return self._loopback.transcript

    def close(self) -> None:
        """Close the whole Loopback: one end of a line cannot stay open without the other."""
        self._loopback.close()

    def send(self, message: Message) -> None:
        """Send ``message`` (``{"type": ..., "data": ...}``) to the other endpoint as JSON.

        Raises :class:`MessageHandlerError` first if an ``on("message")`` handler raised.
        """
        self._loopback._raise_handler_error()
        self._loopback._carry(self, message)

    async def receive(self, type: str | None = None, timeout: float | None = DEFAULT_WAIT) -> Message:
        """Wait for the next message (of ``type``, if given) and return it as plain JSON data.

        Raises :class:`SignallingTimeout` if none comes within ``timeout`` seconds (``None``:
        wait forever), saying why: the message was already taken by an earlier run of the
        cell, a step of your own comes first, or the other side waits for you.
        Raises :class:`ScriptedPeerError` at once if the scripted peer at the other end
        failed, and :class:`MessageHandlerError` if an ``on("message")`` handler raised.
        Interrupting the wait (Jupyter's stop button) prints one line saying so; nothing is lost.
        """
        self._loopback._check_open(f"{self.name}.receive()")
        if type is not None:
            self._loopback._check_type(type)
        self._loopback._raise_handler_error()
        cell = _cell_key()
        message = self._take(type, cell)
        if message is not None:
            return message
        self._raise_far_failure(type)
        self._raise_if_nothing_will_come(type, cell)
        loop = asyncio.get_running_loop()
        waiter = _Waiter(type, loop.create_future(), cell)
        self._waiters.append(waiter)
        timer = None if timeout is None else loop.call_later(timeout, self._expire, waiter, timeout)
        started = loop.time()
        if cell is not None:
            _keep_awake(loop, waiter.future)
        for watcher in list(self._wait_watchers):
            watcher(type)
        try:
            return await waiter.future
        except asyncio.CancelledError as cancelled:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                self._untake(future.result())  # it arrived just as the wait was stopped: keep it
            self._interrupted(type, loop.time() - started, cancelled)
            raise
        finally:
            if timer is not None:
                timer.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    # -- what a scripted peer asks (peerlab.signalling.endpoint.PlayableEndpoint, LearnerSide) --

    @property
    def player(self) -> Player | None:
        """The scripted peer playing this endpoint, if any."""
        return self._player

    @property
    def closed(self) -> bool:
        """Whether the Loopback is closed."""
        return self._loopback.closed

    def attach(self, player: Player) -> None:
        """``player`` plays this endpoint from now on: it gets every message, those waiting first."""
        self._attach(player)

    def detach(self, player: Player) -> None:
        """``player`` stops playing this endpoint."""
        if self._player is player:
            self._player = None

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

    def watch_waits(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(type)`` whenever a ``receive(type)`` starts waiting here."""
        self._wait_watchers.append(callback)

    def unwatch_waits(self, callback: Callable[[str | None], None]) -> None:
        """Stop calling ``callback``."""
        if callback in self._wait_watchers:
            self._wait_watchers.remove(callback)

    def far_failed(self) -> None:
        """The scripted peer at the other end failed: every wait here ends now, with its error."""
        self._far_failed()

    def withdraw(self) -> None:
        """Drop what waits here unread, in the inbox or in flight (the transcript keeps it)."""
        self._withdraw()

    def outstanding(self, type: str) -> int:
        """Messages of ``type`` on their way here: waiting in the inbox or still in flight."""
        return self._outstanding(type)

    def waiting_for(self, *types: str | None) -> bool:
        """Whether a receive() here waits now for one of ``types``."""
        return self._waiting_for(*types)

    def __repr__(self) -> str:
        played = f", played by peerlab's scripted {self._player.role}" if self._player is not None else ""
        return f"<Endpoint {self.name}: {len(self._inbox)} waiting{played}>"

    # -- receiving -------------------------------------------------------------

    def _take(self, type: str | None, cell: Hashable | None) -> Message | None:
        """The first message in the inbox of ``type`` (any if None), taken out; None if there is none."""
        for message in self._inbox:
            if type is None or message["type"] == type:
                self._inbox.remove(message)
                self._taken.append(_Taken(message["type"], cell))
                return message
        return None

    def _untake(self, message: Message) -> None:
        self._inbox.appendleft(message)
        for index in range(len(self._taken) - 1, -1, -1):
            if self._taken[index].type == message["type"]:
                del self._taken[index]
                break

    def _withdraw(self) -> None:
        """Drop what waits here unread, in the inbox or in flight (the transcript keeps it).

        A scripted peer calls this on the learner's endpoint when it starts a new negotiation:
        its answer and candidates for the old one would only mislead the learner's next steps.
        """
        self._inbox.clear()
        for handle, (receiver, _) in list(self._loopback._timers.items()):
            if receiver is self:
                handle.cancel()
                del self._loopback._timers[handle]

    def _outstanding(self, type: str) -> int:
        """Messages of ``type`` on their way to this endpoint: waiting in the inbox or still in flight."""
        waiting = sum(1 for m in self._inbox if m["type"] == type)
        return waiting + sum(1 for receiver, kind in self._loopback._timers.values()
                             if receiver is self and kind == type)

    def _waiting_for(self, *types: str | None) -> bool:
        """Whether a learner's receive() on this endpoint waits now for one of ``types``."""
        return any(not w.future.done() and w.type in types for w in self._waiters)

    def _raise_far_failure(self, kind: str | None) -> None:
        player = self.peer._player
        error = player.failure(kind) if player is not None else None
        if error is not None:
            raise error

    def _interrupted(self, kind: str | None, elapsed: float, cancelled: asyncio.CancelledError) -> None:
        """Say in one line what the interrupted wait was for, and that nothing is broken.

        In a notebook cell that line replaces the CancelledError traceback (see
        :func:`peerlab.teaching.rerun.show_instead_of_traceback`); elsewhere it is a note.
        """
        number = _WAITING_STEP.get((self.name, kind or ""))
        label = f" ({step(self.name, number).label})" if number else ""  # type: ignore[arg-type]
        line = (f"The {self.name} stopped waiting for {a_message(kind)}{label} after {elapsed:.1f} s: the wait was "
                "interrupted. Nothing is broken: a message that arrives meanwhile is kept for the next "
                "receive(), so run the cell again to wait again.")
        if not show_instead_of_traceback(cancelled, line):
            note(line, PeerlabNote)

    # -- used by Loopback --------------------------------------------------

    def _deliver(self, message: Message) -> None:
        if self._player is not None:
            self._player.deliver(message)
        else:
            self._hand_to_waiter_or_inbox(message)
        self._call_handlers(message)

    def _hand_to_waiter_or_inbox(self, message: Message) -> None:
        for waiter in list(self._waiters):
            if not waiter.future.done() and (waiter.type is None or waiter.type == message["type"]):
                self._waiters.remove(waiter)
                self._taken.append(_Taken(message["type"], waiter.cell))
                waiter.future.set_result(message)
                break
        else:
            self._inbox.append(message)

    def _attach(self, player: Player) -> None:
        """``player`` plays this endpoint from now on: it gets every message, those waiting first."""
        self._player = player
        waiting, self._inbox = self._inbox, deque()
        for message in waiting:
            player.deliver(message)

    def _keep_handler_error(self, error: MessageHandlerError) -> None:
        self._loopback._handler_errors.append(error)

    def _raise_if_nothing_will_come(self, kind: str | None, cell: Hashable | None) -> None:
        """With a scripted peer at the other end, a wait for what an earlier receive() took ends at once.

        A scripted peer sends an answer, or candidates, only in a new negotiation (a new offer),
        so when the last one was already taken and no offer or answer has gone either way since,
        none will come: say so now rather than after the timeout (re-running a receive cell does this).
        """
        if self.peer._player is None or kind not in ("answer", "candidate"):
            return  # a wait for an offer is what makes a scripted caller offer again
        consumed = self._consumed(kind, cell, list(self._loopback.transcript))
        if consumed:
            status = self.peer._player.status(kind)
            raise SignallingTimeout(
                f"The {self.name} cannot receive {a_message(kind)}: none will come. {consumed} {status}",
                endpoint=self.name, type=kind, timeout=0, reason="consumed")

    def _expire(self, waiter: _Waiter, timeout: float) -> None:
        if waiter.future.done():
            return
        reason, why = self._explain(waiter.type, waiter.cell)
        waiter.future.set_exception(SignallingTimeout(
            f"The {self.name} waited {timeout:g} s for {a_message(waiter.type)} and none came. {why}".rstrip(),
            endpoint=self.name, type=waiter.type, timeout=timeout, reason=reason))

    def _fail_waiters(self, error: Exception) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.future.done() and not waiter.future.get_loop().is_closed():
                waiter.future.set_exception(error)

    def _far_failed(self) -> None:
        """The scripted peer at the other end failed: every learner's wait here ends now, with its error."""
        for waiter in list(self._waiters):
            if not waiter.future.done():
                error = self.peer._player.failure(waiter.type) if self.peer._player is not None else None
                if error is not None:
                    waiter.future.set_exception(error)

    # -- why nothing came ------------------------------------------------------

    def _explain(self, kind: str | None, cell: Hashable | None) -> tuple[str, str]:
        """Why no ``kind`` message came, read from the transcript and the far side: (reason, words).

        Reasons: ``"far-failed"``, ``"own-step"`` (this side's earlier step has not run),
        ``"consumed"`` (an earlier receive() took it), ``"far-waiting"`` (the other side waits
        for this one), ``"not-sent"`` (the other side has not sent it yet).
        """
        me, far = self.name, self.peer.name
        player = self.peer._player
        status = f" {player.status(kind)}" if player is not None else ""
        failure = player.failure(kind) if player is not None else None
        if failure is not None:
            return "far-failed", str(failure)
        entries = list(self._loopback.transcript)
        if me == "caller" and kind in ("answer", "candidate") and not any(
                e.sender == me and e.type == "offer" for e in entries):
            s4 = step("caller", 4)
            what = "nothing to answer" if kind == "answer" else "not answered, so it sends no candidates"
            return "own-step", (f"The caller has not sent an offer yet, so the callee has {what}: "
                                f"{s4.label} ({s4.call}) comes first.{status}")
        consumed = self._consumed(kind, cell, entries)
        if consumed:
            return "consumed", consumed + status
        waits = sorted({a_message(w.type) for w in self.peer._waiters if not w.future.done()})
        if waits:
            sends = " ".join(sender_of(w.type, far) for w in self.peer._waiters
                             if not w.future.done() and w.type is not None)
            return "far-waiting", (f"The {far} is itself waiting for {' or '.join(waits)} from the {me}: "
                                   f"each side waits for the other. {sends}").rstrip()
        if player is not None:
            return "not-sent", status.strip()
        return "not-sent", sender_of(kind, me)

    def _consumed(self, kind: str | None, cell: Hashable | None, entries: list[TranscriptEntry]) -> str:
        """Words for a ``kind`` message that came and was taken by an earlier receive(), else ''."""
        me, far = self.name, self.peer.name
        to_me = [e for e in entries if e.receiver == me and e.type == kind]
        if kind is None or not to_me or self._outstanding(kind) > 0:
            return ""
        last = to_me[-1].seq
        if kind == "answer" and any(e.sender == me and e.type == "offer" and e.seq > last for e in entries):
            return ""  # the latest offer is not answered yet
        if kind == "candidate" and to_me[-1].message.get("data") is not None:
            return ""  # more may come: no end-of-candidates yet
        if kind == "candidate" and any(e.type == "offer" and e.seq > last for e in entries):
            return ""  # a new negotiation since: its candidates are on their way
        taker = next((t.cell for t in reversed(self._taken) if t.type == kind), None)
        by = ("an earlier run of this cell" if taker is not None and taker == cell
              else "an earlier receive() in another cell" if taker is not None
              else "an earlier receive()")
        if kind == "answer":
            return (f"The answer the {far} sent was already received by {by}, and no other answer is on its "
                    f"way: the {far} answers each offer once. If that run set it, go on to "
                    f"{step('caller', 8).label}; to start over, re-run step 1, and steps 2-4 send a new "
                    "offer before this step.")
        if kind == "offer":
            start_over = "." if self.peer._player is not None else f"; to start over, the {far} must send a new offer."
            return (f"The offer the {far} sent was already received by {by}, and no other offer is on its "
                    f"way. If that run set it, go on to {step('callee', 3).label}{start_over}")
        if kind == "candidate":
            return (f"The candidates the {far} sent, up to its end-of-candidates, were already received by "
                    f"{by}, and the {far} sends no more in this negotiation. If the {me} is connected, go on to "
                    "the next cell; to start over, re-run step 1.")
        return (f"The {kind!r} messages the {far} sent were already received by {by}, and no other is on "
                "its way.")


_loopbacks: Replacements[Loopback] = Replacements()
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
        old = _loopbacks.swap(_loopbacks.place(name), self)
        if old is not None and not old.closed:
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
        _loopbacks.forget(self)
        why = ("it was replaced by a new Loopback" if self._replaced
               else "the signalling service was closed")
        self._cancel_all(SignallingClosed(f"{why} while a receive() was waiting"))
        for endpoint in (self.caller, self.callee):
            player = endpoint._player
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
        roles = [e._player.role for e in (self.caller, self.callee) if e._player is not None]
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

    def _check_type(self, kind: Any) -> None:
        problem = check_type(kind, self.types)
        if problem is not None:
            raise _refuse(problem)

    def _raise_handler_error(self) -> None:
        if self._handler_errors:
            error = self._handler_errors.pop(0)
            raise error from error.error

    def _carry(self, sender: Endpoint, message: Any) -> None:
        self._check_open(f"{sender.name}.send()")
        wire, text = encode(message, self.types, _refuse)
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
