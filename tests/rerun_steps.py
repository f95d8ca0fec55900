"""The second try, cell by cell: what the re-run tests run in a real kernel (issue 11).

A *step cell* is a cell that does one of the guide's numbered steps: tagged ``caller-step-N`` /
``callee-step-N`` (and the callee's ``callee-set-local-description``) in the lessons, ``solution``
in the workshop. The *flow* is every code cell from the set-up cell to the echo.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .kernel import ANSI, Kernel, Output

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = ["01-caller.ipynb", "02-callee.ipynb",
           "workshop/01-caller-solution.ipynb", "workshop/02-callee-solution.ipynb"]
STEP_TAG = re.compile(r"^((caller|callee)-step-\d+|callee-set-local-description|solution)$")


class Lesson:
    """A lesson's flow, its step cells (indices into the flow) and its clean-up cell."""

    def __init__(self, name: str) -> None:
        code = [c for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells if c.cell_type == "code"]
        end = next(i for i, c in enumerate(code) if "send_and_receive" in c.source) + 1
        self.name, self.flow, self.clean_up = name, code[:end], code[-1]
        self.steps = [i for i, c in enumerate(self.flow) if any(STEP_TAG.match(t) for t in c.metadata.get("tags", []))]

    def run(self, kernel: Kernel, cells: list[int] | range, during: str = "") -> list[Output]:
        """Run these cells of the flow in order; each must succeed (with its own cell id, as JupyterLab)."""
        outs = []
        for i in cells:
            out = kernel.run(self.flow[i].source, self.flow[i].id)
            assert out.error is None, (f"{self.name}, {during}: cell {i} ({self.flow[i].source[:60]!r}) "
                                       f"failed: {ANSI.sub('', out.traceback[-1])}")
            outs.append(out)
        return outs

    def end(self, kernel: Kernel) -> None:
        kernel.ok(self.clean_up.source, self.clean_up.id)


def echoed(outs: list[Output]) -> bool:
    """The flow's last cell (the echo) printed the scripted peer's reply."""
    return "echo: hello from the" in outs[-1].stdout + outs[-1].result
