"""Fixtures for the WPT port: ``new_pc()`` is ``new RTCPeerConnection()`` plus ``t.add_cleanup(() => pc.close())``."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

import peerlab

from .differences import DIFFERENCES

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every known difference from a browser is a strict xfail, with its reason (differences.py).
    for item in items:
        title = getattr(item, "callspec", None) and item.callspec.params.get("wpt_title")
        wpt_file = Path(str(item.fspath)).stem.removeprefix("test_").replace("_", "-", 1)
        key = next((k for k in (f"{wpt_file}: {title}", title) if k in DIFFERENCES), None)
        if key is not None:
            kind, reason = DIFFERENCES[key]
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"{kind}: {reason}"))
    # peerlab's notes (PeerlabNote warnings) are advice for learners, not part of the browser's
    # API; pyproject turns warnings into errors, which would make a note reject a call. Where a
    # note stands for a real difference from a browser, the subtests check that behaviour itself.
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::peerlab.PeerlabNote"))


@pytest.fixture
async def new_pc():
    """A factory: ``new_pc(config=None)`` is ``new RTCPeerConnection(config)``; every one is closed after the test."""
    made: list[peerlab.RTCPeerConnection] = []

    def make(config=None) -> peerlab.RTCPeerConnection:
        pc = peerlab.RTCPeerConnection(config)
        made.append(pc)
        return pc

    yield make
    for pc in made:
        await asyncio.wait_for(_close(pc), 5)


async def _close(pc: peerlab.RTCPeerConnection) -> None:
    await pc.close()


@pytest.fixture
def get_noise_stream():
    """``getNoiseStream({audio, video})`` (also ``getUserMedia``, ``generateMediaStreamTrack``): a
    ``MediaStream`` of peerlab's generated tracks, a tone for audio and a pattern for video; every track
    made is stopped after the test (WPT's ``t.add_cleanup(() => track.stop())``)."""
    from peerlab.media import PatternTrack, ToneTrack

    made: list = []

    def make(audio: bool = False, video: bool = False) -> peerlab.MediaStream:
        tracks = ([ToneTrack()] if audio else []) + ([PatternTrack(160, 120, fps=10)] if video else [])
        made.extend(tracks)
        return peerlab.MediaStream(tracks)

    yield make
    for track in made:
        track.stop()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    # Collect garbage before pytest formats a failure. Otherwise the collector may run inside
    # ast.parse (pytest reads the source to show it) and call finalizers there, such as
    # peerlab's Promise.__del__ reporting an unhandled rejection; CPython 3.11.7 then raises
    # "SystemError: AST constructor recursion depth mismatch" and pytest stops (INTERNALERROR).
    # Whatever the finalizers log still reaches tests/conftest.py's no_asyncio_errors check.
    if _HERE in Path(str(item.fspath)).parents:
        gc.collect()
    yield
