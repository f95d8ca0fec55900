"""``python -m peerlab.natlab demo|check``: the lab for teachers and checks.

``demo --nat cone|symmetric --ice none|stun|turn|turn-tcp|relay [--block-udp [all|except-turn]] [--json]``
builds a lab, connects two peers across it (:func:`peerlab.natlab.run_demo`), prints what
happened and tears the lab down. ``--block-udp`` alone blocks all UDP except to the TURN server
when the ICE mode reaches TURN over UDP (``turn``, ``relay``), and all UDP otherwise.
``--turn-password`` gives both peers a wrong TURN password, to see it diagnosed.
Exit status: 0 connected, 1 not connected, 2 the lab could not be built.

``check`` prints ``[ OK ]`` or ``[FAIL]`` for each thing the lab needs, with the fix for each failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from ..errors import LabError, LabUnavailable
from .demo import run_demo
from .ice import ICE_MODES, uses_turn
from .lab import Lab
from .requirements import IMPAIR_TOOLS, TOOLS, check_requirements, missing_tools
from .topology import BLOCK_UDP, NAT_KINDS

__all__ = ["main", "block_udp_for"]


def block_udp_for(ice: str, asked: str | None) -> str | None:
    """What ``--block-udp`` means with ``--ice ice``: ``"auto"`` spares the TURN server when ICE reaches it by UDP."""
    if asked != "auto":
        return asked
    return "except-turn" if uses_turn(ice) == "udp" else "all"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m peerlab.natlab",
                                     description="Two private networks behind NATs, with coturn between them.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="connect two peers across the lab and say how",
                               description="Build the lab, connect a peer behind each NAT, print the candidates "
                                           "gathered, the selected pair and the time to connected.")
    demo.add_argument("--nat", choices=NAT_KINDS, default="cone", help="the kind of both NATs (default cone)")
    demo.add_argument("--ice", choices=ICE_MODES, default="stun", help="the ICE servers and policy (default stun)")
    demo.add_argument("--block-udp", nargs="?", const="auto", default=None, choices=(*BLOCK_UDP, "auto"),
                      help="block UDP from the private networks: all, or except-turn (alone: except to the TURN "
                           "server when --ice reaches it by UDP)")
    demo.add_argument("--turn-password", default=None, help="a (wrong) TURN password for both peers")
    demo.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    commands.add_parser("check", help="say what the lab needs and whether this machine has it")
    return parser


def _check() -> int:
    failures = 0
    for tool, package in {**TOOLS, **IMPAIR_TOOLS}.items():
        missing = bool(missing_tools({tool: package}))
        failures += missing
        use = " (for Lab.impair only)" if tool in IMPAIR_TOOLS else ""
        fix = f": sudo apt-get install {package}" if missing else ""
        print(f"[{'FAIL' if missing else ' OK '}] {tool}{use}{fix}")
    try:
        with Lab(lifetime=60.0) as lab:
            print(f"[ OK ] namespaces: a lab was built in {lab.build_seconds:.1f} s "
                  f"({'as an ordinary user, in a user namespace' if lab.unprivileged else 'as root'})")
    except (LabUnavailable, LabError) as exc:
        failures += 1
        print(f"[FAIL] the lab: {exc}")
    return 1 if failures else 0


async def _demo(args: argparse.Namespace) -> int:
    with Lab(args.nat, block_udp_for(args.ice, args.block_udp), lifetime=120.0) as lab:
        result = await run_demo(lab, args.ice, password=args.turn_password)
    print(json.dumps(result.as_json()) if args.json else result, flush=True)
    return 0 if result.connected else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m peerlab.natlab COMMAND``; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check()
    try:
        check_requirements()
        return asyncio.run(_demo(args))
    except (LabUnavailable, LabError) as exc:
        print(f"python -m peerlab.natlab: {exc}", file=sys.stderr)
        return 2
