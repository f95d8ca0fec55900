"""Video: frames per second sustained at 640×480 between two aiortc peers, and CPU per frame.

The caller sends ``PatternTrack(640, 480, fps=30)`` (lesson 08's generated frames, drawn with
numpy); the callee reads its received track as fast as frames come and counts them. After a
warm-up of 2 s (VP8's first key frames, the bitrate settling), frames received over the next
``seconds`` are counted; CPU is this process's (both peers are in it: drawing, VP8 encoding and
decoding, SRTP, the loop), divided by the frames received.

- peerlab: ``peerlab.RTCPeerConnection`` (the wrapper): ``addTrack`` through its transceivers, the
  browser's ``track`` event (receiver, transceiver, streams), each receiver counting the bytes of
  every RTP packet (its ``inbound-rtp`` stats), ``negotiationneeded``; the Loopback signalling
- aiortc:  aiortc's own pair, ``addTrack``, ``on("track")``, descriptions handed over directly

The media itself goes through aiortc on both sides; what peerlab adds per frame is nothing, per
RTP packet one count of its bytes.

The two ways alternate, round by round; each pair is connected beforehand and closed afterwards.
Side by side: peerlab / aiortc (aim: >= 0.95 for frames per second, <= 1.05 for CPU per frame).

    python benchmarks/video.py [rounds] [seconds] [warm-up seconds]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from aiortc import RTCConfiguration
from aiortc import RTCPeerConnection as AiortcPeerConnection
from aiortc.mediastreams import MediaStreamError

from peerlab import Loopback, RTCPeerConnection
from peerlab.media import PatternTrack
from peerlab.testing import negotiate

WIDTH, HEIGHT, FPS = 640, 480, 30
WARM_UP = 2.0


async def count_frames(track: Any, seconds: float) -> tuple[float, float]:
    """Read ``track`` through the warm-up, then count for ``seconds``: frames per second, CPU ms per frame."""
    loop = asyncio.get_running_loop()
    end_warm = loop.time() + WARM_UP
    while loop.time() < end_warm:
        await asyncio.wait_for(track.recv(), 5)
    frames, start, cpu = 0, time.perf_counter(), time.process_time()
    end = loop.time() + seconds
    try:
        while loop.time() < end:
            await asyncio.wait_for(track.recv(), 5)
            frames += 1
    except MediaStreamError:
        pass
    wall, cpu_used = time.perf_counter() - start, time.process_time() - cpu
    return frames / wall, cpu_used / max(frames, 1) * 1000


async def peerlab_round(seconds: float) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    loopback = Loopback()
    caller = RTCPeerConnection({"iceServers": []}, name="bench caller", replace_same_name=False)
    callee = RTCPeerConnection({"iceServers": []}, name="bench callee", replace_same_name=False)
    video = PatternTrack(WIDTH, HEIGHT, FPS)
    arrived: asyncio.Future[Any] = loop.create_future()
    try:
        caller.addTrack(video)
        callee.addEventListener("track", lambda event: arrived.done() or arrived.set_result(event.track))
        caller.createDataChannel("chat")  # negotiate() would add it anyway; said here so both see it
        await negotiate(loopback, caller, callee)
        await caller.wait_for_state("connected", timeout=10)
        return await count_frames(await asyncio.wait_for(arrived, 10), seconds)
    finally:
        video.stop()
        await caller.close()
        await callee.close()
        loopback.close()


async def aiortc_round(seconds: float) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    caller = AiortcPeerConnection(RTCConfiguration(iceServers=[]))
    callee = AiortcPeerConnection(RTCConfiguration(iceServers=[]))
    video = PatternTrack(WIDTH, HEIGHT, FPS)
    arrived: asyncio.Future[Any] = loop.create_future()
    try:
        caller.addTrack(video)
        caller.createDataChannel("chat")  # the same media sections as the peerlab round
        callee.on("track", lambda track: arrived.done() or arrived.set_result(track))
        await caller.setLocalDescription(await caller.createOffer())
        await callee.setRemoteDescription(caller.localDescription)
        await callee.setLocalDescription(await callee.createAnswer())
        await caller.setRemoteDescription(callee.localDescription)
        return await count_frames(await asyncio.wait_for(arrived, 10), seconds)
    finally:
        video.stop()
        await caller.close()
        await callee.close()


async def main(rounds: int, seconds: float) -> None:
    ways = {"peerlab": peerlab_round, "aiortc": aiortc_round}
    fps: dict[str, list[float]] = {name: [] for name in ways}
    cpu: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, way in ways.items():
            rate, cpu_ms = await way(seconds)
            fps[name].append(rate)
            cpu[name].append(cpu_ms)
    print(f"video {WIDTH}×{HEIGHT} sent at {FPS} fps (VP8), received and counted for {seconds:g} s after "
          f"{WARM_UP:g} s of warm-up; median of {rounds} alternating rounds")
    print(f"  {'':<8} {'frames/s':>9} {'CPU ms/frame':>13}   rounds (frames/s; CPU ms/frame)")
    medians = {name: (statistics.median(fps[name]), statistics.median(cpu[name])) for name in ways}
    for name, (rate, cpu_ms) in medians.items():
        each = ", ".join(f"{r:.1f}" for r in fps[name]) + "; " + ", ".join(f"{c:.1f}" for c in cpu[name])
        print(f"  {name:<8} {rate:9.1f} {cpu_ms:13.1f}   ({each})")
    (pf, pc), (af, ac) = medians["peerlab"], medians["aiortc"]
    print(f"  peerlab / aiortc = {pf / af:.3f} frames/s (aim >= 0.95), {pc / ac:.3f} CPU per frame (aim <= 1.05)")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: ``[rounds] [seconds] [warm-up seconds]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=3, help="alternating rounds (3)")
    parser.add_argument("seconds", nargs="?", type=float, default=10.0, help="seconds counted per round (10)")
    parser.add_argument("warm_up", nargs="?", type=float, default=WARM_UP, help="seconds before counting (2)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    _args = arguments()
    WARM_UP = _args.warm_up
    asyncio.run(main(_args.rounds, _args.seconds))
