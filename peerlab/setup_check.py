"""The workshop set-up check (lesson 00): each item prints ``[ OK ]`` or ``[FAIL]`` and the fix.

Run it in a notebook (lesson 00) or in a terminal: ``python -m peerlab.setup_check``.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from .defaults import DEFAULT_WAIT
from .errors import PeerlabError
from .signalling.loopback import Loopback
from .teaching.scripted import play_callee
from .webrtc.connection import RTCPeerConnection
from .webrtc.internals import get_host_addresses
from .webrtc.limits import LOW, raise_command, soft_limit

__all__ = ["Result", "check_python", "check_packages", "check_network", "check_file_limit", "check_loopback_pair",
           "widget", "start_loop_probe", "check_loop_probe", "summary", "main"]

REQUIRED = {"aiortc": "1.16", "aioice": "0.13", "ipywidgets": "8.1", "jupyterlab": "4.6", "ipykernel": "7.4",
            "jupyter-server-proxy": "4.6"}  # the lower bounds pyproject.toml declares (a test keeps them equal)
IMPORTED = ("aiortc", "aioice", "ipywidgets")  # the lessons import these; the others are already running
WHY = {  # what an old version breaks, for the packages whose reason a learner cannot guess
    "ipykernel": "older kernels read the page's replies only after a cell ends, so lessons 06 and 09 wait for "
                 "the browser in vain",
    "jupyter-server-proxy": "on a hub or a teacher's server the page reaches the kernel through it",
}


@dataclass
class Result:
    """One line of the check: what was checked, whether it passed, and how to fix it if not."""

    ok: bool
    what: str
    fix: str = ""
    warning: bool = False  # passed, but something will bite later: printed as [WARN] with its fix

    def __str__(self) -> str:
        if self.warning:
            return f"[WARN] {self.what}\n       fix: {self.fix}"
        line = f"[ OK ] {self.what}" if self.ok else f"[FAIL] {self.what}"
        return line if self.ok or not self.fix else f"{line}\n       fix: {self.fix}"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for bit in text.split("."):
        digits = "".join(ch for ch in bit if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def check_python() -> Result:
    """Python 3.11 or newer: aiortc 1.16 needs it."""
    ok = sys.version_info >= (3, 11)
    return Result(ok, "Python is 3.11 or newer",
                  f"this is Python {sys.version.split()[0]}; install Python 3.11+ and run `make lab` again")


def check_packages() -> list[Result]:
    """Each package peerlab needs imports, at a version new enough."""
    results = []
    for name, lowest in REQUIRED.items():
        try:
            if name in IMPORTED:
                importlib.import_module(name)
            have = version(name)
        except (ImportError, PackageNotFoundError):
            why = f" ({WHY[name]})" if name in WHY else ""
            results.append(Result(False, f"{name} is installed",
                                  f"run `make lab` from the peerlab folder (it installs it){why}"))
            continue
        ok = _version_tuple(have) >= _version_tuple(lowest)
        what = "imports" if name in IMPORTED else "is installed"
        why = f" ({WHY[name]})" if name in WHY else ""
        results.append(Result(ok, f"{name} {what} (≥ {lowest} needed)",
                              f"{name} {have} is too old{why}: `make clean`, then `make lab`"))
    return results


def host_addresses() -> list[str]:
    """The addresses ICE will gather host candidates from: aioice's own rule, loopback excluded."""
    return get_host_addresses(use_ipv4=True, use_ipv6=True)


def check_network() -> Result:
    """At least one network address that ICE will use (aioice never uses 127.0.0.1 or ::1)."""
    return Result(bool(host_addresses()), "this machine has a network address ICE can use",
                  "ICE never uses loopback (127.0.0.1), so with every network off there is nothing to "
                  "connect, even between two peers on this laptop. Turn wifi on (no internet is needed) "
                  "or plug in a cable, then run this check again.")


def check_file_limit() -> Result:
    """Enough open files for many connections: each holds a few sockets (a warning, not a failure)."""
    limits = soft_limit()
    if limits is None or limits[0] < 0 or limits[0] >= LOW:
        return Result(True, f"this process may open enough files for many connections (≥ {LOW})")
    return Result(True, f"this process may open only {limits[0]} files at once, and each connection holds a few "
                  "sockets: with many connections open, new ones fail with 'too many open files'",
                  raise_command(), warning=True)


async def check_loopback_pair(timeout: float = DEFAULT_WAIT) -> Result:
    """Two real aiortc peers in this kernel connect through peerlab's loopback signalling."""
    if not host_addresses():
        timeout = min(timeout, 2.0)  # nothing can connect; say so soon
    loopback = Loopback()
    start = time.perf_counter()
    callee = play_callee(loopback.callee)
    pc = RTCPeerConnection({"iceServers": []}, name="setup-check")
    pc.addEventListener("icecandidate", lambda e: loopback.caller.send({"type": "candidate", "data": e.candidate}))
    try:
        pc.createDataChannel("check")
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        loopback.caller.send({"type": "offer", "data": offer})
        answer = await loopback.caller.receive("answer", timeout=timeout)
        await pc.setRemoteDescription(answer["data"])
        while (message := await loopback.caller.receive("candidate", timeout=timeout))["data"] is not None:
            await pc.addIceCandidate(message["data"])
        await pc.addIceCandidate(None)
        await pc.wait_for_state("connected", timeout=timeout)
    except PeerlabError as exc:
        return Result(False, "two peers connect on this machine",
                      str(exc))
    finally:
        await pc.close()
        await callee.close()
        loopback.close()
    elapsed = (time.perf_counter() - start) * 1000
    return Result(True, f"two peers connected on this machine in {elapsed:.0f} ms")


def widget() -> Any:
    """A small widget: if you can see it, JupyterLab's widget manager works."""
    import ipywidgets  # here, not at the top: without it the check still runs and says to install it

    return ipywidgets.HTML('<b class="peerlab-setup-widget">✔ widgets render: you can see this box</b>',
                           layout=ipywidgets.Layout(border="2px solid #2e7d32", padding="4px", width="max-content"))


class LoopProbe:
    """Set in one cell, read in the next: did the event loop run in between?"""

    def __init__(self) -> None:
        self.ran = False
        asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self.ran = True


def start_loop_probe() -> LoopProbe:
    """Schedule a callback on the kernel's loop; the next cell checks that it ran."""
    return LoopProbe()


def check_loop_probe(probe: LoopProbe) -> Result:
    """The kernel's event loop runs between cells (a connection keeps going while you read)."""
    return Result(probe.ran, "the kernel's event loop runs between cells",
                  "restart the kernel (Kernel → Restart Kernel) and run this notebook again")


def summary(results: list[Result]) -> str:
    """The last line: ready, or what to do."""
    failed = [r for r in results if not r.ok]
    if not failed:
        return "READY: this machine can run every peerlab lesson. Open 01-caller.ipynb next."
    return f"NOT READY: {len(failed)} check(s) failed. Fix the [FAIL] lines above, then run this notebook again."


async def run_all() -> list[Result]:
    results = [check_python(), *check_packages(), check_network(), check_file_limit()]
    results.append(await check_loopback_pair())
    probe = start_loop_probe()
    await asyncio.sleep(0)
    results.append(check_loop_probe(probe))
    return results


def main() -> int:
    """The same checks in a terminal (no widget): for a teaching assistant checking a room."""
    results = asyncio.run(run_all())
    for result in results:
        print(result)
    print(summary(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
