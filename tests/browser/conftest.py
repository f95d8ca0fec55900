"""One JupyterLab server and one Chromium for the browser tests; both always shut down.

Module scope, not session: Playwright's sync API runs its own event loop in this thread, and
pytest-asyncio cannot run a test while it is alive, so it must end before the next module starts.
A module shares one server and one browser; modules run side by side under pytest-xdist.
Sharing them per worker would also save little: starting JupyterLab costs about 2 s of CPU, Chromium
0.2 s, loading JupyterLab in a tab 6-8 s (measured; a warm browser cache does not lower it), and the three
modules that use them start first under ``make test``, one on each worker (tests/conftest.py START_FIRST).

Without Chromium the tests skip, except where a skip would hide a gap: PEERLAB_REQUIRE_BROWSER=1
or PEERLAB_NO_SKIP=1 (set by .ci/run) turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ..conftest import skip_or_fail
from .jupyterlab import (
    CHROMIUM_ARGS,
    INSTALL_HINT,
    JupyterLab,
    chromium_path,
    screenshot_notebook,
    tree_digest,
    watch_console,
)

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
def lab(request, tmp_path_factory, chromium_executable):
    """JupyterLab on a copy of notebooks/; afterwards, notebooks/ must be byte for byte as before."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lessons = ROOT / "notebooks"
    before = tree_digest(lessons)
    log = ARTIFACTS / f"jupyterlab-{request.module.__name__.rsplit('.', 1)[-1]}.log"  # one per module
    server = JupyterLab(lessons, tmp_path_factory.mktemp("lab"), log)
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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test (``rep_call``), so the page fixture knows a test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class Tab:
    """The module's one JupyterLab tab: notebooks open in it one after another, as a learner opens lessons.

    Loading JupyterLab costs Chromium about 5 s of CPU; opening a notebook in the loaded app about 2 s
    (measured). After a test that failed, or left a dialog open, the next test gets a new tab (a fresh load).
    """

    def __init__(self, browser, **context_options) -> None:
        self._browser = browser
        self._context_options = {"viewport": VIEWPORT, **context_options}
        self._page = None
        self.console_errors: list[str] = []

    def page(self):
        if self._page is None:
            self._page = self._browser.new_context(**self._context_options).new_page()
            self.console_errors = watch_console(self._page)
        self.console_errors.clear()
        return self._page

    def is_reusable(self) -> bool:
        """Whether the next notebook can open in this tab: JupyterLab loaded, no dialog waiting for an answer."""
        try:
            return bool(self._page.evaluate("() => !!window.jupyterapp && !document.querySelector('.jp-Dialog')"))
        except Exception:  # a crashed or closed page
            return False

    def settle(self, timeout_ms: float = 10_000) -> None:
        """Wait until no open notebook's kernel owes the debugger a reply (or ``timeout_ms`` passes).

        JupyterLab's debugger asks a new kernel for its state when the notebook opens; a kernel shut down
        before it answers makes JupyterLab log "Could not restore the debugger state: Canceled future" in
        the console, which the next test would then find. A person never shuts a kernel down that fast.
        """
        try:
            self._page.wait_for_function("""() => Array.from(window.jupyterapp.shell.widgets('main')).every(w => {
                const kernel = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
                return !kernel || !kernel._futures || Array.from(kernel._futures.values()).every(
                    f => !f.msg || f.msg.header.msg_type !== 'debug_request'); })""",
                                         timeout=timeout_ms, polling=100)
        except Exception:  # still waiting, or no JupyterLab in the page: the shutdown goes ahead
            pass

    def keep_picture(self, path: Path) -> None:
        """A picture of the whole notebook as the test left it, if the page still draws one."""
        try:
            screenshot_notebook(self._page, path)
        except Exception:  # no page, a crashed one, or no notebook open
            pass

    def clear_permissions(self) -> None:
        """Take back what a lesson was granted (the camera) for itself only."""
        if self._page is not None:
            self._page.context.clear_permissions()

    def discard(self) -> None:
        if self._page is not None:
            self._page.context.close()
            self._page = None


@pytest.fixture(scope="module")
def tab(browser, lab):
    tab = Tab(browser)
    yield tab
    tab.discard()


def leave_tab(request, tab: Tab, lab) -> None:
    """After a test on ``tab``: its kernels shut down; the tab kept for the next notebook, or discarded."""
    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    if failed:
        stem = re.sub(r"[^\w.-]+", "-", request.node.name)
        tab.keep_picture(ARTIFACTS / f"failed-{stem}.png")
    tab.settle()
    lab.shutdown_kernels()  # kernels first: a closed page races the server's last websocket write
    if failed or not tab.is_reusable():
        tab.discard()
    else:
        tab.clear_permissions()


@pytest.fixture
def page(request, tab, lab):
    """The module's JupyterLab tab; after the test its kernels are shut down (the next notebook opens beside)."""
    page = tab.page()
    yield page
    leave_tab(request, tab, lab)


@pytest.fixture
def console_errors(tab, page) -> list[str]:
    """Console errors and uncaught exceptions of the tab since this test began."""
    return tab.console_errors
