"""Waits a lesson writes itself, with words (``wait_for``), and a data channel's other end (``far_end``).

Lesson 07 waits for events it sets up in its own cells (``bufferedamountlow``, a message in a
queue, ``close`` at both ends). ``asyncio.wait_for`` would end such a wait with a bare
``TimeoutError:``; :func:`wait_for` ends it with a :class:`~peerlab.errors.WaitTimeout` that
says what did not come, and the stop button ends it with the one line every peerlab wait gives.

Both peers of a lesson live in one kernel, so the far side's end of a channel is found, not
handed over: :func:`far_end` pairs the two ends by their SCTP stream ``id``, which a cell run
again cannot confuse (its new channel has the old one's label, never its id while that is open).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from ..defaults import DEFAULT_WAIT
from ..errors import StepOrderError, WaitTimeout
from ..webrtc.connection import RTCPeerConnection
from ..webrtc.datachannel import RTCDataChannel
from ..webrtc.interrupts import Wait, interruptible

__all__ = ["wait_for", "far_end"]

T = TypeVar("T")


async def wait_for(awaitable: Awaitable[T], timeout: float, what: str, hint: str = "") -> T:
    """``asyncio.wait_for(awaitable, timeout)`` with words: a :class:`WaitTimeout` naming ``what`` it waited for.

    ``what`` is what should have come ("the bufferedamountlow event on 'bulk'"); ``hint``, if
    given, follows it: what to do ("the cell above sends it: run it first"). The stop button ends it
    as every peerlab wait (:func:`~peerlab.webrtc.interrupts.interruptible`): one line saying what
    the cell waited for.
    """
    try:
        return await interruptible(asyncio.wait_for(awaitable, timeout), Wait("cell", what))
    except TimeoutError:
        raise WaitTimeout(f"{what} did not come within {timeout:g} s" + (f": {hint}" if hint else "")) from None


def _matching(pc: RTCPeerConnection, channel: RTCDataChannel) -> RTCDataChannel | None:
    """The latest channel the far side opened on ``pc`` with ``channel``'s id (an open one, if ``channel`` is)."""
    same = [c for c in pc.datachannels if c.id == channel.id and c.label == channel.label]
    if channel.readyState in ("connecting", "open"):  # an id is reused once its channel closed: not that end
        same = [c for c in same if c.readyState in ("connecting", "open")]
    return same[-1] if same else None


async def far_end(pc: RTCPeerConnection, channel: RTCDataChannel, timeout: float = DEFAULT_WAIT) -> RTCDataChannel:
    """The far side's end of ``channel`` on the connection ``pc``: the channel with the same SCTP stream ``id``.

    Stands in for the far side's ``datachannel`` event: in a browser, the far side's own program
    gets its end there. Here both peers share a kernel, so this finds the end that event brought
    (in ``pc.datachannels``, if it already fired) or waits for it, at most ``timeout`` seconds.
    Matched by ``id``, not by label: a cell run again makes a second channel with the same label.
    """
    loop = asyncio.get_running_loop()
    mine = channel._pc.name
    if channel._pc is pc:
        raise StepOrderError(f"{channel.label!r} is the {pc.name}'s own channel: pass the far side's connection, "
                             f"far_end(far_pc, channel), to find its end there")
    if channel.negotiated:
        raise StepOrderError(f"{channel.label!r} is negotiated (id {channel.id}): no datachannel event announces it. "
                             f"Its far end is the channel the {pc.name} creates itself with createDataChannel("
                             f"{channel.label!r}, negotiated=True, id={channel.id}).")
    if channel.id is None:  # aiortc gives an in-band channel its id once SCTP is up: it opens soon after
        opened = loop.create_future()

        def on_open(_: Any = None) -> None:
            if not opened.done():
                opened.set_result(None)

        channel.addEventListener("open", on_open)
        try:
            if channel.id is None and channel.readyState == "connecting":
                await wait_for(opened, timeout, f"the open event of the {mine}'s channel {channel.label!r} (it has "
                               "no id yet)", "is the connection 'connected'? A channel opens once both peers' "
                               "last steps are done")
        finally:
            channel.removeEventListener("open", on_open)
        if channel.id is None:
            raise StepOrderError(f"the {mine}'s channel {channel.label!r} is {channel.readyState} and never had an "
                                 "id: it never opened, so it has no far end. Make a new channel on an open connection.")
    found = _matching(pc, channel)
    if found is not None:
        return found
    arrived: asyncio.Future[RTCDataChannel] = loop.create_future()

    def on_datachannel(event: Any) -> None:
        found = _matching(pc, channel)
        if not arrived.done() and found is not None and found is event.channel:
            arrived.set_result(found)

    pc.addEventListener("datachannel", on_datachannel)
    try:
        return await wait_for(
            arrived, timeout,
            f"the {pc.name}'s datachannel event for {channel.label!r} (id {channel.id})",
            f"the {mine}'s channel {channel.label!r} is {channel.readyState}; its far end comes once the "
            "connection is up, on the far side's connection (is it the one passed?)")
    finally:
        pc.removeEventListener("datachannel", on_datachannel)
