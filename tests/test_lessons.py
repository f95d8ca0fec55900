"""The lessons' shape: every step of the guide has its own cell, in order, and each lesson says
what it teaches, how long it takes and what comes next. (nbval checks their outputs.)"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbval.plugin import comment_markers

from peerlab.steps import CALLEE_STEPS, CALLER_STEPS

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
ALL_NOTEBOOKS = sorted(NOTEBOOKS.rglob("*.ipynb"))


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def step_tags(nb: nbformat.NotebookNode, side: str) -> list[int]:
    return [int(tag.rsplit("-", 1)[1]) for cell in nb.cells if cell.cell_type == "code"
            for tag in cell.metadata.get("tags", []) if tag.startswith(f"{side}-step-")]


@pytest.mark.parametrize("name, side, steps", [("01-caller.ipynb", "caller", CALLER_STEPS),
                                               ("02-callee.ipynb", "callee", CALLEE_STEPS)])
def test_every_step_of_the_guide_has_exactly_one_code_cell_in_order(name, side, steps):
    nb = read(name)
    assert step_tags(nb, side) == [s.number for s in steps]
    for s in steps:
        index = next(i for i, c in enumerate(nb.cells) if f"{side}-step-{s.number}" in c.metadata.get("tags", []))
        before = nb.cells[index - 1]
        assert before.cell_type == "markdown"
        assert s.en in before.source and s.ko in before.source  # the step quoted, in English and Korean


def test_the_callee_lesson_sets_the_answer_as_local_description_between_steps_3_and_4():
    nb = read("02-callee.ipynb")
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert tags.index("callee-step-3") < tags.index("callee-set-local-description") < tags.index("callee-step-4")
    cell = next(c for c in nb.cells if "callee-set-local-description" in c.metadata.get("tags", []))
    assert "await pc.setLocalDescription(answer)" in cell.source


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_lesson_opens_with_what_and_how_long_and_ends_with_what_next(path):
    nb = nbformat.read(path, as_version=4)
    first, last = nb.cells[0].source, nb.cells[-1].source
    assert first.startswith("# Lesson ")
    assert "**You will" in first and "**Time:**" in first
    assert "## Key points" in last and "**Next:**" in last
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_lesson_is_stored_run_top_to_bottom_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_every_nbval_marker_is_one_nbval_reads(path):
    """nbval obeys `# NBVAL_IGNORE_OUTPUT` only alone on its line: `# NBVAL_IGNORE_OUTPUT  (why)` is
    silently a plain comment, and the cell's output is compared after all."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for line in cell.source.splitlines() if cell.cell_type == "code" else []:
            if "NBVAL_" in line and line.lstrip().startswith("#"):
                assert line.strip().lstrip("#").strip() in comment_markers, (
                    f"cell {index}: {line.strip()!r} is not an nbval marker; put the reason on the next line")


@pytest.mark.parametrize("name", ["01-caller.ipynb", "02-callee.ipynb"])
def test_the_step_lessons_end_with_what_ifs_and_a_clean_up(name):
    headings = [line for c in read(name).cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert any(h.startswith("## What if") for h in headings)
    assert headings[-2:] == ["## Clean up", "## Key points"]


def test_the_lessons_are_numbered_from_00():
    assert [p.name[:2] for p in LESSONS][:3] == ["00", "01", "02"]
