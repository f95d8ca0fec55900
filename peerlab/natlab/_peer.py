"""One peer of the demo, run inside the lab: ``python -m peerlab.natlab._peer ROLE URL ROOM CONFIG``.

It plays the guide's steps with peerlab's ``RTCPeerConnection`` over ``peerlab serve`` (the
caller offers and opens a data channel, the callee answers; both trickle their candidates)
and reports what happens as one JSON line per event on stdout, each with ``t``, this
machine's monotonic clock (shared by every namespace, so the demo can compare the peers' times):

- ``{"event": "gathered", "candidates": [...], "ms": ...}``: end-of-candidates, with the
  candidates gathered (type, address, port, protocol) and how long gathering took;
- ``{"event": "turn", "error": ...}``: a TURN server was configured and no relay candidate came;
  this peer asked coturn for an allocation itself, and this is what coturn answered;
- ``{"event": "described"}``: both descriptions are set on this side (ICE's checks run);
- ``{"event": "state", "state": ...}``: each ``connectionState``;
- ``{"event": "connected", "selected": {...}}``: the selected candidate pair, when connected;
- ``{"event": "echo", "ms": ...}``: the caller's message came back over the data channel;
- ``{"event": "error", "error": ...}``, then ``{"event": "stopped"}``.

It stops at end-of-file on stdin (the demo is done with it) or after ``--lifetime`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from ..signalling.websocket import join
from ..webrtc.connection import RTCPeerConnection
from ._ice import selected_pair
from .turncheck import ask_turn_server

__all__ = ["main", "run"]


def _say(event: str, **data: Any) -> None:
    print(json.dumps({"event": event, "t": time.monotonic(), **data}), flush=True)


async def run(role: str, url: str, room: str, configuration: dict[str, Any], lifetime: float) -> int:
    endpoint = await join(url, room=room, role=role)
    pc = RTCPeerConnection(configuration, name=role, replace_same_name=False)
    gathered: list[dict[str, Any]] = []
    done = asyncio.Event()
    started = time.monotonic()
    gathering = [started]  # when this side's setLocalDescription began: gathering starts there
    tasks: set[asyncio.Task[Any]] = set()

    def later(coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def gathering_ended() -> None:
        _say("gathered", candidates=gathered, ms=round((time.monotonic() - gathering[0]) * 1000))
        servers = [s for s in configuration.get("iceServers", []) if str(s["urls"]).startswith("turn")]
        if servers and not any(c["type"] == "relay" for c in gathered):
            _say("turn", error=await ask_turn_server(servers[0]))

    def on_candidate(event: Any) -> None:
        candidate = event.candidate
        endpoint.send({"type": "candidate", "data": candidate})
        if candidate is None:
            later(gathering_ended())
        else:
            gathered.append({"type": candidate.type, "address": candidate.address, "port": candidate.port,
                             "protocol": candidate.protocol})

    def on_state(_: Any) -> None:
        state = pc.connectionState
        _say("state", state=state)
        if state == "connected":
            _say("connected", selected=selected_pair(pc))

    pc.addEventListener("icecandidate", on_candidate)
    pc.addEventListener("connectionstatechange", on_state)

    def on_message(event: Any) -> None:
        if role == "caller":
            _say("echo", ms=round((time.monotonic() - float(event.data.split()[-1])) * 1000))
        else:
            event.target.send(event.data)

    def on_open(channel: Any) -> None:
        channel.addEventListener("message", on_message)
        if role == "caller":
            channel.send(f"ping {time.monotonic()}")

    async def negotiate() -> None:
        if role == "caller":
            channel = pc.createDataChannel("natlab")
            channel.addEventListener("open", lambda _: on_open(channel))
            gathering[0] = time.monotonic()
            await pc.setLocalDescription(await pc.createOffer())
            endpoint.send({"type": "offer", "data": pc.localDescription})
            await pc.setRemoteDescription((await endpoint.receive("answer", timeout=lifetime))["data"])
        else:
            pc.addEventListener("datachannel", lambda event: on_open(event.channel))
            await pc.setRemoteDescription((await endpoint.receive("offer", timeout=lifetime))["data"])
            gathering[0] = time.monotonic()
            await pc.setLocalDescription(await pc.createAnswer())
            endpoint.send({"type": "answer", "data": pc.localDescription})
        _say("described")
        while True:
            candidate = (await endpoint.receive("candidate", timeout=lifetime))["data"]
            await pc.addIceCandidate(candidate)
            if candidate is None:
                return

    loop = asyncio.get_running_loop()
    def stdin_readable() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            done.set()  # end-of-file: the demo is done with this peer

    loop.add_reader(sys.stdin.fileno(), stdin_readable)
    work = asyncio.ensure_future(negotiate())
    stop = asyncio.ensure_future(done.wait())
    try:
        await asyncio.wait({work, stop}, timeout=lifetime, return_when=asyncio.FIRST_COMPLETED)
        if work.done() and work.exception() is not None:
            _say("error", error=f"{type(work.exception()).__name__}: {work.exception()}")
        elif work.done():
            await asyncio.wait({stop}, timeout=lifetime - (time.monotonic() - started))
    finally:
        loop.remove_reader(sys.stdin.fileno())
        for job in (work, stop, *tasks):
            job.cancel()
        await asyncio.gather(work, stop, *tasks, return_exceptions=True)
        await pc.close()
        await endpoint.close()
    _say("stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peerlab.natlab._peer")
    parser.add_argument("role", choices=("caller", "callee"))
    parser.add_argument("url")
    parser.add_argument("room")
    parser.add_argument("configuration", help="the RTCConfiguration, as JSON")
    parser.add_argument("--lifetime", type=float, default=60.0)
    args = parser.parse_args(argv)
    try:
        return asyncio.run(run(args.role, args.url, args.room, json.loads(args.configuration), args.lifetime))
    except Exception as exc:  # could not join, say: the demo reads this line rather than a traceback
        _say("error", error=f"{type(exc).__name__}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
