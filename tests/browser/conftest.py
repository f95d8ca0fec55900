"""One JupyterLab server and one Chromium for the browser tests; both always shut down.

Module scope, not session: Playwright's sync API runs its own event loop in this thread, and
pytest-asyncio cannot run a test while it is alive, so it must end before the next module starts.
A module shares one server and one browser; modules run side by side under pytest-xdist.

Without Chromium the tests skip, except where a skip would hide a gap: PEERLAB_REQUIRE_BROWSER=1
or PEERLAB_NO_SKIP=1 (set by .ci/run) turns the skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..conftest import skip_or_fail
from .jupyterlab import CHROMIUM_ARGS, INSTALL_HINT, JupyterLab, chromium_path, tree_digest, watch_console

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
VIEWPORT = {"width": 1280, "height": 1000}


def skip_or_fail_without_browser(reason: str) -> None:
    """Skip where a browser is optional; fail where it is required (CI, PEERLAB_REQUIRE_BROWSER=1)."""
    if os.environ.get("PEERLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (PEERLAB_REQUIRE_BROWSER=1: the browser tests must run here)")
    skip_or_fail(reason)


@pytest.fixture(scope="module")
def chromium_executable() -> str:
    path = chromium_path()
    if path is None:
        skip_or_fail_without_browser(INSTALL_HINT)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail_without_browser("Python Playwright is not installed: `pip install -e '.[test]'`")
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium_executable):
    """JupyterLab on a copy of notebooks/; afterwards, notebooks/ must be byte for byte as before."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lessons = ROOT / "notebooks"
    before = tree_digest(lessons)
    server = JupyterLab(lessons, tmp_path_factory.mktemp("lab"), ARTIFACTS / "jupyterlab.log")
    yield server
    server.stop()
    if tree_digest(lessons) != before:
        pytest.fail("notebooks/ changed while the browser tests ran (they must work on a copy)")


@pytest.fixture(scope="module")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab):
    """A new page in a new browser context; its kernel is shut down after the test."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    yield page
    # Kernels first: closing the page first races the server's last websocket write (a logged
    # WebSocketClosedError in test-artifacts/browser/jupyterlab.log).
    lab.shutdown_kernels()
    context.close()


@pytest.fixture
def console_errors(page) -> list[str]:
    """Console errors and uncaught exceptions of ``page``, collected from before it loads anything."""
    return watch_console(page)
