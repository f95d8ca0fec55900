"""Lesson 08's code cells, run in a real kernel as JupyterLab runs them, for the second-try tests (issue 21).

Three of the lesson's pauses are shorter here, as the tests run its cells many times (nbval runs the lesson as
written): the two cells that sleep 2 s and then print whether frames arrive wait instead for five frames that
came after the cell started (30 s at most: only a hang reaches it), which shows the picture is live at least as
surely as a 2 s sleep does, and depends on no speed; and the statistics panel is read every 0.1 s, not every
second, so its four readings take 0.3 s, not 3 s (what the tests check of it is that it ended with its
connection, which no interval changes).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat

from .kernel import ANSI, Kernel, Output, code_cells

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "08-media.ipynb"

#: (text in the lesson, what it is here): each must be found exactly once.
SHORTER = [
    ('await asyncio.sleep(2)\nprint(f"received {view.fps():.0f} frames/s',
     'await view.wait_for_frames(view.frames() + 5, timeout=30)\nprint(f"received {view.fps():.0f} frames/s'),
    ('await asyncio.sleep(2)\nprint(f"back at the caller: {pair.fps(1):.0f} frames/s',
     'await pair.wait_for_frames(pair.frames(1) + 5, timeout=30)\nprint(f"back at the caller: {pair.fps(1):.0f} '
     'frames/s'),
    ("panel = stats(caller)\n", "panel = stats(caller, interval=0.1)\n"),
]


def lesson_cells() -> list[nbformat.NotebookNode]:
    """The lesson's code cells, with the shorter pauses of SHORTER."""
    return code_cells(NOTEBOOK, SHORTER, "SHORTER")


class Lesson08:
    """The lesson's code cells: the first is the set-up, the last the clean-up."""

    def __init__(self) -> None:
        self.cells = lesson_cells()
        self.seconds: dict[int, float] = {}  # the longest run of each cell, for the report

    def run(self, kernel: Kernel, index: int, during: str) -> Output:
        """Run code cell ``index`` (with its own cell id, as JupyterLab sends it); it must succeed."""
        cell = self.cells[index]
        started = time.monotonic()
        out = kernel.run(cell.source, cell.id, timeout=60)
        self.seconds[index] = max(self.seconds.get(index, 0.0), time.monotonic() - started)
        assert out.error is None, (f"08-media, {during}: cell {index} ({cell.source[:60]!r}) failed: "
                                   f"{ANSI.sub('', out.traceback[-1]) if out.traceback else out.error}")
        return out

    def index_of(self, text: str) -> int:
        """The code cell whose source holds ``text``."""
        return next(i for i, c in enumerate(self.cells) if text in c.source)


def says_it_is_live(lesson: Lesson08, index: int, out: Output) -> None:
    """The cells that check the call print True only while frames arrive: never for a frozen picture."""
    text = out.stdout
    if "frames arrive:" in lesson.cells[index].source:
        assert "frames arrive: True" in text, text
    if "frames come back:" in lesson.cells[index].source:
        assert "frames come back: True" in text, text


def ended_on_the_page(out: Output) -> None:
    """The clean-up says each view ended with its connection, and that your own tracks stayed live until stopped."""
    text = out.stdout
    assert "view: ended: the callee's connection closed" in text, text
    assert "level: ended: the callee's connection closed" in text, text
    assert "pair: ended: the callee's connection closed; the caller's connection closed" in text, text
    assert "panel: ended: the caller's connection closed" in text, text
    assert "yours:    {'video': 'live', 'tone': 'live'}" in text, text
