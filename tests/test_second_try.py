"""The learner's second try: re-run a step, re-run the set-up, forget a call, interrupt a wait.

Each test does what a learner does in lessons 01-02 (the same calls as their step cells) and
checks what the learner then sees: the lesson going on to ``connected`` and the echo, or the
exact words of the error. The tests at the end run the lessons' own cells in a real kernel,
since re-running a cell is something only a kernel knows about.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import nbformat
import pytest

import peerlab
from peerlab import (
    Loopback,
    PeerlabNote,
    RTCPeerConnection,
    ScriptedPeerError,
    SignallingClosed,
    SignallingTimeout,
    play_callee,
    play_caller,
)

from .kernel import Kernel, Output

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote")

STEP_4 = 'caller step 4 (send({"type": "offer", "data": offer})) comes first.'


# -- the lessons' step cells, as a learner runs them ------------------------------------

class Caller:
    """Lesson 01's cells: the learner writes the caller; ``signalling`` is ``loopback.caller``."""

    def __init__(self, loopback: Loopback) -> None:
        self.signalling = loopback.caller
        self.pc: RTCPeerConnection | None = None

    async def step_1(self, channel: bool = True) -> None:
        self.pc = RTCPeerConnection({"iceServers": []}, name="caller")
        self.channel = self.pc.createDataChannel("chat") if channel else None

    async def steps_2_to_4(self) -> None:
        self.offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(self.offer)
        self.signalling.send({"type": "offer", "data": self.offer})

    async def steps_5_and_6(self) -> None:
        self.pc.addEventListener(
            "icecandidate", lambda event: self.signalling.send({"type": "candidate", "data": event.candidate}))
        await self.pc.wait_for_end_of_candidates(timeout=5)

    async def step_7(self, timeout: float = 5) -> None:
        answer = await self.signalling.receive("answer", timeout=timeout)
        await self.pc.setRemoteDescription(answer["data"])

    async def step_8(self, timeout: float = 5) -> None:
        while True:
            message = await self.signalling.receive("candidate", timeout=timeout)
            await self.pc.addIceCandidate(message["data"])
            if message["data"] is None:
                break
        await self.pc.wait_for_state("connected", timeout=5)

    async def all_steps(self) -> None:
        await self.step_1()
        await self.steps_2_to_4()
        await self.steps_5_and_6()
        await self.step_7()
        await self.step_8()

    async def echo(self, text: str) -> str:
        return await peerlab.send_and_receive(self.channel, text, timeout=5)


class Callee:
    """Lesson 02's cells: the learner writes the callee; ``signalling`` is ``loopback.callee``."""

    def __init__(self, loopback: Loopback) -> None:
        self.signalling = loopback.callee
        self.pc: RTCPeerConnection | None = None

    async def step_1(self) -> None:
        self.pc = RTCPeerConnection({"iceServers": []}, name="callee")

    async def step_2(self, timeout: float = 5) -> None:
        offer = await self.signalling.receive("offer", timeout=timeout)
        await self.pc.setRemoteDescription(offer["data"])

    async def steps_3_to_6(self) -> None:
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        self.signalling.send({"type": "answer", "data": answer})
        self.pc.addEventListener(
            "icecandidate", lambda event: self.signalling.send({"type": "candidate", "data": event.candidate}))
        await self.pc.wait_for_end_of_candidates(timeout=5)

    async def step_7(self, timeout: float = 5) -> None:
        while True:
            message = await self.signalling.receive("candidate", timeout=timeout)
            await self.pc.addIceCandidate(message["data"])
            if message["data"] is None:
                break
        await self.pc.wait_for_state("connected", timeout=5)

    async def all_steps(self) -> None:
        await self.step_1()
        await self.step_2()
        await self.steps_3_to_6()
        await self.step_7()

    async def echo(self, text: str) -> str:
        channel = await peerlab.wait_for_datachannel(self.pc, timeout=5)
        return await peerlab.send_and_receive(channel, text, timeout=5)


@pytest.fixture
async def lesson_01():
    """Lesson 01's set-up cell: a loopback and a scripted callee; everything closed afterwards."""
    loopback = Loopback()
    callee = play_callee(loopback.callee)
    caller = Caller(loopback)
    yield loopback, callee, caller
    await close_all(caller.pc, callee, loopback)


@pytest.fixture
async def lesson_02():
    """Lesson 02's set-up cell: a loopback and a scripted caller; everything closed afterwards."""
    loopback = Loopback()
    caller = play_caller(loopback.caller)
    callee = Callee(loopback)
    yield loopback, caller, callee
    await close_all(callee.pc, caller, loopback)


async def close_all(*things) -> None:
    for thing in things:
        if isinstance(thing, Loopback):
            async with thing:
                pass
        elif thing is not None:
            await thing.close()


def replaced_step_1():
    """Re-running step 1 closes the connection it replaces, and says so."""
    return pytest.warns(PeerlabNote, match="was still open")


# -- 1. a scripted peer answers every new offer ----------------------------------------

async def test_rerunning_step_1_starts_over_and_the_scripted_callee_answers_the_new_offer(lesson_01):
    loopback, callee, caller = lesson_01
    await caller.all_steps()
    assert await caller.echo("first try") == "echo: first try"
    first = caller.pc
    with replaced_step_1():
        await caller.step_1()  # the second try: a new connection, a new offer
    await caller.steps_2_to_4()
    await caller.steps_5_and_6()
    await caller.step_7()
    await caller.step_8()
    # (an answer that never came would end step 7 with SignallingTimeout)
    assert await caller.echo("second try") == "echo: second try"
    assert first.connectionState == "closed"
    assert callee.negotiations == 2 and callee.received == ["first try", "second try"]


async def test_an_offer_sent_twice_before_the_answer_was_read_is_answered_once(lesson_01):
    loopback, callee, caller = lesson_01
    await caller.step_1()
    await caller.steps_2_to_4()
    caller.signalling.send({"type": "offer", "data": caller.offer})  # step 4 run again
    while callee.busy:  # a person's next cell comes later than the scripted callee's answers
        await asyncio.sleep(0.01)
    await caller.steps_5_and_6()
    await caller.step_7()
    await caller.step_8()
    assert await caller.echo("hi") == "echo: hi"
    assert loopback.transcript.types().count("answer") == 1 and callee.negotiations == 1


async def test_steps_2_to_7_run_again_on_a_connected_caller_renegotiate_and_it_stays_connected(lesson_01):
    loopback, callee, caller = lesson_01
    await caller.all_steps()
    await caller.steps_2_to_4()  # the same connection offers again
    await caller.step_7()
    assert caller.pc.signalingState == "stable" and caller.pc.connectionState == "connected"
    assert callee.negotiations == 1 and loopback.transcript.types().count("answer") == 2
    assert await caller.echo("renegotiated") == "echo: renegotiated"


async def test_the_scripted_callee_adds_candidates_that_came_with_the_offer_before_it_answers():
    async with Loopback() as loopback:
        callee = play_callee(loopback.callee)
        pc = RTCPeerConnection({"iceServers": []}, name="caller")
        pc.createDataChannel("chat")
        sent: list = []
        pc.addEventListener("icecandidate", sent.append)  # real code: the listener before step 3
        await pc.setLocalDescription(await pc.createOffer())
        await pc.wait_for_end_of_candidates(timeout=5)
        loopback.caller.send({"type": "offer", "data": pc.localDescription})
        for event in sent:  # all queued before the scripted callee has run at all
            loopback.caller.send({"type": "candidate", "data": event.candidate})
        await loopback.caller.receive("answer", timeout=5)
        calls = [e.name for e in callee.pc.events.of("call")]
        assert calls.index("setRemoteDescription") < calls.index("addIceCandidate") < calls.index("createAnswer")
        await pc.close()
        await callee.close()


async def test_a_callee_that_starts_over_gets_a_new_offer_from_the_scripted_caller(lesson_02):
    loopback, caller, callee = lesson_02
    await callee.all_steps()
    assert await callee.echo("first try") == "echo: first try"
    with replaced_step_1():
        await callee.step_1()  # the second try; the old connection closes, and so does the far one
    await callee.step_2()  # waits for an offer: the cue for the scripted caller to offer again
    await callee.steps_3_to_6()
    await callee.step_7()
    assert await callee.echo("second try") == "echo: second try"
    assert caller.negotiations == 2 and loopback.transcript.types().count("offer") == 2


async def test_a_callee_restarted_before_it_answered_gets_a_new_offer(lesson_02):
    loopback, caller, callee = lesson_02
    await callee.step_1()
    await callee.step_2()
    with replaced_step_1():
        await callee.step_1()  # started over before answering: the first offer was taken already
    await callee.step_2()
    await callee.steps_3_to_6()
    await callee.step_7()
    assert await callee.echo("hi") == "echo: hi"
    assert caller.negotiations == 2


async def test_the_scripted_caller_does_not_offer_again_to_a_callee_still_connected(lesson_02):
    loopback, caller, callee = lesson_02
    await callee.all_steps()
    with pytest.raises(SignallingTimeout) as info:
        await callee.step_2(timeout=0.2)  # step 2 run again on the connected callee
    assert str(info.value) == (
        "The callee waited 0.2 s for an 'offer' message and none came. The offer the caller sent was already "
        "received by an earlier receive(), and no other offer is on its way. If that run set it, go on to "
        "callee step 3. The scripted caller has the callee's answer; its connection is 'connected'. It offers "
        "again only to a callee that starts over: re-run step 1 (a new connection) and then this step, or call "
        "restart() on the scripted caller.")
    assert info.value.reason == "consumed"
    assert callee.pc.connectionState == "connected" and caller.negotiations == 1
    assert await callee.echo("still here") == "echo: still here"


async def test_restart_makes_the_scripted_caller_offer_again(lesson_02):
    loopback, caller, callee = lesson_02
    await callee.step_1()
    await callee.step_2()
    await caller.restart()
    assert [m["type"] for m in loopback.callee.pending] == ["offer"] and caller.negotiations == 2


async def test_playing_a_second_peer_on_an_endpoint_closes_the_first():
    async with Loopback() as loopback:
        first = play_callee(loopback.callee)
        second = play_callee(loopback.callee)
        await asyncio.sleep(0.01)
        assert first._stopping is not None and first._stopping.done()
        assert loopback.callee.player is second
        caller = Caller(loopback)
        await caller.all_steps()
        assert second.negotiations == 1 and first.negotiations == 0
        await caller.pc.close()


async def test_a_new_loopback_of_the_same_name_closes_the_old_one_and_stops_its_scripted_peer():
    old = Loopback(name="lesson")
    callee = play_callee(old.callee)
    caller = Caller(old)
    await caller.all_steps()
    waiting = asyncio.ensure_future(old.caller.receive("offer", timeout=5))  # a wait that goes on
    await asyncio.sleep(0)
    with pytest.warns(PeerlabNote) as notes:
        new = Loopback(name="lesson")
    assert str(notes[0].message) == (
        "The Loopback named 'lesson' was still open; peerlab closed it and stopped the scripted callee playing "
        "on it, since this new one replaces it (re-running the set-up cell starts over).")
    with pytest.raises(SignallingClosed, match="it was replaced by a new Loopback"):
        await waiting
    with pytest.raises(SignallingClosed, match="closed when a new Loopback replaced it"):
        old.caller.send({"type": "candidate", "data": None})
    await asyncio.sleep(0.05)
    assert old.closed and not new.closed and callee.pc.connectionState == "closed"
    await caller.pc.close()
    new.close()


async def test_loopbacks_without_a_name_replace_nothing_outside_a_notebook():
    first, second = Loopback(), Loopback()
    assert not first.closed and not second.closed
    first.close()
    second.close()


# -- 2. a scripted peer that fails is not silent ---------------------------------------

NO_MEDIA = (
    "The scripted callee failed while answering your offer: InvalidDescriptionError: setRemoteDescription(): "
    "the SDP has no media section (no 'm=' line), so there is nothing to connect. Did the offering peer create "
    "a data channel before createOffer()? Fix your side, then start again from caller step 1 (a new "
    "RTCPeerConnection and a new offer): the scripted callee answers every new offer.")


async def test_forgetting_the_data_channel_fails_step_7_at_once_with_the_scripted_callees_error(lesson_01):
    loopback, callee, caller = lesson_01
    await caller.step_1(channel=False)
    with pytest.warns(PeerlabNote, match="no media section"):
        await caller.steps_2_to_4()
    with pytest.raises(ScriptedPeerError) as info:
        await caller.step_7()
    # at once: after the 5 s timeout it would be a SignallingTimeout, not the scripted callee's error
    assert str(info.value) == NO_MEDIA
    assert info.value._render_traceback_() == ["\x1b[31mScriptedPeerError\x1b[0m: " + NO_MEDIA]
    assert info.value.role == "callee" and info.value.error is callee.error
    with pytest.raises(ScriptedPeerError, match="no media section"):
        await caller.step_7()  # and again, for as long as nothing changed
    with replaced_step_1():
        await caller.step_1()  # fixed: with the data channel this time
    await caller.steps_2_to_4()
    await caller.steps_5_and_6()
    await caller.step_7()
    await caller.step_8()
    assert await caller.echo("fixed") == "echo: fixed"


async def test_a_wait_already_running_ends_as_soon_as_the_scripted_peer_fails(lesson_01):
    loopback, callee, caller = lesson_01
    waiting = asyncio.ensure_future(loopback.caller.receive("answer", timeout=5))
    await asyncio.sleep(0)
    await caller.step_1(channel=False)
    with pytest.warns(PeerlabNote, match="no media section"):
        await caller.steps_2_to_4()
    with pytest.raises(ScriptedPeerError, match="failed while answering your offer"):
        await asyncio.wait_for(waiting, 1)


async def test_a_callee_that_sends_an_offer_makes_the_scripted_caller_fail_and_says_why(lesson_02):
    loopback, caller, callee = lesson_02
    await callee.step_1()
    await callee.step_2()
    pc = RTCPeerConnection({"iceServers": []}, name="wrong")
    pc.createDataChannel("chat")
    loopback.callee.send({"type": "offer", "data": await pc.createOffer()})  # an offer, not an answer
    await asyncio.sleep(0.01)
    while loopback.callee.pending:  # the candidates the caller sent before it failed
        await loopback.callee.receive("candidate", timeout=1)
    with pytest.raises(ScriptedPeerError) as info:
        await loopback.callee.receive("candidate", timeout=5)  # fails at once
    assert str(info.value) == (
        "The scripted caller failed on the 'offer' message you sent: StepOrderError: the caller never receives "
        "an offer: only the caller offers (caller step 4), and only the callee answers (callee step 4). Fix your "
        "side, then start again from callee step 1: the scripted caller offers again when your new callee waits "
        "for an offer (callee step 2).")
    await pc.close()
    with replaced_step_1():
        await callee.step_1()  # the second try: a new callee waits for an offer, and gets one
    await callee.step_2()
    await callee.steps_3_to_6()
    await callee.step_7()
    assert await callee.echo("fixed") == "echo: fixed"


async def test_a_scripted_callee_played_after_the_offer_came_still_answers_it():
    async with Loopback() as loopback:
        caller = Caller(loopback)
        await caller.step_1()
        await caller.steps_2_to_4()  # the offer waits at the callee's end...
        callee = play_callee(loopback.callee)  # ...for the scripted callee played only now
        await caller.steps_5_and_6()
        await caller.step_7()
        await caller.step_8()
        assert await caller.echo("late") == "echo: late"
        await caller.pc.close()
        await callee.close()


def test_a_scripted_peer_made_outside_a_running_loop_says_where_to_make_it():
    loopback = Loopback()
    for play, role in ((play_callee, "callee"), (play_caller, "caller")):
        with pytest.raises(ScriptedPeerError) as info:
            play(getattr(loopback, role))
        assert str(info.value) == (
            f"play_{role}() plays in the background, on the running event loop, and there is none here. Call "
            "it in a notebook cell or inside an async function (in a script: inside the coroutine you run with "
            "asyncio.run() or peerlab.blocking.wait()).")
    assert loopback.callee.player is None and loopback.caller.player is None


# -- 3. every wait that runs out says which case it is ---------------------------------

async def test_a_wait_for_what_was_already_received_says_so_and_where_the_far_side_is(lesson_01):
    loopback, callee, caller = lesson_01
    await caller.all_steps()
    await callee.pc.wait_for_state("connected", timeout=5)  # the status below names its state
    with pytest.raises(SignallingTimeout) as info:
        await caller.step_8(timeout=5)  # step 8 run again after it connected: ends at once
    assert str(info.value) == (
        "The caller cannot receive a 'candidate' message: none will come. The candidates the callee sent, up to "
        "its end-of-candidates, were already received by an earlier receive(), and the callee sends no more in "
        "this negotiation. If the caller is connected, go on to the next cell; to start over, re-run step 1. "
        "The scripted callee answered the latest offer; its connection is 'connected'.")
    assert info.value.reason == "consumed"
    with pytest.raises(SignallingTimeout) as info:
        await caller.step_7(timeout=5)  # step 7 run again: ends at once
    assert str(info.value) == (
        "The caller cannot receive an 'answer' message: none will come. The answer the callee sent was already "
        "received by an earlier receive(), and no other answer is on its way: the callee answers each offer "
        "once. If that run set it, go on to caller step 8; to start over, re-run step 1, and steps 2-4 send a "
        "new offer before this step. The scripted callee answered the latest offer; its connection is "
        "'connected'.")


async def test_a_wait_before_your_own_step_says_which_step_comes_first(lesson_01):
    loopback, callee, caller = lesson_01
    await caller.step_1()
    with pytest.raises(SignallingTimeout) as info:
        await caller.step_7(timeout=0.2)  # step 7 before step 4
    assert str(info.value) == (
        "The caller waited 0.2 s for an 'answer' message and none came. The caller has not sent an offer yet, "
        f"so the callee has nothing to answer: {STEP_4} The scripted callee is waiting for an offer.")
    assert info.value.reason == "own-step"
    with pytest.raises(SignallingTimeout) as info:
        await caller.signalling.receive("candidate", timeout=0.1)  # step 8 before step 4
    assert str(info.value) == (
        "The caller waited 0.1 s for a 'candidate' message and none came. The caller has not sent an offer "
        f"yet, so the callee has not answered, so it sends no candidates: {STEP_4} The scripted callee is "
        "waiting for an offer.")


async def test_a_wait_while_the_other_side_waits_for_you_says_each_waits_for_the_other():
    async with Loopback() as loopback:
        async def callee_that_wants_candidates_first():  # a learner's own callee, in the background
            await loopback.callee.receive("offer", timeout=5)
            await loopback.callee.receive("candidate", timeout=5)

        callee = asyncio.ensure_future(callee_that_wants_candidates_first())
        pc = RTCPeerConnection({"iceServers": []}, name="caller")
        pc.createDataChannel("chat")
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        loopback.caller.send({"type": "offer", "data": offer})  # no icecandidate listener yet
        with pytest.raises(SignallingTimeout) as info:
            await loopback.caller.receive("answer", timeout=0.2)
        assert str(info.value) == (
            "The caller waited 0.2 s for an 'answer' message and none came. The callee is itself waiting for a "
            "'candidate' message from the caller: each side waits for the other. A 'candidate' message is sent "
            'by caller step 6 (send({"type": "candidate", "data": event.candidate})). Has the caller run it?')
        assert info.value.reason == "far-waiting"
        callee.cancel()
        with pytest.warns(PeerlabNote, match="The callee stopped waiting for a 'candidate' message"):
            await asyncio.gather(callee, return_exceptions=True)
        await pc.close()


async def test_a_scripted_callee_told_not_to_send_candidates_is_named_in_the_wait():
    async with Loopback() as loopback:
        callee = play_callee(loopback.callee, send_candidates=False)
        caller = Caller(loopback)
        await caller.step_1()
        await caller.steps_2_to_4()
        await caller.step_7()
        with pytest.raises(SignallingTimeout) as info:
            await caller.signalling.receive("candidate", timeout=0.2)
        assert str(info.value).endswith(
            "and none came. The scripted callee answered the latest offer; its connection is 'connecting'. It was "
            "started with send_candidates=False, so it sends no candidates.")
        assert info.value.reason == "not-sent"
        await caller.pc.close()
        await callee.close()


# -- 4. interrupting a wait --------------------------------------------------------------

async def test_interrupting_a_receive_says_what_it_waited_for_and_loses_nothing(lesson_01):
    loopback, callee, caller = lesson_01
    waiting = asyncio.ensure_future(caller.signalling.receive("answer", timeout=30))
    await asyncio.sleep(0.05)
    waiting.cancel()  # what Jupyter's stop button does to an awaiting cell
    with pytest.warns(PeerlabNote) as notes, pytest.raises(asyncio.CancelledError):
        await waiting
    assert len(notes) == 1
    assert re.fullmatch(
        r"The caller stopped waiting for an 'answer' message \(caller step 7\) after 0\.\d s: the wait was "
        r"interrupted\. Nothing is broken: a message that arrives meanwhile is kept for the next receive\(\), so "
        r"run the cell again to wait again\.", str(notes[0].message))
    assert caller.signalling._waiters == []
    await caller.all_steps()  # the lesson goes on
    assert await caller.echo("after the interrupt") == "echo: after the interrupt"


async def test_a_message_that_arrives_as_the_wait_is_interrupted_is_kept():
    loopback = Loopback()
    waiting = asyncio.ensure_future(loopback.caller.receive("candidate", timeout=5))
    await asyncio.sleep(0)
    loopback.callee.send({"type": "candidate", "data": None})  # arrives...
    waiting.cancel()  # ...and the wait is stopped before it could return it
    with pytest.warns(PeerlabNote, match="stopped waiting"), pytest.raises(asyncio.CancelledError):
        await waiting
    assert loopback.caller.pending == [{"type": "candidate", "data": None}]
    assert await loopback.caller.receive("candidate", timeout=1) == {"type": "candidate", "data": None}
    loopback.close()


# -- the lessons' own cells, re-run in a real kernel ---------------------------------------

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def lesson_cells(name: str) -> dict[str, str]:
    """A lesson's set-up cell, its step cells (by tag) and the cells between them that the steps
    need (the data channel, the echo), in order, keyed by what a learner would call them."""
    code = [c for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells if c.cell_type == "code"]
    cells = {"set-up": code[0].source}
    for cell in code[1:]:
        tags = [t for t in cell.metadata.get("tags", []) if t.startswith(("caller-", "callee-"))]
        if tags:
            cells[tags[0]] = cell.source
        elif cell.source.startswith("channel = pc.createDataChannel"):
            cells["data channel"] = cell.source
        elif "send_and_receive" in cell.source and "echo" not in cells:
            cells["echo"] = cell.source
    return cells


LESSON_01, LESSON_02 = lesson_cells("01-caller.ipynb"), lesson_cells("02-callee.ipynb")
STEPS_01 = [k for k in LESSON_01 if k != "set-up"]
STEPS_02 = [k for k in LESSON_02 if k != "set-up"]


LIVE = """\
import asyncio
await asyncio.sleep(0.1)
live = [p for p in gc.get_objects() if isinstance(p, peerlab.ScriptedPeer) and p._stopping is None]
tasks = [t for t in asyncio.all_tasks() if "peerlab" in t.get_name()]
print(len(live), "scripted peer playing,", len(tasks), "tasks")"""


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    k.ok("import gc, warnings\nwarnings.simplefilter('always', UserWarning)", "imports")
    yield k
    k.close()


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def notes(out: Output) -> list[str]:
    """The PeerlabNote lines a cell printed (a warning's first line), without the file and line."""
    return [line.split("PeerlabNote: ", 1)[1] for line in out.stderr.splitlines() if "PeerlabNote: " in line]


REPLACED_01 = ("The Loopback made by the last run of this cell was still open; peerlab closed it and stopped the "
               "scripted callee playing on it, since this new one replaces it (re-running the set-up cell starts "
               "over).")


def run_lesson(kernel: Kernel, cells: dict[str, str], names: list[str]) -> Output:
    for name in names:
        out = kernel.ok(cells[name], name)
    return out


def test_the_kernel_tests_run_the_lessons_own_cells():
    assert ["caller-step-1", "data channel", *[f"caller-step-{n}" for n in range(2, 9)], "echo"] == STEPS_01
    assert ["callee-step-1", "callee-step-2", "callee-step-3", "callee-set-local-description",
                        *[f"callee-step-{n}" for n in range(4, 8)], "echo"] == STEPS_02


def test_in_a_kernel_rerunning_the_set_up_cell_three_times_leaves_one_scripted_callee(kernel):
    assert notes(kernel.ok(LESSON_01["set-up"], "set-up-01")) == []
    assert notes(kernel.ok(LESSON_01["set-up"], "set-up-01")) == [REPLACED_01]
    edited = LESSON_01["set-up"].replace("peerlab.Loopback()", "peerlab.Loopback(delay=0)")
    assert edited != LESSON_01["set-up"]
    assert notes(kernel.ok(edited, "set-up-01")) == [REPLACED_01]  # edited, and still the same cell
    assert kernel.ok(LIVE, "live").stdout == "1 scripted peer playing, 0 tasks\n"
    out = run_lesson(kernel, LESSON_01, STEPS_01)
    assert "'echo: hello from the caller'" in out.result
    kernel.ok(CLEAN_UP_01, "clean-up")


def test_in_a_kernel_a_rerun_play_cell_replaces_its_peer_even_on_a_new_loopback(kernel):
    cell = "lb = peerlab.Loopback(name=f'n{len(gc.get_objects())}')\nfar = peerlab.play_callee(lb.callee)"
    for _ in range(3):
        kernel.ok(cell, "play")
    assert kernel.ok(LIVE, "live").stdout == "1 scripted peer playing, 0 tasks\n"
    kernel.ok("await far.close()", "clean-up")


def test_in_a_kernel_rerunning_step_8_after_it_connected_says_an_earlier_run_of_this_cell_took_them(kernel):
    kernel.ok(LESSON_01["set-up"], "set-up-01")
    run_lesson(kernel, LESSON_01, STEPS_01)
    out = kernel.run(LESSON_01["caller-step-8"], "caller-step-8")
    assert out.error == "SignallingTimeout"
    assert ANSI.sub("", out.traceback[-1]) == (
        "SignallingTimeout: The caller cannot receive a 'candidate' message: none will come. The candidates the "
        "callee sent, up to its end-of-candidates, were already received by an earlier run of this cell, and "
        "the callee sends no more in this negotiation. If the caller is connected, go on to the next cell; to "
        "start over, re-run step 1. The scripted callee answered the latest offer; its connection is 'connected'.")
    kernel.ok(CLEAN_UP_01, "clean-up")


def test_in_a_kernel_every_caller_step_can_be_run_again_and_the_lesson_goes_on(kernel):
    kernel.ok(LESSON_01["set-up"], "set-up-01")
    run_lesson(kernel, LESSON_01, STEPS_01)
    out = kernel.ok(LESSON_01["caller-step-1"], "caller-step-1")  # the second try, from step 1
    assert [n for n in notes(out) if "re-running step 1" in n]
    out = run_lesson(kernel, LESSON_01, STEPS_01[1:])
    assert "'echo: hello from the caller'" in out.result
    for n in range(2, 8):  # steps 2-7 again on the same connection: a renegotiation, answered
        kernel.ok(LESSON_01[f"caller-step-{n}"], f"caller-step-{n}")
    out = kernel.ok(LESSON_01["echo"], "echo")
    assert "'echo: hello from the caller'" in out.result
    out = kernel.ok("print(pc.signalingState, pc.connectionState, callee.negotiations)", "states")
    assert out.stdout == "stable connected 2\n"
    kernel.ok(CLEAN_UP_01, "clean-up")


SECOND_TRY_NOTEBOOKS = ["01-caller.ipynb", "02-callee.ipynb",
                        "workshop/01-caller-solution.ipynb", "workshop/02-callee-solution.ipynb"]


@pytest.mark.parametrize("name", SECOND_TRY_NOTEBOOKS)
def test_in_a_kernel_each_lesson_goes_on_after_a_second_try_from_step_1_and_from_the_set_up(kernel, name):
    """Run a lesson up to its echo; then again from step 1; then again from the set-up cell."""
    code = [c for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells if c.cell_type == "code"]
    end = next(i for i, c in enumerate(code) if "send_and_receive" in c.source) + 1
    flow, clean_up = code[:end], code[-1]
    assert "loopback.close()" in clean_up.source
    for attempt in (flow, flow[1:], flow):  # first try; from step 1; from the set-up cell
        outs = [kernel.ok(cell.source, cell.id) for cell in attempt]
        assert "echo: hello from the" in outs[-1].stdout + outs[-1].result
        assert not [o for o in outs if "PeerlabNote: " in o.stderr and "Timeout" in o.stderr]
    assert kernel.ok(LIVE, "live").stdout == "1 scripted peer playing, 0 tasks\n"
    kernel.ok(clean_up.source, clean_up.id)
    assert kernel.ok(LIVE, "live").stdout == "0 scripted peer playing, 0 tasks\n"


def test_in_a_kernel_interrupting_a_waiting_cell_shows_one_line_and_nothing_breaks(kernel):
    kernel.ok(LESSON_01["set-up"], "set-up-01")
    run_lesson(kernel, LESSON_01, ["caller-step-1", "data channel"])
    out = kernel.run(LESSON_01["caller-step-7"].replace("timeout=5", "timeout=30"), "caller-step-7",
                     interrupt_after=1.0)
    assert out.error == "CancelledError"
    assert len(out.traceback) == 1
    assert re.fullmatch(
        r"Interrupted: The caller stopped waiting for an 'answer' message \(caller step 7\) after \d+\.\d s: the "
        r"wait was interrupted\. Nothing is broken: a message that arrives meanwhile is kept for the next "
        r"receive\(\), so run the cell again to wait again\.", ANSI.sub("", out.traceback[0]))
    out = run_lesson(kernel, LESSON_01, STEPS_01[2:])  # the lesson goes on from step 2
    assert "'echo: hello from the caller'" in out.result
    kernel.ok(CLEAN_UP_01, "clean-up")


CLEAN_UP_01 = "await pc.close()\nawait callee.close()\nloopback.close()"
