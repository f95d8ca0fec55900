"""Load on ``peerlab serve``: many pairs at once, against a bare websockets relay on the same machine.

200 clients in 100 rooms on 127.0.0.1. Each pair exchanges an offer (a 4 KiB SDP), an answer, four
candidates and end-of-candidates each way, then 100 messages each way. Reported for each server:
messages lost (must be 0), server errors, relay latency p50/p99 and messages per second; then the
throughput ratio peerlab / bare relay.

Who runs where, so that the figures say where the limit is:

- each server in its own process (``peerlab serve``; the bare relay is ``--bare-relay`` below: rooms
  of two, no checks, no server messages, each frame sent on from the reader);
- the clients spread over ``--procs`` processes (default 3), a pair's two clients always in the same
  process, so one monotonic clock stamps a message when sent and when received (latency is never
  compared across clocks). All pairs connect first; then every client process starts at one "go".

Both servers run at once. Flat out ``--rounds`` times each (default 5), the two in turn so that a
change in the machine's load falls on both (each client sends as fast as it can: throughput, with
the median and range per server and of the ratio; latency there is queueing), then paced once each
(each client sends 20 messages a second at an even pace with a random phase, 4000 a second in all,
starting ``SETTLE`` s after the exchange so that its burst is not counted: latency below saturation).

Bounded: 1-1000 pairs, 1-10000 messages; every run stops by itself after ``DEADLINE`` seconds (what
has not arrived then counts as lost), and every process it starts is stopped and reaped. Traffic
goes to 127.0.0.1 only.

``--profile FILE`` runs ``peerlab serve`` under cProfile and writes its statistics to FILE.

Also reported: the server process's CPU time per message relayed (user + system, from /proc),
peerlab's own cost beside the bare relay's. On a shared machine it is the figure to trust: the
throughputs and latencies move with whatever else runs, CPU per message hardly does.

    python benchmarks/signalling.py [pairs] [messages] [--procs N] [--rounds N] [--profile FILE]

Aim: p99 under 20 ms (paced), throughput at least 0.7 of the bare relay (flat out).

What this machine gives (2 cores shared with other test runs, load average 3-10 during the runs;
everything, clients included, on the same two cores): lost 0 always; server CPU per message
peerlab 20-23 us, bare relay 14-19 us (1.1-1.4x); flat-out throughput ratio median 0.78-1.06 over
six runs (single rounds 0.44-1.94); paced p99 for peerlab 3-8 ms in half the runs and 0.1-2.2 s in
the others, the bare relay's 2-230 ms and 0.8-1.7 s in the same runs: when the other test runs
take the cores, the machine, not either server, sets the latency (the load average, which lags,
does not tell these runs apart: 3-11 in both).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection
from websockets.asyncio.server import serve as websockets_serve

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 120.0   # seconds per run, at most
PACED = 20.0       # messages a second per client for the latency runs: 200 clients make 4000 a second
PROCS = 3          # client processes
ROUNDS = 5         # flat-out runs per server, taken in turn
SETTLE = 0.5       # seconds between the exchange and the paced stream, so the two do not overlap
SDP = "v=0\r\n" + "a=x-padding:" + "p" * 4000 + "\r\n"
SERVER_TYPES = {"joined", "left", "replaced", "refused", "error"}


# -- the bare relay: rooms of two, no checks, no server messages ------------------------------

async def bare_relay() -> None:
    rooms: dict[str, dict[str, ServerConnection]] = {}

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
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


# -- one client process: some of the pairs --------------------------------------------------------

class Pair:
    """A caller and a callee in one room, both in this process."""

    def __init__(self, url: str, room: str, messages: int, rate: float | None, tally: dict[str, Any]) -> None:
        self.url, self.room, self.messages, self.rate, self.tally = url, room, messages, rate, tally
        self.sockets: dict[str, ClientConnection] = {}

    async def connect(self) -> None:
        for role in ("caller", "callee"):
            query = f"?room={self.room}&role={role}&client={uuid.uuid4().hex}"
            self.sockets[role] = await connect(self.url + query, compression=None, max_size=2**22,
                                               open_timeout=DEADLINE)

    async def run(self) -> None:
        try:
            await asyncio.gather(self.side("caller"), self.side("callee"))
        finally:
            await asyncio.gather(*(ws.close() for ws in self.sockets.values()), return_exceptions=True)

    async def side(self, role: str) -> None:
        ws, messages, rate = self.sockets[role], self.messages, self.rate
        latencies: list[float] = self.tally["latencies"]
        expected = 1 + 5 + messages  # a description, four candidates and null, then the stream

        async def send_all() -> None:
            if role == "caller":
                await ws.send(json.dumps({"type": "offer", "data": {"type": "offer", "sdp": SDP}}))
            for i in range(4):
                await ws.send(json.dumps({"type": "candidate", "data": {
                    "candidate": f"candidate:{i} 1 udp 2130706431 192.0.2.{i} 5000{i} typ host", "sdpMid": "0"}}))
            await ws.send(json.dumps({"type": "candidate", "data": None}))
            start = time.perf_counter()
            if rate is not None:  # paced: after the exchange's burst has passed, at a random phase
                start += SETTLE + random.random() / rate
            for i in range(messages):
                if rate is not None:  # an even pace: the i-th message at start + i / rate
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await ws.send(json.dumps({"type": "candidate", "data": {
                    "candidate": f"candidate:{i} 1 udp 1 192.0.2.1 9 typ host", "sdpMid": "0",
                    "t": time.perf_counter()}}))

        sending = asyncio.ensure_future(send_all()) if role == "caller" else None
        received = 0
        try:
            while received < expected:
                message = json.loads(await ws.recv())
                kind = message["type"]
                if kind in SERVER_TYPES:
                    if kind == "error":
                        self.tally["errors"] += 1
                    continue
                received += 1
                if kind == "offer" and role == "callee":
                    await ws.send(json.dumps({"type": "answer", "data": {"type": "answer", "sdp": SDP}}))
                    sending = asyncio.ensure_future(send_all())
                data = message.get("data")
                if isinstance(data, dict) and "t" in data:
                    latencies.append(time.perf_counter() - data["t"])
            if sending is not None:
                await sending  # this side has all it expects; the far side may still wait for ours
        finally:
            self.tally["received"] += received
            if sending is not None and not sending.done():  # stopped by the deadline
                sending.cancel()
                await asyncio.gather(sending, return_exceptions=True)


async def clients(url: str, first: int, count: int, messages: int, rate: float | None) -> None:
    """A client process: connect ``count`` pairs, say "ready", wait for "go" on stdin, run, report."""
    tally: dict[str, Any] = {"received": 0, "errors": 0, "latencies": []}
    pairs = [Pair(url, f"load-{first + i}", messages, rate, tally) for i in range(count)]
    await asyncio.wait_for(asyncio.gather(*(p.connect() for p in pairs)), DEADLINE)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    start = time.perf_counter()
    jobs = asyncio.gather(*(p.run() for p in pairs))
    try:
        await asyncio.wait_for(jobs, DEADLINE)
    except TimeoutError:
        pass  # what did not arrive counts as lost
    elapsed = time.perf_counter() - start
    print(json.dumps({"received": tally["received"], "errors": tally["errors"], "seconds": elapsed,
                      "latencies": tally["latencies"]}), flush=True)


# -- the conductor: servers and client processes, all started and reaped here ---------------------

async def start(args: list[str], log: Path) -> tuple[asyncio.subprocess.Process, str]:
    """A server process, what it prints going to ``log``, and its URL (the first ws://127.0.0.1:PORT/)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(sys.executable, *args, cwd=ROOT, env=env,
                                                       stdout=out, stderr=asyncio.subprocess.STDOUT)
    for _ in range(300):
        found = re.search(r"(ws://127\.0\.0\.1:\d+/)", log.read_text(errors="replace"))
        if found:
            return process, found.group(1)
        if process.returncode is not None:
            break
        await asyncio.sleep(0.1)
    await stop(process)
    raise RuntimeError(f"the server ({' '.join(args)}) did not start: {log.read_text(errors='replace')[-2000:]}")


async def stop(process: asyncio.subprocess.Process, grace: float = 30) -> None:
    """Terminate ``process`` (kill it if it lingers) and reap it."""
    if process.returncode is None:
        try:
            process.terminate()
        except ProcessLookupError:
            pass
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used so far; NaN where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


async def run(url: str, server: int, pairs: int, messages: int, procs: int,
              rate: float | None = None) -> dict[str, float]:
    """One run: ``pairs`` pairs over ``procs`` client processes against the server at ``url``, process ``server``."""
    shares = [pairs // procs + (1 if i < pairs % procs else 0) for i in range(procs)]
    firsts = [sum(shares[:i]) for i in range(procs)]
    workers = []
    try:
        for first, count in zip(firsts, shares, strict=True):
            if count:
                workers.append(await asyncio.create_subprocess_exec(
                    sys.executable, __file__, "--clients", url, str(first), str(count), str(messages),
                    str(rate or 0), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26))
        for w in workers:
            assert w.stdout is not None
            line = await asyncio.wait_for(w.stdout.readline(), DEADLINE)
            if line.strip() != b"ready":
                raise RuntimeError(f"a client process did not connect its pairs: {line[:200]!r}")
        cpu = cpu_seconds(server)
        for w in workers:
            assert w.stdin is not None
            w.stdin.write(b"go\n")
            await w.stdin.drain()
        reports = []
        for w in workers:
            assert w.stdout is not None
            reports.append(json.loads(await asyncio.wait_for(w.stdout.readline(), DEADLINE + 30)))
        cpu = cpu_seconds(server) - cpu
    finally:
        await asyncio.gather(*(stop(w) for w in workers))
    latencies = sorted(t for r in reports for t in r["latencies"])
    received = sum(r["received"] for r in reports)
    seconds = max(r["seconds"] for r in reports)
    sent = pairs * (2 * (1 + 5 + messages))
    return {"sent": sent, "lost": sent - received, "errors": sum(r["errors"] for r in reports),
            "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
            "per_second": received / seconds, "seconds": seconds, "cpu_us": 1e6 * cpu / max(received, 1)}


NAMES = ("peerlab serve", "bare relay")


async def main(pairs: int, messages: int, procs: int, rounds: int, profile: str | None,
               paced: float = PACED) -> None:
    serve_args = ["-m", "peerlab", "serve", "--port", "0"]
    if profile:
        serve_args = ["-m", "cProfile", "-o", profile, *serve_args]
    loads = [os.getloadavg()[0]]
    flat: dict[str, list[dict[str, float]]] = {name: [] for name in NAMES}
    slow: dict[str, dict[str, float]] = {}
    servers: dict[str, tuple[asyncio.subprocess.Process, str]] = {}
    with tempfile.TemporaryDirectory(prefix="peerlab-bench-") as logs:
        try:
            for name, args in zip(NAMES, (serve_args, [__file__, "--bare-relay"]), strict=True):
                servers[name] = await start(args, Path(logs) / f"{name.split()[0]}.log")
            # flat out, the two servers in turn (first one, then the other) so that a change in the
            # machine's load falls on both; then paced, once each
            for i in range(rounds):
                for name in NAMES if i % 2 == 0 else NAMES[::-1]:
                    flat[name].append(await run(servers[name][1], servers[name][0].pid, pairs, messages, procs))
                loads.append(os.getloadavg()[0])
            for name in NAMES:
                slow[name] = await run(servers[name][1], servers[name][0].pid, pairs, messages, procs, paced)
            loads.append(os.getloadavg()[0])
        finally:
            await asyncio.gather(*(stop(process) for process, _ in servers.values()))
    print(f"{2 * pairs} clients in {pairs} rooms over {procs} client processes, {messages} messages each way after "
          f"the exchange; flat out {rounds} times each (throughput; median [min-max]) and paced at {paced:g}/s per "
          f"client once each (latency below saturation); load average {' '.join(f'{x:.1f}' for x in loads)}")
    print(f"{'':<14} {'':<9} {'lost':>5} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} {'msg/s':>8}  {'[min-max]':<15} "
          f"{'server CPU us/msg':>17}")
    for name in NAMES:
        runs = flat[name]
        rates = sorted(r["per_second"] for r in runs)
        p50, p99, cpu = (statistics.median(r[key] for r in runs) for key in ("p50_ms", "p99_ms", "cpu_us"))
        spread = f"[{rates[0]:.0f}-{rates[-1]:.0f}]"
        print(f"{name:<14} {'flat out':<9} {sum(r['lost'] for r in runs):>5} {sum(r['errors'] for r in runs):>6} "
              f"{p50:8.2f} {p99:8.2f} {statistics.median(rates):8.0f}  {spread:<15} {cpu:17.1f}")
        r = slow[name]
        print(f"{name:<14} {'paced':<9} {r['lost']:>5} {r['errors']:>6} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} "
              f"{r['per_second']:8.0f}  {'':<15} {r['cpu_us']:17.1f}")
    lost = sum(r["lost"] for runs in flat.values() for r in runs) + sum(r["lost"] for r in slow.values())
    ratios = sorted(a["per_second"] / b["per_second"] for a, b in zip(*flat.values(), strict=True))
    p99 = {name: slow[name]["p99_ms"] for name in NAMES}
    # /proc counts CPU time in clock ticks (10 ms): a short run may show none for a server
    costs = [a["cpu_us"] / b["cpu_us"] for a, b in zip(*flat.values(), strict=True) if b["cpu_us"] > 0]
    cost = f"{statistics.median(costs):.2f}" if costs else "n/a (too short a run to see CPU time)"
    print(f"lost {lost}; throughput peerlab serve / bare relay: {statistics.median(ratios):.2f} "
          f"[{ratios[0]:.2f}-{ratios[-1]:.2f}] (aim >= 0.7); p99 paced: peerlab {p99['peerlab serve']:.1f} ms, "
          f"bare {p99['bare relay']:.1f} ms (aim < 20); server CPU per message peerlab / bare: {cost}")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: ``[pairs] [messages] [--procs N] [--rounds N] [--profile FILE]``, each in its range."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="?", type=int, default=100)
    parser.add_argument("messages", nargs="?", type=int, default=100)
    parser.add_argument("--procs", type=int, default=PROCS, help="client processes (1-8)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="flat-out runs per server (1-20)")
    parser.add_argument("--profile", help="run peerlab serve under cProfile, statistics to this file")
    a = parser.parse_args(argv)
    if not (1 <= a.pairs <= 1000 and 1 <= a.messages <= 10000 and 1 <= a.procs <= 8 and 1 <= a.rounds <= 20):
        parser.error("pairs 1-1000, messages 1-10000, --procs 1-8, --rounds 1-20")
    return a


if __name__ == "__main__":
    if sys.argv[1:] == ["--bare-relay"]:
        asyncio.run(bare_relay())
    elif sys.argv[1:2] == ["--clients"]:
        url, first, count, messages, rate = sys.argv[2:7]
        assert url.startswith("ws://127.0.0.1:"), "traffic goes to 127.0.0.1 only"
        asyncio.run(clients(url, int(first), int(count), int(messages), float(rate) or None))
    else:
        a = arguments()
        asyncio.run(main(a.pairs, a.messages, a.procs, a.rounds, a.profile))
