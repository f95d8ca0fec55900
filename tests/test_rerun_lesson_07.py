"""Lesson 07's second try, in a real kernel (issue 21): any code cell run again goes on to the lesson's end;
a cell skipped says which cell comes first; an interrupted wait says what it waited for, in one line.

As for lessons 01-02 (``test_rerun_a_step.py``), chained as lesson 08's test is: every code cell run twice in a
row in one pass, each cell's first run coming after every cell before it ran twice, on to the clean-up (run twice
too). Every time a cell the learner checks runs, first or second, it must say what WENT_ON lists, and at the end
no connection is left open. ``tests/lesson_07_cells.py`` says which cells refuse a second run, and with what words.

A pass with each cell run twice misses no case that running one cell twice and the rest once would find: each
cell's first run follows its predecessor's second run, as there; and no cell's second run leaves what only a
single run of a later cell would trip on (the cells that make a channel make a new one, with its own inbox; the
bulk cells' count cell reads 128 messages whether 128 or 192 were sent; a second transfer is its own channel and
file; the set-up cell run again starts over, which test_rerun_lesson_07_from_set_up.py checks from every cell).
"""

from __future__ import annotations

import re

import pytest

from .lesson_07_cells import Lesson07, said


@pytest.fixture(scope="module")
def lesson(kernel):
    return Lesson07(kernel)


@pytest.mark.timeout(120)
def test_each_code_cell_run_twice_and_the_lesson_goes_on_to_its_end(lesson):
    for n in range(len(lesson.cells)):
        lesson.run([n], f"cell {n}, every cell before it run twice")
        lesson.again(n, f"cell {n}, every cell before it run twice")
    lesson.went_on("every code cell run twice")


@pytest.mark.timeout(120)
def test_skipping_the_bufferedamountlow_cell_says_to_run_it_first_and_then_the_lesson_goes_on(lesson):
    backpressure, counting = lesson.index["l07-18"], lesson.index["l07-20"]
    lesson.run(range(backpressure), "up to the bufferedamountlow cell")
    out = lesson.kernel.run(lesson.cells[counting].source, lesson.cells[counting].id)
    assert out.error == "WaitTimeout" and len(out.traceback) == 1
    assert said(out) == ("WaitTimeout: bulk message 65 of 128 did not come within 5 s: the bufferedamountlow cell "
                         "above sends messages 65 to 128: run it first")
    lesson.run([backpressure], "the skipped cell, after the error")
    lesson.run(range(counting, len(lesson.cells)), "going on after the skipped cell")
    lesson.went_on("after the skipped cell ran late")


@pytest.mark.timeout(120)
def test_an_interrupted_wait_says_what_it_waited_for_in_one_line_and_the_transfer_works_when_run_again(lesson):
    receiver, transfer = lesson.index["l07-26"], lesson.index["l07-28"]
    lesson.run(range(receiver + 1), "up to the Receiver")
    lesson.kernel.ok("Receiver.on_message = lambda self, event: None", "a callee that never answers")
    cell = lesson.cells[transfer]
    out = lesson.kernel.run(cell.source, cell.id, interrupt_after=5)  # it waits up to 30 s for the hash
    assert out.error == "CancelledError" and len(out.traceback) == 1, out.traceback
    assert re.fullmatch(r"Interrupted: The cell stopped waiting for the callee's hash of the file after \d+\.\d s: "
                        r"the wait was interrupted\. Nothing is broken: what it waited for goes on in the background, "
                        r"so run the cell again to wait again\.", said(out)), said(out)
    lesson.run(range(receiver, len(lesson.cells)), "the Receiver cell and the transfer again, after the interrupt")
    lesson.went_on("after the interrupted transfer ran again")
