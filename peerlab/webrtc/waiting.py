"""peerlab's waits on a connection: until a state, or any condition, with a timeout that says why.

Shared by :class:`peerlab.RTCPeerConnection` and the browser peer
(:class:`peerlab.browser.RTCPeerConnection`), so that both wait, fail and report their
listeners' errors alike; :class:`PeerConnectionBase` is what else the two have the same way
(the state events' handler attributes, ``states()``, ``async with``).

A wait re-checks its condition at each new entry of the connection's event log (every state
change, event and call is one), so it needs no polling; it raises what a listener raised since
the last wait (a learner's listener fails inside the event loop, where a notebook never shows
it), :class:`~peerlab.errors.WaitTimeout` with the message it is given, or
:class:`~peerlab.errors.ConnectionFailed` once the connection fails or closes first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ..errors import ConnectionFailed, PeerlabError, WaitTimeout
from .events import EventHandler, EventLog, EventTarget
from .interrupts import Wait
from .promise import Promise

__all__ = ["STATES", "STATE_VALUES", "Waitable", "PeerConnectionBase", "state_reached", "until",
           "raise_listener_error", "state_wait", "candidates_wait"]

STATES = ("signalingState", "iceGatheringState", "iceConnectionState", "connectionState")
# The values each state can take in a browser (aiortc never reports some of them).
STATE_VALUES = {
    "signalingState": ("stable", "have-local-offer", "have-remote-offer", "have-local-pranswer",
                       "have-remote-pranswer", "closed"),
    "iceGatheringState": ("new", "gathering", "complete"),
    "iceConnectionState": ("new", "checking", "connected", "completed", "disconnected", "failed", "closed"),
    "connectionState": ("new", "connecting", "connected", "disconnected", "failed", "closed"),
}


class Waitable(Protocol):
    """What a wait needs of a connection: its name, its event log and its listeners' errors."""

    name: str
    events: EventLog
    listener_errors: list[tuple[str, BaseException]]


def state_reached(pc: Any, attribute: str, state: str,
                  diagnose: Callable[[], str] | None = None) -> Callable[[], bool]:
    """What ``wait_for_state`` waits on: True once ``pc.<attribute> == state``.

    A state name that does not exist is refused at once (rather than waited for), and the
    predicate raises ConnectionFailed once the connection fails or closes first; ``diagnose``
    adds the likely cause to that message (if it has one).
    """
    if attribute not in STATES:
        raise ValueError(f"attribute is one of {', '.join(STATES)}, not {attribute!r}")
    if state not in STATE_VALUES[attribute]:
        raise ValueError(f"{attribute} is never {state!r}: it is one of "
                         f"{', '.join(map(repr, STATE_VALUES[attribute]))}")

    def reached() -> bool:
        if getattr(pc, attribute) == state:
            return True
        if state not in ("failed", "closed") and pc.connectionState in ("failed", "closed"):
            why = f"the {pc.name}'s connection is {pc.connectionState!r}, so it will never be {state!r}"
            hint = diagnose() if diagnose is not None else ""
            raise ConnectionFailed(why + (". " + hint if hint else ""))
        return False

    return reached


def state_wait(pc: Any, state: str = "connected", *, attribute: str = "connectionState", **_: Any) -> Wait:
    """What ``wait_for_state()`` waits for, in the words an interrupted wait shows."""
    return Wait(pc.name, f"{attribute} {state!r}",
                "the connection goes on in the background, so run the cell again to wait again")


def candidates_wait(pc: Any, **_: Any) -> Wait:
    """What ``wait_for_end_of_candidates()`` waits for, in the words an interrupted wait shows."""
    return Wait(pc.name, "its end-of-candidates (the last icecandidate event)",
                "gathering goes on in the background, so run the cell again to wait again")


def raise_listener_error(pc: Waitable) -> None:
    """Raise the oldest error a listener of ``pc`` raised and nobody has seen yet (with it as the cause)."""
    if pc.listener_errors:
        event, exc = pc.listener_errors.pop(0)
        raise PeerlabError(f"your {event!r} listener on the {pc.name} raised {type(exc).__name__}: {exc}") from exc


async def until(pc: Waitable, predicate: Callable[[], bool], timeout: float, message: Callable[[], str]) -> None:
    """Wait until ``predicate()`` is true, checked now and at each new entry of ``pc.events``.

    What ``predicate`` raises ends the wait with it; after ``timeout`` seconds it ends with
    :class:`WaitTimeout` (``message()``). A listener's error is raised before and after.
    """
    raise_listener_error(pc)
    if predicate():
        return
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def check(_: Any = None) -> None:
        if future.done():
            return
        try:
            if predicate():
                future.set_result(None)
        except Exception as exc:
            future.set_exception(exc)

    def time_out() -> None:
        if not future.done():
            future.set_exception(WaitTimeout(message()))

    stop = pc.events.watch(check)
    timer = loop.call_later(timeout, time_out)
    try:
        await future
    finally:
        timer.cancel()
        stop()
    raise_listener_error(pc)


P = TypeVar("P", bound="PeerConnectionBase")


class PeerConnectionBase(EventTarget):
    """What peerlab's connection and the browser peer have the same way.

    The browser's handler attributes for the events both fire (``pc.onicecandidate = f``),
    the four states at once (``states()``), and ``async with`` closing the connection at the end.
    Each subclass has the four state attributes, ``name``, ``events`` and ``close()``.
    """

    onicecandidate = EventHandler()
    onicegatheringstatechange = EventHandler()
    onsignalingstatechange = EventHandler()
    oniceconnectionstatechange = EventHandler()
    onconnectionstatechange = EventHandler()
    ondatachannel = EventHandler()

    def states(self) -> dict[str, str]:
        """The four states at once: what a learner checks after each step."""
        return {state: getattr(self, state) for state in STATES}

    def close(self) -> Promise[None]:
        """Close the connection (each subclass says how)."""
        raise NotImplementedError

    async def __aenter__(self: P) -> P:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
