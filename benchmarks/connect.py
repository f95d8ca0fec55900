"""Time to "connected" for a loopback pair: peerlab against raw aiortc doing the same steps.

Four ways, measured alternately in one run so that machine noise falls on all alike:

- peerlab:        peerlab.testing.negotiate over peerlab's Loopback (trickle ICE through
                  icecandidate events; the callee adds the candidates that came with the offer
                  before it answers)
- lesson flow:    what a lesson does: a learner's caller taking the guide's eight steps in order,
                  back to back, against peerlab's scripted callee (play_callee)
- aiortc trickle: raw aiortc doing the same by hand: candidates stripped from the SDP, sent through
                  a queue and added with addIceCandidate, the callee adding the caller's before it answers
- aiortc late:    the same, but the callee adds them only after answering (the guide's order)
- aiortc in-SDP:  raw aiortc, candidates left inside the SDP (no trickle)

peerlab's own cost is peerlab / aiortc trickle (aim: <= 1.10). aioice paces its checks every
20 ms, so a trickle whose first check round finds no pair to try (aiortc late) is one tick slower
than candidates-in-SDP; adding the caller's candidates before answering avoids that, so the lesson
flow is compared with candidates-in-SDP too (aim: <= 1.10).

    python benchmarks/connect.py [rounds]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import warnings

from aiortc import RTCConfiguration, RTCSessionDescription
from aiortc import RTCPeerConnection as AiortcPeerConnection
from aiortc.sdp import SessionDescription

from peerlab import HeldCandidatesNote, Loopback, RTCPeerConnection, play_callee
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


async def lesson_flow() -> float:
    """A learner's caller, the guide's steps 1-8 in order and back to back, against play_callee."""
    loopback = Loopback()
    callee = play_callee(loopback.callee)
    signalling = loopback.caller
    start = time.perf_counter()
    pc = RTCPeerConnection({"iceServers": []}, name="lesson caller")   # 1.
    pc.createDataChannel("chat")
    offer = await pc.createOffer()                                     # 2.
    await pc.setLocalDescription(offer)                                # 3.
    signalling.send({"type": "offer", "data": offer})                  # 4.
    pc.addEventListener("icecandidate",                                # 5. and 6.
                        lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    answer = await signalling.receive("answer")                        # 7.
    await pc.setRemoteDescription(answer["data"])
    while True:                                                        # 8.
        message = await signalling.receive("candidate")
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            break
    await pc.wait_for_state("connected")
    elapsed = time.perf_counter() - start
    await pc.close()
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


async def aiortc_pair(trickle: bool, early: bool = True) -> float:
    """Raw aiortc. With ``trickle``, the same steps as peerlab's: descriptions without
    candidates, then each candidate through a queue (the signalling channel) and
    ``addIceCandidate`` on the far side, then ``None``; with ``early`` the callee adds the
    caller's candidates that are already queued before it answers, as negotiate() does."""
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
    callee_done = False
    if trickle and early:
        await asyncio.sleep(0)  # the queued candidates' call_soon
        while not to_callee.empty():
            candidate = to_callee.get_nowait()
            await callee.addIceCandidate(candidate)
            if candidate is None:
                callee_done = True
                break
    await callee.setLocalDescription(await callee.createAnswer())
    answer = trickle_out(callee, to_caller) if trickle else callee.localDescription
    await caller.setRemoteDescription(answer)

    async def add(pc, queue) -> None:
        while (candidate := await queue.get()) is not None:
            await pc.addIceCandidate(candidate)
        await pc.addIceCandidate(None)

    if trickle:
        await asyncio.gather(add(caller, to_caller), *([] if callee_done else [add(callee, to_callee)]))
    await asyncio.gather(_connected(caller), _connected(callee))
    elapsed = time.perf_counter() - start
    await caller.close()
    await callee.close()
    return elapsed


async def main(rounds: int) -> None:
    warnings.simplefilter("ignore", HeldCandidatesNote)  # step 5 after step 3, as the guide orders them
    ways = {
        "peerlab": peerlab_pair,
        "lesson flow": lesson_flow,
        "aiortc trickle": lambda: aiortc_pair(trickle=True),
        "aiortc late": lambda: aiortc_pair(trickle=True, early=False),
        "aiortc in-SDP": lambda: aiortc_pair(trickle=False),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for way in ways.values():  # warm-up, not counted
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
    print(f"lesson flow / aiortc in-SDP = {medians['lesson flow'] / medians['aiortc in-SDP']:.3f}"
          "   (a lesson against peerlab's scripted callee; aim <= 1.10)")
    print(f"aiortc late / aiortc in-SDP = {medians['aiortc late'] / medians['aiortc in-SDP']:.3f}"
          "   (aioice's 20 ms check pacing when the first check round has nothing to try)")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: ``[rounds]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=30, help="rounds of the four ways (30)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments().rounds))
