"""The impaired link: delay and loss on everything one NAT router forwards, without netem.

This kernel has no ``netem`` qdisc (``Specified qdisc kind is unknown``) and nftables has no
``queue`` statement here (``CONFIG_NFT_QUEUE`` is off: ``nft add rule ... queue`` fails with
"No such file or directory"), but iptables' ``NFQUEUE`` target works: an
``iptables -t mangle -A FORWARD -j NFQUEUE --queue-bypass`` rule on the router hands each
forwarded packet, either way, to a reader in the router's namespace (:mod:`peerlab.natlab._nfqueue`)
that accepts it ``delay`` seconds later or drops it, a random ``loss`` of them. A round trip across
the router so takes ``2 * delay`` more. With ``jitter``, each packet waits ``delay ± jitter``
(uniformly), so packets less than ``2 * jitter`` apart may overtake each other, as on a busy
wireless link. ``--queue-bypass`` lets packets through unimpaired whenever no reader is bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LabError
from .processes import finish, read_line
from .requirements import IMPAIR_TOOLS, check_requirements, tool

if TYPE_CHECKING:
    from .lab import Lab

__all__ = ["ImpairedLink", "READER", "QUEUE"]

READER = Path(__file__).resolve().with_name("_nfqueue.py")
QUEUE = 0
START_TIMEOUT = 15.0


class ImpairedLink:
    """A running impairment on one router: its reader process, and the rule that feeds it."""

    def __init__(self, lab: Lab, router: str, delay: float, loss: float, jitter: float = 0.0) -> None:
        if not 0 <= loss <= 1 or delay < 0 or not 0 <= jitter <= delay:
            raise ValueError(f"delay is >= 0 seconds, loss a fraction in [0, 1] and jitter from 0 to the delay, "
                             f"not {delay!r}, {loss!r} and {jitter!r}")
        check_requirements(IMPAIR_TOOLS)
        self.lab, self.router, self.delay, self.loss, self.jitter = lab, router, delay, loss, jitter
        self._reader = subprocess.Popen(
            lab.command(router, [sys.executable, "-I", str(READER), str(QUEUE), repr(delay), repr(loss),
                                 repr(lab.lifetime), repr(jitter)]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env=lab.environment)
        assert self._reader.stdout is not None
        line = read_line(self._reader.stdout, START_TIMEOUT)
        if not json.loads(line or "{}").get("ready"):
            finish(self._reader)
            raise LabError(f"the impaired link's reader did not start on {router}: {line.strip() or 'no answer'}",
                           output=line)
        try:
            lab.run(router, [tool("iptables"), "-t", "mangle", "-A", "FORWARD", "-j", "NFQUEUE",
                             "--queue-num", str(QUEUE), "--queue-bypass"])
        except LabError:
            self.stop()
            raise

    def stop(self) -> dict[str, int]:
        """Remove the rule and stop the reader; returns how many packets it passed and dropped."""
        if self.lab.built:
            self.lab.run(self.router, [tool("iptables"), "-t", "mangle", "-F", "FORWARD"], check=False)
        assert self._reader.stdin is not None and self._reader.stdout is not None
        if not self._reader.stdin.closed:
            self._reader.stdin.close()  # end-of-file: the reader prints its counts and ends
        counts: dict[str, int] = json.loads(read_line(self._reader.stdout, START_TIMEOUT) or "{}")
        finish(self._reader)
        return counts
