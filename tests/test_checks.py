"""Step checks look at the real connection and transcript and name what is missing."""

from __future__ import annotations

import asyncio

import pytest

import peerlab
from peerlab.checks import StepCheckFailed, check


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
