"""A far peer in a process of its own: ``python -m peerlab.peer --role callee URL --room ROOM``.

It joins ``ROOM`` on the ``peerlab serve`` at ``URL`` and plays the guide's steps there as
:func:`peerlab.play_callee` / :func:`peerlab.play_caller` do in a kernel: the callee answers every
offer, the caller offers to every callee that joins (or joins again); both trickle their
candidates and echo data-channel messages (``"echo: ..."``). It prints one line per step to
stdout, so the notebook that started it (or a teacher) can see what it did.

Step 1's configuration is ``{"iceServers": []}`` unless ``--configuration JSON`` gives another, in
the browser's shape (``iceServers``, ``iceTransportPolicy``, ``bundlePolicy``);
``--ice-servers-from-server`` takes its ``iceServers`` from the server's ``joined`` message instead
(``peerlab serve --turn-url ... --turn-secret ...`` hands out TURN credentials there).

It stops, closing its connection and leaving the room, on SIGTERM or SIGINT, after
``--lifetime`` seconds (15 minutes by default), with ``--stop-with-stdin`` when its stdin ends (the
process that started it, holding the other end of that pipe, ended), or when the server stops or
drops it before its connection is up, whichever comes first. A connection that is up goes on
without the server (the server is not on the data channel's path) until it ends or the peer is
stopped. Exit status: 0 when it stopped for one of those reasons, 1 when it could not join, 2 for
a configuration it cannot use.

From a notebook, :func:`peerlab.start_far_peer` (:mod:`peerlab.far`) starts it, as lesson 05 does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import Any

from .errors import ConfigurationError, JoinRefused, SignallingError
from .signalling.messages import ROLES, other_role
from .signalling.websocket import join
from .teaching.scripted import play_callee, play_caller
from .webrtc.connection import to_configuration

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
    parser.add_argument("--configuration", default=None, metavar="JSON",
                        help='step 1\'s configuration, as JSON in the browser\'s shape (default {"iceServers": []}), '
                             'e.g. \'{"iceServers": [{"urls": "stun:HOST:3478"}]}\'')
    parser.add_argument("--ice-servers-from-server", action="store_true",
                        help="use the iceServers the server hands out when it joins (peerlab serve --turn-url ... "
                             "--turn-secret ...) instead of the configuration's")
    parser.add_argument("--stop-with-stdin", action="store_true",
                        help="stop when stdin ends: the process that started it holds the other end of that pipe, "
                             "so it stops with that process (a notebook's kernel)")
    return parser


def _refused(role: str, room: str, exc: SignallingError) -> str:
    """Why the far peer could not join, and what to do: a far peer cannot take the other role."""
    if isinstance(exc, JoinRefused) and exc.reason == "role-taken":
        there = re.search(r"already has a \w+: (client .*? s)\.", str(exc))
        who = f" ({there.group(1)})" if there else ""
        return (f"room {room!r} already has a {role}{who}. Stop that {role} first (a far peer started before: "
                f"await far.stop()), or start this one in another room.")
    return str(exc)


def configuration_for(configuration: dict[str, Any] | None, ice_servers: list[dict[str, Any]] | None = None) -> Any:
    """What the far peer's connections are made with: ``configuration`` (the browser's dict), its
    ``iceServers`` replaced by ``ice_servers`` when given; ``None`` (host candidates only) for neither.

    Raises :class:`ConfigurationError` for one that cannot be used.
    """
    if configuration is None and ice_servers is None:
        return None
    merged = dict(configuration or {})
    if ice_servers is not None:
        merged["iceServers"] = ice_servers
    if not isinstance(merged.get("iceServers", []), list):
        raise ConfigurationError("'iceServers' is a list of {'urls': ...} dicts, e.g. []")
    return merged


def describe(configuration: dict[str, Any]) -> str:
    """A configuration in one line, credentials left out: what the peer says it uses."""
    urls = [url for server in configuration.get("iceServers", [])
            for url in ([server["urls"]] if isinstance(server["urls"], str) else server["urls"])]
    policy = configuration.get("iceTransportPolicy", "all")
    return (", ".join(urls) or "no ICE servers") + (" (relay candidates only)" if policy == "relay" else "")


def _short(why: BaseException) -> str:
    """Why signalling ended, without the advice meant for a notebook (join again, `peerlab serve`)."""
    return str(why).split(", so nothing more comes")[0].split(". ")[0]


async def run(url: str, room: str, role: str = "callee", token: str | None = None,
              lifetime: float = DEFAULT_LIFETIME, configuration: dict[str, Any] | None = None,
              ice_servers_from_server: bool = False, stop_with_stdin: bool = False) -> int:
    """Join, play until stopped, leave; returns the exit status."""
    try:
        endpoint = await join(url, room=room, role=role, token=token)
    except SignallingError as exc:
        _say(f"{role}: could not join room {room!r}: {_refused(role, room, exc)}")
        return 1
    served = endpoint.ice_servers if ice_servers_from_server else None
    try:
        made = configuration_for(configuration, served)
    except ConfigurationError as exc:
        await endpoint.close()
        _say(f"{role}: cannot use that configuration: {exc}")
        return 2
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
    watching_stdin = stop_with_stdin and _watch_stdin(loop, reason, stop)
    far = other_role(role)
    present = f"the {far} is here" if endpoint.far_present else f"waiting for the {far}"
    _say(f"{role}: joined room {room!r} on {endpoint.url} ({present})")
    if made is not None:
        shown = {**(configuration or {}), **({"iceServers": served} if served is not None else {})}
        _say(f"{role}: step 1's configuration: {describe(shown)}")
    play = play_callee if role == "callee" else play_caller
    peer = play(endpoint, configuration=made, report=_say, outlive_signalling=True)
    closed = asyncio.ensure_future(endpoint.wait_closed())
    stopped = asyncio.ensure_future(stop.wait())
    gone = asyncio.Event()  # the connection that outlived signalling ended
    ended = asyncio.ensure_future(gone.wait())
    end = loop.time() + lifetime
    try:
        done, _ = await asyncio.wait({closed, stopped}, timeout=lifetime, return_when=asyncio.FIRST_COMPLETED)
        if closed in done and not stopped.done():
            why = _short(closed.result())
            pc = peer.pc
            if pc is None or pc.connectionState != "connected":
                reason[0] = "the signalling connection ended: " + why
            else:
                _say(f"{role}: the signalling connection ended ({why}); its connection is 'connected' and goes "
                     "on without it: the server is not on the data channel's path")

                def on_state(*_: Any) -> None:
                    if pc.connectionState in ("failed", "closed"):
                        gone.set()

                pc.on("connectionstatechange", on_state)
                on_state()
                done, _ = await asyncio.wait({stopped, ended}, timeout=max(0.0, end - loop.time()),
                                             return_when=asyncio.FIRST_COMPLETED)
                if ended in done and not stopped.done():
                    reason[0] = (f"its connection is {pc.connectionState!r}, and without signalling it cannot "
                                 "make another")
    finally:
        for job in (closed, stopped, ended):
            job.cancel()
        await asyncio.gather(closed, stopped, ended, return_exceptions=True)
        await peer.close()
        await endpoint.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(signum)
                signal.signal(signum, signal.SIG_IGN)  # it is stopping anyway: a late SIGTERM must not kill it mute
            except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover
                pass
        if watching_stdin:
            loop.remove_reader(sys.stdin.fileno())
    _say(f"{role}: stopped ({reason[0]}); it left room {room!r}")
    return 0


def _watch_stdin(loop: asyncio.AbstractEventLoop, reason: list[str], stop: asyncio.Event) -> bool:
    """Set ``stop`` when stdin ends (the process holding its other end ended); False if it cannot be watched."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return False

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            if not stop.is_set():
                reason[0] = "its stdin ended: the process that started it ended"
                stop.set()

    try:
        loop.add_reader(fd, readable)
    except (NotImplementedError, OSError, ValueError):  # pragma: no cover - Windows, or not a pipe
        return False
    return True

def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configuration = None
    if args.configuration is not None:
        try:
            configuration = json.loads(args.configuration)
            if not isinstance(configuration, dict):
                raise ValueError("it is not a JSON object")
            to_configuration(configuration)  # checks it all, as step 1 would
        except (ValueError, ConfigurationError) as exc:
            parser.error(f"--configuration is step 1's configuration as a JSON object, "
                         f'like {{"iceServers": []}}: {exc}')
    try:
        return asyncio.run(run(args.url, args.room, args.role, args.token, args.lifetime, configuration,
                               args.ice_servers_from_server, args.stop_with_stdin))
    except KeyboardInterrupt:  # pragma: no cover - before the handlers were set
        return 130


if __name__ == "__main__":
    sys.exit(main())
