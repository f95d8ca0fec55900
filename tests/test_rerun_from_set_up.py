"""From any step, running the set-up cell again starts over: run to N, run set-up, run 1..N, go on."""

from __future__ import annotations

import pytest

from .rerun_steps import LESSONS, Lesson, echoed


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", LESSONS)
def test_from_each_step_the_set_up_cell_starts_over_and_the_lesson_reaches_the_echo(kernel, name):
    lesson = Lesson(name)
    for n in lesson.steps:
        lesson.run(kernel, range(n + 1))  # a first try, stopped after step n
        outs = lesson.run(kernel, range(len(lesson.flow)), f"starting over after cell {n}")  # set-up again
        assert echoed(outs), f"{name}: starting over after step cell {n}, the echo did not come"
    lesson.end(kernel)
