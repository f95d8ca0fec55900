"""``python -m peerlab.natlab demo``: two peers, one behind each NAT, and what ICE made of it.

:func:`run_demo` starts the two peers of :mod:`peerlab.natlab._peer` in a built lab (the
caller in ``left``, the callee in ``right``, signalling through the lab's ``peerlab serve``),
reads their events, and returns a :class:`DemoResult`: the candidates each gathered, the
selected pair (as a browser on the left names it: :attr:`DemoResult.selected`), and ``ms``, the
time from the caller's ``setRemoteDescription(answer)`` (from then on both sides run ICE's
checks) to its ``connectionState`` becoming ``connected`` (ICE, then DTLS).

It does not wait out ICE's own timeout. Once both peers have gathered, it asks
:func:`~peerlab.natlab.explain.why_no_pair` whether any pair can work in this lab; if none can,
it gives the checks :data:`GRACE` seconds (a pair that works here connects within one) and then
stops, with the reason. Whatever happens, it stops after :data:`GIVE_UP` seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .explain import why_no_pair, why_no_relay
from .ice import check_ice, uses_turn
from .lab import Lab
from .turncheck import TIMEOUT as TURN_PROBE_TIMEOUT

__all__ = ["DemoResult", "run_demo", "GRACE", "GIVE_UP", "TYPE_ORDER"]

GRACE = 2.0         # seconds the checks get once no pair can work, before the demo says so
GIVE_UP = 20.0      # seconds after the peers start, whatever happens
PEER_LIFETIME = 60.0
TYPE_ORDER = ("host", "srflx", "prflx", "relay")
SIDES = {"caller": "left", "callee": "right"}
_rooms = itertools.count(1)


@dataclass
class DemoResult:
    """What one demo run found; :meth:`as_json` is the ``--json`` output."""

    nat: str
    ice: str
    block_udp: str | None
    connected: bool = False
    #: The selected pair's candidate types as a browser names them on the left (the caller):
    #: ``{"local": ..., "remote": ...}``. A browser (libwebrtc) names a pair's local candidate after the
    #: address the far side sees (``srflx`` behind a NAT that STUN predicted, ``prflx`` behind one it did
    #: not); aioice keeps the base the packets leave from (``host``), as RFC 8445 section 6.1.2.4 says.
    #: So ``local`` is the type the right peer's pair gives the left's end, ``remote`` the left pair's own.
    selected: dict[str, str] | None = None
    #: The candidate types each side gathered, in the order host, srflx, relay.
    gathered: dict[str, list[str]] = field(default_factory=dict)
    #: Milliseconds from the caller applying the answer to ``connected``.
    ms: int | None = None
    #: Why it did not connect, and what a side that gathered no relay with TURN configured was told
    #: by coturn (``None`` if there is nothing to say).
    reason: str | None = None
    #: Each side's candidates in full (type, address, port, protocol), and the selected pair's.
    candidates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Each side's selected pair as aioice has it (:func:`~peerlab.natlab._ice.selected_pair`).
    pairs: dict[str, dict[str, dict[str, Any]] | None] = field(default_factory=dict)
    gather_ms: dict[str, int] = field(default_factory=dict)
    #: What coturn answered a side that gathered no relay candidate although TURN was configured.
    turn: dict[str, str | None] = field(default_factory=dict)
    #: A data channel message's round trip after connecting, in milliseconds.
    echo_ms: int | None = None
    #: Seconds from starting the peers to the result.
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        blocked = f", UDP blocked: {self.block_udp}" if self.block_udp else ""
        lines = [f"natlab demo: {self.nat} NATs, ICE servers: {self.ice}{blocked}"]
        for side in ("left", "right"):
            shown = ", ".join(f"{c['type']} {c['address']}:{c['port']}/{c['protocol']}"
                              for c in self.candidates.get(side, []))
            took = f" (in {self.gather_ms[side]} ms)" if side in self.gather_ms else ""
            lines.append(f"  {side:5} gathered {', '.join(self.gathered.get(side, [])) or 'nothing'}{took}"
                         + (f": {shown}" if self.candidates.get(side) else ""))
        left, right = self.pairs.get("left"), self.pairs.get("right")
        if self.connected and left is not None and self.selected is not None:
            seen = right["remote"] if right is not None else left["local"]
            remote = left["remote"]
            lines.append(f"  selected pair: {self.selected['local']} {seen['address']}:{seen['port']} -> "
                         f"{self.selected['remote']} {remote['address']}:{remote['port']}")
            if seen is not left["local"] and seen["address"] != left["local"]["address"]:
                base = left["local"]
                lines.append(f"    (the left end as the right peer sees it; its packets leave from "
                             f"{base['type']} {base['address']}:{base['port']})")
            echo = f"; a data channel message came back in {self.echo_ms} ms" if self.echo_ms is not None else ""
            lines.append(f"  connected {self.ms} ms after the caller applied the answer{echo}")
        elif not self.connected:
            lines.append(f"  not connected after {self.seconds:.1f} s")
        if self.reason:
            lines.append(f"  {self.reason}")
        return "\n".join(lines)


def _types(candidates: list[dict[str, Any]]) -> list[str]:
    present = {c["type"] for c in candidates}
    return [t for t in TYPE_ORDER if t in present] + sorted(present - set(TYPE_ORDER))


async def _read_events(role: str, stream: asyncio.StreamReader, queue: asyncio.Queue[tuple[str, dict[str, Any]]],
                       ) -> None:
    while line := await stream.readline():
        try:
            event = json.loads(line)
        except ValueError:
            event = {"event": "output", "line": line.decode(errors="replace").strip()}
        await queue.put((role, event))
    await queue.put((role, {"event": "exited"}))


class _Watch:
    """The demo's view of the two peers, updated event by event."""

    def __init__(self, lab: Lab, ice: str, grace: float, give_up: float) -> None:
        self.lab, self.ice, self.grace = lab, ice, grace
        self.result = DemoResult(lab.nat, ice, lab.block_udp)
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.started = time.monotonic()
        self.deadline = self.started + give_up
        self.described: float | None = None  # when the caller applied the answer
        self.failure: str | None = None      # a peer failed, or its connection did
        self.impossible: str | None = None   # why no pair can work (explain.why_no_pair)
        self.exited: set[str] = set()

    def probing(self) -> bool:
        """Whether a peer that gathered no relay candidate, TURN configured, is still asking coturn why."""
        return uses_turn(self.ice) is not None and any(
            "relay" not in types and side not in self.result.turn for side, types in self.result.gathered.items())

    def handle(self, role: str, event: dict[str, Any]) -> None:
        result, side, kind = self.result, SIDES[role], event["event"]
        if kind == "gathered":
            result.candidates[side] = event["candidates"]
            result.gathered[side] = _types(event["candidates"])
            result.gather_ms[side] = event["ms"]
        elif kind == "turn":
            result.turn[side] = event["error"]
        elif kind == "described" and role == "caller":
            self.described = event["t"]
        elif kind == "connected":
            result.pairs[side] = event["selected"]
            if role == "caller":
                result.connected = True
                result.ms = round((event["t"] - (self.described or self.started)) * 1000)
        elif kind == "echo":
            result.echo_ms = event["ms"]
        elif kind == "state" and event["state"] in ("failed", "closed") and not result.connected:
            self.failure = self.failure or f"the {side} peer's connection is {event['state']!r}"
        elif kind == "error":
            self.failure = self.failure or f"the {side} peer failed: {event['error']}"
        elif kind == "exited":
            self.exited.add(role)
        if len(result.gathered) == 2 and self.impossible is None and not self.probing():
            self.impossible = why_no_pair(self.lab.nat, self.ice, self.lab.block_udp, result.gathered)
            if self.impossible is not None:
                self.deadline = min(self.deadline, time.monotonic() + self.grace)

    async def until(self, done: Callable[[], bool], deadline: float | None = None) -> None:
        """Handle events until ``done()``, every peer has exited, or ``deadline`` (monotonic) passes.

        Without ``deadline``, the demo's own, which comes closer once no pair can work.
        """
        while not done() and len(self.exited) < len(SIDES):
            wait = (self.deadline if deadline is None else deadline) - time.monotonic()
            try:
                role, event = await asyncio.wait_for(self.queue.get(), max(0.0, wait))
            except TimeoutError:
                return
            self.handle(role, event)

    def finish(self) -> DemoResult:
        result = self.result
        result.seconds = round(time.monotonic() - self.started, 2)
        left, right = result.pairs.get("left"), result.pairs.get("right")
        if left is not None:  # the browser's names: how the far side sees each end (see DemoResult.selected)
            seen = right["remote"] if right is not None else left["local"]
            result.selected = {"local": seen["type"], "remote": left["remote"]["type"]}
        answers: dict[str | None, list[str]] = {}
        for side, answer in sorted(result.turn.items()):
            answers.setdefault(answer, []).append(side)
        notes = [why_no_relay(sides, self.ice, answer) for answer, sides in answers.items()]
        if not result.connected:
            waited = f"no candidate pair connected in {result.seconds:.1f} s"
            if self.failure is not None:
                notes.append(self.failure)
            elif self.impossible is not None:
                notes.append(f"{waited}, and none can: {self.impossible}")
            else:
                notes.append(f"{waited}; the demo stopped there (ICE's own timeout is about a minute)")
        result.reason = " ".join(note[0].upper() + note[1:] for note in notes) or None
        return result


async def run_demo(lab: Lab, ice: str, *, password: str | None = None, grace: float = GRACE,
                   give_up: float = GIVE_UP) -> DemoResult:
    """Run the two peers through ``lab`` (built, configured as wanted) with ICE mode ``ice``.

    ``password`` replaces the right TURN password (to see what a wrong one does).
    """
    watch = _Watch(lab, check_ice(ice), grace, give_up)
    room = f"demo-{next(_rooms)}-{lab.id}"
    peers: dict[str, asyncio.subprocess.Process] = {}
    readers: list[asyncio.Task[None]] = []
    try:
        for role in ("callee", "caller"):
            side = SIDES[role]
            argv = [sys.executable, "-m", "peerlab.natlab._peer", role, lab.signalling_url, room,
                    json.dumps(lab.configuration(ice, name=side, password=password)), "--lifetime", str(PEER_LIFETIME)]
            peer = await asyncio.create_subprocess_exec(
                *lab.command(side, argv), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=lab.environment)
            peers[role] = peer
            assert peer.stdout is not None
            readers.append(asyncio.create_task(_read_events(role, peer.stdout, watch.queue)))
        result = watch.result
        await watch.until(lambda: result.connected or watch.failure is not None)
        if result.connected:  # the far side's view of the pair, and the data channel's first message
            await watch.until(lambda: "right" in result.pairs and result.echo_ms is not None,
                              time.monotonic() + grace)
        await watch.until(lambda: not watch.probing(), time.monotonic() + TURN_PROBE_TIMEOUT + 1)
    finally:
        for peer in peers.values():
            assert peer.stdin is not None
            peer.stdin.close()  # end-of-file: the peer closes its connection and leaves the room
        for peer in peers.values():
            try:
                await asyncio.wait_for(peer.wait(), 10.0)
            except TimeoutError:
                peer.kill()  # nsenter only: what runs in the lab ends with its lifetime, or the lab
                await peer.wait()
        await asyncio.gather(*readers, return_exceptions=True)
        for role, peer in peers.items():
            assert peer.stderr is not None
            tail = (await peer.stderr.read()).decode(errors="replace").strip().splitlines()
            if tail and watch.failure is not None and SIDES[role] in watch.failure:
                watch.failure += f" ({tail[-1]})"
    return watch.finish()
