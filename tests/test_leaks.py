"""A workshop kernel runs many connections: 100 connect/close cycles, ten at a time, must leave nothing behind."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import threading

from peerlab import Loopback, RTCPeerConnection, play_callee

from .conftest import negotiate


def open_resources() -> dict[str, int]:
    """What a leak would grow: file descriptors, sockets among them, threads, asyncio tasks."""
    gc.collect()
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except FileNotFoundError:  # the fd listdir itself used, already closed
            pass
    fds = targets
    sockets = sum(1 for target in targets if target.startswith("socket:"))
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    return {"fds": len(fds), "sockets": sockets, "threads": threading.active_count(), "tasks": len(others)}


_pairs = itertools.count()


async def one_cycle() -> None:
    loopback = Loopback()
    # Names of their own: a new connection named as an open one would replace it (a learner re-running step 1).
    pair = next(_pairs)
    caller = RTCPeerConnection(name=f"caller {pair}")
    callee = RTCPeerConnection(name=f"callee {pair}")
    try:
        await negotiate(loopback, caller, callee)
        await asyncio.gather(caller.wait_for_state("connected", timeout=5),
                             callee.wait_for_state("connected", timeout=5))
    finally:
        await caller.close()
        await callee.close()
        loopback.close()


async def scripted_cycle() -> None:
    loopback = Loopback()
    callee = play_callee(loopback.callee)
    caller = RTCPeerConnection(name="caller")
    caller.addEventListener("icecandidate",
                            lambda e: loopback.caller.send({"type": "candidate", "data": e.candidate}))
    try:
        caller.createDataChannel("chat")
        offer = await caller.createOffer()
        await caller.setLocalDescription(offer)
        loopback.caller.send({"type": "offer", "data": offer})
        await caller.setRemoteDescription((await loopback.caller.receive("answer", timeout=5))["data"])
        await caller.wait_for_state("connected", timeout=5)
    finally:
        await caller.close()
        await callee.close()
        loopback.close()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_a_hundred_cycles_leave_fds_sockets_threads_and_tasks_where_they_were():
    await one_cycle()  # warm-up: imports, certificates, first-use caches
    await settle()
    before = open_resources()
    for _ in range(10):  # ten pairs at a time, as in a room of learners; 100 in all
        await asyncio.gather(*(one_cycle() for _ in range(10)))
    await settle()
    after = open_resources()
    assert after == before


async def test_scripted_peers_close_their_task_and_connection():
    await scripted_cycle()
    await settle()
    before = open_resources()
    for _ in range(20):
        await scripted_cycle()
    await settle()
    assert open_resources() == before
