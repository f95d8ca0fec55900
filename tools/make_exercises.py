"""Make each workshop exercise from its solution, so the two can never drift apart.

A solution notebook is ``notebooks/workshop/NN-name-solution.ipynb``. In its
exercise (``NN-name-exercise.ipynb``):

- a code cell tagged ``solution`` keeps its leading comment lines and loses the rest,
  which becomes ``# YOUR CODE HERE``;
- in any other code cell, a line ``# solution`` cuts itself and the rest of the cell
  the same way (scikit-learn-mooc's convention);
- every output and execution count is cleared: the learner runs it fresh.

    python tools/make_exercises.py          # write every exercise
    python tools/make_exercises.py --check  # exit 1 if any exercise is not what its solution makes
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

WORKSHOP = Path(__file__).resolve().parent.parent / "notebooks" / "workshop"
BLANK = "# YOUR CODE HERE"


def blank_out(source: str, whole: bool) -> str:
    """The exercise version of one cell's source."""
    lines = source.splitlines()
    if whole:
        keep = []
        for line in lines:
            if not line.startswith("#"):
                break
            keep.append(line)
        return "\n".join(keep + [BLANK])
    for index, line in enumerate(lines):
        if line.strip() == "# solution":
            return "\n".join(lines[:index] + [BLANK])
    return source


def exercise_from(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``solution`` with the solution code blanked and outputs cleared."""
    nb = nbformat.from_dict(solution)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        cell.source = blank_out(cell.source, "solution" in tags)
        cell.metadata["tags"] = [t for t in tags if t != "solution"]
        if not cell.metadata["tags"]:
            del cell.metadata["tags"]
        cell.outputs = []
        cell.execution_count = None
    nb.cells[0].source = nb.cells[0].source.replace("— solution", "— exercise", 1)
    return nb


def pairs() -> list[tuple[Path, Path]]:
    return [(s, s.with_name(s.name.replace("-solution", "-exercise")))
            for s in sorted(WORKSHOP.glob("*-solution.ipynb"))]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for solution_path, exercise_path in pairs():
        made = nbformat.writes(exercise_from(nbformat.read(solution_path, as_version=4)))
        if check:
            if not exercise_path.exists() or exercise_path.read_text() != made:
                stale.append(exercise_path.name)
        else:
            exercise_path.write_text(made)
            print(f"{solution_path.name} -> {exercise_path.name}")
    if stale:
        print("out of date (run `python tools/make_exercises.py`):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
