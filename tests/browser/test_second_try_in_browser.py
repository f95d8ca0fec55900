"""Lessons 06 and 09 a second time, in JupyterLab in Debian's Chromium: every code cell run twice, and a reload.

The chained pass runs each code cell, runs it again at once, and goes on: one pass stands for "run to it,
run it again, go on" for every cell (one pass per cell would cost a lesson's run each). A cell's second run
may fail only if it says at once that an earlier run of this cell did the work and which step to go on to
(as lessons 01-02's step cells do); the lesson must then go on to its end. The reload tests reload the tab
in the middle of a lesson: the next cell that uses the browser's connection says the page went away and
which cell to run again; running from there goes on to the end. What each cell's second run said goes to
test-artifacts/browser/second-try-<lesson>.txt, with a screenshot beside it: look at them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .conftest import ARTIFACTS
from .jupyterlab import (
    CellState,
    JupyterLab,
    allow_camera,
    cells,
    open_notebook,
    outputs_text,
    screenshot_notebook,
    tagged_cell,
    wait_for_rendering,
)

LESSON_06, LESSON_09 = "06-your-browser.ipynb", "09-your-camera.ipynb"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: What a second run may say instead of doing its step again (lessons 01-02's rule, tests/test_rerun_a_step.py).
EARLIER_RUN = ("an earlier run of this cell", "go on to")


def code_cells(lab: JupyterLab, name: str) -> list[int]:
    """The indexes of the lesson's code cells, in order."""
    stored = nbformat.read(lab.path(name), as_version=4)
    return [i for i, cell in enumerate(stored.cells) if cell.cell_type == "code"]


def run_cell(page: Any, name: str, index: int, timeout_s: float = 60.0) -> CellState:
    """Run cell ``index`` as a learner does (select it, Shift+Enter without moving on); wait until it has run."""
    before = cells(page, name)[index].prompt
    page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", index)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
    deadline = time.monotonic() + timeout_s
    while True:
        cell = cells(page, name)[index]
        if cell.ran and cell.prompt != before:
            return cell
        assert time.monotonic() < deadline, (f"{name}: cell {index} did not run within {timeout_s:g} s (prompt {cell.prompt}, "
                                             f"before {before}; errors {cell.errors})")
        page.wait_for_timeout(100)


def error_text(page: Any, cell: CellState) -> str:
    """The error the cell shows, as a learner reads it (its last line), or ``""``."""
    if not cell.errors:
        return ""
    return ANSI.sub("", cell.errors[0])


def run_twice_and_go_on(page: Any, lab: JupyterLab, name: str, record: list[str]) -> None:
    """Each code cell, then the same cell again; a second run that fails must say why at once."""
    for index in code_cells(lab, name):
        first = run_cell(page, name, index)
        assert not first.errors, f"{name}: cell {index}, first run: {first.errors}"
        started = time.monotonic()
        again = run_cell(page, name, index)
        said = error_text(page, again)
        record.append(f"cell {index}, run again ({time.monotonic() - started:.1f} s): {said or 'no error'}")
        if said:
            assert all(words in said for words in EARLIER_RUN), f"{name}: cell {index} run again: {said}"


def open_clean(page: Any, lab: JupyterLab, name: str) -> None:
    """Open the lesson in the module's tab, its outputs cleared (stored outputs cannot pass for fresh ones)."""
    allow_camera(page, lab.path(name))
    # The same lesson still open from the test before is on a kernel that test shut down: close it first.
    page.evaluate("""(path) => { const app = window.jupyterapp;
      if (app) for (const w of Array.from(app.shell.widgets('main'))) if (w.context && w.context.path === path) w.dispose(); }""",
                  name)
    open_notebook(page, lab, name)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")


def reload_tab(page: Any, lab: JupyterLab, name: str) -> None:
    """Reload the tab (F5): JupyterLab comes back on the same kernel, with the lesson open again."""
    page.reload()
    page.wait_for_function("() => !!window.jupyterapp && window.jupyterapp.commands.hasCommand('docmanager:open')",
                           timeout=60_000, polling=100)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    open_notebook(page, lab, name)  # reopens it on its running kernel (its session), if the workspace did not
    # The reloaded page shows the file's stored outputs and counts; cleared, a count means a run in this test.
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")


def write_record(name: str, record: list[str], seconds: float) -> None:
    (ARTIFACTS / f"second-try-{Path(name).stem}.txt").write_text(
        "\n".join(record + [f"{seconds:.0f} s in all"]) + "\n", encoding="utf-8")


def chat(page: Any, text: str) -> str:
    """Type ``text`` into lesson 06's chat box and press Enter; the log once the echo came."""
    box = page.locator(".peerlab-chat-box input").last
    box.fill(text)
    box.press("Enter")
    log = page.locator(".peerlab-chat-log").last
    log.filter(has_text=f"echo: {text}").wait_for(timeout=10_000)
    page.wait_for_timeout(500)  # a second listener's copy would come right behind the first
    return str(log.inner_text())



def every_cell_twice(page, lab, name: str) -> None:
    """Open ``name`` clean and run every code cell twice, going on (run_twice_and_go_on); its record is written
    whether or not that passes."""
    started = time.monotonic()
    open_clean(page, lab, name)
    record: list[str] = []
    try:
        run_twice_and_go_on(page, lab, name, record)
    finally:
        write_record(name, record, time.monotonic() - started)

@pytest.mark.timeout(300)
def test_lesson_06_every_cell_run_twice_goes_on_to_the_chat_and_each_message_once(page, console_errors, lab):
    every_cell_twice(page, lab, LESSON_06)
    text = outputs_text(page)  # a step that says an earlier run did it shows that; the echo cells show the echo
    assert "'echo: hello from your browser'" in text and "'echo: hello from your browser, the callee'" in text
    states = page.locator('.peerlab-browser-state[data-machine="connectionState"]')
    assert states.first.get_attribute("data-state") == "connected"  # Part 1's connection, in the page itself
    log = chat(page, "said once")
    assert log.count("browser received: echo: said once") == 1, log  # the chat cell ran twice: one listener
    wait_for_rendering(page)
    screenshot_notebook(page, ARTIFACTS / "second-try-06-your-browser.png")
    page.locator(".peerlab-hang-up").last.click()
    page.locator('.peerlab-browser-state[data-machine="connectionState"][data-state="closed"]').first.wait_for(
        timeout=10_000)
    assert console_errors == []


@pytest.mark.timeout(300)
def test_lesson_06_after_a_reload_the_next_step_says_the_page_went_away_and_step_1_again_goes_on(page, lab):
    started = time.monotonic()
    open_clean(page, lab, LESSON_06)
    code = code_cells(lab, LESSON_06)
    step_3, step_4 = tagged_cell(lab.path(LESSON_06), "caller-step-3"), tagged_cell(lab.path(LESSON_06), "caller-step-4")
    step_6 = tagged_cell(lab.path(LESSON_06), "caller-step-6")
    for index in [i for i in code if i <= step_3]:
        assert not run_cell(page, LESSON_06, index).errors
    reload_tab(page, lab, LESSON_06)
    record = []
    for index in (step_4, step_6):
        said = error_text(page, run_cell(page, LESSON_06, index))
        record.append(f"after the reload, cell {index}: {said}")
        assert "the page that held the browser's RTCPeerConnection went away" in said, said
        assert "Run the cell that makes it (peerlab.browser.RTCPeerConnection(...)) again" in said, said
    step_1 = tagged_cell(lab.path(LESSON_06), "caller-step-1")
    for index in [i for i in code if i >= step_1]:
        cell = run_cell(page, LESSON_06, index)
        assert not cell.errors, f"cell {index} after the reload and step 1 again: {cell.errors}"
    assert "'echo: hello from your browser'" in outputs_text(page)
    assert "connectionState=connected" in outputs_text(page, tagged_cell(lab.path(LESSON_06), "caller-step-8"))
    chat(page, "after the reload")
    screenshot_notebook(page, ARTIFACTS / "second-try-06-after-reload.png")
    page.locator(".peerlab-hang-up").last.click()
    write_record("06-after-reload", record, time.monotonic() - started)


@pytest.mark.timeout(300)
def test_lesson_09_every_cell_run_twice_goes_on_and_the_page_plays_the_edges(page, console_errors, lab):
    every_cell_twice(page, lab, LESSON_09)
    text = outputs_text(page)
    assert "media sections offered: ['m=video']" in text  # addCamera run twice: one camera, one m=video
    assert "the page plays the edges of your camera, 320×240" in text
    assert "in the kernel: {'video': 'ended', 'edges': 'ended'}" in text
    wait_for_rendering(page)
    screenshot_notebook(page, ARTIFACTS / "second-try-09-your-camera.png")
    assert console_errors == []


@pytest.mark.timeout(300)
def test_lesson_09_after_a_reload_the_video_wait_says_the_page_went_away_and_set_up_again_goes_on(page, lab):
    started = time.monotonic()
    open_clean(page, lab, LESSON_09)
    code = code_cells(lab, LESSON_09)
    plays = next(i for i in code if "wait_for_video_in_page" in nbformat.read(
        lab.path(LESSON_09), as_version=4).cells[i].source)
    for index in [i for i in code if i < plays]:
        assert not run_cell(page, LESSON_09, index).errors
    reload_tab(page, lab, LESSON_09)
    said = error_text(page, run_cell(page, LESSON_09, plays))
    assert "the page that held the browser's RTCPeerConnection went away" in said, said
    assert "the page plays the edges" not in outputs_text(page, plays)
    for index in code:  # from the set-up cell, which makes the browser's connection, to the end
        cell = run_cell(page, LESSON_09, index)
        assert not cell.errors, f"cell {index} after the reload and the set-up again: {cell.errors}"
    assert "the page plays the edges of your camera, 320×240" in outputs_text(page)
    screenshot_notebook(page, ARTIFACTS / "second-try-09-after-reload.png")
    write_record("09-after-reload", [f"after the reload, cell {plays}: {said}"], time.monotonic() - started)
