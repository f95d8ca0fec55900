"""Shared test set-up: no asyncio error may pass unnoticed, and a two-peer helper."""

from __future__ import annotations

import gc
import logging
import os

import pytest

from peerlab import LabUnavailable, Loopback, RTCPeerConnection
from peerlab.natlab import check_requirements
from peerlab.testing import add_remote_candidates, negotiate  # noqa: F401  (used by the tests)

from .kernel import Kernel


def skip_or_fail(reason: str) -> None:
    """Skip a test this machine cannot run; in CI (PEERLAB_NO_SKIP=1, set by .ci/run) fail instead."""
    if os.environ.get("PEERLAB_NO_SKIP") == "1":
        pytest.fail(f"{reason} (CI sets PEERLAB_NO_SKIP=1: nothing may be skipped there)")
    pytest.skip(reason)


class _AsyncioErrors(logging.Handler):
    """Collects what asyncio logs at ERROR: "Task was destroyed but it is pending", etc."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


#: Started first under ``make test``, the longest first (each waits mostly on a fresh install, kernels or Chromium);
#: begun last, any would end the run alone. tests/scheduling.py gives each worker one at a time, and the hub's
#: three settings to up to three workers.
START_FIRST = ["tests/test_pythons.py", "tests/browser/test_later_lessons_in_browser.py",
               "tests/browser/test_lessons_in_browser.py", "tests/browser/test_second_try_in_browser.py",
               "tests/test_other_networks.py", "tests/browser/test_hub_in_browser.py",
               "tests/test_rerun_lesson_07.py", "tests/test_rerun_lesson_08_from_set_up.py",
               "tests/test_rerun_lesson_07_from_set_up.py", "tests/test_natlab.py", "notebooks/10-across-nats.ipynb",
               "tests/test_rerun_lesson_08.py", "tests/test_lesson_05_second_try.py", "tests/test_workshop.py"]


def pytest_configure(config: pytest.Config) -> None:
    """nbval's kernels too talk over Unix sockets (tests/unix_kernels.py says why); nbval takes no kernel
    manager of our choosing, so its module's name for jupyter_client's KernelManager is pointed at ours."""
    import nbval.kernel

    from .unix_kernels import UnixSocketKernelManager

    nbval.kernel.KernelManager = UnixSocketKernelManager


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadfile`` as tests/scheduling.py shares it out (pytest-xdist's own for any other ``--dist``)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from .scheduling import Scheduling  # pytest-xdist's, which a run with -p no:xdist does not load

    return Scheduling(config, log)


#: Lessons whose kernel must enter peerlab.natlab's namespaces (lesson 10 calls from behind a NAT).
LAB_LESSONS = ("notebooks/10-across-nats.ipynb",)


def lab_lessons_cannot_run() -> str | None:
    """Why a lesson kernel cannot build and enter peerlab.natlab's lab here, or None if it can.

    The kernel nbval starts is this process's child: it enters the lab's networks as root, or as the
    root of a user namespace this process runs in (``unshare -r``); an ordinary user's kernel cannot.
    """
    try:
        check_requirements()
    except LabUnavailable as exc:
        return str(exc)
    if os.geteuid() != 0:
        return ("lesson 10's kernel must enter the lab's network namespaces: run the tests as root, or in a user "
                "namespace of your own (unshare --user --map-root-user make test)")
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """START_FIRST first, then the files with the most tests (pytest-xdist's own order, which the Makefile's
    ``--no-loadscope-reorder`` turns off so that this one holds); within a file, the tests keep their order.

    A lesson that needs the NAT lab is skipped where it cannot run (in CI, where nothing may be skipped,
    it runs and fails instead)."""
    lab_items = [item for item in items if item.nodeid.startswith(LAB_LESSONS)]
    reason = lab_lessons_cannot_run() if lab_items and os.environ.get("PEERLAB_NO_SKIP") != "1" else None
    if reason is not None:
        for item in lab_items:
            item.add_marker(pytest.mark.skip(reason=f"peerlab.natlab cannot run here: {reason}"))
    files: dict[str, int] = {}
    for item in items:
        path = item.nodeid.split("::")[0]
        files[path] = files.get(path, 0) + 1
    rank = {path: i for i, path in enumerate(START_FIRST)}
    items.sort(key=lambda item: (rank.get(path := item.nodeid.split("::")[0], len(rank)), -files[path], path))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what exists after collection (modules, test functions): no collection looks at it again."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def no_asyncio_errors():
    """Fail a test after which asyncio logged an error (a pending task destroyed, a lost exception).

    A full collection finds every task and future the test left in a reference cycle, so their
    "Task was destroyed but it is pending" or "exception was never retrieved" is logged here, in
    this test. It costs little since what existed after collection (every imported module, aiortc,
    IPython, the test functions) is frozen and never walked again.
    """
    handler = _AsyncioErrors()
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    try:
        yield
        gc.collect()
    finally:
        logger.removeHandler(handler)
    if handler.records:
        pytest.fail("asyncio logged errors:\n" + "\n".join(r.getMessage() for r in handler.records))


@pytest.fixture
async def pair():
    """A caller, a callee and the loopback between them; all closed afterwards."""
    loopback = Loopback()
    caller = RTCPeerConnection(name="caller")
    callee = RTCPeerConnection(name="callee")
    yield loopback, caller, callee
    await caller.close()
    await callee.close()
    loopback.close()


@pytest.fixture(scope="module")
def kernel():
    """A real IPython kernel (tests/kernel.py), shared by the tests of one module and shut down after them."""
    started = Kernel()
    yield started
    started.close()
