"""Why nothing came: every transport reports the same facts, one explainer words them, and without the
teaching layer signalling still decides the case and says what it knows in plain words."""

from __future__ import annotations

import asyncio
import contextlib
import json
import warnings
from collections.abc import AsyncIterator, Callable

import pytest

import peerlab
from peerlab import Loopback, PeerlabNote, SignallingTimeout
from peerlab.signalling.facts import REASONS, FarSide, Taken, WaitFacts
from peerlab.signalling.hooks import Hooks, NoPlaces, hooks, install, plain_words
from peerlab.signalling.transcript import Transcript
from peerlab.teaching.explain import explain, install_hooks, interrupted_line
from peerlab.webrtc import interrupts
from peerlab.webrtc.interrupts import Wait

SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
OFFER = {"type": "offer", "data": {"type": "offer", "sdp": SDP}}
ANSWER = {"type": "answer", "data": {"type": "answer", "sdp": SDP}}
STEP_4 = 'caller step 4 (send({"type": "offer", "data": offer})) comes first.'


# -- the facts decide the case, whoever carried the messages ----------------------------------------

def facts(*sent: tuple[str, str, dict], kind: str = "answer", taken: tuple[Taken, ...] = (), cell: object = None,
          outstanding: int = 0, far_side: FarSide | None = None) -> WaitFacts:
    transcript = Transcript()
    for sender, receiver, message in sent:
        transcript.record(sender, receiver, message, 0)
    return WaitFacts("caller", kind, cell, transcript, taken, outstanding, far_side or FarSide())


def test_the_reason_is_decided_from_the_facts_in_one_order():
    answered = (("caller", "callee", OFFER), ("callee", "caller", ANSWER))
    failed = peerlab.ScriptedPeerError("it failed", role="callee")
    cases = [
        (facts(), "own-step"),
        (facts(answered[0]), "not-sent"),
        (facts(*answered, taken=(Taken("answer", "cell-7"),)), "consumed"),
        (facts(*answered, outstanding=1), "not-sent"),  # another answer is on its way
        (facts(*answered, ("caller", "callee", OFFER)), "not-sent"),  # the latest offer is not answered yet
        (facts(answered[0], far_side=FarSide(waits_for=("candidate",))), "far-waiting"),
        (facts(far_side=FarSide(present=False)), "far-absent"),
        (facts(far_side=FarSide(present=False, failure=failed)), "far-failed"),
    ]
    assert [case.reason for case, _ in cases] == [reason for _, reason in cases]
    assert {reason for _, reason in cases} == set(REASONS)


def test_who_took_the_message_is_told_by_cell():
    answered = (("caller", "callee", OFFER), ("callee", "caller", ANSWER))
    assert facts(*answered, taken=(Taken("answer", "a"),), cell="a").taken_by == "this cell"
    assert facts(*answered, taken=(Taken("answer", "a"),), cell="b").taken_by == "another cell"
    assert facts(*answered, taken=(Taken("answer", None),)).taken_by == ""
    assert "already received by an earlier run of this cell" in explain(
        facts(*answered, taken=(Taken("answer", "a"),), cell="a"))


def test_the_same_facts_get_the_same_words_with_only_the_transports_own_words_added():
    answered = (("caller", "callee", OFFER), ("callee", "caller", ANSWER))
    here = FarSide(words="The callee is in room 't'.")
    plain = explain(facts(*answered))
    assert explain(facts(*answered, far_side=here)) == plain  # consumed: where the far side is changes nothing
    assert explain(facts(answered[0], far_side=here)) == ("The callee is in room 't'. An 'answer' message is sent "
                                                          "by callee step 4 (send({\"type\": \"answer\", \"data\": "
                                                          "answer})). Has the callee run it?")
    assert explain(facts(far_side=here)) == ("The callee is in room 't'. The caller has not sent an offer yet, so "
                                             f"the callee has nothing to answer: {STEP_4}")


# -- the same case on every transport ------------------------------------------------------------

@contextlib.asynccontextmanager
async def caller_and_far(transport: str) -> AsyncIterator[tuple[peerlab.SignallingEndpoint, Callable[[dict], None]]]:
    """The caller's endpoint on ``transport``, and a function that makes the far side send a message."""
    if transport == "loopback":
        async with Loopback() as loopback:
            yield loopback.caller, loopback.callee.send
    elif transport == "websocket":
        async with await peerlab.serve(port=0) as server:
            caller = await peerlab.join(server.url, room="why", role="caller")
            callee = await peerlab.join(server.url, room="why", role="callee", client_id="far")
            try:
                yield caller, callee.send
            finally:
                await callee.close()
                await caller.close()
    else:
        caller = await peerlab.tcp_signalling("127.0.0.1", 0, role="caller")
        reader, writer = await asyncio.open_connection("127.0.0.1", caller.port)

        def send(message: dict) -> None:  # the far side as aiortc's programs are: its SDP on one line
            writer.write(json.dumps({"type": message["type"], "sdp": message["data"]["sdp"]}).encode() + b"\n")

        try:
            while not caller.far_connected:
                await asyncio.sleep(0.005)
            yield caller, send
        finally:
            await caller.close()
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


TRANSPORTS = ["loopback", "websocket", "tcp"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_wait_for_an_answer_already_taken_says_so_on_every_transport(transport):
    async with caller_and_far(transport) as (caller, far_sends):
        caller.send(OFFER)
        far_sends(ANSWER)
        assert (await caller.receive("answer", timeout=5))["type"] == "answer"
        with pytest.raises(SignallingTimeout) as info:
            await caller.receive("answer", timeout=0.05)
    assert info.value.reason == "consumed"
    assert str(info.value) == (
        "The caller waited 0.05 s for an 'answer' message and none came. The answer the callee sent was already "
        "received by an earlier receive(), and no other answer is on its way: the callee answers each offer once. "
        "If that run set it, go on to caller step 8; to start over, re-run step 1, and steps 2-4 send a new offer "
        "before this step.")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_wait_before_the_callers_own_offer_names_step_4_on_every_transport(transport):
    async with caller_and_far(transport) as (caller, _):
        with pytest.raises(SignallingTimeout) as info:
            await caller.receive("answer", timeout=0.05)
    assert info.value.reason == "own-step"
    assert str(info.value).endswith(f"The caller has not sent an offer yet, so the callee has nothing to answer: {STEP_4}")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_interrupting_a_wait_says_the_same_line_on_every_transport(transport):
    async with caller_and_far(transport) as (caller, _):
        waiting = asyncio.ensure_future(caller.receive("answer", timeout=30))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.warns(PeerlabNote) as notes, pytest.raises(asyncio.CancelledError):
            await waiting
    assert len(notes) == 1 and str(notes[0].message).startswith(
        "The caller stopped waiting for an 'answer' message (caller step 7) after 0.")
    assert interrupted_line(Wait("callee", "an 'offer' message", message="offer"), 1.25).startswith(
        "The callee stopped waiting for an 'offer' message (callee step 2) after 1.2 s")


# -- without the teaching layer -------------------------------------------------------------------

@pytest.fixture
def no_teaching() -> AsyncIterator[None]:
    """Signalling's own hooks, as if the teaching layer had not installed its own."""
    teaching, words = install(Hooks()), interrupts.install(interrupts.InterruptHooks())
    try:
        yield
    finally:
        install(teaching)
        interrupts.install(words)


def test_peerlab_installs_the_teaching_layers_hooks():
    assert hooks().explain is explain
    old = install_hooks()
    assert old.explain is explain and hooks().explain is explain  # installing again changes nothing
    assert isinstance(Hooks().loopbacks, NoPlaces) and Hooks().explain is plain_words


async def test_without_the_teaching_layer_a_wait_that_runs_out_says_what_signalling_knows(no_teaching):
    loopback = Loopback()
    with pytest.raises(SignallingTimeout) as info:
        await loopback.caller.receive("answer", timeout=0.05)
    assert str(info.value) == "The caller waited 0.05 s for an 'answer' message and none came."
    assert info.value.reason == "own-step"  # signalling decides the case; only the words are the teaching layer's
    loopback.close()


async def test_without_the_teaching_layer_an_interrupted_wait_only_raises(no_teaching):
    loopback = Loopback()
    waiting = asyncio.ensure_future(loopback.caller.receive("answer", timeout=30))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(asyncio.CancelledError):
            await waiting
    loopback.close()


def test_without_the_teaching_layer_a_loopback_replaces_none(no_teaching):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = Loopback(name="same")
        second = Loopback(name="same")
    assert not first.closed and not second.closed
    first.close()
    second.close()


def test_with_the_teaching_layer_a_loopback_with_the_same_name_replaces_the_last():
    first = Loopback(name="replaced-by-name")
    with pytest.warns(PeerlabNote, match="The Loopback named 'replaced-by-name' was still open"):
        second = Loopback(name="replaced-by-name")
    assert first.closed and not second.closed
    second.close()
