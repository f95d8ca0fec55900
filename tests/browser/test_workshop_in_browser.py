"""Every workshop solution, run in JupyterLab in Debian's Chromium: each step's check says ✔."""

from __future__ import annotations

import pytest

from .lesson_checks import WORKSHOP, run_and_check


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", WORKSHOP)
def test_workshop_solution_runs_in_jupyterlab_without_errors(page, console_errors, lab, name):
    run_and_check(page, console_errors, lab, name)
