"""Lesson 07's second try, in a real kernel (issue 21): from any code cell, running the set-up cell again starts
over and the lesson reaches its end (as ``test_rerun_from_set_up.py`` does for lessons 01-02).

Chained as lesson 08's is: the set-up cell run again after each cell in turn, each start-over going one cell
further than the last, the last one on to the clean-up. Every time a cell the learner checks runs, it must say
what WENT_ON lists (``tests/lesson_07_cells.py``), and at the end no connection is left open.
"""

from __future__ import annotations

import pytest

from .lesson_07_cells import Lesson07


@pytest.fixture(scope="module")
def lesson(kernel):
    return Lesson07(kernel)


@pytest.mark.timeout(180)
def test_from_each_code_cell_the_set_up_cell_starts_over_and_the_lesson_reaches_its_end(lesson):
    end, reached = len(lesson.cells), 0
    for stop in range(1, end):  # a try up to cell `stop`, then the set-up again
        lesson.run(range(reached, stop + 1), f"a try up to cell {stop}")
        lesson.run([0], f"the set-up cell again after cell {stop}")
        reached = 1
    lesson.run(range(1, end), "going on after the set-up cell ran again after the clean-up")
    lesson.went_on("the set-up cell run again after every cell")
