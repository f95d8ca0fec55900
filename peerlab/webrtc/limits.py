"""Open-file limits: a clear error when a process runs out of file descriptors, and the fix.

Each connection holds a few sockets, and a laptop's soft limit is often 256 open files,
so a kernel that keeps many connections open runs out. Python then raises
``OSError: [Errno 24] Too many open files`` from deep inside aioice; peerlab's Promises
turn it into :class:`FileLimitError`, which names the limit and how to raise it.
"""

from __future__ import annotations

import errno
from typing import Any

from ..errors import FileLimitError

__all__ = ["soft_limit", "raise_command", "explain_file_limit", "ADVISED"]

ADVISED = 4096  # what `ulimit -n` is told: many connections, and JupyterLab's own files
LOW = 1024  # below this the set-up check warns


def soft_limit() -> tuple[int, int] | None:
    """The soft and hard open-file limits (``RLIMIT_NOFILE``), or None where there is none (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft, hard


def raise_command() -> str:
    """How to raise the limit: in the terminal before starting Jupyter, or in a cell."""
    limits = soft_limit()
    hard = limits[1] if limits is not None else ADVISED
    target = ADVISED if hard < 0 or hard >= ADVISED else hard  # RLIM_INFINITY is -1
    return (f"run `ulimit -n {ADVISED}` in the terminal before starting Jupyter (`make lab`), or raise it for "
            f"this kernel in a cell: import resource; resource.setrlimit(resource.RLIMIT_NOFILE, "
            f"({target}, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))")


def explain_file_limit(error: Any) -> Any:
    """``error`` itself, or a :class:`FileLimitError` (caused by it) if it is "too many open files"."""
    if not isinstance(error, OSError) or isinstance(error, FileLimitError) or error.errno != errno.EMFILE:
        return error
    limits = soft_limit()
    limit = f"its limit of {limits[0]} open files" if limits is not None else "its limit of open files"
    explained = FileLimitError(
        f"Too many open files: this Python process has reached {limit}, and each connection holds a few "
        f"sockets. Close connections you no longer need (await pc.close()), or raise the limit: "
        f"{raise_command()}.")
    explained.__cause__ = error
    return explained


def preload() -> None:
    """Import now what aiortc imports on first use, in the background, at its first DTLS handshake.

    An import opens files; done late, in a background task, it fails without a word when the
    limit is reached (the connection then waits forever for DTLS). Done here it costs ~10 ms.
    """
    import cryptography.hazmat.backends.openssl
    import cryptography.hazmat.primitives.ciphers
    import cryptography.hazmat.primitives.serialization  # noqa: F401 - first DTLS handshake
