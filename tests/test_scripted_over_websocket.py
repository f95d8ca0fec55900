"""Scripted peers, step checks and the display over a ``peerlab.join`` endpoint, not only a Loopback.

The learner's cells of lessons 01 and 02 run unchanged against a scripted peer that joined the
same room on a real ``peerlab serve`` (on 127.0.0.1, a free port); everything is closed at the end.
"""

from __future__ import annotations

import pytest

import peerlab
from peerlab import ScriptedPeerError, SignallingEndpoint
from peerlab.display import candidate_table, sequence_diagram, timeline
from peerlab.signalling.endpoint import PlayableEndpoint
from peerlab.teaching.checks import check

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote")


@pytest.fixture
async def server():
    async with await peerlab.serve(port=0) as running:
        yield running


async def caller_steps(signalling: SignallingEndpoint, name: str = "caller") -> peerlab.RTCPeerConnection:
    """Lesson 01's eight steps, as its cells run them."""
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name=name)
    pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    pc.createDataChannel("chat")
    offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    signalling.send({"type": "offer", "data": offer})
    answer = await signalling.receive("answer", timeout=5)
    await pc.setRemoteDescription(answer["data"])
    while True:
        message = await signalling.receive("candidate", timeout=5)
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            break
    await pc.wait_for_state("connected", timeout=5)
    return pc


async def test_both_endpoints_are_playable_and_only_a_loopback_shows_the_learner(server):
    loopback = peerlab.Loopback()
    endpoint = await peerlab.join(server.url, room="r", role="callee")
    try:
        assert isinstance(loopback.callee, PlayableEndpoint) and isinstance(endpoint, PlayableEndpoint)
        assert loopback.callee.learner() is loopback.caller
        assert endpoint.learner() is None
    finally:
        loopback.close()
        await endpoint.close()


async def test_a_scripted_callee_answers_a_learner_caller_across_the_server(server):
    callee_end = await peerlab.join(server.url, room="table-1", role="callee")
    lines: list[str] = []
    callee = peerlab.play_callee(callee_end, report=lines.append)
    signalling = await peerlab.join(server.url, room="table-1", role="caller")
    pc = await caller_steps(signalling)
    try:
        assert pc.connectionState == "connected"
        namespace = {"pc": pc, "signalling": signalling, "server": server}
        await check("caller", 8, namespace)  # the step check finds the transcript on the endpoint
        assert signalling.transcript.sent_by("callee").splitlines()[0].startswith("callee → caller  answer")
        assert "callee step 4: sent the answer" in lines
        assert candidate_table(signalling).text().count("host") >= 1
        assert "callee → signalling → caller: answer (SDP)" in sequence_diagram(signalling).text()
        assert "signalling:" in timeline(pc, loopback=signalling).text()
    finally:
        await pc.close()
        await callee.close()
        await signalling.close()
        await callee_end.close()


async def test_the_echo_comes_back_over_the_data_channel(server):
    callee_end = await peerlab.join(server.url, room="echo", role="callee")
    callee = peerlab.play_callee(callee_end)
    signalling = await peerlab.join(server.url, room="echo", role="caller")
    pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
    channel = pc.createDataChannel("chat")
    pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    try:
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        signalling.send({"type": "offer", "data": offer})
        await pc.setRemoteDescription((await signalling.receive("answer", timeout=5))["data"])
        while (message := await signalling.receive("candidate", timeout=5))["data"] is not None:
            await pc.addIceCandidate(message["data"])
        assert await peerlab.send_and_receive(channel, "hi", timeout=5) == "echo: hi"
    finally:
        await pc.close()
        await callee.close()
        await signalling.close()
        await callee_end.close()


async def test_a_scripted_caller_waits_for_a_callee_to_join_and_offers_to_each_one(server):
    caller_end = await peerlab.join(server.url, room="t", role="caller")
    lines: list[str] = []
    caller = peerlab.play_caller(caller_end, report=lines.append)
    try:
        assert "waits for a callee to join" in caller.status()
        assert lines == []  # nobody to offer to yet
        endpoints = []
        for run in (1, 2):  # the learner's callee joins, then joins again (a re-run join cell replaces it)
            if run == 1:
                signalling = await peerlab.join(server.url, room="t", role="callee")
            else:
                with pytest.warns(peerlab.PeerlabNote, match="already in room 't' as the callee"):
                    signalling = await peerlab.join(server.url, room="t", role="callee")
            endpoints.append(signalling)
            offer = await signalling.receive("offer", timeout=5)
            pc = peerlab.RTCPeerConnection({"iceServers": []}, name="callee")
            pc.addEventListener("icecandidate",
                                lambda event, s=signalling: s.send({"type": "candidate", "data": event.candidate}))
            await pc.setRemoteDescription(offer["data"])
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
            signalling.send({"type": "answer", "data": answer})
            while (message := await signalling.receive("candidate", timeout=5))["data"] is not None:
                await pc.addIceCandidate(message["data"])
            await pc.wait_for_state("connected", timeout=5)
            await pc.close()
        for signalling in endpoints:
            await signalling.close()
        assert caller.negotiations == 2
        assert lines.count("caller step 4: sent the offer") == 2
    finally:
        await caller.close()
        await caller_end.close()


async def test_playing_the_learners_own_endpoint_says_to_join_as_the_far_role(server):
    signalling = await peerlab.join(server.url, room="x", role="caller")
    try:
        with pytest.raises(ScriptedPeerError, match=r"role='callee'"):
            peerlab.play_callee(signalling)
    finally:
        await signalling.close()


async def test_a_scripted_peer_stops_when_the_server_does():
    server = await peerlab.serve(port=0)
    callee_end = await peerlab.join(server.url, room="stop", role="callee")
    callee = peerlab.play_callee(callee_end)
    await server.close()
    await callee_end.wait_closed()
    assert "stopped" in callee.status()
    await callee.close()
    await callee_end.close()
