"""A real IPython kernel driven as JupyterLab drives it, for tests that run a lesson's own cells."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat

ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the colours in a traceback's lines


def code_cells(notebook: Path, replacements: list[tuple[str, str]], named: str) -> list[nbformat.NotebookNode]:
    """The notebook's code cells, each ``(text, instead)`` of ``replacements`` replaced where it is found, which
    must be exactly once in one cell (else the lesson changed and ``named`` needs updating)."""
    cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    for old, new in replacements:
        found = [c for c in cells if old in c.source]
        assert len(found) == 1 and found[0].source.count(old) == 1, f"{notebook.stem} changed: update {named} for {old!r}"
        found[0].source = found[0].source.replace(old, new)
    return cells


class Output:
    """What a cell showed: its stdout and stderr text, and its error (name and traceback lines)."""

    def __init__(self) -> None:
        self.stdout = self.stderr = self.result = ""
        self.error: str | None = None
        self.traceback: list[str] = []

    def __repr__(self) -> str:
        return f"Output(stdout={self.stdout!r}, stderr={self.stderr!r}, error={self.error!r})"


class Kernel:
    """A real IPython kernel; cells are sent with a cell id, as JupyterLab sends them."""

    def __init__(self) -> None:
        from .unix_kernels import start_kernel

        self.manager, self.client = start_kernel("python3")

    def send(self, code: str, cell_id: str) -> str:
        """Send ``code`` as the cell ``cell_id``, as a click on Run does; returns the request's id."""
        client = self.client
        message = client.session.msg("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}, metadata={"cellId": cell_id})
        client.shell_channel.send(message)
        return str(message["header"]["msg_id"])

    def collect(self, parent: str, *, interrupt_after: float | None = None, timeout: float = 30) -> Output | None:
        """What the request ``parent`` showed, once the kernel is idle after it; None if not within ``timeout`` s.

        ``interrupt_after`` seconds, the kernel is interrupted (Jupyter's stop button)."""
        out, deadline = Output(), time.monotonic() + timeout
        interrupt_at = None if interrupt_after is None else time.monotonic() + interrupt_after
        while time.monotonic() < deadline:
            if interrupt_at is not None and time.monotonic() >= interrupt_at:
                self.manager.interrupt_kernel()
                interrupt_at = None
            try:
                reply = self.client.get_iopub_msg(timeout=0.05)
            except Exception:  # queue.Empty: nothing yet
                continue
            if reply["parent_header"].get("msg_id") != parent:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "stream":
                setattr(out, content["name"], getattr(out, content["name"]) + content["text"])
            elif kind == "execute_result":
                out.result += content["data"].get("text/plain", "")
            elif kind == "error":
                out.error, out.traceback = content["ename"], content["traceback"]
            elif kind == "status" and content["execution_state"] == "idle":
                return out
        return None

    def run(self, code: str, cell_id: str, *, interrupt_after: float | None = None, timeout: float = 30) -> Output:
        out = self.collect(self.send(code, cell_id), interrupt_after=interrupt_after, timeout=timeout)
        if out is None:
            raise AssertionError(f"the cell {cell_id!r} did not finish within {timeout} s")
        return out

    def ok(self, code: str, cell_id: str) -> Output:
        out = self.run(code, cell_id)
        assert out.error is None, "\n".join(out.traceback)
        return out

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
