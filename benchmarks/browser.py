"""Chromium's own RTCPeerConnection and peerlab's, every pairing, with Chromium's mDNS candidates on and off.

Time to ``connected`` (both peers) and to the caller's first echo ("ping" there and back on the data
channel) from before ``createDataChannel``, for:

- peerlab → Chromium    a peerlab caller, Chromium's own RTCPeerConnection answering (a Playwright page)
- Chromium → peerlab    the other way round
- Chromium ↔ Chromium   two RTCPeerConnections in one page, the signalling a JavaScript call, timed by
                        the page (no round trip to Python: the browser's own best case)
- peerlab ↔ peerlab     two peerlab connections on one asyncio loop

Every peer plays the same script (tests/browser/peers.py): trickle ICE, host candidates only and no
ICE server, so the packets never leave this machine (the host candidates are its own addresses, which
the kernel delivers over loopback; aioice never offers 127.0.0.1 itself). A Chromium peer's
``connected`` reaches Python through Playwright's exposed function (a millisecond or so), so
"connected" (the later of the two peers) can come after the caller's echo when the caller is
peerlab. The pairings alternate within each round, after one warm-up of each not counted (the first
Chromium ↔ Chromium in a page with mDNS names took about 830 ms, every later one about 13 ms). Each
setting has its own headless Chromium (``/usr/bin/chromium``, or PEERLAB_CHROMIUM): Chromium's
default, host candidates as ``<uuid>.local`` names, which peerlab resolves in the background
(peerlab/webrtc/mdns.py), and ``--disable-features=WebRtcHideLocalIpsWithMdns``, plain addresses.

    python benchmarks/browser.py [rounds]      # 5 by default
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from tests.browser.jupyterlab import CHROMIUM_ARGS, chromium_path  # noqa: E402  (the harness lives with the tests)
from tests.browser.peers import BrowserPeer, PeerlabPeer, in_page, negotiate, prepare_page  # noqa: E402

PAIRINGS = ("peerlab → Chromium", "Chromium → peerlab", "Chromium ↔ Chromium", "peerlab ↔ peerlab")
SETTINGS = {"mDNS on": [], "mDNS off": ["--disable-features=WebRtcHideLocalIpsWithMdns"]}
TIMEOUT = 15.0  # one negotiation; a hang stops the run instead of waiting forever


async def one(page, pairing: str) -> tuple[float, float, int]:
    """(ms to connected, ms to the first echo, how many of Chromium's candidates were .local names)."""
    if pairing == "Chromium ↔ Chromium":
        connected, echo = await in_page(page, TIMEOUT)
        return connected, echo, -1
    make = {"peerlab": PeerlabPeer, "Chromium": BrowserPeer}
    first, _, second = pairing.split()
    caller = make[first](page, "caller") if first == "Chromium" else make[first]("caller")
    callee = make[second](page, "callee") if second == "Chromium" else make[second]("callee")
    try:
        await caller.start()
        await callee.start()
        connected, echo = await negotiate(caller, callee, TIMEOUT)
        browser = caller if first == "Chromium" else callee
        local = sum(".local" in c["candidate"] for c in browser.sent if c) if "Chromium" in pairing else -1
        return connected, echo, local
    finally:
        await asyncio.wait_for(caller.close(), 5)
        await asyncio.wait_for(callee.close(), 5)


async def run(rounds: int) -> dict[str, dict[str, list[tuple[float, float, int]]]]:
    executable = chromium_path()
    if executable is None:
        sys.exit("Debian's Chromium is not installed: `apt-get install chromium` (or set PEERLAB_CHROMIUM)")
    results: dict[str, dict[str, list[tuple[float, float, int]]]] = {}
    async with async_playwright() as playwright:
        for setting, extra in SETTINGS.items():
            chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS + extra)
            try:
                if not results:
                    print("Chromium", chromium.version)
                page = await chromium.new_page()
                await prepare_page(page)
                rows = results[setting] = {pairing: [] for pairing in PAIRINGS}
                for pairing in PAIRINGS:  # warm-up, not counted: a first Chromium ↔ Chromium with mDNS took ~830 ms
                    await one(page, pairing)
                for _ in range(rounds):
                    for pairing in PAIRINGS:
                        rows[pairing].append(await one(page, pairing))
            finally:
                await chromium.close()
    return results


def table(results: dict[str, dict[str, list[tuple[float, float, int]]]], rounds: int) -> str:
    lines = [f"{rounds} round(s), medians in ms; x = / Chromium ↔ Chromium with the same setting",
             f"{'':22}" + "".join(f"{setting:^42}" for setting in results),
             f"{'':22}" + f"{'connected':>11}{'x':>6}{'echo':>11}{'x':>6}  .local" * len(results)]
    for pairing in PAIRINGS:
        line = f"{pairing:22}"
        for rows in results.values():
            base = [statistics.median(r[i] for r in rows["Chromium ↔ Chromium"]) for i in (0, 1)]
            connected, echo = (statistics.median(r[i] for r in rows[pairing]) for i in (0, 1))
            names = sorted({r[2] for r in rows[pairing]})
            line += (f"{connected:11.1f}{connected / base[0]:6.1f}{echo:11.1f}{echo / base[1]:6.1f}  "
                     f"{'-' if names == [-1] else '/'.join(map(str, names)):>6}")
        lines.append(line)
    on, off = (results[s] for s in SETTINGS)
    for pairing in PAIRINGS:
        ratio = statistics.median(r[0] for r in on[pairing]) / statistics.median(r[0] for r in off[pairing])
        lines.append(f"mDNS on / off, connected, {pairing:22} {ratio:5.2f}")
    return "\n".join(lines)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: ``[rounds]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=5, help="rounds of the four pairings (5)")
    return parser.parse_args(argv)


def main(rounds: int) -> None:
    start = time.perf_counter()
    results = asyncio.run(run(rounds))
    print(table(results, rounds))
    print(f"(the run took {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main(arguments().rounds)
