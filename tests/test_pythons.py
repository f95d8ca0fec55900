"""The Pythons the project claims are the ones it works on.

- On a Python older than ``requires-python``, ``make`` says in one line which Python is needed and stops
  before it makes a virtual environment (a stand-in interpreter plays Python 3.10 here).
- Each other Python on this machine that ``requires-python`` admits, the lowest and the newest, gets a fresh
  virtual environment with peerlab installed as README says (``pip install -e .``, with of the ``[test]`` extra
  only the tools the subset runs on), and runs a short subset there: lessons 01 and 07 under nbval and the
  web-platform-tests port. The Python running this suite is tested by the whole
  suite already. Each environment is kept (``<venv>/peerlab-test-cache/``) until pyproject.toml changes,
  so only the first run pays for the install (about 25 CPU-s).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.aiortc_examples import cache_dir

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LOWEST = tuple(int(n) for n in re.findall(r"\d+", tomllib.loads(PYPROJECT.read_text())["project"]["requires-python"]))


def version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                             text=True, timeout=30)
    except OSError:
        return None
    parts = out.stdout.split()
    return (int(parts[0]), int(parts[1])) if out.returncode == 0 and len(parts) == 2 else None


def pythons_on_this_machine() -> dict[tuple[int, int], str]:
    """One interpreter per version found: python3.N on PATH, and pyenv's versions.

    pyenv's shims on PATH are left out: each is a shell script that runs pyenv to find one of the versions
    probed here anyway (probing the shims too took 2 s of each pytest-xdist worker's collection, measured).
    """
    found: dict[tuple[int, int], str] = {}
    candidates = [shutil.which(f"python3.{minor}") for minor in range(8, 20)]
    candidates = [c for c in candidates if c is not None and Path(c).parent.name != "shims"]
    candidates += [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.*/bin/python3"))]
    for candidate in filter(None, candidates):
        version = version_of(candidate)
        if version is not None:
            found.setdefault(version, candidate)
    return found


def others_to_test() -> list[tuple[tuple[int, int], str]]:
    admitted = sorted((v, p) for v, p in pythons_on_this_machine().items() if v >= LOWEST[:2])
    ends = {admitted[0][0], admitted[-1][0]} if admitted else set()
    return [(v, p) for v, p in admitted if v in ends and v != sys.version_info[:2]]


#: The test tools the subset below runs on, with the lower bounds pyproject.toml's [test] extra gives them.
SUBSET_TOOLS = ("pytest", "pytest-asyncio", "pytest-timeout", "nbval")


def subset_tools() -> list[str]:
    extra = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]["test"]
    found = [r for r in extra if re.split(r"[<>=!~\[ ]", r, maxsplit=1)[0] in SUBSET_TOOLS]
    assert len(found) == len(SUBSET_TOOLS), f"pyproject.toml's [test] extra lacks one of {SUBSET_TOOLS}: {extra}"
    return found


def test_make_refuses_an_older_python_in_one_line(tmp_path):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    old = tmp_path / "python3.10"
    old.write_text("#!/bin/sh\n[ \"$1\" = -V ] && { echo 'Python 3.10.13'; exit 0; }\nexit 1\n")
    old.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # not a sub-make
    done = subprocess.run(["make", "--no-print-directory", "install", f"PYTHON={old}"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    said = [line for line in done.stdout.splitlines() if line.strip()]
    assert said == [f"peerlab needs Python 3.11 or newer (aiortc 1.16 does), and {old} is Python 3.10.13: install "
                    "Python 3.11+ (python.org, or your system's python3.12 package), then run make "
                    "PYTHON=python3.12 ..."], done.stdout + done.stderr
    assert not (tmp_path / ".venv").exists()


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("version", "python"), others_to_test(),
                         ids=lambda value: ".".join(map(str, value)) if isinstance(value, tuple) else "")
def test_a_fresh_install_runs_lessons_01_and_07_and_the_wpt_port(version, python):
    stamp = hashlib.sha256(PYPROJECT.read_bytes()).hexdigest()[:12]
    venv = cache_dir() / f"venv-{version[0]}.{version[1]}-{stamp}"
    bin_dir = venv / "bin"
    if not (venv / ".installed").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=120)
        # peerlab with every dependency a learner gets, and of the test tools only those the subset runs on
        # (not playwright, mypy, ruff, hypothesis, xdist: measured, 23 CPU-s instead of 36). --no-compile: Python
        # compiles only the modules the run imports (measured: the install 14 CPU-s instead of 24, the run 2 more)
        install = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-compile", "-e", ".",
                                  *subset_tools()], cwd=ROOT, capture_output=True, text=True, timeout=480)
        assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-3000:]
        (venv / ".installed").touch()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    # tests/wpt brings tests/conftest.py in (its kernels over Unix sockets apply to the lessons' too)
    run = subprocess.run([str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:xdist",
                          "notebooks/01-caller.ipynb", "notebooks/07-data-channels.ipynb", "tests/wpt"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    tail = "\n".join(run.stdout.splitlines()[-15:])
    assert run.returncode == 0, tail + run.stderr[-2000:]
    summary = run.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and not re.search(r"\d+ (failed|error)", summary), tail
    which = subprocess.run([str(bin_dir / "python"), "-c", "import peerlab, sys; print(peerlab.__file__, *sys.version_info[:2])"],
                           cwd="/", env=env, capture_output=True, text=True, timeout=60).stdout.split()
    assert which[1:] == [str(version[0]), str(version[1])] and which[0].startswith(str(ROOT))
