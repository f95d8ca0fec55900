"""Data channel throughput: peerlab's RTCDataChannel against aiortc's bare channel, same transfer.

20 MiB in 16 KiB binary messages over a loopback pair, with the browser's backpressure:
the sender stops while ``bufferedAmount`` is above 1 MiB and waits for ``bufferedamountlow``
(threshold 256 KiB). Only the transfer is timed (first send to last byte received); each
pair is connected beforehand and closed afterwards. The two ways alternate, round by
round, so that machine noise falls on both alike. Both peers run in this one process, so
beside wall-clock MB/s it prints MB per CPU-second (``time.process_time``): on a busy
machine that one moves much less from run to run.

- peerlab: ``pc.createDataChannel`` (the wrapper), ``onbufferedamountlow``, ``message`` events
- aiortc:  aiortc's own pair and channel, ``on("bufferedamountlow")``, ``on("message")``

- Chromium: two ``RTCPeerConnection`` in one headless page (Debian's chromium, Playwright), the
  same transfer and thresholds, for scale: the browser's own C++ SCTP against aiortc's Python one.

peerlab's own cost is peerlab / aiortc (aim: >= 0.95).

    python benchmarks/datachannel.py [rounds] [MiB]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration
from aiortc import RTCPeerConnection as AiortcPeerConnection

from peerlab import Loopback, RTCPeerConnection, wait_for_datachannel, wait_for_open
from peerlab.testing import negotiate

TOTAL = 20 * 1024 * 1024  # python benchmarks/datachannel.py [rounds] [MiB] changes it
CHUNK = b"\x00" * (16 * 1024)
HIGH_WATER = 1024 * 1024
LOW_WATER = 256 * 1024


async def transfer(sender: Any, receiver_done: asyncio.Future[float], wait_low: Any) -> tuple[float, float]:
    """Send TOTAL bytes with backpressure; the wall and CPU seconds until the far side has them all."""
    start, cpu = time.perf_counter(), time.process_time()
    sent = 0
    while sent < TOTAL:
        if sender.bufferedAmount > HIGH_WATER:
            await wait_low()
        sender.send(CHUNK)
        sent += len(CHUNK)
    return await asyncio.wait_for(receiver_done, 60) - start, time.process_time() - cpu


def low_waiter(loop: asyncio.AbstractEventLoop) -> tuple[Any, Any]:
    """A listener for ``bufferedamountlow`` and a coroutine that waits for the next one."""
    pending: list[asyncio.Future[None]] = []

    def on_low(*_: Any) -> None:
        while pending:
            future = pending.pop()
            if not future.done():
                future.set_result(None)

    async def wait_low() -> None:
        future = loop.create_future()
        pending.append(future)
        await future

    return on_low, wait_low


def byte_counter(loop: asyncio.AbstractEventLoop) -> tuple[asyncio.Future[float], Any]:
    """A future set to the time the last byte arrives, and the message handler that counts them."""
    done: asyncio.Future[float] = loop.create_future()
    received = 0

    def count(data: bytes) -> None:
        nonlocal received
        received += len(data)
        if received >= TOTAL and not done.done():
            done.set_result(time.perf_counter())

    return done, count


async def peerlab_round() -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    loopback = Loopback()
    caller = RTCPeerConnection({"iceServers": []}, name="bench caller", replace_same_name=False)
    callee = RTCPeerConnection({"iceServers": []}, name="bench callee", replace_same_name=False)
    try:
        ours = caller.createDataChannel("bench")
        await negotiate(loopback, caller, callee)
        theirs = await wait_for_datachannel(callee)
        await wait_for_open(ours)
        done, count = byte_counter(loop)
        theirs.addEventListener("message", lambda event: count(event.data))
        on_low, wait_low = low_waiter(loop)
        ours.bufferedAmountLowThreshold = LOW_WATER
        ours.onbufferedamountlow = on_low
        return await transfer(ours, done, wait_low)
    finally:
        await caller.close()
        await callee.close()
        loopback.close()


async def aiortc_round() -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    caller = AiortcPeerConnection(RTCConfiguration(iceServers=[]))
    callee = AiortcPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        ours = caller.createDataChannel("bench")
        arrived: asyncio.Future[Any] = loop.create_future()
        callee.on("datachannel", lambda channel: arrived.done() or arrived.set_result(channel))
        opened: asyncio.Future[None] = loop.create_future()
        ours.on("open", lambda: opened.done() or opened.set_result(None))
        await caller.setLocalDescription(await caller.createOffer())
        await callee.setRemoteDescription(caller.localDescription)
        await callee.setLocalDescription(await callee.createAnswer())
        await caller.setRemoteDescription(callee.localDescription)
        theirs = await asyncio.wait_for(arrived, 10)
        await asyncio.wait_for(opened, 10)
        done, count = byte_counter(loop)
        theirs.on("message", count)
        on_low, wait_low = low_waiter(loop)
        ours.bufferedAmountLowThreshold = LOW_WATER
        ours.on("bufferedamountlow", on_low)
        return await transfer(ours, done, wait_low)
    finally:
        await caller.close()
        await callee.close()


CHROMIUM = "/usr/bin/chromium"  # Debian's; no downloaded browser builds
PAGE_TRANSFER = """
async ([total, size, high, low]) => {
  const a = new RTCPeerConnection({iceServers: []}), b = new RTCPeerConnection({iceServers: []});
  a.onicecandidate = e => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = e => e.candidate && a.addIceCandidate(e.candidate);
  const ours = a.createDataChannel("bench");
  ours.binaryType = "arraybuffer";
  const theirs = new Promise(resolve => { b.ondatachannel = e => resolve(e.channel); });
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  const channel = await theirs;
  if (ours.readyState !== "open") await new Promise(r => { ours.onopen = r; });
  let received = 0, sent = 0;
  const done = new Promise(resolve => { channel.onmessage = e => {
    received += e.data.byteLength || e.data.size || e.data.length; if (received >= total) resolve(); }; });
  ours.bufferedAmountLowThreshold = low;
  const chunk = new Uint8Array(size);
  const start = performance.now();
  while (sent < total) {
    if (ours.bufferedAmount > high) await new Promise(r => { ours.onbufferedamountlow = r; });
    ours.send(chunk); sent += size;
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  a.close(); b.close();
  return seconds;
}
"""


async def chromium_rates(rounds: int) -> list[float] | None:
    """Chromium <-> Chromium in one page, the same transfer: the browser's own data path, for scale."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox", "--disable-gpu"])
        try:
            page = await browser.new_page()
            await page.goto("about:blank")
            rates = []
            for _ in range(rounds + 1):  # the first is a warm-up
                seconds = await page.evaluate(PAGE_TRANSFER, [TOTAL, len(CHUNK), HIGH_WATER, LOW_WATER])
                rates.append(TOTAL / seconds / 1e6)
            return rates[1:]
        finally:
            await browser.close()


async def main(rounds: int) -> None:
    ways = {"peerlab": peerlab_round, "aiortc": aiortc_round}
    wall: dict[str, list[float]] = {name: [] for name in ways}
    cpu: dict[str, list[float]] = {name: [] for name in ways}
    for way in ways.values():  # warm-up, not counted
        await way()
    for _ in range(rounds):
        for name, way in ways.items():
            seconds, cpu_seconds = await way()
            wall[name].append(TOTAL / seconds / 1e6)
            cpu[name].append(TOTAL / cpu_seconds / 1e6)
    print(f"data channel throughput, {TOTAL // 2**20} MiB in 16 KiB messages with bufferedAmount backpressure, "
          f"median of {rounds} alternating rounds")
    for label, rates in (("MB/s (wall clock)", wall), ("MB per CPU-second", cpu)):
        medians = {name: statistics.median(r) for name, r in rates.items()}
        print(f"  {label}:")
        for name, rate in medians.items():
            print(f"    {name:<8} {rate:6.1f}   (rounds: {', '.join(f'{r:.1f}' for r in rates[name])})")
        print(f"    peerlab / aiortc = {medians['peerlab'] / medians['aiortc']:.3f}"
              "   (peerlab's own cost; aim >= 0.95)")
    chromium = await chromium_rates(rounds)
    if chromium is None:
        print("  Chromium <-> Chromium: not measured (needs Debian's chromium and Python Playwright)")
    else:
        browser = statistics.median(chromium)
        print(f"  Chromium <-> Chromium in one page, MB/s (wall clock): {browser:.1f}   "
              f"(rounds: {', '.join(f'{r:.1f}' for r in chromium)})")
        print(f"    aiortc / Chromium = {statistics.median(wall['aiortc']) / browser:.3f}"
              "   (aiortc's Python SCTP against the browser's own)")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: ``[rounds] [MiB]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3, help="rounds of each way (3)")
    parser.add_argument("mib", nargs="?", type=int, default=TOTAL // 2**20, help="MiB sent per round (20)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    _args = arguments()
    TOTAL = _args.mib * 1024 * 1024
    asyncio.run(main(_args.rounds))
