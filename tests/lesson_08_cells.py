"""Lesson 08's code cells, run in a real kernel as JupyterLab runs them, for the second-try tests (issue 21)."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat

from .kernel import ANSI, Kernel, Output

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "08-media.ipynb"


class Lesson08:
    """The lesson's code cells: the first is the set-up, the last the clean-up."""

    def __init__(self) -> None:
        self.cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
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
