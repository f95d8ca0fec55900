"""A small browser-style ``EventTarget``, the browser's event objects, and the per-connection event log.

Listeners are added the browser's way (``addEventListener("icecandidate", f)``),
the aiortc/pyee way (``@pc.on("icecandidate")``) or as an event handler attribute
(``pc.onicecandidate = f``). Each is called with one event object (``event.type``,
``event.target``), as in JavaScript; a listener written without a parameter, as
aiortc's examples write them, is called without it. A listener that raises does
not vanish into the event loop's log, where a notebook never shows it: the error
is kept and raised by the next peerlab wait, and written to the event log.

A listener added by a notebook cell run again replaces the one the cell's previous run added (the
n-th listener of a type a cell's run adds to a target takes the place of the n-th its previous run
added), so that a re-run cell does not handle every event once more: the places come from the
teaching layer (:func:`install_listener_places`, with :class:`peerlab.teaching.rerun.Replacements`).
Without it, or outside a cell, listeners add up as in a browser.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Event", "EventHandler", "EventTarget", "LogEntry", "EventLog", "ListenerPlaces",
           "install_listener_places"]

Listener = Callable[..., Any]


class ListenerPlaces(Protocol):
    """Where a new listener goes, and which one it replaces (``peerlab.teaching.rerun.Replacements``)."""

    def place(self, name: str | None = None) -> Hashable | None:
        """The place of the object being made now (its cell and number in the cell's run), or None."""

    def swap(self, place: Hashable | None, new: Any) -> Any:
        """Put ``new`` at ``place``; return what was there before, if anything."""


_new_places: Callable[[], ListenerPlaces] | None = None


def install_listener_places(factory: Callable[[], ListenerPlaces] | None) -> None:
    """Have a re-run cell's listener replace its previous run's: ``factory()`` makes one target's places per type.

    The teaching layer installs :class:`peerlab.teaching.rerun.Replacements`; None: listeners add up.
    """
    global _new_places
    _new_places = factory


class Event:
    """The browser's ``Event``: ``type`` says what happened, ``target`` to whom (set when dispatched)."""

    def __init__(self, type: str) -> None:
        self.type = type
        self.target: Any = None

    @property
    def currentTarget(self) -> Any:
        return self.target

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type!r}>"


class EventHandler:
    """An event handler attribute such as ``onsignalingstatechange``: one listener, replaced on assignment.

    ``pc.onsignalingstatechange = f`` is the JavaScript habit; reading it gives the
    function (or ``None``), assigning ``None`` removes it.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.type = name[2:]
        self.slot = "_handler_" + self.type

    def __get__(self, target: Any, owner: type | None = None) -> Any:
        if target is None:
            return self
        return getattr(target, self.slot, None)

    def __set__(self, target: EventTarget, listener: Listener | None) -> None:
        old = getattr(target, self.slot, None)
        if old is not None:
            target.removeEventListener(self.type, old)
        if listener is not None and not callable(listener):
            raise TypeError(f"on{self.type} takes a function or None, not {listener!r}")
        setattr(target, self.slot, listener)
        if listener is not None:
            target.addEventListener(self.type, listener)


def _takes_no_argument(listener: Listener) -> bool:
    """True for ``lambda: ...``: aiortc's examples write state-change listeners that way."""
    try:
        parameters = inspect.signature(listener).parameters.values()
    except (TypeError, ValueError):
        return False
    return not any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                   for p in parameters)


@dataclass(frozen=True)
class LogEntry:
    """One thing that happened to a connection.

    ``kind`` is ``"state"`` (a state attribute changed to ``value``), ``"event"``
    (an event was dispatched), ``"call"`` (the learner called a method), ``"note"``
    or ``"error"``.
    """

    time: float
    peer: str
    kind: str
    name: str
    value: str = ""

    def __str__(self) -> str:
        tail = f" → {self.value}" if self.kind == "state" else (f": {self.value}" if self.value else "")
        return f"{self.peer:<7} {self.kind:<5} {self.name}{tail}"


class EventLog:
    """Every state change, event and call of one connection, in order, with times.

    ``time`` is ``time.monotonic()``; ``str(log)`` leaves times out so it is the
    same from run to run.
    """

    def __init__(self) -> None:
        self._entries: list[LogEntry] = []
        self._watchers: list[Callable[[LogEntry], None]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self._entries)

    def __getitem__(self, index: int) -> LogEntry:
        return self._entries[index]

    def of(self, kind: str) -> list[LogEntry]:
        """Only the entries of one kind (``"state"``, ``"event"``, ``"call"``, ...)."""
        return [e for e in self._entries if e.kind == kind]

    def states(self, name: str) -> list[str]:
        """The values a state attribute went through, e.g. ``states("signalingState")``."""
        return [e.value for e in self._entries if e.kind == "state" and e.name == name]

    def watch(self, callback: Callable[[LogEntry], None]) -> Callable[[], None]:
        """Call ``callback(entry)`` for each new entry; returns a function that stops it."""
        self._watchers.append(callback)
        return lambda: self._watchers.remove(callback) if callback in self._watchers else None

    def add(self, peer: str, kind: str, name: str, value: str = "") -> LogEntry:
        entry = LogEntry(time.monotonic(), peer, kind, name, value)
        self._entries.append(entry)
        for watcher in list(self._watchers):
            watcher(entry)
        return entry

    def __str__(self) -> str:
        return "\n".join(map(str, self._entries)) or "(nothing yet)"

    def __repr__(self) -> str:
        return f"<EventLog: {len(self._entries)} entries>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


class EventTarget:
    """The browser's ``addEventListener`` / ``removeEventListener``, plus pyee's ``on``.

    Listeners run in the order they were added. Coroutine listeners run as tasks
    that :meth:`_close_listeners` cancels, so none is left pending.
    """

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = {}
        self._bare: dict[Listener, bool] = {}  # whether a listener takes no argument: read once, not per event
        self._tasks: set[asyncio.Task[Any]] = set()
        self.listener_errors: list[tuple[str, BaseException]] = []

    def addEventListener(self, type: str, listener: Listener) -> None:
        """Call ``listener`` for every ``type`` event (the browser's name for it)."""
        if not callable(listener):
            raise TypeError(f"addEventListener({type!r}, ...) needs a function, not {listener!r}")
        self._replace_previous_run(type, listener)
        listeners = self._listeners.setdefault(type, [])
        if listener not in listeners:
            listeners.append(listener)
            self._listener_added(type, listener)

    def _replace_previous_run(self, type: str, listener: Listener) -> None:
        """Remove the listener that the running cell's previous run added at this place, if any."""
        if _new_places is None:
            return
        places = self.__dict__.setdefault("_listener_places", {})
        if type not in places:
            places[type] = _new_places()
        place = places[type].place()
        old = places[type].swap(place, listener)
        if old is not None:
            self.removeEventListener(type, old)

    def removeEventListener(self, type: str, listener: Listener) -> None:
        """Stop calling ``listener`` for ``type`` events."""
        listeners = self._listeners.get(type, [])
        if listener in listeners:
            listeners.remove(listener)
            try:
                self._bare.pop(listener, None)
            except TypeError:  # an unhashable callable: never cached
                pass

    def on(self, type: str, listener: Listener | None = None) -> Any:
        """``pc.on("icecandidate", f)``, or ``@pc.on("icecandidate")`` as a decorator."""
        if listener is None:
            def decorator(f: Listener) -> Listener:
                self.addEventListener(type, f)
                return f
            return decorator
        self.addEventListener(type, listener)
        return listener

    def listeners(self, type: str) -> list[Listener]:
        """The listeners registered for ``type``."""
        return list(self._listeners.get(type, []))

    def dispatchEvent(self, event: Event) -> bool:
        """Call every listener of ``event.type`` with ``event``; keep, not raise, what they raise."""
        event.target = self
        self.dispatch(event.type, event)
        return True

    def dispatch(self, type: str, *args: Any) -> None:
        """Call every ``type`` listener with ``args``; keep, not raise, what they raise."""
        for listener in self.listeners(type):
            try:
                result = listener() if args and self._takes_no_argument(listener) else listener(*args)
            except Exception as exc:  # a learner's listener: report it where they will look
                self._listener_failed(type, exc)
                continue
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(functools.partial(self._task_done, type))

    def _takes_no_argument(self, listener: Listener) -> bool:
        try:
            return self._bare[listener]
        except KeyError:
            bare = self._bare[listener] = _takes_no_argument(listener)
            return bare
        except TypeError:  # an unhashable callable
            return _takes_no_argument(listener)

    def _task_done(self, type: str, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._listener_failed(type, task.exception())  # type: ignore[arg-type]

    def _listener_failed(self, type: str, exc: BaseException) -> None:
        self.listener_errors.append((type, exc))

    def _listener_added(self, type: str, listener: Listener) -> None:
        """Hook for subclasses (the connection delivers held candidates here)."""

    async def _close_listeners(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
