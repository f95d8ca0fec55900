"""The lab's keeper: PID 1 of the lab's own PID namespace, alive exactly as long as the lab.

``peerlab.natlab`` starts it as ``unshare [--user --map-root-user] --net --mount --pid --fork
--kill-child python -I _keeper.py LAB_ID LIFETIME``, with its stdin a pipe from the process that
built the lab. It mounts a tmpfs on ``/run`` (its mount namespace is private, so the lab's named
namespaces and files live there and nowhere else) and its PID namespace's own ``/proc`` (so a PID
file written in the lab names a process there), prints one JSON line ``{"pid": ..., "ok": true}``
with its PID as the builder sees it (what ``nsenter --target`` needs), then waits.

It exits when its stdin reaches end-of-file (the builder called ``teardown()``, or died: the kernel
closes a dead process's pipes, SIGKILL included), or when ``LIFETIME`` seconds have passed. Its
exit is the whole tear-down: the kernel kills every process of a PID namespace when its PID 1
ends (coturn, ``peerlab serve``, the peers, the impairment reader), then frees the mount namespace
and with it ``/run/netns/*``, so every network namespace goes, and with them their veths, bridge
and nftables rules. Nothing of the lab was ever outside these namespaces.

As PID 1 it also reaps the processes orphaned inside the lab. It runs as a script, without
importing peerlab (or anything beyond the standard library), so that it starts in milliseconds.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time


def _reap() -> None:
    """Collect every child that has ended (orphans end up here, as in any PID namespace's init)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str]) -> int:
    lab_id, lifetime = argv[0], float(argv[1])
    pid = int(os.readlink("/proc/self"))  # /proc is still the builder's: its PID for this process
    for mount in (["-t", "tmpfs", "-o", "mode=0755,size=16m", f"natlab-{lab_id}", "/run"],
                  ["-t", "proc", "-o", "nosuid,nodev,noexec", "proc", "/proc"]):
        # -n: no entry in /run/mount/utab, which would be written on the machine's /run before the tmpfs hides it
        done = subprocess.run(["mount", "-n", *mount], capture_output=True, text=True)
        if done.returncode != 0:
            error = f"mount {' '.join(mount)}: {done.stderr.strip()}"
            print(json.dumps({"ok": False, "error": error}), flush=True)
            return 1
    os.makedirs("/run/natlab", exist_ok=True)
    print(json.dumps({"ok": True, "pid": pid}), flush=True)
    end = time.monotonic() + lifetime
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([sys.stdin.fileno()], [], [], min(left, 1.0))
        _reap()
        if ready and not os.read(sys.stdin.fileno(), 4096):
            break  # end-of-file: the builder tore the lab down, or died
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
