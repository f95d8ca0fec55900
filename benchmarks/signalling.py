"""Load on ``peerlab serve``: many pairs at once, against a bare websockets relay on the same machine.

200 clients in 100 rooms on 127.0.0.1. Each pair exchanges an offer (a 4 KiB SDP), an answer, four
candidates and end-of-candidates each way, then 100 messages each way as fast as it can. Reported:
messages lost (must be 0), relay latency p50/p99 (send to receipt, both ends in this process), and
messages per second; the same clients then run against a bare websockets relay with no checks (the
limit on this machine). Each server runs in its own process, so the clients do not share its CPU.
Bounded: it stops by itself after at most ``DEADLINE`` seconds per run.

    python benchmarks/signalling.py [pairs] [messages]

Sent flat out, the clients saturate either relay and latency is queueing; so latency is measured
again with each client sending 20 messages a second (4000 a second in all).

Aim: p99 under 20 ms, throughput at least 0.7 of the bare relay.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve as websockets_serve

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 120.0
PACED = 20.0  # messages a second per client for the latency runs: 200 clients make 4000 a second
SDP = "v=0\r\n" + "a=x-padding:" + "p" * 4000 + "\r\n"
SERVER_TYPES = {"joined", "left", "replaced", "refused", "error"}


# -- the bare relay: rooms of two, no checks, no server messages ------------------------------

async def bare_relay() -> None:
    rooms: dict[str, dict[str, object]] = {}

    async def handler(ws) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        room, role = query["room"][0], query["role"][0]
        members = rooms.setdefault(room, {})
        members[role] = ws
        try:
            async for frame in ws:
                far = members.get("callee" if role == "caller" else "caller")
                if far is not None:
                    await far.send(frame)
        finally:
            members.pop(role, None)

    async with websockets_serve(handler, "127.0.0.1", 0, compression=None) as server:
        print(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/", flush=True)
        await asyncio.get_running_loop().create_future()


# -- the clients ------------------------------------------------------------------------------

async def pair(url: str, room: str, messages: int, latencies: list[float], counts: dict[str, int],
               rate: float | None) -> None:
    async def side(role: str, ready: asyncio.Event, both: asyncio.Event) -> None:
        query = f"?room={room}&role={role}&client={uuid.uuid4().hex}"
        async with connect(url + query, compression=None, max_size=2**22) as ws:
            ready.set()
            await both.wait()
            expected = 1 + 5 + messages  # a description, four candidates and null, then the stream
            received = 0

            async def send_all() -> None:
                if role == "caller":
                    await ws.send(json.dumps({"type": "offer", "data": {"type": "offer", "sdp": SDP}}))
                for i in range(4):
                    await ws.send(json.dumps({"type": "candidate", "data": {
                        "candidate": f"candidate:{i} 1 udp 2130706431 192.0.2.{i} 5000{i} typ host", "sdpMid": "0"}}))
                await ws.send(json.dumps({"type": "candidate", "data": None}))
                for i in range(messages):
                    await ws.send(json.dumps({"type": "candidate", "data": {
                        "candidate": f"candidate:{i} 1 udp 1 192.0.2.1 9 typ host", "sdpMid": "0",
                        "t": time.perf_counter()}}))
                    if rate is not None:
                        await asyncio.sleep(1 / rate)

            sending = None
            if role == "caller":
                sending = asyncio.ensure_future(send_all())
            while received < expected:
                message = json.loads(await ws.recv())
                kind = message["type"]
                if kind in SERVER_TYPES:
                    if kind == "error":
                        counts["errors"] += 1
                    continue
                received += 1
                if kind == "offer" and role == "callee":
                    await ws.send(json.dumps({"type": "answer", "data": {"type": "answer", "sdp": SDP}}))
                    sending = asyncio.ensure_future(send_all())
                data = message.get("data") or {}
                if isinstance(data, dict) and "t" in data:
                    latencies.append(time.perf_counter() - data["t"])
            counts["received"] += received
            if sending is not None:
                await sending

    ready = [asyncio.Event(), asyncio.Event()]
    both = asyncio.Event()
    jobs = [asyncio.ensure_future(side(role, ready[i], both)) for i, role in enumerate(("caller", "callee"))]
    await asyncio.gather(*(r.wait() for r in ready))
    both.set()
    await asyncio.gather(*jobs)


async def run(url: str, pairs: int, messages: int, rate: float | None = None) -> dict[str, float]:
    latencies: list[float] = []
    counts = {"received": 0, "errors": 0}
    start = time.perf_counter()
    jobs = [pair(url, f"load-{i}", messages, latencies, counts, rate) for i in range(pairs)]
    try:
        await asyncio.wait_for(asyncio.gather(*jobs), DEADLINE)
    except asyncio.TimeoutError:
        pass  # what did not arrive counts as lost
    elapsed = time.perf_counter() - start
    sent = pairs * (2 * (1 + 5 + messages))
    latencies.sort()
    return {"sent": sent, "lost": sent - counts["received"], "errors": counts["errors"],
            "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
            "per_second": counts["received"] / elapsed, "seconds": elapsed}


def start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"(ws://127\.0\.0\.1:\d+/)", line)
        if found:
            return process, found.group(1)
    raise RuntimeError("the server did not start")


async def main(pairs: int, messages: int, paced: float = PACED) -> None:
    results = {}
    for name, args in (("peerlab serve", ["-m", "peerlab", "serve", "--port", "0"]),
                       ("bare relay", [__file__, "--bare-relay"])):
        process, url = start(args)
        try:
            results[name, "flat out"] = await run(url, pairs, messages)
            results[name, f"{paced:g}/s each"] = await run(url, pairs, messages, paced)
        finally:
            process.terminate()
            process.communicate(timeout=30)
    print(f"{2 * pairs} clients in {pairs} rooms, {messages} messages each way after the exchange, sent flat out "
          f"(throughput) and at {paced:g} a second per client (latency below saturation)")
    for (name, how), r in results.items():
        print(f"{name:<14} {how:<10} lost {r['lost']:>5}  errors {r['errors']:>4}  p50 {r['p50_ms']:7.2f} ms  "
              f"p99 {r['p99_ms']:7.2f} ms  {r['per_second']:8.0f} msg/s  ({r['seconds']:.1f} s)")
    ratio = results["peerlab serve", "flat out"]["per_second"] / results["bare relay", "flat out"]["per_second"]
    print(f"throughput peerlab serve / bare relay: {ratio:.2f} (aim >= 0.7); "
          f"p99 at {paced:g}/s: {results['peerlab serve', f'{paced:g}/s each']['p99_ms']:.1f} ms (aim < 20)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--bare-relay"]:
        asyncio.run(bare_relay())
    else:
        numbers = [int(a) for a in sys.argv[1:3]]
        asyncio.run(main(*(numbers + [100, 100][len(numbers):])))  # type: ignore[arg-type]
