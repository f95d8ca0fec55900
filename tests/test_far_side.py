"""A wait that runs out because the far side failed says so, instead of "still setting up"."""

from __future__ import annotations

import pytest
from aiortc.rtcdtlstransport import State

import peerlab

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote")


def break_dtls(pc: peerlab.RTCPeerConnection) -> None:
    """Make ``pc``'s DTLS handshake fail as soon as ICE has connected (as a crashed far side would)."""
    dtls = pc.aiortc.sctp.transport

    async def fail(parameters: object) -> None:
        dtls._set_state(State.FAILED)

    dtls.start = fail


async def test_a_wait_after_the_scripted_callee_failed_says_the_far_side_failed():
    async with peerlab.Loopback() as loopback:
        callee = peerlab.play_callee(loopback.callee)
        signalling = loopback.caller
        pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
        pc.createDataChannel("chat")
        pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        signalling.send({"type": "offer", "data": offer})
        answer = await signalling.receive("answer", timeout=5)
        break_dtls(callee.pc)
        await pc.setRemoteDescription(answer["data"])
        while (message := await signalling.receive("candidate", timeout=5))["data"] is not None:
            await pc.addIceCandidate(message["data"])
        await pc.addIceCandidate(None)
        with pytest.raises(peerlab.WaitTimeout) as info:
            await pc.wait_for_state("connected", timeout=2)
        assert pc.iceConnectionState == "completed"
        assert str(info.value) == (
            "the caller waited 2 s for connectionState 'connected'; it is 'connecting'. The far side failed: the "
            "scripted callee's connection is 'failed', so this side cannot finish connecting to it. To try again, "
            "start over from step 1 on your side: the scripted peer answers the new offer.")
        await pc.close()
        await callee.close()


