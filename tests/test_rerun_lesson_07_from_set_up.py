"""Lesson 07's second try, in a real kernel (issue 21): from any code cell, running the set-up cell again starts
over and the lesson reaches its end (as ``test_rerun_from_set_up.py`` does for lessons 01-02).
"""

from __future__ import annotations

import pytest

from .kernel import Kernel
from .lesson_07_cells import Lesson07


@pytest.fixture(scope="module")
def lesson():
    kernel = Kernel()
    yield Lesson07(kernel)
    kernel.close()


@pytest.mark.timeout(300)
def test_from_each_code_cell_the_set_up_cell_starts_over_and_the_lesson_reaches_its_end(lesson):
    end = len(lesson.cells)
    for n in range(1, end):
        lesson.run(range(n + 1), f"a first try, stopped after cell {n}")
        lesson.run(range(end), f"starting over after cell {n}")
        lesson.went_on(f"starting over after cell {n}")
