"""The harness's own checks, then lessons 06-09, run in JupyterLab in Debian's Chromium (00-05 and the workshop:
test_lessons_in_browser)."""

from __future__ import annotations

import json

import pytest

from .conftest import ARTIFACTS
from .harness_checks import (  # noqa: F401  (pytest collects them here, first, on this module's JupyterLab)
    test_a_notebook_without_kernelspec_is_reported,
    test_errors_tracebacks_and_console_errors_are_caught,
    test_mermaid_outputs_and_widgets_render,
    test_the_next_notebook_opens_alone_in_the_same_tab_on_a_new_kernel,
)
from .lesson_checks import SECOND_HALF, probe_links, run_and_check


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", SECOND_HALF)
def test_lesson_runs_in_jupyterlab_without_errors(page, console_errors, lab, name):
    run_and_check(page, console_errors, lab, name)


@pytest.mark.timeout(120)
def test_each_way_to_the_kernel_links_alone_and_its_round_trip(page, lab):
    """JupyterLab on 127.0.0.1: the comm, the proxy and the direct WebSocket each link when alone (20 calls each)."""
    found = probe_links(page, lab, ["comm", "proxy", "direct"], "probe-links.ipynb")
    (ARTIFACTS / "local-round-trips.json").write_text(json.dumps(found, indent=1))
    print(found)
    for channel in ("comm", "proxy", "direct"):
        assert found[channel].get("link") == channel, found
