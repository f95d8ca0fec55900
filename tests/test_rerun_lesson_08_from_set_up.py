"""Lesson 08's set-up cell run again after any cell starts over, and the lesson goes on to its end (issue 21).

As lessons 01-02 are tested (test_rerun_from_set_up.py), chained to keep it affordable (a pass of the lesson
takes about 3 s here, most of it the lesson's own waits, which ``tests/lesson_08_cells.py`` makes shorter): the set-up cell run again after each cell in turn, each
start-over going one cell further than the last, the last one on to the clean-up. The cells that check the call
must print True only while frames arrive, and the clean-up must find every view ended with its connection while
the learner's own tracks stay live until stopped. Nothing here depends on how fast frames come.
"""

from __future__ import annotations

import pytest

from .lesson_08_cells import Lesson08, ended_on_the_page, says_it_is_live


@pytest.mark.timeout(300)
def test_the_set_up_cell_run_again_after_any_cell_starts_over_and_the_lesson_goes_on(kernel):
    lesson = Lesson08()
    last = len(lesson.cells) - 1
    reached = 0
    for stop in range(last + 1):  # a try up to cell `stop`, then the set-up again
        for i in range(reached, stop + 1):
            says_it_is_live(lesson, i, lesson.run(kernel, i, f"a try up to cell {stop}"))
        reached = 1
        lesson.run(kernel, 0, f"the set-up cell again after cell {stop}")
    for i in range(1, last + 1):  # the last start-over, on to the clean-up
        out = lesson.run(kernel, i, "going on after the set-up cell ran again")
        if i < last:
            says_it_is_live(lesson, i, out)
    ended_on_the_page(out)
    print({i: round(s, 1) for i, s in lesson.seconds.items()})
