"""The guide's step 8 loop against mDNS host candidates (``<uuid>.local``), before and after peerlab.mdns.

The callee's host candidates reach the caller behind ``.local`` names, as Chromium's
do, and a stand-in for Chromium's mDNS responder (``peerlab.testing.MdnsResponder(multicast=True)``)
answers on the real mDNS group with Chromium's bytes (the A record plus an NSEC record).

- before: the ``.local`` candidates go to aiortc as they are (what peerlab did until issue 13
          part 3): aioice asks over mDNS, cannot read the answer, and waits out 1 s per candidate;
          the pair connects through a peer-reflexive candidate
- after:  peerlab resolves them in the background with peerlab.mdns and adds them with their address

Measured alternately in one run; medians. Needs multicast on the machine (the loopback is enough).

    python benchmarks/mdns.py [rounds]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from unittest import mock

from peerlab import Loopback, RTCPeerConnection
from peerlab.testing import MdnsResponder
from peerlab.webrtc import mdns


async def one(responder: MdnsResponder, *, before: bool) -> tuple[float, float, str]:
    """(step 8 loop ms, connected ms after the loop began, the caller's selected remote candidate type)."""
    loopback = Loopback()
    caller = RTCPeerConnection(name="caller", replace_same_name=False)
    callee = RTCPeerConnection(name="callee", replace_same_name=False)
    try:
        caller.addEventListener("icecandidate",
                                lambda e: loopback.caller.send({"type": "candidate", "data": e.candidate}))
        callee.addEventListener(
            "icecandidate", lambda e: loopback.callee.send({"type": "candidate", "data": responder.hide(e.candidate)}))
        caller.createDataChannel("chat")
        await caller.setLocalDescription(await caller.createOffer())
        loopback.caller.send({"type": "offer", "data": caller.localDescription})
        await callee.setRemoteDescription((await loopback.callee.receive("offer"))["data"])
        await callee.setLocalDescription(await callee.createAnswer())
        loopback.callee.send({"type": "answer", "data": callee.localDescription})
        await caller.setRemoteDescription((await loopback.caller.receive("answer"))["data"])
        await callee.wait_for_end_of_candidates()

        async def callee_step_7() -> None:
            while True:
                message = await loopback.callee.receive("candidate")
                await callee.addIceCandidate(message["data"])
                if message["data"] is None:
                    return

        with mock.patch.object(mdns, "is_mdns_name", lambda host: False) if before else mock.MagicMock():
            start = time.perf_counter()
            far_side = asyncio.ensure_future(callee_step_7())  # the far side goes on by itself, as a browser does
            while True:  # caller step 8
                message = await loopback.caller.receive("candidate")
                await caller.addIceCandidate(message["data"])
                if message["data"] is None:
                    break
            loop_ms = (time.perf_counter() - start) * 1000
            await far_side
            await caller.wait_for_state("connected")
            connected_ms = (time.perf_counter() - start) * 1000
        connection = caller.aiortc.sctp.transport.transport._connection
        return loop_ms, connected_ms, connection._nominated[1].remote_candidate.type
    finally:
        await caller.close()
        await callee.close()
        loopback.close()


async def main(rounds: int) -> None:
    results: dict[str, list[tuple[float, float, str]]] = {"before": [], "after": []}
    async with MdnsResponder(multicast=True) as responder:
        for _ in range(rounds):
            for way in results:
                results[way].append(await one(responder, before=way == "before"))
    print(f"{rounds} rounds; the callee's host candidates as .local names, answered as Chromium answers")
    print(f"{'':8}{'step 8 loop ms':>16}{'connected ms':>14}  selected remote candidate")
    for way, rows in results.items():
        loops, connects, kinds = zip(*rows, strict=True)
        print(f"{way:8}{statistics.median(loops):16.1f}{statistics.median(connects):14.1f}  "
              + ", ".join(f"{k} x{kinds.count(k)}" for k in sorted(set(kinds))))
    ratio = statistics.median(r[0] for r in results["before"]) / statistics.median(r[0] for r in results["after"])
    print(f"step 8 loop: before / after = {ratio:.0f}x")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
