"""The last third of the lessons, run in JupyterLab in Debian's Chromium (the others: test_lessons_in_browser, test_later_lessons_in_browser)."""

from __future__ import annotations

import pytest

from .lesson_checks import LAST_THIRD, run_and_check


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", LAST_THIRD)
def test_lesson_runs_in_jupyterlab_without_errors(page, console_errors, lab, name):
    run_and_check(page, console_errors, lab, name)
