"""Two helpers for the child processes the lab starts: read a line without hanging, and end cleanly."""

from __future__ import annotations

import select
import subprocess
from typing import Any

__all__ = ["read_line", "finish"]


def read_line(stream: Any, timeout: float) -> str:
    """The next line of a child's pipe, or ``""`` if it ends or says nothing for ``timeout`` seconds."""
    ready, _, _ = select.select([stream], [], [], timeout)
    return str(stream.readline()) if ready else ""


def finish(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Wait for ``process`` (kill it if it takes more than ``timeout`` s) and close its pipes.

    Every process the lab starts is finished so, so that none is left unwaited or with a pipe open
    (Python warns of both, and this project's tests treat warnings as errors).
    """
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()
