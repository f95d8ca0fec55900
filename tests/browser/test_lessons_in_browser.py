"""Every lesson, run in JupyterLab in Chromium, as a learner sees it.

Screenshots go to test-artifacts/browser/ (ignored by git): look at them.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from .conftest import ARTIFACTS, ROOT
from .jupyterlab import error_outputs, mermaid_arrow_count, outputs_text, run_all_cells

LESSONS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SOLUTIONS = sorted("workshop/" + p.name for p in (ROOT / "notebooks" / "workshop").glob("*-solution.ipynb"))

pytestmark = pytest.mark.timeout(240)


def run(page, lab, name: str) -> str:
    """Run ``name`` on a new kernel; check there is no error on the page or in the console; screenshot."""
    lab.shutdown_kernels()
    run_all_cells(page, lab, name)
    page.wait_for_timeout(500)  # let the last widget views and diagrams draw
    page.screenshot(path=str(ARTIFACTS / (Path(name).stem + ".png")), full_page=True)
    assert error_outputs(page) == []
    assert page.console_errors == []
    return outputs_text(page)


# These have tests of their own below, which run them once.
CHECKED_BELOW = {"00-setup-check.ipynb", "01-caller.ipynb", "02-callee.ipynb", "04-trickle-ice-and-states.ipynb"}


@pytest.mark.parametrize("name", [n for n in LESSONS if n not in CHECKED_BELOW] + SOLUTIONS)
def test_a_lesson_runs_top_to_bottom_in_jupyterlab_without_errors(page, lab, name):
    text = run(page, lab, name)
    assert "✔" in text or "Promise" in text  # the lesson's own outputs are on the page


def test_every_lesson_is_run_in_the_browser():
    ran = {n for n in LESSONS if n not in CHECKED_BELOW} | CHECKED_BELOW
    assert ran == set(LESSONS)


def test_setup_check_shows_its_widget_and_says_ready(page, lab):
    text = run(page, lab, "00-setup-check.ipynb")
    assert page.locator(".peerlab-setup-widget").is_visible()
    assert "READY: this machine can run every peerlab lesson." in text
    assert "[FAIL]" not in text


def test_caller_lesson_shows_connected_in_its_panel_and_the_echo(page, lab):
    text = run(page, lab, "01-caller.ipynb")
    current = page.locator('.peerlab-state-panel .peerlab-state-current[data-machine="connectionState"]')
    assert current.get_attribute("data-state") == "connected"
    assert "'echo: hello from the caller'" in text
    assert page.locator(".peerlab-sdp tr").count() > 10
    assert page.locator(".peerlab-candidates tbody tr").count() >= 1


def test_callee_lesson_shows_connected_in_its_panel(page, lab):
    text = run(page, lab, "02-callee.ipynb")
    current = page.locator('.peerlab-state-panel .peerlab-state-current[data-machine="connectionState"]')
    assert current.get_attribute("data-state") == "connected"
    assert "'echo: hello from the callee'" in text


def test_trickle_lesson_draws_the_sequence_diagram_tables_and_timeline(page, lab):
    run(page, lab, "04-trickle-ice-and-states.ipynb")
    stored = nbformat.read(ROOT / "notebooks" / "04-trickle-ice-and-states.ipynb", as_version=4)
    diagram = next(o for c in stored.cells if c.cell_type == "code" for o in c.outputs
                   if "text/vnd.mermaid" in o.get("data", {}))
    expected = len(re.findall(r"->>", diagram["data"]["text/vnd.mermaid"]))
    assert expected == 12
    assert mermaid_arrow_count(page) == expected
    for peer in ("caller", "callee"):
        cell = page.locator(f'.peerlab-state-current[data-peer="{peer}"][data-machine="connectionState"]')
        assert cell.get_attribute("data-state") == "connected"
    assert page.locator(".peerlab-candidates tbody tr").count() >= 1
    assert page.locator(".peerlab-sdp tr").count() > 10
    assert page.locator(".peerlab-timeline svg circle").count() > 20
    shot = page.locator(".jp-RenderedMermaid").first
    shot.screenshot(path=str(ARTIFACTS / "sequence-diagram.png"))
    page.locator(".peerlab-state-panel").first.screenshot(path=str(ARTIFACTS / "state-panel.png"))
    page.locator(".peerlab-timeline svg").first.screenshot(path=str(ARTIFACTS / "timeline.png"))
    page.locator(".peerlab-sdp").first.screenshot(path=str(ARTIFACTS / "sdp-anatomy.png"))
    page.locator(".peerlab-candidates").first.screenshot(path=str(ARTIFACTS / "candidate-table.png"))
