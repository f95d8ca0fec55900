"""Shared test set-up: no asyncio error may pass unnoticed, and a two-peer helper."""

from __future__ import annotations

import gc
import logging
import os

import pytest

from peerlab import Loopback, RTCPeerConnection
from peerlab.testing import add_remote_candidates, negotiate  # noqa: F401  (used by the tests)


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
