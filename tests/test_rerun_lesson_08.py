"""Lesson 08's second try in a real kernel (issue 21): any cell run again (the set-up cell run again:
test_rerun_lesson_08_from_set_up.py).

As lessons 01-02 are tested (test_rerun_a_step.py), chained to keep it affordable (a pass of the lesson takes
about 3 s here, most of it the lesson's own waits, which ``tests/lesson_08_cells.py`` makes shorter): every code
cell run twice in a row in one pass, on to the clean-up; and, as the issue found it, the connection cell run again
after a working call. The two share one kernel: the second starts with the set-up cell, which starts over. The cells that check the call must print
True only while frames arrive, and the clean-up must find every view ended with its connection while the
learner's own tracks stay live until stopped. Nothing here depends on how fast frames come.
"""

from __future__ import annotations

import pytest

from .lesson_08_cells import Lesson08, ended_on_the_page, says_it_is_live


@pytest.mark.timeout(180)
def test_every_cell_run_twice_and_the_lesson_goes_on_to_its_end(kernel):
    lesson = Lesson08()
    last = len(lesson.cells) - 1
    for i in range(len(lesson.cells)):
        for run in ("first", "again"):
            out = lesson.run(kernel, i, f"cell {i}, run {run}, every cell before it run twice")
            if i < last:
                says_it_is_live(lesson, i, out)
            elif run == "first":
                ended_on_the_page(out)
    print({i: round(s, 1) for i, s in lesson.seconds.items()})


@pytest.mark.timeout(120)
def test_after_a_working_call_the_connection_cell_run_again_sends_the_same_tracks_and_the_old_views_say_ended(kernel):
    # closing the connections it replaced stopped the caller's tracks: "no 1 frame(s) within 5 s ... did the far
    # side addTrack() before its offer or answer?"; and the old views froze with their last rates, saying nothing
    lesson = Lesson08()
    connection, checked = lesson.index_of("loopback = peerlab.Loopback()"), lesson.index_of("video_sent, edges_back")
    for i in range(checked + 1):
        lesson.run(kernel, i, "a working call")
    lesson.run(kernel, connection, "the connection cell again, after a working call")
    probe = kernel.run("await asyncio.sleep(0.5)\n"
                       "print(video.readyState, tone.readyState, view.state(), view.fps(), level.state(), panel.state())",
                       "probe")
    assert probe.error is None and probe.stdout.strip() == (
        "live live ended: the callee's connection closed 0.0 ended: the callee's connection closed "
        "ended: the caller's connection closed"), probe
    for i in range(connection + 1, len(lesson.cells)):
        out = lesson.run(kernel, i, "going on with the new connections")
        if i < len(lesson.cells) - 1:
            says_it_is_live(lesson, i, out)
    ended_on_the_page(out)
