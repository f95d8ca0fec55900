"""The guide's caller steps 1-8 and callee steps 1-7, followed literally over the loopback."""

from __future__ import annotations

import asyncio

from peerlab import Loopback, RTCPeerConnection


async def caller_side(signalling, result: dict) -> None:
    # 1. Create a new RTCPeerConnection with a suitable ICE configuration.
    pc = RTCPeerConnection({"iceServers": []}, name="caller")
    result["caller"] = pc
    channel = pc.createDataChannel("chat")
    opened = asyncio.get_running_loop().create_future()
    reply = asyncio.get_running_loop().create_future()
    channel.on("open", lambda: opened.done() or opened.set_result(True))
    channel.on("message", lambda m: reply.done() or reply.set_result(m))
    # 2. Create a local SDP description with createOffer().
    offer = await pc.createOffer()
    # 3. Set it with setLocalDescription().
    await pc.setLocalDescription(offer)
    # 4. Send the local description to the remote peer through the signalling service.
    signalling.send({"type": "offer", "data": offer})

    # 5. Register a listener for the icecandidate event.
    # 6. For each icecandidate event, send the candidate through the signalling service.
    def on_icecandidate(event):
        signalling.send({"type": "candidate", "data": event.candidate})

    pc.addEventListener("icecandidate", on_icecandidate)
    # 7. Wait for the remote description and set it with setRemoteDescription().
    answer = await signalling.receive("answer", timeout=5)
    await pc.setRemoteDescription(answer["data"])
    # 8. Wait for remote ICE candidates and add them with addIceCandidate().
    while True:
        message = await signalling.receive("candidate", timeout=5)
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            break
    await pc.wait_for_state("connected", timeout=5)
    await asyncio.wait_for(opened, 5)
    channel.send("hello from the caller")
    result["reply"] = await asyncio.wait_for(reply, 5)


async def callee_side(signalling, result: dict) -> None:
    # 1. Create a new RTCPeerConnection with a suitable ICE configuration.
    pc = RTCPeerConnection({"iceServers": []}, name="callee")
    result["callee"] = pc

    @pc.on("datachannel")
    def on_datachannel(event):
        channel = event.channel
        channel.on("message", lambda m: channel.send("callee got: " + m))

    # 2. Wait for the remote description (the offer) and set it with setRemoteDescription().
    offer = await signalling.receive("offer", timeout=5)
    await pc.setRemoteDescription(offer["data"])
    # 3. Create an answer with createAnswer().
    answer = await pc.createAnswer()
    # (The guide leaves this out; a real callee must set its answer as its local description.)
    await pc.setLocalDescription(answer)
    # 4. Send the answer to the remote peer through the signalling service.
    signalling.send({"type": "answer", "data": answer})
    # 5. Register a listener for the icecandidate event.
    # 6. For each icecandidate event, send the candidate to the remote peer.
    pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
    # 7. Wait for remote ICE candidates and add them with addIceCandidate().
    while True:
        message = await signalling.receive("candidate", timeout=5)
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            break
    await pc.wait_for_state("connected", timeout=5)


async def test_the_guides_steps_connect_two_peers_and_carry_a_message():
    loopback = Loopback()
    result: dict = {}
    try:
        await asyncio.gather(caller_side(loopback.caller, result), callee_side(loopback.callee, result))
        assert result["caller"].connectionState == "connected"
        assert result["callee"].connectionState == "connected"
        assert result["reply"] == "callee got: hello from the caller"
        types = loopback.transcript.types()
        assert types[0] == "offer" and "answer" in types
        for sender in ("caller", "callee"):
            sent = [e.message["data"] for e in loopback.transcript.between(sender, "callee" if sender == "caller" else "caller")
                    if e.type == "candidate"]
            assert len(sent) >= 2 and sent[-1] is None and None not in sent[:-1]
        # Steps 3-5 ran without yielding to the loop, so no candidate had to be held.
        assert not any(e.value == "held: no listener yet" for e in result["caller"].events)
    finally:
        for pc in (result.get("caller"), result.get("callee")):
            if pc is not None:
                await pc.close()
        loopback.close()
