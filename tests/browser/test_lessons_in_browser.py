"""Lessons 00-05 and the workshop solutions, run in JupyterLab in Debian's Chromium (06-09: test_later_lessons_in_browser).

The browser tests are split over modules (this one; the harness's own checks with lessons 06-09; the server's
status page; the camera; Chromium beside peerlab), each with its own Chromium and, for notebooks, JupyterLab, so
that ``make test`` runs them side by side (pytest-xdist keeps a module on one worker). Each notebook opens in the
module's one JupyterLab tab, as a learner opens the next lesson.
"""

from __future__ import annotations

import pytest

from .lesson_checks import CHECKS, FIRST_HALF, LESSONS, SECOND_HALF, WORKSHOP, run_and_check


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", FIRST_HALF)
def test_lesson_runs_in_jupyterlab_without_errors(page, console_errors, lab, name):
    run_and_check(page, console_errors, lab, name)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", WORKSHOP)
def test_workshop_solution_runs_in_jupyterlab_without_errors(page, console_errors, lab, name):
    """Every workshop solution: each step's check says ✔, and the data channel echoes."""
    run_and_check(page, console_errors, lab, name)


def test_every_lesson_has_browser_checks_and_every_check_a_lesson():
    # A new lesson needs its checks; a renamed one's would silently stop running.
    assert set(CHECKS) == set(LESSONS) | set(WORKSHOP)
    assert sorted(FIRST_HALF + SECOND_HALF) == LESSONS  # each lesson in one of the two modules
