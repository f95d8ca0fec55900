"""The kernels the tests start are reached over Unix sockets (tests/unix_kernels.py says why)."""

from __future__ import annotations

import json
from pathlib import Path

import nbval.kernel

from .kernel import Kernel


def transport_of(manager) -> str:
    return json.loads(Path(manager.connection_file).read_text())["transport"]


def test_nbval_starts_its_kernels_over_unix_sockets():
    # tests/conftest.py points nbval's KernelManager at ours; an nbval that stops using that name would
    # silently bring back TCP ports (and the kernel that never answers), so this says so instead.
    manager, client = nbval.kernel.start_new_kernel(kernel_name="python3")  # what nbval's RunningKernel calls
    try:
        assert transport_of(manager) == "ipc"
        assert Path(manager.ip + "-1").is_socket()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_the_tests_own_kernels_use_unix_sockets_too():
    kernel = Kernel()
    try:
        assert transport_of(kernel.manager) == "ipc"
        assert kernel.run("1 + 1", "probe").result == "2"
    finally:
        kernel.close()
