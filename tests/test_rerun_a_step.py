"""Any step cell run again goes on to ``connected`` and the echo: run to step N, run N again, go on.

A step that receives what its first run already took cannot take it again, and an answer set
once cannot be set again (as in a browser): run twice, such a cell says at once that an earlier
run of this cell did it, and which step to go on to; the learner goes on from there, and so does
this test.
"""

from __future__ import annotations

import pytest

from .kernel import ANSI
from .rerun_steps import LESSONS, Lesson, echoed


def test_every_lesson_has_step_cells():
    for name in LESSONS:
        assert len(Lesson(name).steps) >= 6, name  # the callee has 7 steps; workshop 02 joins two


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", LESSONS)
def test_each_step_cell_run_twice_and_the_lesson_goes_on_to_the_echo(kernel, name):
    lesson = Lesson(name)
    for n in lesson.steps:
        lesson.run(kernel, range(n + 1))  # from the set-up cell to step n
        again = kernel.run(lesson.flow[n].source, lesson.flow[n].id)  # step n again
        if again.error is not None:
            said = ANSI.sub("", again.traceback[-1])
            assert again.error in ("SignallingTimeout", "StepOrderError"), said
            assert "an earlier run of this cell" in said and "go on to" in said, said
        outs = lesson.run(kernel, range(n + 1, len(lesson.flow)), f"going on after cell {n} ran twice")
        assert echoed(outs), f"{name}: after step cell {n} ran twice, the echo did not come"
    lesson.end(kernel)
