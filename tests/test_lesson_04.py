"""Lesson 04's slow-signalling experiment shows what it claims, and its suggested jitter try ends soon."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

import peerlab
from peerlab import display
from peerlab.webrtc.connection import open_connections

LESSON = Path(__file__).resolve().parent.parent / "notebooks" / "04-trickle-ice-and-states.ipynb"
pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote", "ignore::peerlab.PeerlabNote",
                                        "ignore::peerlab.LateCandidateNote")


def lesson_namespace() -> dict:
    """The lesson's ``add_remote_candidates`` and ``connect``, defined by its own cells."""
    ns: dict = {"peerlab": peerlab}
    for cell in nbformat.read(LESSON, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = compile(cell.source, str(LESSON), "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        tree.body = [node for node in tree.body if isinstance(node, (ast.AsyncFunctionDef, ast.Import))]
        exec(compile(tree, str(LESSON), "exec"), ns)
    assert "connect" in ns and "add_remote_candidates" in ns
    return ns


async def close_named(*names: str) -> None:
    for name in names:
        pc = open_connections().get(name)
        if pc is not None:
            await pc.close()


async def test_the_slow_network_stretches_the_timeline_and_the_times_show_it():
    connect = lesson_namespace()["connect"]
    times = []
    for delay in (0.0, 0.1):
        async with peerlab.Loopback(delay=delay) as loopback:
            try:
                caller, callee = await connect(loopback)
                text = repr(display.timeline(caller, callee))
            finally:
                await close_named("slow caller", "slow callee")
        answer_set = next(line for line in text.splitlines() if "setRemoteDescription: answer" in line)
        times.append(float(answer_set.split()[1].lstrip("+")))
    # With delay=0.1 the offer and the answer each spend 100 ms on the way, so the answer is set
    # 200 ms or more after the start: a lower bound the delay guarantees, not a speed target.
    assert times[1] >= 200, text


@pytest.mark.timeout(60)
async def test_the_suggested_jitter_try_never_waits_long_and_says_what_went_wrong():
    connect = lesson_namespace()["connect"]
    for seed in range(6):
        async with peerlab.Loopback(delay=0.1, jitter=0.3, seed=seed) as loopback:
            try:
                caller, callee = await connect(loopback)  # its waits are 3 s each: bounded by design
            except peerlab.PeerlabError as error:
                said = str(error)
                assert ("was end-of-candidates (None) added before any real candidate arrived?" in said
                        or "The far side failed" in said), said
            else:
                await caller.close()
                await callee.close()
            finally:
                await close_named("slow caller", "slow callee")


def test_lesson_04_has_no_unused_loopback_and_lesson_02_no_double_parenthesis():
    sources = [c.source for c in nbformat.read(LESSON, as_version=4).cells]
    assert not any("empty" in s for s in sources)
    callee = nbformat.read(LESSON.with_name("02-callee.ipynb"), as_version=4)
    assert not any(") (" in c.source for c in callee.cells if c.cell_type == "markdown")
