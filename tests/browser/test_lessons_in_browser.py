"""Every lesson (notebooks/*.ipynb), run in JupyterLab in Debian's Chromium, as a learner sees it.

The browser tests are split over three modules (lessons, workshop, harness), each with its own
JupyterLab and Chromium, so that ``make test`` can run them side by side (pytest-xdist).
"""

from __future__ import annotations

import pytest

from .lesson_checks import CHECKS, LESSONS, WORKSHOP, run_and_check


@pytest.mark.timeout(180)
@pytest.mark.parametrize("name", LESSONS)
def test_lesson_runs_in_jupyterlab_without_errors(page, console_errors, lab, name):
    run_and_check(page, console_errors, lab, name)


def test_every_lesson_has_browser_checks_and_every_check_a_lesson():
    # A new lesson needs its checks; a renamed one's would silently stop running.
    assert set(CHECKS) == set(LESSONS) | set(WORKSHOP)
