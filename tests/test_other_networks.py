"""The lessons' stored outputs hold on a machine with another network: one address, or three and IPv6.

Each test runs nbval over the lessons (the same options as ``make test``) in a network namespace of
its own (``unshare -rn``: no root needed where user namespaces are allowed) whose only interfaces are
veth pairs made for it, as this kernel has no ``dummy`` device. A lesson whose output counted the host
candidates, or showed an address, fails here. Lesson 10 is left out (``LAB_LESSONS``): its kernel
enters peerlab.natlab's own networks before it makes a connection, so the machine's network never
reaches its outputs, and it spent a third of each run waiting on its lab. The two networks' runs start
together (each mostly waits on its kernels), so the second does not wait for the first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import LAB_LESSONS, skip_or_fail

ROOT = Path(__file__).resolve().parents[1]

# Runs inside the new namespace: lo, then N veth pairs with an address each (198.18.0.0/15 is the
# range set aside for network tests), IPv6 off or one global IPv6 address, then the command.
SETUP = r"""
set -e
ip link set lo up
for k in $(seq 0 $((N - 1))); do
  ip link add a$k type veth peer name b$k
  ip addr add 198.18.$k.1/24 dev a$k
  ip link set a$k up
  ip link set b$k up
done
if [ "$V6" = off ]; then echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
else ip -6 addr add 2001:db8::1/64 dev a0 nodad; fi
exec "$@"
"""


SHAPES = {"one-address": (1, False), "three-and-ipv6": (3, True)}


def run_lessons(unshare: str, addresses: int, ipv6: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "N": str(addresses), "V6": "on" if ipv6 else "off"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    probe = [sys.executable, "-c", "from aioice.ice import get_host_addresses as g; "
             "print(len(g(use_ipv4=True, use_ipv6=True)))"]
    seen = subprocess.run([unshare, "-rn", "sh", "-c", SETUP, "sh", *probe], env=env, capture_output=True,
                          text=True, timeout=60)
    assert seen.stdout.strip() == str(addresses + ipv6), seen.stdout + seen.stderr  # the network is as meant
    lessons = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "tests.conftest", "notebooks",
               *(f"--ignore={path}" for path in LAB_LESSONS)]
    return subprocess.run([unshare, "-rn", "sh", "-c", SETUP, "sh", *lessons], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


@pytest.fixture(scope="module")
def runs():
    """Both networks' runs, started at once: {shape: its future}."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None or subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode:
        skip_or_fail("needs `unshare -rn` (util-linux, user namespaces) and `ip` (iproute2) to make a network")
    with ThreadPoolExecutor(len(SHAPES)) as pool:
        yield {shape: pool.submit(run_lessons, unshare, *shape_of) for shape, shape_of in SHAPES.items()}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("shape", SHAPES)
def test_the_lessons_outputs_do_not_depend_on_the_network(runs: dict[str, Future[subprocess.CompletedProcess[str]]],
                                                          shape: str):
    result = runs[shape].result()
    tail = "\n".join(result.stdout.splitlines()[-30:])
    assert result.returncode == 0, tail + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and not re.search(r"\d+ (failed|error)", summary), tail
