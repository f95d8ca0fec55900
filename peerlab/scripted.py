"""Scripted peers: peerlab plays the other side so one lesson can stand alone.

``play_callee(loopback.callee)`` answers whatever offer the learner's caller
sends, step by step as the guide says; ``play_caller(loopback.caller)`` makes the
offer for a learner who writes the callee. Both echo every data-channel message
back (``"echo: " + message``), so the lesson can prove the connection works.

A scripted peer runs as one background task on the kernel's loop; ``close()``
stops it and closes its connection. Playing a new peer on the same endpoint
closes the one before, so re-running a lesson cell never leaves two behind.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .connection import RTCPeerConnection
from .errors import PeerlabError
from .signalling import Endpoint

__all__ = ["ScriptedPeer", "play_callee", "play_caller"]

# A learner may read for a long time between cells; the scripted peer waits that long.
PATIENCE = 15 * 60.0

_playing: dict[int, ScriptedPeer] = {}
_closing: set[asyncio.Future[None]] = set()


class ScriptedPeer:
    """The far side of a lesson: its connection, its task, and what went wrong, if anything."""

    def __init__(self, role: str, endpoint: Endpoint, *, configuration: Any = None,
                 add_candidates: bool = True, send_candidates: bool = True) -> None:
        self.role = role
        self.endpoint = endpoint
        self.add_candidates = add_candidates
        self.send_candidates = send_candidates
        self.pc = RTCPeerConnection(configuration, name=role, replace_same_name=False)
        self.received: list[str] = []
        self.error: BaseException | None = None
        self.pc.on("datachannel", self._echo)
        if send_candidates:
            self.pc.on("icecandidate", self._send_candidate)
        runner = self._run_caller if role == "caller" else self._run_callee
        self.task = asyncio.ensure_future(runner())
        self.task.add_done_callback(self._finished)

    def __repr__(self) -> str:
        status = "failed" if self.error else ("done" if self.task.done() else "running")
        return f"<ScriptedPeer {self.role} ({status}): {self.pc.connectionState}>"

    async def close(self) -> None:
        """Stop the script and close the connection."""
        if _playing.get(id(self.endpoint)) is self:
            del _playing[id(self.endpoint)]
        if not self.task.done():
            self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.pc.close()

    # -- the scripts ---------------------------------------------------------

    async def _run_caller(self) -> None:
        channel = self.pc.createDataChannel("chat")
        channel.on("message", lambda message: self._reply(channel, message))
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)
        self.endpoint.send({"type": "offer", "data": offer})
        answer = await self.endpoint.receive("answer", timeout=PATIENCE)
        await self.pc.setRemoteDescription(answer["data"])
        await self._add_remote_candidates()

    async def _run_callee(self) -> None:
        offer = await self.endpoint.receive("offer", timeout=PATIENCE)
        await self.pc.setRemoteDescription(offer["data"])
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        self.endpoint.send({"type": "answer", "data": answer})
        await self._add_remote_candidates()

    async def _add_remote_candidates(self) -> None:
        if not self.add_candidates:
            return
        while True:
            message = await self.endpoint.receive("candidate", timeout=PATIENCE)
            await self.pc.addIceCandidate(message["data"])
            if message["data"] is None:
                return

    def _send_candidate(self, event: Any) -> None:
        if not self.endpoint._loopback.closed:
            self.endpoint.send({"type": "candidate", "data": event.candidate})

    def _echo(self, event: Any) -> None:
        channel = getattr(event, "channel", event)
        channel.on("message", lambda message: self._reply(channel, message))

    def _reply(self, channel: Any, message: Any) -> None:
        self.received.append(message)
        if channel.readyState == "open":
            channel.send(f"echo: {message}")

    def _finished(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.error = task.exception()


def _play(role: str, endpoint: Endpoint, **options: Any) -> ScriptedPeer:
    if not isinstance(endpoint, Endpoint):
        raise PeerlabError(f"play_{role}() takes a signalling endpoint, e.g. loopback.{role}, "
                           f"not {type(endpoint).__name__}")
    old = _playing.pop(id(endpoint), None)
    if old is not None:  # a re-run cell: close the peer it played before
        closing = asyncio.ensure_future(old.close())
        _closing.add(closing)
        closing.add_done_callback(_closing.discard)
    peer = ScriptedPeer(role, endpoint, **options)
    _playing[id(endpoint)] = peer
    return peer


def play_callee(endpoint: Endpoint, *, configuration: Any = None, add_candidates: bool = True,
                send_candidates: bool = True) -> ScriptedPeer:
    """Play the callee's seven steps on ``endpoint`` (usually ``loopback.callee``), in the background.

    ``add_candidates=False`` skips its step 7; ``send_candidates=False`` its steps 5-6:
    for the lessons' "what if" section.
    """
    return _play("callee", endpoint, configuration=configuration,
                 add_candidates=add_candidates, send_candidates=send_candidates)


def play_caller(endpoint: Endpoint, *, configuration: Any = None, add_candidates: bool = True,
                send_candidates: bool = True) -> ScriptedPeer:
    """Play the caller's eight steps on ``endpoint`` (usually ``loopback.caller``), in the background.

    It creates a data channel named ``"chat"`` before its offer and echoes what it receives.
    """
    return _play("caller", endpoint, configuration=configuration,
                 add_candidates=add_candidates, send_candidates=send_candidates)
