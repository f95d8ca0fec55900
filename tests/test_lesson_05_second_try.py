"""Lesson 05's second try in a real kernel: every cell run again, the set-up run again, the stop button,
a far process that ended, the server stopped before the far peer (issue 21).

The lesson's own cells run with their own cell ids, as JupyterLab sends them. What a learner would
check is checked: the lesson goes on to the echo, one far process and one server stay, a re-run
cell says what it gave back, an interrupted wait says in one line what it waited for and that the
far process still runs, and an error says what ended and what to re-run.

Steps 7 and 8 run a second time wait for a message that never comes (the far callee answers an offer once, and
sends its candidates once), and say so when their wait ends: that second run waits 1 s here, not the cell's 5 s,
as what it says does not depend on how long it waited (the first run, which waits for a message that comes,
keeps the cell's 5 s).
"""

from __future__ import annotations

import re

import nbformat
import pytest

from .kernel import ANSI, Kernel, Output
from .rerun_steps import NOTEBOOKS

CODE = [c for c in nbformat.read(NOTEBOOKS / "05-two-processes.ipynb", as_version=4).cells if c.cell_type == "code"]
IDS = [c.id for c in CODE]


def index(words: str) -> int:
    """The code cell whose source contains ``words``."""
    return next(i for i, c in enumerate(CODE) if words in c.source)


SET_UP, FAR, JOIN = index("peerlab.serve("), index("start_far_peer("), index("peerlab.join(")
STEP_1, STEP_7, STEP_8 = index("RTCPeerConnection("), index('receive("answer"'), index('receive("candidate"')
ECHO, FAR_LINES = index("send_and_receive"), index("far.printed(")
CLEAN_UP, SERVER_CLOSE = index("far.stop()"), index("server.close()")
FAR_PID = "The far callee \\(python -m peerlab\\.peer, pid \\d+\\)"
STILL_RUNS = FAR_PID + " is still running: the stop button stops this kernel's wait, not it\\."

# How many far processes this kernel started still run, and how many servers it started are open.
COUNT = """\
import peerlab.far, peerlab.signalling.server as _s
print(sum(f.running for f in peerlab.far._running), "far,", len({id(s) for s in _s._here.values() if not s.closed}),
      "server")"""


def run(kernel: Kernel, cells: range | list[int], during: str = "") -> list[Output]:
    """Run these code cells of the lesson in order; each must succeed."""
    outs = []
    for i in cells:
        out = kernel.run(CODE[i].source, CODE[i].id)
        assert out.error is None, (f"{during}: cell {i} ({CODE[i].source[:50]!r}) failed: "
                                   f"{ANSI.sub('', out.traceback[-1]) if out.traceback else out.error}")
        outs.append(out)
    return outs


def said(out: Output) -> str:
    """The error a cell showed, as the learner reads it (peerlab's errors show their message, then their cause)."""
    return ANSI.sub("", "\n".join(out.traceback))


def echoed(out: Output) -> bool:
    return "'echo: hello from the caller'" in out.result


def test_the_test_finds_the_lessons_cells():
    assert SET_UP == 0 and SET_UP < FAR < JOIN < STEP_1 < STEP_7 < STEP_8 < ECHO < FAR_LINES < CLEAN_UP < SERVER_CLOSE
    assert len(CODE) - 1 == SERVER_CLOSE


@pytest.mark.timeout(240)
def test_every_cell_run_again_and_the_lesson_goes_on_to_the_echo_and_clean_up(kernel):
    """Run to cell n, run n again, go on (to the echo; past it for the cells after it); then clean up."""
    for n in range(len(CODE)):
        run(kernel, range(n + 1), f"running to cell {n}")
        source = CODE[n].source
        if n in (STEP_7, STEP_8):  # nothing comes: a shorter wait before it says so (the module's docstring)
            assert source.count("timeout=5)") == 1, "steps 7 and 8 changed: update the shorter wait"
            source = source.replace("timeout=5)", "timeout=1)")
        again = kernel.run(source, CODE[n].id)
        if n in (STEP_7, STEP_8) or again.error is not None:  # a receive that took its message: says so, and
            assert n in (STEP_7, STEP_8) and again.error == "SignallingTimeout", said(again)  # where to go on
            assert "an earlier run of this cell" in said(again) and "go on to" in said(again), said(again)
        if n == SET_UP and n + 1 < len(CODE):
            assert "still runs at ws://127.0.0.1:" in again.stderr and "rather than start a second one" in again.stderr
        if n == FAR:
            assert "that this notebook started before still runs in room 'lesson-05'" in again.stderr
            assert "rather than a second callee" in again.stderr
        end = ECHO if n <= ECHO else (FAR_LINES if n <= FAR_LINES else len(CODE) - 1)
        outs = run(kernel, range(n + 1, end + 1), f"going on after cell {n} ran twice")
        if n <= ECHO:
            assert echoed(outs[-1] if outs else again), f"after cell {n} ran twice, the echo did not come"
            assert kernel.ok(COUNT, "count").stdout == "1 far, 1 server\n", f"after cell {n} ran twice"
    assert kernel.ok(COUNT, "count").stdout == "0 far, 0 server\n"  # clean-up closed what was open


@pytest.mark.timeout(240)
def test_from_every_cell_the_set_up_cell_run_again_and_the_lesson_reaches_the_echo(kernel):
    for n in range(len(CODE)):
        run(kernel, range(n + 1), f"a first try, stopped after cell {n}")
        outs = run(kernel, range(ECHO + 1), f"starting over after cell {n}")
        assert echoed(outs[-1]), f"starting over after cell {n}, the echo did not come"
        assert kernel.ok(COUNT, "count").stdout == "1 far, 1 server\n", f"starting over after cell {n}"
    run(kernel, [CLEAN_UP, SERVER_CLOSE], "cleaning up")
    assert kernel.ok(COUNT, "count").stdout == "0 far, 0 server\n"


def test_interrupting_any_wait_shows_one_line_and_the_far_process_goes_on(kernel):
    run(kernel, range(STEP_1 + 1), "to step 1")
    waits = [  # (the cell, what its one line says)
        (CODE[STEP_7].source.replace("timeout=5", "timeout=30"),  # no offer sent yet: no answer comes
         r"The caller stopped waiting for an 'answer' message \(caller step 7\) after \d+\.\d s: the wait was "
         r"interrupted\. Nothing is broken: a message that arrives meanwhile is kept for the next receive\(\), "
         r"so run the cell again to wait again\."),
        ("await pc.wait_for_state('connected', timeout=30)",
         r"The caller stopped waiting for connectionState 'connected' after \d+\.\d s: the wait was interrupted\. "
         r"Nothing is broken: the connection goes on in the background, so run the cell again to wait again\."),
        ("await peerlab.wait_for_datachannel(pc, timeout=30)",
         r"The caller stopped waiting for the far side's data channel \(the datachannel event\) after \d+\.\d s: "
         r"the wait was interrupted\. Nothing is broken: a channel that arrives meanwhile is kept "
         r"\(pc\.datachannels\), so run the cell again to wait again\."),
        ("await far.says(timeout=30)",  # joined() read its first line, and nothing more comes before an offer
         r"The notebook stopped waiting for the next line of the far callee \(python -m peerlab\.peer, pid \d+\) "
         r"after \d+\.\d s: the wait was interrupted\. Nothing is broken: the far process goes on, and what it "
         r"prints is kept for the next read, so run the cell again to wait again\."),
        ("silent = await asyncio.start_server(lambda r, w: None, '127.0.0.1', 0)\n"  # answers no WebSocket join
         "try:\n    await peerlab.join(f'ws://127.0.0.1:{silent.sockets[0].getsockname()[1]}/', room=ROOM)\n"
         "finally:\n    silent.close()",
         r"The caller stopped waiting for the server at ws://127\.0\.0\.1:\d+/ to let it join room 'lesson-05' "
         r"after \d+\.\d s: the wait was interrupted\. Nothing is broken: it has not joined, so run the cell again "
         r"to join\."),
    ]
    kernel.ok("import asyncio", "imports")
    for code, words in waits:
        out = kernel.run(code, "a-wait", interrupt_after=1.0)
        assert out.error == "CancelledError" and len(out.traceback) == 1, out.traceback
        assert re.fullmatch(f"Interrupted: {words} {STILL_RUNS}", ANSI.sub("", out.traceback[0])), out.traceback[0]
    assert kernel.ok("print(far.running, far.returncode)", "check").stdout == "True None\n"
    outs = run(kernel, range(STEP_1 + 1, ECHO + 1), "going on after the interrupts")  # the same far peer answers
    assert echoed(outs[-1])
    outs = run(kernel, [FAR_LINES, CLEAN_UP], "clean-up after the interrupts")
    assert outs[-1].stdout == "callee: stopped (SIGTERM came); it left room 'lesson-05'\nexit status: 0\n"


def test_a_far_process_that_ended_gives_an_error_saying_so_not_a_wait_that_never_ends(kernel):
    run(kernel, range(STEP_1 + 1), "to step 1")
    kernel.ok("import os, signal, asyncio\nos.kill(far.pid, signal.SIGKILL)\nawait asyncio.sleep(0.5)", "kill")
    out = kernel.run(CODE[FAR_LINES].source, CODE[FAR_LINES].id, timeout=15)
    assert out.error == "FarPeerEnded" and len(out.traceback) == 1
    assert re.fullmatch(
        FAR_PID + r" has ended \(killed by SIGKILL\) before it printed a line with 'sent back'; it printed: callee: "
        r"joined room 'lesson-05' on ws://127\.0\.0\.1:\d+/ \(waiting for the caller\)\. Start it again: re-run "
        r"the cell that started it \(peerlab\.start_far_peer\)\.", said(out).removeprefix("FarPeerEnded: ")), said(out)
    out = kernel.run("await far.says()", "says")  # its one line was read by joined(): at its end at once
    assert out.error == "FarPeerEnded" and "has ended (killed by SIGKILL) before its next line" in said(out)
    out = kernel.run(CODE[CLEAN_UP].source, CODE[CLEAN_UP].id)  # clean-up says what it last said, and how it ended
    assert out.error is None and out.stdout.endswith("exit status: -9\n"), out
    outs = run(kernel, range(FAR, ECHO + 1), "a new far process, as the error says")
    assert echoed(outs[-1])
    run(kernel, [CLEAN_UP, SERVER_CLOSE], "cleaning up")


def test_with_the_server_stopped_first_the_chat_goes_on_and_clean_up_works(kernel):
    run(kernel, range(ECHO + 1), "to the echo")
    kernel.ok(CODE[SERVER_CLOSE].source, "stop-the-server-first")
    out = kernel.ok("print(await far.printed('goes on without it'))", "far-says")
    assert re.fullmatch(
        r"callee: the signalling connection ended \(the signalling server at ws://127\.0\.0\.1:\d+/ stopped or the "
        r"connection to it was lost \(close code 1001, 'peerlab serve stopped'\)\); its connection is 'connected' "
        r"and goes on without it: the server is not on the data channel's path\n", out.stdout), out.stdout
    assert echoed(run(kernel, [ECHO], "the echo without the server")[0])  # not on the data channel's path
    out = kernel.run(CODE[JOIN].source, CODE[JOIN].id)  # new signalling needs a server: which one, and how
    assert out.error == "SignallingUnreachable" and "the signalling server this kernel started there " \
        "(peerlab.serve) was closed. Re-run the cell that started it (a lesson's set-up cell)" in said(out)
    assert "`peerlab serve`" not in said(out)
    outs = run(kernel, [CLEAN_UP, SERVER_CLOSE], "clean-up after the server stopped")
    assert outs[0].stdout.endswith("exit status: 0\n"), outs[0]
    assert kernel.ok(COUNT, "count").stdout == "0 far, 0 server\n"
