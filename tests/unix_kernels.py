"""Kernels the tests start talk to them over Unix sockets, each in a folder of its own, not over TCP ports.

jupyter_client picks a kernel's five TCP ports by binding port 0 and letting go of it; until the kernel binds
them, any other process can take one (4 pytest-xdist workers, JupyterLab servers, Chromium and many peers
connect and listen on this machine at once). The kernel then never answers: nbval waited its 60 s in about
1 run of ``make test`` in 8 here (jupyter_client issue 487). With ``transport="ipc"`` no port is involved.
The learner's own JupyterLab keeps TCP; what a kernel computes does not depend on how it is reached.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager, KernelManager
from traitlets import default

# Sockets are named by path (at most 107 bytes): a short folder of this process's own under /tmp.
_FOLDER = Path(tempfile.mkdtemp(prefix="peerlab-kernels-"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)


class _OverUnixSockets:
    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default(self) -> str:  # the sockets' path, "-1" to "-5" appended
        return str(_FOLDER / uuid.uuid4().hex[:12])


class UnixSocketKernelManager(_OverUnixSockets, KernelManager):
    """jupyter_client's KernelManager, over Unix sockets."""


class AsyncUnixSocketKernelManager(_OverUnixSockets, AsyncKernelManager):
    """jupyter_client's AsyncKernelManager (nbclient's), over Unix sockets."""


def start_kernel(kernel_name: str = "python3", startup_timeout: float = 60, **kwargs: Any) -> tuple[Any, Any]:
    """jupyter_client's start_new_kernel, over Unix sockets: the manager and a started, ready client."""
    manager = UnixSocketKernelManager(kernel_name=kernel_name)
    manager.start_kernel(**kwargs)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=startup_timeout)
    except RuntimeError:
        client.stop_channels()
        manager.shutdown_kernel()
        raise
    return manager, client
