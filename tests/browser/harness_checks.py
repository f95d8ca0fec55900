"""The browser harness itself, on notebooks written into the server's copy at test time.

It must see what a person sees: Mermaid diagrams drawn, widgets shown, tracebacks and console
errors caught, a notebook without a kernel reported, the next notebook opened alone.

These run first in test_later_lessons_in_browser.py, on its JupyterLab and Chromium (a module of their own
would load both once more: about 7 s of CPU on this machine's two cores).
"""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from .conftest import ARTIFACTS
from .jupyterlab import (
    cells,
    mermaid_arrow_count,
    mermaid_diagrams,
    outputs_text,
    run_notebook,
    screenshot_notebook,
    unexpected_errors,
)

SEQUENCE = "sequenceDiagram\n  caller->>callee: offer\n  callee-->>caller: answer\n  callee->>callee: think\n"


@pytest.mark.timeout(120)
def test_mermaid_outputs_and_widgets_render(page, console_errors, lab):
    display = ('from IPython.display import display\n'
               f'display({{"text/vnd.mermaid": {SEQUENCE!r}, "text/plain": "3 messages"}}, raw=True)')
    name = lab.write_notebook("probe-render.ipynb", [
        new_code_cell(display),
        new_markdown_cell("```mermaid\nsequenceDiagram\n  A->>B: hi\n```"),
        new_code_cell("import ipywidgets\nipywidgets.HTML('<b class=\"probe\">hi</b>')"),
    ])
    run_notebook(page, lab, name)
    screenshot_notebook(page, ARTIFACTS / "probe-render.png")
    [drawn] = mermaid_diagrams(page, ".jp-NotebookPanel .jp-OutputArea")
    assert drawn["drawn"]
    assert drawn["arrows"] == 3  # two <line>s and, for the message to itself, a <path>
    assert drawn["messages"] == ["offer", "answer", "think"]
    assert sorted(drawn["actors"]) == ["callee", "caller"]
    assert mermaid_arrow_count(page, ".jp-NotebookPanel .jp-MarkdownCell") == 1
    assert mermaid_arrow_count(page) == 4
    assert page.locator(".jp-OutputArea .jupyter-widgets .probe").inner_text() == "hi"
    assert page.locator(".jp-OutputArea .jupyter-widgets .probe").is_visible()
    assert unexpected_errors(page, lab, name) == []
    assert console_errors == []


@pytest.mark.timeout(120)
def test_errors_tracebacks_and_console_errors_are_caught(page, console_errors, lab):
    allowed = new_code_cell("import peerlab\nraise peerlab.StepOrderError('on purpose')")
    allowed.metadata["tags"] = ["raises-exception"]
    name = lab.write_notebook("probe-errors.ipynb", [
        new_code_cell("print('first')"),
        allowed,
        new_code_cell("import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    traceback.print_exc()"),
        new_code_cell("from IPython.display import Javascript\nJavascript(\"console.error('probe: in the console')\")"),
        new_code_cell("raise ValueError('not on purpose')"),
        new_code_cell("print('never runs')"),
    ])
    run_notebook(page, lab, name)
    assert cells(page, name)[1].errors == ["StepOrderError: on purpose"]  # seen, and allowed
    problems = unexpected_errors(page, lab, name)
    assert problems[0].startswith("cell 2: Traceback (most recent call last)")
    assert "ZeroDivisionError" in problems[0]
    assert problems[1:] == ["cell 4: ValueError: not on purpose", "cell 5: not run (prompt [ ]:)"]
    assert [e for e in console_errors if "probe: in the console" in e] != []


@pytest.mark.timeout(120)
def test_the_next_notebook_opens_alone_in_the_same_tab_on_a_new_kernel(page, lab):
    # The lessons open one after another in one tab, as a learner opens them: nothing of the one
    # before may be left (its panel, its kernel, its variables) when the next one runs.
    first = lab.write_notebook("probe-first.ipynb", [new_code_cell("import os\nleft_behind = 1\nos.getpid()")])
    second = lab.write_notebook("probe-second.ipynb", [new_code_cell("import os\nos.getpid()"),
                                                      new_code_cell("'left_behind' in globals()")])
    run_notebook(page, lab, first)
    first_kernel = outputs_text(page, 0)
    page.evaluate("() => { window.peerlabSameLoad = true; }")
    lab.shutdown_kernels()
    run_notebook(page, lab, second)
    assert page.locator(".jp-NotebookPanel").count() == 1
    assert [c.prompt for c in cells(page, second)] == ["[1]:", "[2]:"]
    assert outputs_text(page, 0) != first_kernel  # another process
    assert outputs_text(page, 1) == "False"
    assert page.evaluate("() => window.peerlabSameLoad === true")  # opened in the loaded JupyterLab, no reload


@pytest.mark.timeout(120)
def test_a_notebook_without_kernelspec_is_reported(page, lab):
    name = lab.write_notebook("probe-no-kernel.ipynb", [new_code_cell("1 + 1")], kernelspec=False)
    with pytest.raises(AssertionError, match="Select Kernel"):
        run_notebook(page, lab, name)
    page.keyboard.press("Escape")  # as a person closes the dialog; the next notebook opens in this tab
    page.locator(".jp-Dialog").wait_for(state="detached", timeout=10_000)
