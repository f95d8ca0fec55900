"""Lesson 07's second try, in a real kernel (issue 21): any code cell run again, or the set-up cell run again,
and the lesson goes on to its end; a cell skipped says which cell comes first.

As for lessons 01-02 (``test_rerun_a_step.py``, ``test_rerun_from_set_up.py``): for every code cell, run
to it, run it again, go on to the end and clean up; run to it, run the set-up cell again, go on. A cell
that cannot do its work twice (two negotiated channels with one id; counting messages already
counted) says at once, or after its wait, that an earlier run of this cell did it and to go on, and
the test goes on. The 4 MiB file is 256 KiB here: its size changes nothing a re-run does, and nbval
runs the lesson with the full file.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from .kernel import ANSI, Kernel, Output

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "07-data-channels.ipynb"
FULL_SIZE, TEST_SIZE = "randbytes(4 * 1024 * 1024)", "randbytes(256 * 1024)"

#: Cells whose second run is refused with words, and the words: then the learner goes on.
REFUSED_TWICE = {
    "l07-10": ("ChannelIdInUseError", "the caller already has a data channel with id 100 ('control', open): an "
               "earlier run of this cell made it, and two channels of one connection cannot share an id (a browser "
               "throws OperationError). The channels that run made are still there: go on to the next cell. To "
               "start over, re-run the set-up cell."),
}

#: What a learner checks in the outputs of the cells after a second try: the lesson went on.
WENT_ON = {
    "l07-14": "50 of 50 arrived; in the order sent: True",
    "l07-20": "the callee has all 128 messages, 2097152 bytes",
    "l07-28": "the callee has 262144 bytes",
    "l07-30": "hashes match: True",
    "l07-38": "files      caller's end closed, callee's end closed",
}
OPEN_CONNECTIONS = "from peerlab.webrtc.connection import open_connections\nprint(len(open_connections()))"


def lesson_cells() -> list[nbformat.NotebookNode]:
    """The lesson's code cells, the file to send made smaller."""
    cells = [c for c in nbformat.read(LESSON, as_version=4).cells if c.cell_type == "code"]
    sized = [c for c in cells if FULL_SIZE in c.source]
    assert len(sized) == 1, "the cell that writes sample.bin changed: update FULL_SIZE"
    sized[0].source = sized[0].source.replace(FULL_SIZE, TEST_SIZE)
    return cells


def said(out: Output) -> str:
    return ANSI.sub("", out.traceback[-1]) if out.traceback else ""


class Lesson07:
    """Runs lesson 07's cells in a kernel and collects what the checked cells printed."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel, self.cells = kernel, lesson_cells()
        self.index = {c.id: i for i, c in enumerate(self.cells)}
        self.printed: dict[str, str] = {}

    def run(self, cells: range | list[int], during: str) -> None:
        for i in cells:
            cell = self.cells[i]
            out = self.kernel.run(cell.source, cell.id, timeout=60)
            assert out.error is None, f"{during}: cell {cell.id} ({cell.source[:50]!r}) failed: {said(out)}"
            self.printed[cell.id] = out.stdout + out.result

    def again(self, i: int) -> None:
        """Cell ``i`` run a second time: it works, or says why not in the words REFUSED_TWICE gives."""
        cell = self.cells[i]
        out = self.kernel.run(cell.source, cell.id, timeout=60)
        if cell.id in REFUSED_TWICE:
            name, words = REFUSED_TWICE[cell.id]
            assert out.error == name and ANSI.sub("", out.traceback[0]) == f"{name}: {words}", out.traceback
            # and aiortc's words, kept as the cause, in one line: none of aiortc's frames
            assert [ANSI.sub("", line) for line in out.traceback[1:]] == [
                "(caused by ValueError: Data channel with ID 100 already registered)"]
        else:
            assert out.error is None, f"cell {cell.id} ({cell.source[:50]!r}) run twice failed: {said(out)}"

    def went_on(self, during: str) -> None:
        for cell_id, text in WENT_ON.items():
            assert text in self.printed.pop(cell_id, ""), f"{during}: cell {cell_id} did not say {text!r}"
        assert self.kernel.ok(OPEN_CONNECTIONS, "probe").stdout == "0\n", f"{during}: connections left open"


@pytest.fixture(scope="module")
def lesson():
    kernel = Kernel()
    yield Lesson07(kernel)
    kernel.close()


@pytest.mark.timeout(300)
def test_each_code_cell_run_twice_and_the_lesson_goes_on_to_its_end(lesson):
    end = len(lesson.cells)
    for n in range(end):
        lesson.run(range(n + 1), f"before running cell {n} twice")
        lesson.again(n)
        lesson.run(range(n + 1, end), f"going on after cell {n} ran twice")
        lesson.went_on(f"after cell {n} ran twice")


@pytest.mark.timeout(300)
def test_from_each_code_cell_the_set_up_cell_starts_over_and_the_lesson_reaches_its_end(lesson):
    end = len(lesson.cells)
    for n in range(1, end):
        lesson.run(range(n + 1), f"a first try, stopped after cell {n}")
        lesson.run(range(end), f"starting over after cell {n}")
        lesson.went_on(f"starting over after cell {n}")


@pytest.mark.timeout(120)
def test_skipping_the_bufferedamountlow_cell_says_to_run_it_first_and_then_the_lesson_goes_on(lesson):
    backpressure, counting = lesson.index["l07-18"], lesson.index["l07-20"]
    lesson.run(range(backpressure), "up to the bufferedamountlow cell")
    out = lesson.kernel.run(lesson.cells[counting].source, lesson.cells[counting].id)
    assert out.error == "WaitTimeout" and len(out.traceback) == 1
    assert said(out) == ("WaitTimeout: bulk message 65 of 128 did not come within 5 s: the bufferedamountlow cell "
                         "above sends messages 65 to 128: run it first")
    lesson.run([backpressure], "the skipped cell, after the error")
    lesson.run(range(counting, len(lesson.cells)), "going on after the skipped cell")
    lesson.went_on("after the skipped cell ran late")
