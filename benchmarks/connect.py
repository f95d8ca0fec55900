"""Time to "connected" for a loopback pair: peerlab against raw aiortc doing the same steps.

Three ways, measured alternately in one run so that machine noise falls on all alike:

- peerlab:        the guide's steps over peerlab's Loopback (trickle ICE through icecandidate events)
- aiortc trickle: raw aiortc, candidates stripped from the SDP and added by hand with addIceCandidate
- aiortc in-SDP:  raw aiortc, candidates left inside the SDP (no trickle)

peerlab's own cost is peerlab / aiortc trickle (aim: <= 1.10). aioice paces its checks every
20 ms, so any trickle is about one tick slower than candidates-in-SDP: that is the protocol's
cost, printed beside it, not peerlab's.

    python benchmarks/connect.py [rounds]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from aiortc import RTCConfiguration, RTCPeerConnection as AiortcPeerConnection, RTCSessionDescription
from aiortc.sdp import SessionDescription

from peerlab import Loopback, RTCPeerConnection
from peerlab.testing import negotiate


async def _connected(pc, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    @pc.on("connectionstatechange")
    def changed() -> None:
        if pc.connectionState == "connected" and not done.done():
            done.set_result(None)

    if pc.connectionState != "connected":
        await asyncio.wait_for(done, timeout)


async def peerlab_pair() -> float:
    loopback = Loopback()
    start = time.perf_counter()
    caller = RTCPeerConnection({"iceServers": []}, name="caller")
    callee = RTCPeerConnection({"iceServers": []}, name="callee")
    await negotiate(loopback, caller, callee)  # the guide's steps: offer/answer, then trickle
    await asyncio.gather(caller.wait_for_state("connected"), callee.wait_for_state("connected"))
    elapsed = time.perf_counter() - start
    await caller.close()
    await callee.close()
    loopback.close()
    return elapsed


def _split_candidates(description: RTCSessionDescription):
    parsed = SessionDescription.parse(description.sdp)
    candidates = []
    for index, media in enumerate(parsed.media):
        for c in media.ice_candidates:
            c.sdpMid, c.sdpMLineIndex = media.rtp.muxId, index
            candidates.append(c)
        media.ice_candidates, media.ice_candidates_complete = [], False
    return RTCSessionDescription(sdp=str(parsed), type=description.type), candidates


async def aiortc_pair(trickle: bool) -> float:
    """Raw aiortc. With ``trickle``, the same steps as peerlab's: descriptions without
    candidates, then each candidate through a queue (the signalling channel) and
    ``addIceCandidate`` on the far side, then ``None``."""
    start = time.perf_counter()
    caller = AiortcPeerConnection(RTCConfiguration(iceServers=[]))
    callee = AiortcPeerConnection(RTCConfiguration(iceServers=[]))
    to_caller: asyncio.Queue = asyncio.Queue()
    to_callee: asyncio.Queue = asyncio.Queue()

    def trickle_out(pc, queue) -> RTCSessionDescription:
        description, candidates = _split_candidates(pc.localDescription)
        for c in candidates + [None]:
            asyncio.get_running_loop().call_soon(queue.put_nowait, c)
        return description

    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    offer = trickle_out(caller, to_callee) if trickle else caller.localDescription
    await callee.setRemoteDescription(offer)
    await callee.setLocalDescription(await callee.createAnswer())
    answer = trickle_out(callee, to_caller) if trickle else callee.localDescription
    await caller.setRemoteDescription(answer)

    async def add(pc, queue) -> None:
        while (candidate := await queue.get()) is not None:
            await pc.addIceCandidate(candidate)
        await pc.addIceCandidate(None)

    if trickle:
        await asyncio.gather(add(caller, to_caller), add(callee, to_callee))
    await asyncio.gather(_connected(caller), _connected(callee))
    elapsed = time.perf_counter() - start
    await caller.close()
    await callee.close()
    return elapsed


async def main(rounds: int) -> None:
    ways = {
        "peerlab": peerlab_pair,
        "aiortc trickle": lambda: aiortc_pair(trickle=True),
        "aiortc in-SDP": lambda: aiortc_pair(trickle=False),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for name, way in ways.items():  # warm-up, not counted
        await way()
    for _ in range(rounds):
        for name, way in ways.items():
            times[name].append(await way())
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    print(f"time to 'connected', loopback pair, median of {rounds} alternating rounds")
    for name, ms in medians.items():
        print(f"  {name:<15} {ms:7.1f} ms")
    print(f"peerlab / aiortc trickle = {medians['peerlab'] / medians['aiortc trickle']:.3f}"
          "   (peerlab's own cost; aim <= 1.10)")
    print(f"aiortc trickle / aiortc in-SDP = {medians['aiortc trickle'] / medians['aiortc in-SDP']:.3f}"
          "   (aioice's 20 ms check pacing: the protocol's cost, not peerlab's)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
