"""The first third of the lessons (notebooks/*.ipynb), run in JupyterLab in Debian's Chromium.

The browser tests are split over modules (three thirds of the lessons, the workshop, the harness, the
server's status page), each with its own JupyterLab and Chromium, so that ``make test`` runs them
side by side (pytest-xdist keeps a module on one worker).
"""

from __future__ import annotations

import pytest

from .lesson_checks import CHECKS, FIRST_THIRD, LESSONS, WORKSHOP, run_and_check


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", FIRST_THIRD)
def test_lesson_runs_in_jupyterlab_without_errors(page, console_errors, lab, name):
    run_and_check(page, console_errors, lab, name)


def test_every_lesson_has_browser_checks_and_every_check_a_lesson():
    # A new lesson needs its checks; a renamed one's would silently stop running.
    assert set(CHECKS) == set(LESSONS) | set(WORKSHOP)
