"""Quality gates: ruff (rules chosen in pyproject.toml) and ``mypy --strict peerlab`` are clean.

ruff reads the whole repository, the lessons' code cells included: lessons are the code learners
read most.

They run as tests so that ``make test`` and CI fail on a new lint or type error, with the
tool's own report as the failure message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_reads_the_lessons_too():
    """A ruff that skipped notebooks would pass the check above without reading a lesson."""
    result = run("ruff", "check", "--no-cache", "--show-files", ".")
    read = {Path(line.strip()).relative_to(ROOT).as_posix() for line in result.stdout.splitlines() if line.strip()}
    lessons = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("*.ipynb")
               if ".ipynb_checkpoints" not in p.parts}
    assert lessons and lessons <= read, sorted(lessons - read)


@pytest.mark.timeout(600)  # 7 s on two quiet cores; over a minute on a busy one, which only a hang should fail
def test_mypy_strict_finds_nothing_in_the_package():
    result = run("mypy", "--strict", "--no-incremental", "peerlab")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
