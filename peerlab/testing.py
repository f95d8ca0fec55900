"""Two peers connected in one process, for tests and benchmarks (as aioice's ``invite_accept``).

The same steps as the lessons, in one call: offer/answer over a :class:`Loopback`,
then trickle ICE, where each side may skip adding the other's candidates (to show
what really happens then).
"""

from __future__ import annotations

import asyncio

from .connection import RTCPeerConnection
from .signalling import DEFAULT_TIMEOUT, Endpoint, Loopback

__all__ = ["add_queued_candidates", "add_remote_candidates", "negotiate"]


async def add_remote_candidates(pc: RTCPeerConnection, endpoint: Endpoint, timeout: float = DEFAULT_TIMEOUT) -> int:
    """The guide's last step: add the far side's candidates until end-of-candidates; returns how many."""
    count = 0
    while True:
        message = await endpoint.receive("candidate", timeout=timeout)
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            return count
        count += 1


async def add_queued_candidates(pc: RTCPeerConnection, endpoint: Endpoint) -> bool:
    """Add the far side's candidates that have already arrived, without waiting for more.

    Returns True if end-of-candidates was among them. A callee that does this right after
    ``setRemoteDescription(offer)``, before it answers, starts its ICE checks with pairs to
    try: aioice's first check round otherwise runs on an empty list, and the next comes
    20 ms later.
    """
    while any(message["type"] == "candidate" for message in endpoint.pending):
        message = await endpoint.receive("candidate", timeout=0)  # already here: returns at once
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            return True
    return False


async def negotiate(loopback: Loopback, caller: RTCPeerConnection, callee: RTCPeerConnection,
                    *, caller_adds: bool = True, callee_adds: bool = True) -> None:
    """Offer/answer plus trickle over ``loopback``; each side adds candidates only if told to.

    Listeners are registered first, as real code does. A data channel is created on the
    caller if it has none, so the offer has something to carry. The callee adds the caller's
    candidates that came with the offer before it answers (see :func:`add_queued_candidates`),
    then both add the rest as they come.
    """
    for pc, endpoint in ((caller, loopback.caller), (callee, loopback.callee)):
        pc.addEventListener("icecandidate",
                            lambda event, ep=endpoint: ep.send({"type": "candidate", "data": event.candidate}))
    if not caller.aiortc.sctp:
        caller.createDataChannel("chat")
    offer = await caller.createOffer()
    await caller.setLocalDescription(offer)
    loopback.caller.send({"type": "offer", "data": offer})
    await callee.setRemoteDescription((await loopback.callee.receive("offer"))["data"])
    callee_done = callee_adds and await add_queued_candidates(callee, loopback.callee)
    answer = await callee.createAnswer()
    await callee.setLocalDescription(answer)
    loopback.callee.send({"type": "answer", "data": answer})
    await caller.setRemoteDescription((await loopback.caller.receive("answer"))["data"])
    jobs = []
    if caller_adds:
        jobs.append(add_remote_candidates(caller, loopback.caller))
    if callee_adds and not callee_done:
        jobs.append(add_remote_candidates(callee, loopback.callee))
    await asyncio.gather(*jobs)
