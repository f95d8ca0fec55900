"""One JupyterLab server and one Chromium for the browser tests; both always shut down.

Module scope, not session: Playwright's sync API runs its own event loop in this thread, and
pytest-asyncio cannot run a test while it is alive, so it must end before the next module starts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import skip_or_fail
from .jupyterlab import CHROMIUM_ARGS, JupyterLab, chromium_path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def chromium_executable() -> str:
    path = chromium_path()
    if path is None:
        skip_or_fail("Debian's Chromium is not installed: `apt-get install chromium` (as root)")
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium_executable):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = JupyterLab(ROOT / "notebooks", tmp_path_factory.mktemp("lab"), ARTIFACTS / "jupyterlab.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and uncaught page errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()
