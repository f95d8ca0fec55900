"""An in-process loopback signalling service: two endpoints, honest JSON between them.

WebRTC leaves signalling to the application; a real app sends JSON through a
server (often a WebSocket). In a notebook both peers live in one kernel, so
:class:`Loopback` plays that server: ``loopback.caller.send(message)`` turns the
message into JSON text, records it in ``loopback.transcript``, and the callee gets
back exactly what ``JSON.parse`` would give a browser: plain dicts.

A ``delay`` (and ``jitter``, which can reorder messages) shows what a slow
network does.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import SignallingClosed, SignallingError, SignallingTimeout
from .steps import sender_of
from .wire import dumps

__all__ = ["Loopback", "Endpoint", "TranscriptEntry", "Transcript", "DEFAULT_TIMEOUT", "MESSAGE_TYPES"]

DEFAULT_TIMEOUT = 10.0
MESSAGE_TYPES = ("offer", "answer", "candidate")

Message = dict[str, Any]
Callback = Callable[[Message], Any]


@dataclass(frozen=True)
class TranscriptEntry:
    """One message as the signalling service carried it."""

    seq: int
    time: float
    sender: str
    receiver: str
    type: str
    size: int
    summary: str
    message: Message

    def __str__(self) -> str:
        return f"{self.seq:>3}  {self.sender} → {self.receiver}  {self.type:<9}  {self.summary}"


class Transcript:
    """Every message in the order it was sent: what the display layer draws.

    ``str(transcript)`` leaves out times and sizes, which change from run to run.
    """

    def __init__(self) -> None:
        self._entries: list[TranscriptEntry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[TranscriptEntry]:
        return iter(self._entries)

    def __getitem__(self, index: int) -> TranscriptEntry:
        return self._entries[index]

    def types(self) -> list[str]:
        """The message types in order, e.g. ``['offer', 'candidate', 'answer', ...]``."""
        return [e.type for e in self._entries]

    def between(self, sender: str, receiver: str) -> list[TranscriptEntry]:
        """The messages ``sender`` sent to ``receiver``."""
        return [e for e in self._entries if e.sender == sender and e.receiver == receiver]

    def sent_by(self, sender: str) -> str:
        """What ``sender`` sent, as text: one direction only, so its order never depends on timing."""
        return format_entries([e for e in self._entries if e.sender == sender])

    def __str__(self) -> str:
        return format_entries(self._entries)

    def __repr__(self) -> str:
        return f"<Transcript: {len(self._entries)} messages>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

    def _append(self, entry: TranscriptEntry) -> None:
        self._entries.append(entry)

    def _clear(self) -> None:
        self._entries.clear()


def format_entries(entries: list[TranscriptEntry]) -> str:
    """One line per message, runs of alike candidates folded into one line with a count.

    How many host candidates a machine gathers depends on its network interfaces,
    so the count is shown as ``(×N)`` and the lines stay the same elsewhere.
    """
    if not entries:
        return "(no messages yet)"
    lines: list[str] = []
    run: list[TranscriptEntry] = []

    def flush() -> None:
        if run:
            e = run[0]
            count = f"  (×{len(run)})" if e.type == "candidate" and e.message.get("data") is not None else ""
            lines.append(f"{e.sender} → {e.receiver}  {e.type:<9}  {e.summary}{count}")
            run.clear()

    for entry in entries:
        if run and (entry.sender, entry.receiver, entry.type, entry.summary) != (
                run[0].sender, run[0].receiver, run[0].type, run[0].summary):
            flush()
        run.append(entry)
    flush()
    return "\n".join(lines)


def summarize(message: Message) -> str:
    """A one-line description of a message that does not change from run to run."""
    data = message.get("data")
    kind = message["type"]
    if kind in ("offer", "answer") and isinstance(data, dict) and isinstance(data.get("sdp"), str):
        sdp = data["sdp"]
        media = [line.split()[0][2:] for line in sdp.splitlines() if line.startswith("m=")]
        candidates = sum(1 for line in sdp.splitlines() if line.startswith("a=candidate:"))
        return f"{data.get('type')} SDP, media: {', '.join(media) or 'none'}, {candidates} candidates inside"
    if kind == "candidate":
        if data is None:
            return "end-of-candidates (null)"
        if isinstance(data, dict) and isinstance(data.get("candidate"), str):
            bits = data["candidate"].split()
            typ = bits[7] if len(bits) > 7 else "?"
            proto = bits[2].lower() if len(bits) > 2 else "?"
            return f"{typ} candidate, {proto}, sdpMid {data.get('sdpMid')}"
    return summarize_value(data)


class Endpoint:
    """One client of the signalling service: ``caller`` or ``callee``.

    ``send()`` returns at once, as the guide's ``signallingService.send`` does;
    ``await receive(type)`` waits for the next message of that type.
    """

    def __init__(self, loopback: Loopback, name: str) -> None:
        self._loopback = loopback
        self.name = name
        self._inbox: deque[Message] = deque()
        self._waiters: list[tuple[str | None, asyncio.Future[Message]]] = []
        self._callbacks: list[Callback] = []

    @property
    def peer(self) -> Endpoint:
        """The endpoint at the other end."""
        lb = self._loopback
        return lb.callee if self is lb.caller else lb.caller

    @property
    def pending(self) -> list[Message]:
        """Messages that arrived and that no ``receive()`` has taken yet."""
        return list(self._inbox)

    def send(self, message: Message) -> None:
        """Send ``message`` (``{"type": ..., "data": ...}``) to the other endpoint as JSON."""
        self._loopback._carry(self, message)

    async def receive(self, type: str | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> Message:
        """Wait for the next message (of ``type``, if given) and return it as plain JSON data.

        Raises :class:`SignallingTimeout`, naming the step that sends such a
        message, if none comes within ``timeout`` seconds (``None``: wait forever).
        """
        self._loopback._check_open(f"{self.name}.receive()")
        if type is not None:
            self._loopback._check_type(type)
        for message in self._inbox:
            if type is None or message["type"] == type:
                self._inbox.remove(message)
                return message
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Message] = loop.create_future()
        waiter = (type, future)
        self._waiters.append(waiter)
        timer = None
        if timeout is not None:
            timer = loop.call_later(timeout, self._expire, waiter, timeout)
        try:
            return await future
        finally:
            if timer is not None:
                timer.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def on(self, event: str, callback: Callback | None = None) -> Any:
        """Call ``callback(message)`` for every message that arrives (usable as a decorator).

        Callbacks run on the event loop, after the cell that sent the message.
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

    def __repr__(self) -> str:
        return f"<Endpoint {self.name}: {len(self._inbox)} waiting>"

    # -- used by Loopback --------------------------------------------------

    def _deliver(self, message: Message) -> None:
        for kind, future in list(self._waiters):
            if not future.done() and (kind is None or kind == message["type"]):
                self._waiters.remove((kind, future))
                future.set_result(message)
                break
        else:
            self._inbox.append(message)
        for callback in list(self._callbacks):
            asyncio.get_running_loop().call_soon(callback, json.loads(json.dumps(message)))

    def _expire(self, waiter: tuple[str | None, asyncio.Future[Message]], timeout: float) -> None:
        kind, future = waiter
        if future.done():
            return
        what = f"a {kind!r} message" if kind else "any message"
        future.set_exception(
            SignallingTimeout(
                f"The {self.name} waited {timeout:g} s for {what} and none came. "
                + sender_of(kind, self.name),
                endpoint=self.name,
                type=kind,
                timeout=timeout,
            )
        )

    def _fail_waiters(self, error: Exception) -> None:
        for _, future in self._waiters:
            if not future.done():
                future.set_exception(error)
        self._waiters.clear()


class Loopback:
    """A signalling service inside one kernel, with a ``caller`` and a ``callee`` endpoint.

    ``delay`` seconds (plus up to ``jitter`` more, chosen at random per message,
    so messages can overtake each other) pass between send and arrival.
    ``extra_types`` allows message types beyond offer, answer and candidate.
    """

    def __init__(
        self,
        *,
        delay: float = 0.0,
        jitter: float = 0.0,
        seed: int | None = None,
        extra_types: tuple[str, ...] | list[str] = (),
    ) -> None:
        if delay < 0 or jitter < 0:
            raise SignallingError("delay and jitter are seconds and cannot be negative")
        self.delay = delay
        self.jitter = jitter
        self._random = random.Random(seed)
        self.types = MESSAGE_TYPES + tuple(extra_types)
        self.caller = Endpoint(self, "caller")
        self.callee = Endpoint(self, "callee")
        self.transcript = Transcript()
        self._timers: set[asyncio.TimerHandle] = set()
        self._closed = False
        self._start = time.monotonic()

    @property
    def closed(self) -> bool:
        return self._closed

    def reset(self) -> None:
        """Forget every message and reopen: for re-running a lesson from the top."""
        self._cancel_all(SignallingClosed("the signalling service was reset while a receive() was waiting"))
        self._closed = False
        self.transcript._clear()
        self._start = time.monotonic()

    def close(self) -> None:
        """Stop carrying messages; waiting ``receive()`` calls fail with :class:`SignallingClosed`."""
        if not self._closed:
            self._closed = True
            self._cancel_all(SignallingClosed("the signalling service was closed while a receive() was waiting"))

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Loopback:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Loopback {state}: {len(self.transcript)} messages, delay {self.delay:g} s>"

    # -- internals ---------------------------------------------------------

    def _check_open(self, what: str) -> None:
        if self._closed:
            raise SignallingClosed(f"{what}: the signalling service is closed. Make a new Loopback(), or call reset().")

    def _check_type(self, kind: Any) -> None:
        if not isinstance(kind, str) or kind not in self.types:
            raise SignallingError(
                f"unknown message type {kind!r}: expected one of {', '.join(self.types)}"
                " (Loopback(extra_types=[...]) allows others)"
            )

    def _carry(self, sender: Endpoint, message: Any) -> None:
        self._check_open(f"{sender.name}.send()")
        if not isinstance(message, dict):
            raise SignallingError(
                f"send() takes a dict like {{'type': 'offer', 'data': offer}}, not a {type(message).__name__}"
            )
        if "type" not in message:
            raise SignallingError(
                f"the message has no 'type' (it has {sorted(map(str, message))}); "
                "send {'type': 'offer' | 'answer' | 'candidate', 'data': ...}"
            )
        self._check_type(message["type"])
        text = dumps(message)
        wire = json.loads(text)
        self._check_data(wire)
        receiver = sender.peer
        self.transcript._append(
            TranscriptEntry(
                seq=len(self.transcript) + 1,
                time=time.monotonic() - self._start,
                sender=sender.name,
                receiver=receiver.name,
                type=wire["type"],
                size=len(text.encode()),
                summary=summarize(wire),
                message=wire,
            )
        )
        wait = self.delay + (self._random.uniform(0, self.jitter) if self.jitter else 0.0)
        if wait <= 0:
            receiver._deliver(wire)
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle | None = None

        def arrive() -> None:
            self._timers.discard(handle)  # type: ignore[arg-type]
            if not self._closed:
                receiver._deliver(wire)

        handle = loop.call_later(wait, arrive)
        self._timers.add(handle)

    def _check_data(self, wire: Message) -> None:
        kind, data = wire["type"], wire.get("data")
        if kind in ("offer", "answer"):
            if not isinstance(data, dict) or not isinstance(data.get("sdp"), str):
                raise SignallingError(
                    f"an {kind!r} message carries a description: {{'type': {kind!r}, 'data': {kind}}}, "
                    f"where {kind} came from create{kind.capitalize()}(); its data here is {summarize_value(data)}"
                )
            if data.get("type") != kind:
                raise SignallingError(
                    f"the message says {kind!r} but carries a description of type {data.get('type')!r}"
                )
        elif kind == "candidate" and data is not None:
            if not isinstance(data, dict) or "candidate" not in data:
                raise SignallingError(
                    "a 'candidate' message carries event.candidate (or None at the end); "
                    f"its data here is {summarize_value(data)}"
                )

    def _cancel_all(self, error: Exception) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for endpoint in (self.caller, self.callee):
            endpoint._fail_waiters(error)
            endpoint._inbox.clear()


def summarize_value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
