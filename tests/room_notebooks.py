"""The room notebooks (notebooks/room/caller.ipynb, callee.ipynb) run as two laptops would run them:
two real kernels, one ``python -m peerlab serve`` on 127.0.0.1, the cells interleaved as the notebooks' text
says (both Connect cells at once; the callee's Receive cell before the caller sends).

Used by tests/test_room_notebooks.py and by the status-page test in Chromium (tests/browser/), which looks at
the teacher's page while the pair is connected. nbval cannot run these notebooks alone (each needs the
other laptop), so pyproject.toml leaves notebooks/room/ out of its run and this is what runs them.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import nbformat

from .kernel import Kernel, Output

ROOT = Path(__file__).resolve().parent.parent
ROOM_NOTEBOOKS = ROOT / "notebooks" / "room"
CELL_TIMEOUT = 120  # a cell that waits for the neighbour gives up after 60 s itself; this is only for a hang


@contextmanager
def peerlab_serve(token: str = "teacher", port: int = 0) -> Iterator[str]:
    """``python -m peerlab serve --port PORT --token ...`` on 127.0.0.1 (any free port unless told): the join
    URL it prints; stopped afterwards."""
    process = subprocess.Popen([sys.executable, "-m", "peerlab", "serve", "--port", str(port), "--token", token],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines: list[str] = []
        while not lines or lines[-1] != "Stop it with Ctrl-C.":
            line = process.stdout.readline()  # type: ignore[union-attr]
            assert line, "peerlab serve ended early:\n" + "\n".join(lines)
            lines.append(line.rstrip())
        yield re.search(r"peerlab\.join\('([^']+)'", "\n".join(lines)).group(1)  # type: ignore[union-attr]
    finally:
        process.terminate()
        process.communicate(timeout=30)


@asynccontextmanager
async def peerlab_serving(token: str = "teacher", port: int = 0) -> AsyncIterator[str]:
    """:func:`peerlab_serve` for a test that runs in an event loop: it starts and stops the server in a thread,
    so that this loop's clients answer the server's closing handshake at once (blocked, they left it to its
    10 s close timeout)."""
    serving = peerlab_serve(token, port)
    url = await asyncio.to_thread(serving.__enter__)
    try:
        yield url
    finally:
        await asyncio.to_thread(serving.__exit__, None, None, None)


class Laptop:
    """One learner's kernel running a notebook's code cells (a room notebook's, or cells given), each by its
    position among them."""

    def __init__(self, role: str, cells: list[tuple[str, str]] | None = None) -> None:
        """``role``'s room notebook, or ``cells`` (cell id, source) given instead."""
        if cells is None:
            nb = nbformat.read(ROOM_NOTEBOOKS / f"{role}.ipynb", as_version=4)
            cells = [(cell.id, cell.source) for cell in nb.cells if cell.cell_type == "code"]
        self.role = role
        self.cells = cells
        self.kernel = Kernel()
        self.outputs: dict[int, Output] = {}

    def start(self, index: int) -> str:
        """Send code cell ``index`` to the kernel, as a click on Run does; returns the request's id."""
        cell_id, source = self.cells[index]
        return self.kernel.send(source, cell_id)

    def finish(self, index: int, parent: str) -> str:
        """Wait until the cell sent as ``parent`` is done; fail with its traceback if it raised; what it printed
        (its value, if it has one, is in ``outputs[index].result``)."""
        out = self.kernel.collect(parent, timeout=CELL_TIMEOUT)
        assert out is not None, f"{self.role} cell {index} did not finish within {CELL_TIMEOUT} s"
        self.outputs[index] = out
        assert out.error is None, (f"{self.role} cell {index} ({self.cells[index][0]}) raised:\n"
                                   + "\n".join(out.traceback))
        return out.stdout

    def run(self, index: int) -> str:
        """Run code cell ``index`` to its end: what it printed."""
        return self.finish(index, self.start(index))

    def close(self) -> None:
        self.kernel.close()


def at_once(first: Laptop, first_cell: int, second: Laptop, second_cell: int,
            first_is_there: Callable[[], bool] = lambda: True) -> tuple[str, str]:
    """Run a cell on each laptop at the same time (two Connect cells wait for each other): both outputs.

    The second starts once ``first_is_there()``, as a learner clicks once the neighbour said "done"; each
    kernel keeps its messages until they are read, so the first cell's output is read after the second's."""
    parent = first.start(first_cell)
    deadline = time.monotonic() + CELL_TIMEOUT
    while not first_is_there():
        assert time.monotonic() < deadline, f"the {first.role}'s cell {first_cell} never got there"
        time.sleep(0.05)
    second_out = second.run(second_cell)
    return first.finish(first_cell, parent), second_out


# The code cells of each notebook, by what they do (their order in the notebook).
CALLER = {"settings": 0, "until": 1, "connect": 2, "say": 3, "heard": 4, "make_file": 5, "send_file": 6,
          "hashes": 7, "clean_up": 8}
CALLEE = {"settings": 0, "until": 1, "connect": 2, "say": 3, "heard": 4, "receive": 5, "check": 6, "clean_up": 7}


def connect_and_chat(caller: Laptop, callee: Laptop) -> dict[str, str]:
    """Set-up, Connect (both at once), chat both ways: what each cell printed, by name."""
    seen = {}
    for laptop, cells in ((caller, CALLER), (callee, CALLEE)):
        seen[f"{laptop.role} settings"] = laptop.run(cells["settings"])
        laptop.run(cells["until"])
    seen["caller connect"], seen["callee connect"] = at_once(caller, CALLER["connect"], callee, CALLEE["connect"])
    caller.run(CALLER["say"])
    callee.run(CALLEE["say"])
    seen["caller heard"] = caller.run(CALLER["heard"])
    seen["callee heard"] = callee.run(CALLEE["heard"])
    return seen


def send_a_file(caller: Laptop, callee: Laptop) -> dict[str, str]:
    """The file transfer, in the notebooks' order: what each cell printed, by name."""
    seen = {"caller file": caller.run(CALLER["make_file"])}
    callee.run(CALLEE["receive"])
    seen["caller sent"] = caller.run(CALLER["send_file"])
    seen["caller hashes"] = caller.run(CALLER["hashes"])
    seen["callee check"] = callee.run(CALLEE["check"])
    return seen
