"""Measure a path through the lab: UDP round trips and losses between two of its hosts.

What a teacher checks an impaired link with (:meth:`~peerlab.natlab.Lab.impair`), and what the
tests do: :func:`udp_ping` starts a UDP echo (:mod:`peerlab.natlab._probe`) on one host and pings
it from another, through whatever NAT and impairment lie between.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import LabError
from .lab import Lab
from .processes import finish, read_line
from .topology import ADDRESSES

__all__ = ["PingResult", "udp_ping", "ECHO_PORT"]

PROBE = Path(__file__).resolve().with_name("_probe.py")
ECHO_PORT = 9000


@dataclass
class PingResult:
    """``sent`` datagrams, ``received`` echoes, and each echo's round-trip time in milliseconds."""

    sent: int
    received: int
    rtt_ms: list[float]

    @property
    def lost(self) -> int:
        return self.sent - self.received

    def __str__(self) -> str:
        rtt = f", round trip {min(self.rtt_ms):.1f}-{max(self.rtt_ms):.1f} ms" if self.rtt_ms else ""
        return f"{self.sent} sent, {self.received} came back ({self.lost} lost){rtt}"


def udp_ping(lab: Lab, source: str, target: str, *, count: int = 20, interval: float = 0.01,
             wait: float = 1.0) -> PingResult:
    """Send ``count`` datagrams from ``source`` to a UDP echo on ``target`` (hosts of the lab), and count.

    ``target`` must be reachable from ``source``: a public host (``turn``, ``signal``) from anywhere,
    a private one only from its own network. Takes ``count * interval + wait`` seconds.
    """
    address = ADDRESSES[target]
    echo = subprocess.Popen(lab.command(target, [sys.executable, "-I", str(PROBE), "echo", address, str(ECHO_PORT),
                                                 str(count * interval + wait + 30)]),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=lab.environment)
    try:
        assert echo.stdout is not None
        if not read_line(echo.stdout, 10.0).strip():
            raise LabError(f"the UDP echo did not start on {target}")
        ran = lab.run(source, [sys.executable, "-I", str(PROBE), "ping", address, str(ECHO_PORT), str(count),
                               repr(interval), repr(wait)], timeout=count * interval + wait + 20)
    finally:
        assert echo.stdin is not None
        echo.stdin.close()
        finish(echo)
    answer = json.loads(ran.stdout)
    return PingResult(answer["sent"], answer["received"], answer["rtt_ms"])
