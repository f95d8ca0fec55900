"""RTCPeerConnection-helper.js in Python, over peerlab's public (browser-named) API only.

Each helper names the WPT function it ports. Every wait has a timeout (wpt.WAIT).
"""

from __future__ import annotations

import asyncio
from typing import Any

from .wpt import WAIT, count_application_lines, event_of, listen, within


def exchange_ice_candidates(pc1: Any, pc2: Any) -> None:
    """``exchangeIceCandidates``: each peer adds the other's candidates as they come (not end-of-candidates).

    As in the JavaScript, the promise of addIceCandidate is not awaited; a rejection nobody
    handles then shows up as an asyncio error, which fails the test (tests/conftest.py).
    """

    def forward(local: Any, remote: Any) -> None:
        def on_icecandidate(event: Any) -> None:
            candidate = event.candidate
            if candidate and remote.signalingState != "closed":
                remote.addIceCandidate(candidate)

        local.addEventListener("icecandidate", on_icecandidate)

    forward(pc1, pc2)
    forward(pc2, pc1)


async def exchange_offer(caller: Any, callee: Any) -> None:
    """``exchangeOffer``."""
    offer = await within(caller.createOffer(), what="createOffer()")
    await within(caller.setLocalDescription(offer), what="setLocalDescription(offer)")
    await within(callee.setRemoteDescription(offer), what="setRemoteDescription(offer)")


async def exchange_answer(caller: Any, callee: Any) -> None:
    """``exchangeAnswer``."""
    answer = await within(callee.createAnswer(), what="createAnswer()")
    await within(callee.setLocalDescription(answer), what="setLocalDescription(answer)")
    await within(caller.setRemoteDescription(answer), what="setRemoteDescription(answer)")


async def exchange_offer_answer(caller: Any, callee: Any) -> None:
    """``exchangeOfferAnswer`` (also stands for the older ``doSignalingHandshake``)."""
    await exchange_offer(caller, callee)
    await exchange_answer(caller, callee)


async def generate_data_channel_offer(pc: Any) -> Any:
    """``generateDataChannelOffer``."""
    pc.createDataChannel("test")
    offer = await within(pc.createOffer(), what="createOffer()")
    assert count_application_lines(offer.sdp) == 1, "Expect m=application line to be present in generated SDP"
    return offer


async def generate_audio_receive_only_offer(pc: Any) -> Any:
    """``generateAudioReceiveOnlyOffer``: a recvonly audio transceiver, then an offer."""
    pc.addTransceiver("audio", {"direction": "recvonly"})
    return await within(pc.createOffer(), what="createOffer()")


async def generate_answer(new_pc: Any, offer: Any) -> Any:
    """``generateAnswer``: an answer to ``offer`` from a fresh connection (closed afterwards)."""
    pc = new_pc()
    await within(pc.setRemoteDescription(offer), what="setRemoteDescription(offer)")
    answer = await within(pc.createAnswer(), what="createAnswer()")
    await within(pc.close(), what="close()")
    return answer


def _opened(channel: Any) -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    if channel.readyState == "open":
        future.set_result(None)
        return future

    def on_open(*args: Any) -> None:
        if not future.done():
            future.set_result(None)

    def on_error(*args: Any) -> None:
        if not future.done():
            error = getattr(event_of(args), "error", None)
            future.set_exception(error if isinstance(error, BaseException) else RuntimeError(f"error {args!r}"))

    listen(channel, "open", on_open)
    listen(channel, "error", on_error)
    return future


async def create_data_channel_pair(new_pc: Any, options: dict[str, Any] | None = None,
                                   pc1: Any = None, pc2: Any = None) -> tuple[Any, Any]:
    """``createDataChannelPair(t, options, pc1, pc2)``: two open channels, one on each peer.

    With ``negotiated: true`` both peers create the channel; otherwise pc1 creates it and
    pc2 receives it with the ``datachannel`` event.
    """
    options = dict(options or {})
    pc1 = pc1 if pc1 is not None else new_pc()
    pc2 = pc2 if pc2 is not None else new_pc()
    loop = asyncio.get_running_loop()
    if options.get("negotiated"):
        pair = [pc.createDataChannel("", **options) for pc in (pc1, pc2)]
        both_open = asyncio.gather(*(_opened(dc) for dc in pair))
    else:
        pair = [pc1.createDataChannel("", **options)]
        remote: asyncio.Future[Any] = loop.create_future()

        def on_datachannel(event: Any) -> None:
            if not remote.done():
                remote.set_result(event.channel)

        pc2.addEventListener("datachannel", on_datachannel)

        async def remote_open() -> None:
            channel = await remote
            pair.append(channel)
            await _opened(channel)

        both_open = asyncio.gather(_opened(pair[0]), remote_open())
    exchange_ice_candidates(pc1, pc2)
    try:
        await exchange_offer_answer(pc1, pc2)
        await within(both_open, WAIT, "both data channels opening")
    finally:
        if not both_open.done():
            both_open.cancel()
            await asyncio.gather(both_open, return_exceptions=True)
    return pair[0], pair[1]


async def listen_to_connected(pc: Any, timeout: float = WAIT) -> None:
    """``listenToConnected``: until ``connectionState`` is "connected"."""
    await _until_state(pc, "connectionstatechange", lambda: pc.connectionState == "connected",
                       timeout, "connectionState 'connected'")


async def listen_to_ice_connected(pc: Any, timeout: float = WAIT) -> None:
    """``listenToIceConnected``: until ``iceConnectionState`` is "connected" or "completed"."""
    await _until_state(pc, "iceconnectionstatechange",
                       lambda: pc.iceConnectionState in ("connected", "completed"),
                       timeout, "iceConnectionState 'connected' or 'completed'")


async def _until_state(pc: Any, event: str, done: Any, timeout: float, what: str) -> None:
    if done():
        return
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def check(*args: Any) -> None:
        if done() and not future.done():
            future.set_result(None)

    stop = listen(pc, event, check)
    try:
        await within(future, timeout, what)
    finally:
        stop()
