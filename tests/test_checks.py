"""Step checks look at the real connection and transcript and name what is missing."""

from __future__ import annotations

import asyncio

import pytest

import peerlab
from peerlab.teaching.checks import StepCheckFailed, check


@pytest.fixture
async def lesson():
    """A namespace like a notebook's, with the far side played by peerlab; all closed afterwards."""
    ns: dict = {"peerlab": peerlab}
    ns["loopback"] = peerlab.Loopback()
    yield ns
    for value in list(ns.values()):
        if isinstance(value, (peerlab.RTCPeerConnection, peerlab.ScriptedPeer)):
            await value.close()
    ns["loopback"].close()


async def expect(side, number, ns, words):
    with pytest.raises(StepCheckFailed, match=words) as info:
        await check(side, number, ns)
    assert str(info.value).startswith(f"{side} step ")
    return str(info.value)


async def test_caller_checks_walk_the_steps_and_name_what_is_missing(lesson, capsys):
    ns = lesson
    ns["callee"] = peerlab.play_callee(ns["loopback"].callee)
    signalling = ns["signalling"] = ns["loopback"].caller
    assert (await expect("caller", 1, ns, "no open connection yet")).startswith("caller step 1")
    pc = ns["pc"] = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    await check("caller", 1, ns)
    await expect("caller", 2, ns, "no offer has been created")
    await expect("caller", 3, ns, "caller step 2: no offer")  # a later check names the first missing step
    pc.createDataChannel("chat")
    ns["offer"] = await pc.createOffer()
    await check("caller", 2, ns)
    await expect("caller", 3, ns, "the offer is created but not set as the local description")
    await pc.setLocalDescription(ns["offer"])
    await check("caller", 3, ns)
    await expect("caller", 4, ns, "the offer has not been sent")
    signalling.send({"type": "offer", "data": ns["offer"]})
    await check("caller", 4, ns)
    await expect("caller", 5, ns, "no icecandidate listener")

    def send_real_candidates_only(event):  # a common slip: forgetting the final None
        if event.candidate is not None:
            signalling.send({"type": "candidate", "data": event.candidate})

    await asyncio.sleep(0.01)  # the loop runs between cells: the candidates are held by now
    with pytest.warns(peerlab.HeldCandidatesNote):
        pc.addEventListener("icecandidate", send_real_candidates_only)
    await check("caller", 5, ns)
    await expect("caller", 6, ns, "end-of-candidates did not")
    signalling.send({"type": "candidate", "data": None})
    await check("caller", 6, ns)
    await expect("caller", 7, ns, "the answer is not set")
    await pc.setRemoteDescription((await signalling.receive("answer", timeout=5))["data"])
    await check("caller", 7, ns)
    await expect("caller", 8, ns, "no remote candidate was added")
    while (message := await signalling.receive("candidate", timeout=5))["data"] is not None:
        await pc.addIceCandidate(message["data"])
    await expect("caller", 8, ns, "but not end-of-candidates")
    await pc.addIceCandidate(None)
    await check("caller", 8, ns)
    out = capsys.readouterr().out
    assert "✔ caller step 8: the far side's candidates are added and the connection is 'connected'" in out


async def test_callee_checks_point_at_the_set_local_description_the_guide_forgets(lesson):
    ns = lesson
    ns["caller"] = peerlab.play_caller(ns["loopback"].caller)
    signalling = ns["loopback"].callee
    pc = ns["pc"] = peerlab.RTCPeerConnection(name="callee")
    await expect("callee", 2, ns, "the offer is not set")
    await pc.setRemoteDescription((await signalling.receive("offer", timeout=5))["data"])
    await check("callee", 2, ns)
    ns["answer"] = await pc.createAnswer()
    await expect("callee", 3, ns, "not set as the local description \\(the guide forgets this call\\)")
    await pc.setLocalDescription(ns["answer"])
    await check("callee", 3, ns)
    await expect("callee", 4, ns, "the answer has not been sent")


def test_a_step_that_does_not_exist_is_a_clear_error():
    with pytest.raises(ValueError, match="no caller step 9"):
        check("caller", 9, {})


async def test_a_listener_that_sends_nothing_is_named(lesson):
    ns = lesson
    pc = ns["pc"] = peerlab.RTCPeerConnection(name="caller")
    pc.createDataChannel("chat")
    await pc.setLocalDescription(await pc.createOffer())
    ns["loopback"].caller.send({"type": "offer", "data": pc.localDescription})
    await asyncio.sleep(0.01)
    with pytest.warns(peerlab.HeldCandidatesNote):
        pc.addEventListener("icecandidate", lambda event: None)
    await expect("caller", 6, ns, "the listener sends no candidates")


# -- checks a second try could fool ----------------------------------------------------------

async def caller_steps_1_to_6(ns) -> peerlab.RTCPeerConnection:
    """Lesson 01's steps 1-6, as the learner's cells run them."""
    signalling = ns["loopback"].caller
    pc = ns["pc"] = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    pc.createDataChannel("chat")
    ns["offer"] = await pc.createOffer()
    await pc.setLocalDescription(ns["offer"])
    signalling.send({"type": "offer", "data": ns["offer"]})
    pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    await pc.wait_for_end_of_candidates(timeout=5)
    return pc


async def test_an_offer_without_await_fails_step_2_with_add_await(lesson):
    ns = lesson
    pc = ns["pc"] = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    pc.createDataChannel("chat")
    ns["offer"] = pc.createOffer()  # the learner forgot await
    await asyncio.sleep(0.05)  # the next cell: createOffer() has run by now
    assert await expect("caller", 2, ns, "offer is a") == (
        "caller step 2: offer is a Promise, not the offer itself: add await (offer = await pc.createOffer())")
    await ns["offer"]


async def test_an_answer_without_await_fails_callee_step_3_with_add_await(lesson):
    ns = lesson
    ns["caller"] = peerlab.play_caller(ns["loopback"].caller)
    pc = ns["pc"] = peerlab.RTCPeerConnection(name="callee")
    await pc.setRemoteDescription((await ns["loopback"].callee.receive("offer", timeout=5))["data"])
    ns["answer"] = pc.createAnswer()
    await asyncio.sleep(0.05)
    assert await expect("callee", 4, ns, "answer is a") == (
        "callee step 3: answer is a Promise, not the answer itself: add await (answer = await pc.createAnswer())")
    await ns["answer"]


@pytest.mark.filterwarnings("ignore::peerlab.PeerlabNote")
async def test_an_answer_to_an_earlier_offer_fails_step_7(lesson):
    ns = lesson
    ns["callee"] = peerlab.play_callee(ns["loopback"].callee)
    first = await caller_steps_1_to_6(ns)
    old_answer = await ns["loopback"].caller.receive("answer", timeout=5)
    await caller_steps_1_to_6(ns)  # the second try from step 1; `answer` still holds the old one
    await ns["pc"].setRemoteDescription(old_answer["data"])
    assert await expect("caller", 7, ns, "earlier offer") == (
        "caller step 7: the answer set as the remote description is the callee's answer to an earlier offer "
        "(one sent before this connection's offer, by an earlier run of the steps), so it cannot connect. "
        "Start over: run step 1 again and go on from there; step 7 then receives the answer to the new offer.")
    await first.close()


@pytest.mark.filterwarnings("ignore::peerlab.PeerlabNote")
async def test_an_earlier_offer_sent_in_step_4_fails_step_4(lesson):
    ns = lesson
    ns["callee"] = peerlab.play_callee(ns["loopback"].callee)
    first = await caller_steps_1_to_6(ns)
    pc = ns["pc"] = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")  # steps 1-3 again, not step 4
    pc.createDataChannel("chat")
    await pc.setLocalDescription(await pc.createOffer())
    assert await expect("caller", 4, ns, "not this connection's") == (
        "caller step 4: the offer that went out is not this connection's local description (it is an earlier "
        "offer, from an earlier run of steps 1-3): send this one: signalling.send({'type': 'offer', 'data': offer})")
    await first.close()


async def test_a_candidate_lost_by_a_failed_run_of_step_8_fails_the_last_check(lesson):
    ns = lesson
    ns["callee"] = peerlab.play_callee(ns["loopback"].callee)
    signalling = ns["loopback"].caller
    pc = await caller_steps_1_to_6(ns)
    await pc.setRemoteDescription((await signalling.receive("answer", timeout=5))["data"])
    first = await signalling.receive("candidate", timeout=5)  # the first run of step 8 ...
    with pytest.raises(peerlab.CandidateTypeError):
        await pc.addIceCandidate(first)  # ... fails here, and the candidate it took is gone
    while (message := await signalling.receive("candidate", timeout=5))["data"] is not None:  # the second run
        await pc.addIceCandidate(message["data"])
    await pc.addIceCandidate(None)
    sent = sum(1 for e in ns["loopback"].transcript.between("callee", "caller")
               if e.type == "candidate" and e.message["data"] is not None)
    assert await expect("caller", 8, ns, "sent") == _lost_text(sent, sent - 1)


def _lost_text(sent: int, added: int) -> str:
    return (f"caller step 8: the callee sent {sent} candidate{'s' * (sent != 1)}, but the caller added {added}: "
            f"the {'others were' if sent - added > 1 else 'other was'} taken from the signalling service by an "
            "earlier receive() (a run of this cell that failed before addIceCandidate()), so no later receive() "
            "gets it. Start over: run step 1 again and go on from there, adding each candidate as it is received.")


async def test_check_returns_a_promise_that_runs_even_without_await(lesson, capsys):
    ns = lesson
    ns["pc"] = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    promise = check("caller", 1, ns)
    assert isinstance(promise, peerlab.Promise)
    assert await promise is None
    check("caller", 1, ns)  # forgotten await: it still runs, as a browser's Promise would
    await asyncio.sleep(0.05)
    assert capsys.readouterr().out == "✔ caller step 1: the connection exists (stable)\n" * 2
    failed = check("caller", 2, ns).catch(lambda error: str(error))
    assert await failed == "caller step 2: no offer has been created: offer = await pc.createOffer()"
