"""Re-execute lessons in place and save them with their outputs: `make notebooks`.

Stored outputs are what a learner sees before running a cell and what nbval
compares, so a lesson is saved only after it ran top to bottom without error.

    python tools/execute_notebooks.py notebooks [more paths...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def execute(path: Path) -> float:
    """Run one notebook from its own folder and write it back; returns seconds taken."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = KERNEL
    start = time.perf_counter()
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


def main(args: list[str]) -> int:
    paths: list[Path] = []
    for arg in args or ["notebooks"]:
        p = Path(arg)
        paths += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    for path in paths:
        print(f"{path}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
