"""The set-up check: every item passes here, and a machine with no network says so in plain words."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from peerlab import setup_check

from .conftest import skip_or_fail


async def test_every_check_passes_on_a_working_machine():
    results = await setup_check.run_all()
    assert all(r.ok for r in results), "\n".join(map(str, results))
    assert setup_check.summary(results).startswith("READY:")
    assert any("two peers connected on this machine in" in r.what for r in results)


def test_a_failed_check_prints_its_fix():
    line = str(setup_check.Result(False, "x works", "do y"))
    assert line == "[FAIL] x works\n       fix: do y"
    assert setup_check.summary([setup_check.Result(True, "a"), setup_check.Result(False, "b")]).startswith(
        "NOT READY: 1 check(s) failed")


@pytest.mark.timeout(60)
def test_with_every_network_off_the_check_says_turn_wifi_on():
    """A real laptop with wifi off, made with a network namespace that has no interface up."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode != 0:
        skip_or_fail("needs `unshare -rn` (Linux util-linux, user namespaces) to switch the network off")
    run = subprocess.run([unshare, "-rn", sys.executable, "-m", "peerlab.setup_check"],
                         capture_output=True, text=True, timeout=50)
    assert run.returncode == 1, run.stderr
    assert "[FAIL] this machine has a network address ICE can use" in run.stdout
    assert "Turn wifi on" in run.stdout
    assert "[FAIL] two peers connect on this machine" in run.stdout
    assert "gathered no ICE candidates" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1].startswith("NOT READY: 2 check(s) failed")


def test_the_check_asks_for_the_versions_pyproject_declares():
    """Lesson 00 passes exactly where `pip install` would: its lower bounds are pyproject.toml's."""
    declared = {}
    for line in tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        declared[requirement.name] = next(s.version for s in requirement.specifier if s.operator == ">=")
    for name, lowest in setup_check.REQUIRED.items():
        if name in declared:
            assert lowest == declared[name], f"lesson 00 asks {name} ≥ {lowest}; pyproject.toml says ≥ {declared[name]}"
    assert {"aiortc", "jupyterlab", "ipykernel", "jupyter-server-proxy", "ipywidgets"} <= set(setup_check.REQUIRED)


def test_an_old_kernel_is_named_with_what_it_breaks(monkeypatch):
    monkeypatch.setattr(setup_check, "version", lambda name: "7.3.0" if name == "ipykernel" else "99")
    [line] = [str(r) for r in setup_check.check_packages() if "ipykernel" in r.what]
    assert line.startswith("[FAIL] ipykernel is installed (≥ 7.4 needed)")
    assert "ipykernel 7.3.0 is too old (older kernels read the page's replies only after a cell ends" in line
