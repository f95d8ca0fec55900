"""The guide's step 8 loop against a real Chromium peer, whose host candidates are mDNS names by default.

A peerlab caller offers; Chromium's own RTCPeerConnection (a headless Playwright page,
``/usr/bin/chromium``) answers and gathers its candidates (``<uuid>.local`` names); the
caller adds them in the guide's step 8 loop while Chromium adds the caller's.

- before: the ``.local`` candidates go to aiortc as they are (aioice cannot read Chromium's answer)
- after:  peerlab.mdns resolves them in the background

    python benchmarks/mdns_chromium.py [rounds]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from unittest import mock

from playwright.async_api import async_playwright

from peerlab import RTCPeerConnection
from peerlab.webrtc import mdns

ANSWER = """async (offer) => {
  const pc = new RTCPeerConnection({iceServers: []});
  window.pc = pc;
  const candidates = [];
  const done = new Promise(resolve => pc.onicecandidate = e => {
    candidates.push(e.candidate ? e.candidate.toJSON() : null);
    if (!e.candidate) resolve();
  });
  pc.ondatachannel = e => { window.channel = e.channel; };
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  await done;
  return {answer: {type: pc.localDescription.type, sdp: pc.localDescription.sdp}, candidates};
}"""

ADD = """async (candidates) => {
  for (const c of candidates) await window.pc.addIceCandidate(c);
  return window.pc.connectionState;
}"""


async def one(page, *, before: bool) -> tuple[float, float, str, int]:
    """(step 8 loop ms, connected ms after it began, selected remote candidate type, .local candidates)."""
    await page.goto("about:blank")
    caller = RTCPeerConnection(name="caller", replace_same_name=False)
    mine: list = []
    try:
        caller.addEventListener("icecandidate", lambda e: mine.append(e.candidate and e.candidate.toJSON()))
        caller.createDataChannel("chat")
        await caller.setLocalDescription(await caller.createOffer())
        await caller.wait_for_end_of_candidates()
        offer = {"type": "offer", "sdp": caller.localDescription.sdp}
        reply = await page.evaluate(ANSWER, offer)
        await caller.setRemoteDescription(reply["answer"])
        theirs = reply["candidates"]
        local_names = sum(".local" in c["candidate"] for c in theirs if c)
        with mock.patch.object(mdns, "is_mdns_name", lambda host: False) if before else mock.MagicMock():
            start = time.perf_counter()
            far_side = asyncio.ensure_future(page.evaluate(ADD, mine))
            for candidate in theirs:  # caller step 8
                await caller.addIceCandidate(candidate)
            loop_ms = (time.perf_counter() - start) * 1000
            await far_side
            await caller.wait_for_state("connected")
            connected_ms = (time.perf_counter() - start) * 1000
        connection = caller.aiortc.sctp.transport.transport._connection
        return loop_ms, connected_ms, connection._nominated[1].remote_candidate.type, local_names
    finally:
        await caller.close()
        await page.evaluate("() => window.pc && window.pc.close()")


async def main(rounds: int) -> None:
    results: dict[str, list] = {"before": [], "after": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                          args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            print("Chromium", browser.version)
            for _ in range(rounds):
                for way in results:
                    results[way].append(await one(page, before=way == "before"))
        finally:
            await browser.close()
    print(f"{rounds} rounds; Chromium's candidates, default mDNS on")
    print(f"{'':8}{'step 8 loop ms':>16}{'connected ms':>14}  selected remote  .local candidates")
    for way, rows in results.items():
        loops, connects, kinds, names = zip(*rows, strict=True)
        print(f"{way:8}{statistics.median(loops):16.1f}{statistics.median(connects):14.1f}  "
              + ", ".join(f"{k} x{kinds.count(k)}" for k in sorted(set(kinds))) + f"  {json.dumps(sorted(set(names)))}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
