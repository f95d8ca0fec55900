"""A far peer in a process of its own: ``python -m peerlab.peer --role callee URL --room ROOM``.

It joins ``ROOM`` on the ``peerlab serve`` at ``URL`` and plays the guide's steps there as
:func:`peerlab.play_callee` / :func:`peerlab.play_caller` do in a kernel: the callee answers every
offer, the caller offers to every callee that joins (or joins again); both trickle their
candidates and echo data-channel messages (``"echo: ..."``). It prints one line per step to
stdout, so the notebook that started it (or a teacher) can see what it did.

It stops, closing its connection and leaving the room, on SIGTERM or SIGINT, when the server
stops or drops it, or after ``--lifetime`` seconds (15 minutes by default), whichever comes first.
Exit status: 0 when it stopped for one of those reasons, 1 when it could not join.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from .errors import SignallingError
from .signalling.messages import ROLES, other_role
from .signalling.websocket import join
from .teaching.scripted import play_callee, play_caller

__all__ = ["main", "run", "DEFAULT_LIFETIME"]

DEFAULT_LIFETIME = 15 * 60.0


def _say(line: str) -> None:
    print(line, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m peerlab.peer",
        description="Join a room on `peerlab serve` and play the far peer of the guide's steps there.")
    parser.add_argument("url", help="the server's URL, as `peerlab serve` printed it (ws://HOST:PORT/...)")
    parser.add_argument("--room", required=True, help="the room to join, e.g. table-3")
    parser.add_argument("--role", choices=ROLES, default="callee", help="the role it plays (default: callee)")
    parser.add_argument("--token", default=None, help="the server's token, if its URL does not carry it")
    parser.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME,
                        help=f"stop after this many seconds (default {DEFAULT_LIFETIME:g})")
    return parser


async def run(url: str, room: str, role: str = "callee", token: str | None = None,
              lifetime: float = DEFAULT_LIFETIME) -> int:
    """Join, play until stopped, leave; returns the exit status."""
    try:
        endpoint = await join(url, room=room, role=role, token=token)
    except SignallingError as exc:
        _say(f"{role}: could not join room {room!r}: {exc}")
        return 1
    stop = asyncio.Event()
    reason = [f"its lifetime of {lifetime:g} s is over"]
    loop = asyncio.get_running_loop()

    def stop_on(signum: signal.Signals) -> None:
        reason[0] = f"{signum.name} came"
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop_on, signum)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows, or not the main thread
            pass
    far = other_role(role)
    present = f"the {far} is here" if endpoint.far_present else f"waiting for the {far}"
    _say(f"{role}: joined room {room!r} on {endpoint.url} ({present})")
    play = play_callee if role == "callee" else play_caller
    peer = play(endpoint, report=_say)
    closed = asyncio.ensure_future(endpoint.wait_closed())
    stopped = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({closed, stopped}, timeout=lifetime, return_when=asyncio.FIRST_COMPLETED)
        if closed in done:
            reason[0] = "the signalling connection ended: " + str(closed.result())
    finally:
        for job in (closed, stopped):
            job.cancel()
        await asyncio.gather(closed, stopped, return_exceptions=True)
        await peer.close()
        await endpoint.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(signum)
            except (NotImplementedError, RuntimeError):  # pragma: no cover
                pass
    _say(f"{role}: stopped ({reason[0]}); it left room {room!r}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(run(args.url, args.room, args.role, args.token, args.lifetime))
    except KeyboardInterrupt:  # pragma: no cover - before the handlers were set
        return 130


if __name__ == "__main__":
    sys.exit(main())
