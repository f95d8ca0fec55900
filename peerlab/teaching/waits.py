"""Waiting on data channels, with timeouts: the last step of every lesson proves the connection.

A channel (:class:`peerlab.RTCDataChannel`) opens a little after ``connectionState``
is ``connected`` (SCTP starts after DTLS), so a lesson waits for ``open`` first. Each wait can be
stopped with Jupyter's stop button, and then says in one line what it waited for
(:mod:`peerlab.webrtc.interrupts`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..defaults import DEFAULT_WAIT
from ..errors import StepOrderError, WaitTimeout
from ..webrtc.connection import RTCPeerConnection
from ..webrtc.datachannel import RTCDataChannel
from ..webrtc.interrupts import Wait, interruptible

__all__ = ["wait_for_open", "wait_for_datachannel", "send_and_receive"]



def _owner(channel: RTCDataChannel) -> str:
    """The name of the connection the channel belongs to (``caller``), for the line of an interrupted wait."""
    return str(getattr(getattr(channel, "_pc", None), "name", None) or "peer")


async def wait_for_open(channel: RTCDataChannel, timeout: float = DEFAULT_WAIT) -> None:
    """Wait until ``channel.readyState`` is ``"open"``."""
    if channel.readyState == "open":
        return
    if channel.readyState in ("closing", "closed"):
        raise StepOrderError(f"the data channel {channel.label!r} is {channel.readyState}: make a new connection")
    opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_open() -> None:
        if not opened.done():
            opened.set_result(None)

    channel.addEventListener("open", on_open)
    try:
        await interruptible(asyncio.wait_for(opened, timeout), Wait(
            _owner(channel),
            f"the data channel {channel.label!r} to open",
            "the connection goes on in the background, so run the cell again to wait again"))
    except TimeoutError:
        raise WaitTimeout(
            f"the data channel {channel.label!r} did not open within {timeout:g} s (readyState "
            f"{channel.readyState!r}): is the connection 'connected'? Check the last step of each peer."
        ) from None
    finally:
        channel.removeEventListener("open", on_open)


async def wait_for_datachannel(pc: RTCPeerConnection, timeout: float = DEFAULT_WAIT) -> RTCDataChannel:
    """The first data channel the far side opened (the ``datachannel`` event), even if it already fired."""
    if pc.datachannels:
        return pc.datachannels[0]
    arrived = asyncio.get_running_loop().create_future()

    def on_datachannel(event: Any) -> None:
        if not arrived.done():
            arrived.set_result(event.channel)

    pc.addEventListener("datachannel", on_datachannel)
    try:
        return await interruptible(asyncio.wait_for(arrived, timeout), Wait(
            pc.name, "the far side's data channel (the datachannel event)",
            "a channel that arrives meanwhile is kept (pc.datachannels), so run the cell again to wait again"))
    except TimeoutError:
        raise WaitTimeout(
            f"no data channel reached the {pc.name} within {timeout:g} s: the caller creates it "
            "before createOffer(), and it arrives once the connection is up."
        ) from None
    finally:
        pc.removeEventListener("datachannel", on_datachannel)


async def send_and_receive(channel: RTCDataChannel, message: str, timeout: float = DEFAULT_WAIT) -> Any:
    """Send ``message`` once the channel is open and return the data of the next message that comes back."""
    await wait_for_open(channel, timeout)
    reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_message(event: Any) -> None:
        if not reply.done():
            reply.set_result(event.data)

    channel.addEventListener("message", on_message)
    try:
        channel.send(message)
        return await interruptible(asyncio.wait_for(reply, timeout), Wait(
            _owner(channel), f"a reply to {message!r} on the data channel {channel.label!r}",
            f"{message!r} was sent; a reply that comes later goes to the channel's message listeners, so run "
            "the cell again to send and wait again"))
    except TimeoutError:
        raise WaitTimeout(f"no reply to {message!r} came back within {timeout:g} s") from None
    finally:
        channel.removeEventListener("message", on_message)
