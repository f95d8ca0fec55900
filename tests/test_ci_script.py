"""``.ci/run`` installs what a fresh CI machine lacks, and only that (stubs stand in for apt)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


PACKAGES = ["fonts-noto-cjk", "coturn", "nftables", "iptables", "iproute2"]


def _run_ci(tmp_path: Path, *, installed: set[str]) -> list[str]:
    log = tmp_path / "log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stub(bin_dir, "chromium", "exit 0")
    cases = "".join(f"  {name}) exit 0 ;;\n" for name in sorted(installed))
    _stub(bin_dir, "dpkg", f'echo "dpkg $*" >> {log}\ncase "$2" in\n{cases}esac\nexit 1')
    _stub(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}')
    _stub(bin_dir, "sudo", '"$@"')
    _stub(bin_dir, "make", f'echo "make $*" >> {log}')
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    subprocess.run(["bash", str(ROOT / ".ci/run")], env=env, check=True, timeout=30)
    return log.read_text().splitlines()


@pytest.mark.parametrize("installed", [set(), {"fonts-noto-cjk", "iproute2"}, set(PACKAGES)],
                         ids=["none", "some", "all"])
def test_ci_installs_the_debian_packages_it_needs_only_when_missing(tmp_path, installed):
    log = _run_ci(tmp_path, installed=installed)
    assert [line for line in log if line.startswith("dpkg")] == [f"dpkg -s {name}" for name in PACKAGES]
    installs = [line for line in log if line.startswith("apt-get") and " install " in line]
    wanted = [name for name in PACKAGES if name not in installed]
    if wanted:
        assert installs == ["apt-get install -y -qq " + " ".join(wanted)]
    else:
        assert installs == [] and not any(line.startswith("apt-get update") for line in log)
    assert log[-1] == "make test"


def test_the_readme_runs_the_tests_without_make_as_make_test_does():
    """README's path for a machine without make gives pytest the Makefile's own arguments, and installs alike."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = next(line for line in makefile.splitlines() if "-m pytest" in line)
    arguments = recipe.split("-m pytest", 1)[1].strip()
    assert f".venv/bin/python -m pytest {arguments}" in readme
    assert "pip install -q -e '.[test]'" in makefile and '.venv/bin/python -m pip install -e ".[test]"' in readme
    assert "jupyter lab --ServerApp.root_dir=notebooks" in makefile and ".venv/bin/jupyter lab notebooks" in readme
