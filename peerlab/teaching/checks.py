"""Step checks for exercises: did the learner's step really happen, and if not, what is missing?

``await peerlab.check("caller", 3)`` after a step cell looks at the real
connection (its event log and states) and the signalling transcript, never at
the learner's source text. It prints one line when the step is done and raises
:class:`StepCheckFailed` with a hint naming the step and the call otherwise, e.g.
"caller step 3: the offer is created but not set as the local description".
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import PeerlabError, StepCheckFailed, WaitTimeout
from ..signalling.endpoint import SignallingEndpoint
from ..signalling.loopback import Endpoint, Loopback
from ..signalling.transcript import Transcript, TranscriptEntry
from ..webrtc.connection import RTCPeerConnection, open_connections
from ..webrtc.promise import Promise
from ..webrtc.sdp import media_sections, without_gathering
from .steps import Side, step

__all__ = ["check"]

CHECK_WAIT = 3.0


class _Context:
    """What a check can look at: the learner's connection and the signalling service."""

    def __init__(self, side: Side, namespace: dict[str, Any]) -> None:
        self.side = side
        self.namespace = namespace

    def pc(self) -> RTCPeerConnection | None:
        mine = [v for v in self.namespace.values()
                if isinstance(v, RTCPeerConnection) and v.name == self.side and v.signalingState != "closed"]
        if mine:
            return mine[-1]
        candidate = self.namespace.get("pc")
        if isinstance(candidate, RTCPeerConnection):
            return candidate
        return open_connections().get(self.side)

    def loopback(self) -> Loopback | SignallingEndpoint | None:
        """The signalling service: a Loopback, or this side's endpoint (a Loopback's, or one from join())."""
        endpoints: list[SignallingEndpoint] = []
        for value in self.namespace.values():
            if isinstance(value, Loopback):
                return value
            if isinstance(value, Endpoint):
                return value.loopback
            if not isinstance(value, type) and isinstance(value, SignallingEndpoint):
                endpoints.append(value)
        mine = [e for e in endpoints if e.name == self.side]
        found = mine or endpoints
        return found[-1] if found else None

    def transcript(self) -> Transcript | None:
        service = self.loopback()
        return None if service is None else service.transcript

    def sent(self, kind: str) -> list[Any]:
        transcript = self.transcript()
        if transcript is None:
            return []
        return [e.message["data"] for e in transcript if e.sender == self.side and e.type == kind]

    def called(self, pc: RTCPeerConnection, name: str, value: str | None = None) -> bool:
        return any(e.kind == "call" and e.name == name and (value is None or e.value == value) for e in pc.events)

    def entries(self) -> list[TranscriptEntry]:
        transcript = self.transcript()
        return [] if transcript is None else list(transcript)


# The variables a step cell assigns from a call that returns a Promise: (side, name) -> (step, the line).
_AWAITED = {
    ("caller", "offer"): (2, "offer = await pc.createOffer()"),
    ("caller", "answer"): (7, 'answer = await signalling.receive("answer")'),
    ("callee", "offer"): (2, 'offer = await signalling.receive("offer")'),
    ("callee", "answer"): (3, "answer = await pc.createAnswer()"),
}


def _check_awaited(ctx: _Context, number: int) -> None:
    """Fail the first step up to ``number`` whose variable holds a Promise: its ``await`` is missing."""
    for (side, name), (at, line) in sorted(_AWAITED.items(), key=lambda item: item[1][0]):
        value = ctx.namespace.get(name)
        if side == ctx.side and at <= number and (isinstance(value, Promise) or inspect.isawaitable(value)):
            raise _fail(side, at, f"{name} is a {type(value).__name__}, not the {name} itself: add await "
                        f"({line})")


def _find(entries: list[TranscriptEntry], sender: str, kind: str, sdp: str, *,
          first: bool = False) -> TranscriptEntry | None:
    """The last (or ``first``) ``kind`` message ``sender`` sent that carries the description ``sdp``."""
    core = without_gathering(sdp)
    return next((e for e in (entries if first else reversed(entries)) if e.sender == sender and e.type == kind
                 and without_gathering(e.message["data"]["sdp"]) == core), None)


def _check_stale_answer(ctx: _Context, pc: RTCPeerConnection, number: int) -> None:
    """Caller step 7: the answer set must be the one the callee sent after this connection's offer."""
    local, remote = pc.descriptions.local, pc.descriptions.remote
    if local is None or remote is None or remote.type != "answer":
        return
    entries = ctx.entries()
    offer = _find(entries, "caller", "offer", local.sdp, first=True)  # the same offer may have gone twice
    answer = _find(entries, "callee", "answer", remote.sdp)
    if offer is not None and answer is not None and answer.seq < offer.seq:
        raise _fail("caller", number, "the answer set as the remote description is the callee's answer to an "
                    "earlier offer (one sent before this connection's offer, by an earlier run of the steps), so "
                    "it cannot connect. Start over: run step 1 again and go on from there; step 7 then receives "
                    "the answer to the new offer.")


def _check_sent_offer(ctx: _Context, pc: RTCPeerConnection) -> None:
    """Caller step 4: the offer that went out must be this connection's local description."""
    local = pc.descriptions.local
    if local is None or local.type != "offer" or not ctx.sent("offer"):
        return
    if _find(ctx.entries(), "caller", "offer", local.sdp) is None:
        raise _fail("caller", 4, "the offer that went out is not this connection's local description (it is an "
                    "earlier offer, from an earlier run of steps 1-3): send this one: "
                    "signalling.send({'type': 'offer', 'data': offer})")


def _far_candidates(ctx: _Context, pc: RTCPeerConnection) -> int | None:
    """How many candidates the far side sent for the description this connection has from it."""
    remote = pc.descriptions.remote
    if remote is None:
        return None
    far = "callee" if ctx.side == "caller" else "caller"
    entries = [e for e in ctx.entries() if e.sender == far]
    description = _find(entries, far, remote.type, remote.sdp)
    if description is None:
        return None
    # A peer gathers once its description is set, and sends that description first: its candidates
    # are those it sent after it, up to its next description.
    end = min((e.seq for e in entries if e.type in ("offer", "answer") and e.seq > description.seq), default=None)
    return sum(1 for e in entries if e.type == "candidate" and e.message.get("data") is not None
               and e.seq > description.seq and (end is None or e.seq < end))


def _check_all_added(ctx: _Context, pc: RTCPeerConnection, number: int) -> None:
    """The last step: every candidate the far side sent was added, not only end-of-candidates."""
    sent = _far_candidates(ctx, pc)
    added = len(pc.added_candidates)
    if sent is None or added >= sent:
        return
    far = "callee" if ctx.side == "caller" else "caller"
    raise _fail(ctx.side, number, f"the {far} sent {sent} candidate{'s' * (sent != 1)}, but the {ctx.side} added "
                f"{added}: the {'others were' if sent - added > 1 else 'other was'} taken from the signalling "
                "service by an earlier receive() (a run of this cell that failed before addIceCandidate()), "
                "so no later receive() gets it. Start over: run step 1 again and go on from there, adding "
                "each candidate as it is received.")


async def _gathered(pc: RTCPeerConnection) -> str:
    """Step 3's check: wait until the gathering events have all fired, and say so.

    They fire after ``setLocalDescription()``, a task each (end-of-candidates in the task of
    ``complete``), so steps 4 and 5 then find the same whether their cells came quickly or not.
    """
    local = pc.localDescription
    if local is None or not media_sections(local.sdp):
        return ""  # nothing to gather: the state stays "new"
    try:
        await pc.wait_for_state("complete", attribute="iceGatheringState", timeout=CHECK_WAIT)
    except PeerlabError:
        return ""
    return ", and gathering is complete"


def _fail(side: Side, number: int, hint: str) -> StepCheckFailed:
    return StepCheckFailed(f"{step(side, number).label}: {hint}")


def _connection(ctx: _Context) -> RTCPeerConnection:
    """Step 1 of either side: the learner's connection, open."""
    pc = ctx.pc()
    if pc is None:
        raise _fail(ctx.side, 1, "there is no open connection yet: "
                    f"pc = peerlab.RTCPeerConnection({{'iceServers': []}}, name={ctx.side!r})")
    if pc.signalingState == "closed":
        raise _fail(ctx.side, 1, "the connection is closed: run step 1 again to make a new one")
    return pc


async def _caller_step(ctx: _Context, pc: RTCPeerConnection, number: int) -> str:
    side: Side = "caller"
    if number >= 2 and not ctx.called(pc, "createOffer"):
        raise _fail(side, 2, "no offer has been created: offer = await pc.createOffer()")
    if number == 2:
        if not pc.aiortc.sctp and not pc.aiortc.getTransceivers():
            raise _fail(side, 2, "the offer has nothing to connect: create a data channel "
                        "(pc.createDataChannel('chat')) before createOffer()")
        return "the offer is created"
    if number >= 3 and pc.signalingState == "stable" and pc.localDescription is None:
        raise _fail(side, 3, "the offer is created but not set as the local description: "
                    "await pc.setLocalDescription(offer)")
    if number == 3:
        return f"the offer is the local description (signalingState {pc.signalingState!r}){await _gathered(pc)}"
    if number >= 4 and ctx.loopback() is None:
        raise _fail(side, 4, "there is no signalling service: loopback = peerlab.Loopback()")
    if number >= 4 and not ctx.sent("offer"):
        raise _fail(side, 4, "the offer has not been sent: signalling.send({'type': 'offer', 'data': offer})")
    if number >= 4:
        _check_sent_offer(ctx, pc)
    if number == 4:
        return "the offer went out through the signalling service"
    return await _trickle_and_finish(ctx, pc, number, first_trickle_step=5, remote_step=7, add_step=8)


async def _callee_step(ctx: _Context, pc: RTCPeerConnection, number: int) -> str:
    side: Side = "callee"
    if number >= 2 and pc.remoteDescription is None:
        raise _fail(side, 2, "the offer is not set: offer = await signalling.receive('offer'), then "
                    "await pc.setRemoteDescription(offer['data'])")
    if number == 2:
        return f"the remote offer is set (signalingState {pc.signalingState!r})"
    if number >= 3 and not ctx.called(pc, "createAnswer"):
        raise _fail(side, 3, "no answer has been created: answer = await pc.createAnswer()")
    if number >= 3 and pc.localDescription is None:
        raise _fail(side, 3, "the answer is created but not set as the local description (the guide forgets "
                    "this call): await pc.setLocalDescription(answer)")
    if number == 3:
        return f"the answer is created and set as the local description{await _gathered(pc)}"
    if number >= 4 and ctx.loopback() is None:
        raise _fail(side, 4, "there is no signalling service: loopback = peerlab.Loopback()")
    if number >= 4 and not ctx.sent("answer"):
        raise _fail(side, 4, "the answer has not been sent: signalling.send({'type': 'answer', 'data': answer})")
    if number == 4:
        return "the answer went out through the signalling service"
    return await _trickle_and_finish(ctx, pc, number, first_trickle_step=5, remote_step=None, add_step=7)


async def _trickle_and_finish(ctx: _Context, pc: RTCPeerConnection, number: int, *,
                              first_trickle_step: int, remote_step: int | None, add_step: int) -> str:
    side: Side = ctx.side
    if not pc.listeners("icecandidate"):
        raise _fail(side, 5, "no icecandidate listener is registered: "
                    "pc.addEventListener('icecandidate', on_icecandidate)")
    if number == 5:
        return "an icecandidate listener is registered"
    if number >= 6:
        try:
            await pc.wait_for_end_of_candidates(timeout=CHECK_WAIT)
        except WaitTimeout:
            pass
        sent = ctx.sent("candidate")
        if not sent:
            raise _fail(side, 6, "the listener sends no candidates: inside it, "
                        "signalling.send({'type': 'candidate', 'data': event.candidate})")
        if sent[-1] is not None:
            raise _fail(side, 6, "the candidates went out but end-of-candidates did not: send event.candidate "
                        "also when it is None (that is how the far side learns gathering is over)")
    if number == 6:
        return "the candidates and end-of-candidates went out"
    if remote_step is not None and number >= remote_step:
        if pc.remoteDescription is None:
            raise _fail(side, remote_step, "the answer is not set: answer = await signalling.receive('answer'), "
                        "then await pc.setRemoteDescription(answer['data'])")
        _check_stale_answer(ctx, pc, remote_step)
        if number == remote_step:
            return f"the remote answer is set (signalingState {pc.signalingState!r})"
    if not ctx.called(pc, "addIceCandidate"):
        raise _fail(side, add_step, "no remote candidate was added: receive each 'candidate' message and "
                    "await pc.addIceCandidate(message['data']), until the data is None")
    if not ctx.called(pc, "addIceCandidate", "end-of-candidates"):
        raise _fail(side, add_step, "the remote candidates were added but not end-of-candidates: keep receiving "
                    "until message['data'] is None, and add that too")
    _check_all_added(ctx, pc, add_step)
    try:
        await pc.wait_for_state("connected", timeout=CHECK_WAIT)
    except PeerlabError as exc:
        raise _fail(side, add_step, f"every step ran, but the connection is not connected: {exc}") from exc
    return "the far side's candidates are added and the connection is 'connected'"


# Steps 2 and on, once step 1 (an open connection) and the awaits are checked.
_CHECKS: dict[str, Callable[[_Context, RTCPeerConnection, int], Awaitable[str]]] = {
    "caller": _caller_step, "callee": _callee_step}


def check(side: Side, number: int, namespace: dict[str, Any] | None = None) -> Promise[None]:
    """Check that ``side``'s step ``number`` (and every step before it) was done; a Promise: ``await`` it.

    Looks up the learner's objects in the calling cell's namespace (or ``namespace``).
    Prints one line when the step is done; rejects with :class:`StepCheckFailed` and a hint otherwise.
    """
    step(side, number)  # a clear ValueError for a step that does not exist
    ns = namespace if namespace is not None else sys._getframe(1).f_globals

    async def run() -> None:
        ctx = _Context(side, ns)
        pc = _connection(ctx)
        if number == 1:
            done = f"the connection exists ({pc.signalingState})"
        else:
            _check_awaited(ctx, number)
            done = await _CHECKS[side](ctx, pc, number)
        print(f"✔ {step(side, number).label}: {done}")

    return Promise.resolve(run())
