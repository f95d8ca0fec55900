"""The ``peerlab`` command: ``peerlab serve`` starts the signalling server for a room of laptops.

With ``--turn-url turn:HOST:3478 --turn-secret S`` (S: the ``static-auth-secret`` of a coturn
running with ``use-auth-secret``) it hands each client step 1's ``iceServers``, with TURN
credentials of its own, so that learners on different networks connect through that coturn.
The secret may come from the environment variable ``PEERLAB_TURN_SECRET`` instead, which other
users of the machine cannot read in the process list.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from .errors import ServerStartError
from .signalling.server import DEFAULT_HOST, DEFAULT_PORT, serve
from .signalling.turn import DEFAULT_TTL, check_ice_urls

TURN_SECRET_VARIABLE = "PEERLAB_TURN_SECRET"

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peerlab", description="peerlab's command-line tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = commands.add_parser("serve", help="run the WebSocket signalling server (rooms of a caller and a callee)",
                            description="Run the WebSocket signalling server, with a status page at its root URL.")
    s.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 lets other machines join, "
                        "with a token)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free one)")
    s.add_argument("--token", default=None,
                   help="the token clients must give; made up and printed when the host is not 127.0.0.1")
    s.add_argument("--stun-url", action="append", default=[], metavar="URL",
                   help="a STUN server for every client's iceServers, e.g. stun:HOST:3478 (repeatable)")
    s.add_argument("--turn-url", action="append", default=[], metavar="URL",
                   help="a TURN server for every client's iceServers, e.g. turn:HOST:3478 or "
                        "turn:HOST:3478?transport=tcp (repeatable); needs --turn-secret")
    s.add_argument("--turn-secret", default=None, metavar="SECRET",
                   help="the TURN server's static-auth-secret (coturn's use-auth-secret): each client gets "
                        f"credentials signed with it (or set {TURN_SECRET_VARIABLE})")
    s.add_argument("--turn-ttl", type=float, default=DEFAULT_TTL, metavar="SECONDS",
                   help=f"how long each client's TURN credentials stay valid (default {DEFAULT_TTL:g} s)")
    return parser


async def _serve(host: str, port: int, token: str | None, ice: argparse.Namespace) -> None:
    server = await serve(host, port, token, stun_urls=ice.stun_url, turn_urls=ice.turn_url,
                         turn_secret=ice.turn_secret, turn_ttl=ice.turn_ttl)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
    print(server, flush=True)
    if token is None and server.token is not None:
        print("  (no --token given, so peerlab made one: whoever has the URL can join)", flush=True)
    print("Stop it with Ctrl-C.", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()
        print("peerlab serve stopped.", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``peerlab COMMAND``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        if args.turn_url and args.turn_secret is None:
            args.turn_secret = os.environ.get(TURN_SECRET_VARIABLE) or None
        if bool(args.turn_url) != (args.turn_secret is not None):
            parser.error(f"--turn-url and --turn-secret (or {TURN_SECRET_VARIABLE}) go together: the server signs "
                         "each client's TURN credentials with the secret the TURN server has (coturn's "
                         "static-auth-secret)")
        try:
            check_ice_urls(args.stun_url, "stun")
            check_ice_urls(args.turn_url, "turn")
        except ValueError as exc:
            parser.error(str(exc))
        if args.turn_ttl <= 0:
            parser.error(f"--turn-ttl is a number of seconds above 0, not {args.turn_ttl:g}")
        try:
            asyncio.run(_serve(args.host, args.port, args.token, args))
        except ServerStartError as exc:
            print(f"peerlab serve: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # pragma: no cover - before the handlers were set
            return 130
    return 0
