"""Shared test set-up: no asyncio error may pass unnoticed, and a two-peer helper."""

from __future__ import annotations

import asyncio
import gc
import logging
import os

import pytest

from peerlab import Loopback, RTCPeerConnection


def skip_or_fail(reason: str) -> None:
    """Skip a test this machine cannot run; in CI (PEERLAB_NO_SKIP=1, set by .ci/run) fail instead."""
    if os.environ.get("PEERLAB_NO_SKIP") == "1":
        pytest.fail(f"{reason} (CI sets PEERLAB_NO_SKIP=1: nothing may be skipped there)")
    pytest.skip(reason)


class _AsyncioErrors(logging.Handler):
    """Collects what asyncio logs at ERROR: "Task was destroyed but it is pending", etc."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_asyncio_errors():
    """Fail a test after which asyncio logged an error (a pending task destroyed, a lost exception)."""
    handler = _AsyncioErrors()
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    try:
        yield
        gc.collect()
    finally:
        logger.removeHandler(handler)
    if handler.records:
        pytest.fail("asyncio logged errors:\n" + "\n".join(r.getMessage() for r in handler.records))


async def pump_candidates(pc: RTCPeerConnection, endpoint, timeout: float = 5.0) -> int:
    """The guide's last step: add the far side's candidates until end-of-candidates."""
    count = 0
    while True:
        message = await endpoint.receive("candidate", timeout=timeout)
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            return count
        count += 1


async def negotiate(loopback: Loopback, caller: RTCPeerConnection, callee: RTCPeerConnection,
                    *, caller_adds: bool = True, callee_adds: bool = True) -> None:
    """Offer/answer plus trickle over ``loopback``; each side adds candidates only if told to."""
    for pc, endpoint in ((caller, loopback.caller), (callee, loopback.callee)):
        pc.addEventListener("icecandidate",
                            lambda event, ep=endpoint: ep.send({"type": "candidate", "data": event.candidate}))
    if not caller.aiortc.sctp:
        caller.createDataChannel("chat")
    offer = await caller.createOffer()
    await caller.setLocalDescription(offer)
    loopback.caller.send({"type": "offer", "data": offer})
    await callee.setRemoteDescription((await loopback.callee.receive("offer"))["data"])
    answer = await callee.createAnswer()
    await callee.setLocalDescription(answer)
    loopback.callee.send({"type": "answer", "data": answer})
    await caller.setRemoteDescription((await loopback.caller.receive("answer"))["data"])
    jobs = []
    if caller_adds:
        jobs.append(pump_candidates(caller, loopback.caller))
    if callee_adds:
        jobs.append(pump_candidates(callee, loopback.callee))
    await asyncio.gather(*jobs)


@pytest.fixture
async def pair():
    """A caller, a callee and the loopback between them; all closed afterwards."""
    loopback = Loopback()
    caller = RTCPeerConnection(name="caller")
    callee = RTCPeerConnection(name="callee")
    yield loopback, caller, callee
    await caller.close()
    await callee.close()
    loopback.close()
