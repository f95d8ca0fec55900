"""The ``peerlab`` command: ``peerlab serve`` starts the signalling server for a room of laptops."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from .errors import ServerStartError
from .signalling.server import DEFAULT_HOST, DEFAULT_PORT, serve

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
    return parser


async def _serve(host: str, port: int, token: str | None) -> None:
    server = await serve(host, port, token)
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
    args = _parser().parse_args(argv)
    if args.command == "serve":
        try:
            asyncio.run(_serve(args.host, args.port, args.token))
        except ServerStartError as exc:
            print(f"peerlab serve: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:  # pragma: no cover - before the handlers were set
            return 130
    return 0
