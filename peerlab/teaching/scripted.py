"""Scripted peers: peerlab plays the other side so one lesson can stand alone.

``play_callee(loopback.callee)`` answers whatever offer the learner's caller
sends, step by step as the guide says; ``play_caller(loopback.caller)`` makes the
offer for a learner who writes the callee. Both echo every data-channel message
back (``"echo: " + message``), so the lesson can prove the connection works.

Learners re-run cells, so a scripted peer plays every negotiation, not one:

- The scripted callee treats each offer from a new connection (a new ICE username
  fragment: the learner re-ran step 1) as a new negotiation: it closes its old
  connection, makes a new one and answers. The same connection offering again (steps
  2-4 run again) is answered on the same connection, as a renegotiation; while the
  answer to its last offer still waits unread, that answer stands for both.
- The scripted caller offers again when the learner's callee waits for an offer
  (callee step 2) and none is on its way, if its own connection can no longer go on: it
  has no answer yet, or it is ``failed`` or ``closed`` (the learner's old connection
  closed when step 1 made a new one). A restarted callee can only get an offer if the
  caller sends one again, and nothing crosses the wire when a learner re-runs step 1, so
  this wait is the cue; ``restart()`` starts a new negotiation by hand.
- A new negotiation withdraws what it sent for the old one and the learner has not read
  yet (it stays in the transcript), so the learner's next steps only see the new one.
- It adds the far side's candidates as soon as it has a remote description (those
  that came early first, before answering), so ICE checks start at once.

A scripted peer plays for as long as its signalling service is open. It does not sit in
a ``receive()``: the endpoint hands it each message, and a short task on the kernel's loop
handles the messages in order, so nothing of it is left pending between messages (and
there is no wait to time out). ``close()`` stops it and closes its connection; so do
closing its Loopback, playing a new peer on the same endpoint, and re-running the cell that
played it (the n-th peer a cell plays replaces the n-th its last run played), so re-running
a cell never leaves one behind.

If it fails (the learner's offer has nothing to connect, a candidate cannot be added),
the error is kept in ``.error`` and the learner's next ``receive()`` on the other endpoint
raises :class:`~peerlab.ScriptedPeerError` at once, saying what failed; the next
negotiation clears it.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import FileLimitError, InvalidDescriptionError, ScriptedPeerError, StepOrderError
from ..signalling.endpoint import LearnerSide, Message, PlayableEndpoint
from ..signalling.loopback import Endpoint
from ..signalling.messages import OFFER_UFRAG
from ..webrtc.connection import RTCPeerConnection
from ..webrtc.sdp import ice_ufrag, media_sections
from .hints import register_far_peer
from .rerun import Replacements
from .steps import step

__all__ = ["ScriptedPeer", "play_callee", "play_caller"]

_played: Replacements[ScriptedPeer] = Replacements()
_closing: set[asyncio.Future[Any]] = set()  # peers being stopped: asyncio keeps only weak references


def candidate_ufrag(data: Any) -> str | None:
    """A candidate's username fragment, if it says (``usernameFragment``, or ``ufrag`` in its string)."""
    if not isinstance(data, dict):
        return None
    if data.get("usernameFragment"):
        return str(data["usernameFragment"])
    bits = str(data.get("candidate", "")).split()
    for name, value in zip(bits[8::2], bits[9::2], strict=False):
        if name == "ufrag":
            return value
    return None


class ScriptedPeer:
    """The far side of a lesson: its connection, its task, and what went wrong, if anything.

    ``pc`` is the connection of the latest negotiation (``None`` before the first one),
    ``negotiations`` how many it started, ``received`` the data-channel messages it echoed,
    ``error`` its latest failure.
    """

    def __init__(self, role: str, endpoint: PlayableEndpoint, *, configuration: Any = None,
                 add_candidates: bool = True, send_candidates: bool = True,
                 report: Callable[[str], Any] | None = None, outlive_signalling: bool = False) -> None:
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            raise ScriptedPeerError(
                f"play_{role}() plays in the background, on the running event loop, and there is none here. "
                "Call it in a notebook cell or inside an async function (in a script: inside the coroutine "
                "you run with asyncio.run() or peerlab.blocking.wait()).", role=role) from None
        self.role = role
        self.endpoint = endpoint
        self.configuration = configuration
        self.add_candidates = add_candidates
        self.send_candidates = send_candidates
        self.report = report  # called with one line per step it plays (python -m peerlab.peer prints them)
        # keep a connected connection (and its echo) when the signalling service ends: python -m peerlab.peer does
        self.outlive_signalling = outlive_signalling
        # the learner's endpoint, when it is in this process (a Loopback): None across a network
        self._learner: LearnerSide | None = endpoint.learner()
        self.pc: RTCPeerConnection | None = None
        self.negotiations = 0
        self.received: list[str] = []
        self.error: BaseException | None = None
        # (what it was doing, the error) until the next negotiation: shown on the learner's side
        self._failure: tuple[str, BaseException] | None = None
        self._remote_ufrag: str | None = None  # which far connection the current negotiation is with
        self._end_added = False
        self._after_stale = False
        self._early: list[Any] = []  # candidates that came before a remote description
        self._queue: deque[Message] = deque()  # messages handed over and not handled yet
        self._lock = asyncio.Lock()  # one negotiation step at a time: messages, re-offers, restart()
        self._jobs: dict[asyncio.Future[Any], str] = {}  # short tasks, and what each does ("messages", "offer", ...)
        self._old: set[asyncio.Future[Any]] = set()  # connections of earlier negotiations, closing
        self._stopping: asyncio.Future[None] | None = None
        self._phase = "waiting" if role == "callee" else "starting"
        if role == "caller":
            if self._learner is not None:
                self._learner.watch_waits(self._far_waits)
            if endpoint.watch_far(self._far_joined):
                self._start(self._first_offer(), "offer")
            else:
                self._phase = "waiting-far"  # offers when a callee joins the room
        endpoint.attach(self)
        register_far_peer(self)  # a wait on the learner's side that runs out can say this peer failed

    def __repr__(self) -> str:
        state = self.pc.connectionState if self.pc is not None else "no connection yet"
        return f"<ScriptedPeer {self.role} ({self._phase}): {state}>"

    @property
    def busy(self) -> bool:
        """Whether it is handling a message or making an offer right now."""
        return any(not job.done() for job in self._jobs)

    # -- what the learner can call ---------------------------------------------

    async def close(self) -> None:
        """Stop the script and close its connection."""
        stopping = self.stop()
        if stopping is not None:
            await stopping

    async def restart(self) -> None:
        """Start a new negotiation now: a caller closes its connection and offers again with a new
        one; a callee closes its connection and answers the next offer."""
        async with self._lock:
            if self.role == "caller":
                await self._guard("while making its offer", self._offer)
            else:
                await self._close_connection()
                self._failure = None
                self._phase = "waiting"

    def stop(self) -> asyncio.Future[None] | None:
        """Stop at once and close the connections in the background; the future ends when all are closed."""
        if self._stopping is None:
            if self._loop.is_closed():
                return None
            self.endpoint.detach(self)
            if self._learner is not None:
                self._learner.unwatch_waits(self._far_waits)
            _played.forget(self)
            self._queue.clear()
            for job in self._jobs:
                job.cancel()
            self._phase = "stopped"
            self._stopping = asyncio.ensure_future(self._close_all(), loop=self._loop)
            _closing.add(self._stopping)
            self._stopping.add_done_callback(_closing.discard)
        return self._stopping

    def signalling_ended(self) -> None:
        """Its signalling service ended: it stops playing. Its connection closes too, unless it is
        ``connected`` and the peer was made with ``outlive_signalling=True``: then the connection and
        its echo go on (the server is not on the data channel's path) until ``close()``."""
        pc = self.pc
        if not (self.outlive_signalling and pc is not None and pc.connectionState == "connected"):
            self.stop()
            return
        if self._stopping is None and self._phase != "connected-alone":
            self.endpoint.detach(self)
            self._queue.clear()
            for job in self._jobs:
                job.cancel()
            self._phase = "connected-alone"

    # -- what the signalling service asks (peerlab.signalling.loopback.Player) ------------

    def deliver(self, message: Message) -> None:
        """A message for it arrived: handle it after those before it."""
        if self._stopping is not None:
            return
        if self.role == "callee" and message.get("type") == "offer":
            self._failure = None  # a new offer starts a new negotiation: the last one's failure is over
        self._queue.append(message)
        if not self._doing("messages"):
            self._start(self._handle_queue(), "messages")

    def failure(self, kind: str | None = None) -> ScriptedPeerError | None:
        """A new error for the learner's wait for ``kind`` while this peer is failed, else None.

        A callee that starts over and waits for an offer gets none: that wait makes the scripted
        caller offer again.
        """
        if self._failure is None or (self.role == "caller" and kind in ("offer", None)):
            return None
        doing, error = self._failure
        if self.role == "callee":
            advice = (f"Fix your side, then start again from {step('caller', 1).label} (a new "
                      "RTCPeerConnection and a new offer): the scripted callee answers every new offer.")
        else:
            advice = (f"Fix your side, then start again from {step('callee', 1).label}: the scripted caller "
                      f"offers again when your new callee waits for an offer ({step('callee', 2).label}).")
        if isinstance(error, FileLimitError):
            advice = "Then start again from step 1 on your side."
        said = str(error).rstrip()
        said += "" if said.endswith((".", "?", "!")) else "."
        failed = ScriptedPeerError(
            f"The scripted {self.role} failed {doing}: {type(error).__name__}: {said} {advice}",
            role=self.role, error=error)
        failed.__cause__ = error
        return failed

    def status(self, kind: str | None = None) -> str:
        """One sentence: what it is doing now (for the hint of a wait that ran out)."""
        state = self.pc.connectionState if self.pc is not None else "new"
        words = {
            ("callee", "starting"): "is waiting for an offer",
            ("callee", "waiting"): "is waiting for an offer",
            ("callee", "answering"): "is answering the latest offer",
            ("callee", "answered"): f"answered the latest offer; its connection is {state!r}",
            ("caller", "starting"): "is making its offer",
            ("caller", "waiting-far"): "waits for a callee to join the room, and offers to it then",
            ("caller", "offering"): "is making its offer",
            ("caller", "offered"): "sent its offer and is waiting for the answer",
            ("caller", "answered"): f"has the callee's answer; its connection is {state!r}",
            ("callee", "connected-alone"): f"lost its signalling service; its connection is {state!r}",
            ("caller", "connected-alone"): f"lost its signalling service; its connection is {state!r}",
        }.get((self.role, self._phase), "has stopped (it was closed, or its signalling service was)")
        if self._phase == "failed":
            words = "has failed"
        text = f"The scripted {self.role} {words}."
        if kind == "candidate" and not self.send_candidates:
            text += " It was started with send_candidates=False, so it sends no candidates."
        if kind == "offer" and self.role == "caller" and self._phase == "answered":
            text += (" It offers again only to a callee that starts over: re-run step 1 (a new connection) "
                     "and then this step, or call restart() on the scripted caller.")
        return text

    # -- the script ------------------------------------------------------------

    def _start(self, work: Any, kind: str) -> None:
        """Run ``work`` as a short task of this peer (cancelled if it stops)."""
        job = self._loop.create_task(work, name=f"peerlab scripted {self.role}: {kind}")
        self._jobs[job] = kind
        job.add_done_callback(self._job_done)

    def _doing(self, kind: str) -> bool:
        """Whether a job of ``kind`` is still running."""
        return any(doing == kind and not job.done() for job, doing in self._jobs.items())

    def _job_done(self, job: asyncio.Future[Any]) -> None:
        self._jobs.pop(job, None)
        if not job.cancelled() and job.exception() is not None:  # a bug in the script itself
            self._phase = "failed"
            self._fail("while playing", job.exception())  # type: ignore[arg-type]

    async def _first_offer(self) -> None:
        async with self._lock:
            await self._guard("while making its offer", self._offer)

    async def _handle_queue(self) -> None:
        async with self._lock:
            while self._queue:
                await self._handle(self._queue.popleft())

    async def _handle(self, message: Message) -> None:
        kind, data = message["type"], message.get("data")
        if kind == "candidate":
            await self._guard("while adding a candidate you sent", self._on_candidate, data)
        elif kind == "offer" and self.role == "callee":
            await self._guard("while answering your offer", self._on_offer, data)
        elif kind == "answer" and self.role == "caller":
            await self._guard("while applying your answer", self._on_answer, data)
        elif kind in ("offer", "answer"):
            self._fail(f"on the {kind!r} message you sent", StepOrderError(
                f"the {self.role} never receives an {kind}: only the caller offers (caller step 4), "
                "and only the callee answers (callee step 4)"))
        # other (extra) message types are not the scripted peer's business

    async def _guard(self, doing: str, work: Any, *args: Any) -> None:
        """Run one step of the script; a failure is kept and shown to the learner, and the script goes on."""
        try:
            await work(*args)
        except Exception as exc:
            self._fail(doing, exc)

    def _fail(self, doing: str, error: BaseException) -> None:
        self.error = error
        self._failure = (doing, error)
        self._say(f"{self.role}: failed {doing}: {type(error).__name__}: {error}")
        if self._learner is not None:
            self._learner.far_failed()

    def _say(self, line: str) -> None:
        """One line for whoever watches this peer (``report``), if anyone does."""
        if self.report is not None:
            self.report(line)

    async def _close_connection(self) -> None:
        """Close the last negotiation's connection."""
        old, self.pc = self.pc, None
        if old is not None:
            closing = asyncio.ensure_future(old.close())
            self._old.add(closing)
            closing.add_done_callback(self._old.discard)
            await asyncio.gather(closing, return_exceptions=True)

    async def _new_connection(self) -> RTCPeerConnection:
        """Close the last negotiation's connection and make the next one.

        What it sent for the last one and the learner has not read yet (an answer, candidates)
        is withdrawn: read after the new offer or answer, it would send the learner's next steps
        to a closed connection.
        """
        await self._close_connection()
        if self.negotiations and self._learner is not None:
            self._learner.withdraw()
        pc = RTCPeerConnection(self.configuration, name=self.role, replace_same_name=False)
        pc.on("datachannel", self._on_datachannel)
        if self.send_candidates:
            pc.on("icecandidate", functools.partial(self._send_candidate, pc))
        pc.on("connectionstatechange", functools.partial(self._state_changed, pc))
        self.pc = pc
        self.negotiations += 1
        self._failure = None
        self._remote_ufrag = None
        self._end_added = False
        self._after_stale = False  # the last candidate message came from a connection the learner replaced
        return pc

    async def _offer(self) -> None:
        self._phase = "offering"
        pc = await self._new_connection()
        channel = pc.createDataChannel("chat")
        channel.on("message", functools.partial(self._reply, channel))
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        self._say(f"{step('caller', 1).label}-3: a new connection with a data channel 'chat'; "
                  "its offer is the local description")
        self._send({"type": "offer", "data": offer})
        self._say(f"{step('caller', 4).label}: sent the offer")
        self._phase = "offered"

    async def _on_offer(self, offer: Any) -> None:
        ufrag = ice_ufrag(offer.get("sdp") if isinstance(offer, dict) else None)
        pc = self.pc
        if pc is not None and self._failure is None and ufrag is not None and ufrag == self._remote_ufrag:
            # The same connection offered again (its steps 2-4 ran again): a renegotiation.
            if self._learner is not None and self._learner.outstanding("answer"):
                return  # the answer to its last offer is still unread: it answers this one too
            await self._answer(pc, offer)
            return
        self._phase = "answering"
        pc = await self._new_connection()
        self._remote_ufrag = ufrag
        _require_media(offer)
        await pc.setRemoteDescription(offer)
        self._say(f"{step('callee', 1).label}-2: received an offer; a new connection has it as the remote "
                  "description")
        await self._add_early_candidates()  # before answering: ICE checks start at once
        await self._answer(pc, offer)

    async def _answer(self, pc: RTCPeerConnection, offer: Any) -> None:
        if pc.signalingState != "have-remote-offer":
            await pc.setRemoteDescription(offer)
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        self._say(f"{step('callee', 3).label}: created the answer and set it as the local description")
        self._send({"type": "answer", "data": answer},
                   ice_ufrag(offer.get("sdp") if isinstance(offer, dict) else getattr(offer, "sdp", None)))
        self._say(f"{step('callee', 4).label}: sent the answer")
        self._phase = "answered"

    async def _on_answer(self, answer: Any) -> None:
        pc = self.pc
        if pc is None or pc.signalingState != "have-local-offer":
            return  # a repeated or stale answer: the current offer is already answered
        self._remote_ufrag = ice_ufrag(answer.get("sdp") if isinstance(answer, dict) else None)
        await pc.setRemoteDescription(answer)
        self._say(f"{step('caller', 7).label}: received the answer and set it as the remote description")
        self._phase = "answered"
        await self._add_early_candidates()

    async def _on_candidate(self, data: Any) -> None:
        if not self.add_candidates:
            return
        pc = self.pc
        if pc is None or pc.remoteDescription is None:
            self._early.append(data)
            return
        ufrag = candidate_ufrag(data)
        if ufrag is not None and self._remote_ufrag is not None and ufrag != self._remote_ufrag:
            self._after_stale = True
            return  # from a connection the learner replaced
        if data is None and self._after_stale:
            return  # that replaced connection's end-of-candidates (it says no ufrag, but follows its candidates)
        self._after_stale = False
        if self._end_added:
            return  # after end-of-candidates: nothing more to add (and no note for the learner)
        await pc.addIceCandidate(data)
        self._end_added = data is None
        if data is None:
            last = step("caller", 8).label if self.role == "caller" else step("callee", 7).label
            self._say(f"{last}: added the far side's candidates, up to its end-of-candidates")

    async def _add_early_candidates(self) -> None:
        """Add the candidates that came before the remote description, and those queued right behind it."""
        early, self._early = self._early, []
        real_before = False
        for data in early:
            ended = data is None or (isinstance(data, dict) and not data.get("candidate"))
            if ended and not real_before:
                continue  # an end-of-candidates before any candidate, ahead of the description: a replaced
                # connection's last event, sent after the learner started over (its cell ran just before)
            real_before = real_before or not ended
            await self._on_candidate(data)
        while self._queue and self._queue[0]["type"] == "candidate":
            await self._on_candidate(self._queue.popleft().get("data"))

    # -- re-offering to a callee that starts over ----------------------------------

    def _far_joined(self) -> None:
        """A callee joined the room (or joined again): it has no offer of this peer's yet."""
        if self.role == "caller" and self._stopping is None:
            self._start(self._first_offer(), "offer")

    def _far_waits(self, kind: str | None) -> None:
        """The learner's callee started waiting for ``kind``: see (soon) whether it needs a new offer."""
        if kind in ("offer", None):
            self._consider_reoffer()

    def _state_changed(self, pc: RTCPeerConnection, *_: Any) -> None:
        if pc is self.pc and pc.connectionState in ("connected", "failed"):
            self._say(f"{self.role}: connectionState is {pc.connectionState!r}")
        if pc is self.pc and pc.connectionState in ("failed", "closed"):
            self._consider_reoffer()

    def _consider_reoffer(self) -> None:
        if self.role == "caller" and self._stopping is None and not self._doing("re-offer"):
            self._start(self._reoffer(), "re-offer")

    async def _reoffer(self) -> None:
        async with self._lock:  # after whatever the script is doing now
            if self._needs_new_offer():
                await self._guard("while making its offer", self._offer)

    def _needs_new_offer(self) -> bool:
        """The learner's callee waits for an offer, none is on its way, and this connection cannot go on."""
        callee = self._learner
        if callee is None or not callee.waiting_for("offer", None) or callee.outstanding("offer"):
            return False
        if self._failure is not None:
            return True
        pc = self.pc
        return pc is None or pc.remoteDescription is None or pc.connectionState in ("failed", "closed")

    # -- data channel and candidates ---------------------------------------------

    def _send(self, message: Message, offer_ufrag: str | None = None) -> None:
        """Send ``message``; across a network a callee marks its answer and candidates with their offer's
        ICE username fragment (``offer_ufrag``), so that a caller that started over sets them aside."""
        if offer_ufrag is not None and self.role == "callee" and self._learner is None:
            message = {**message, OFFER_UFRAG: offer_ufrag}
        self.endpoint.relay(message)

    def _send_candidate(self, pc: RTCPeerConnection, event: Any) -> None:
        if pc is self.pc:
            remote = pc.remoteDescription
            self._send({"type": "candidate", "data": event.candidate},
                       ice_ufrag(remote.sdp) if remote is not None else None)
            if event.candidate is None:
                self._say(f"{self.role} step 5-6: sent its candidates and end-of-candidates")

    def _on_datachannel(self, event: Any) -> None:
        channel = getattr(event, "channel", event)  # an RTCDataChannelEvent, or the channel itself
        channel.on("message", functools.partial(self._reply, channel))

    def _reply(self, channel: Any, message: Any) -> None:
        self.received.append(message)
        if channel.readyState == "open":
            channel.send(f"echo: {message}")
            echo = f"echo: {message}"
            self._say(f"{self.role}: data channel {channel.label!r}: received {message!r}, sent back {echo!r}")

    # -- ending ----------------------------------------------------------------

    async def _close_all(self) -> None:
        if self._jobs:
            await asyncio.gather(*self._jobs, return_exceptions=True)
        if self.pc is not None:
            await self.pc.close()
        if self._old:
            await asyncio.gather(*self._old, return_exceptions=True)


def _require_media(offer: Any) -> None:
    """Refuse an offer with no m-section: a browser accepts it, but the lesson has nothing to connect."""
    sdp = offer.get("sdp") if isinstance(offer, dict) else getattr(offer, "sdp", None)
    try:
        media = media_sections(sdp) if isinstance(sdp, str) else True
    except Exception:  # malformed: setRemoteDescription() says what is wrong with it
        return
    if not media:
        raise InvalidDescriptionError(
            "setRemoteDescription(): the SDP has no media section (no 'm=' line), so there is nothing to "
            "connect. Did the offering peer create a data channel before createOffer()?")


def _play(role: str, endpoint: PlayableEndpoint, **options: Any) -> ScriptedPeer:
    if not isinstance(endpoint, PlayableEndpoint):
        raise ScriptedPeerError(f"play_{role}() takes a signalling endpoint, e.g. loopback.{role}, "
                                f"not {type(endpoint).__name__}", role=role)
    if not isinstance(endpoint, Endpoint) and endpoint.name != role:
        raise ScriptedPeerError(
            f"play_{role}() plays the {role}'s endpoint, and this one is the {endpoint.name}'s (yours, "
            f"probably). Join the room as the {role} for it: "
            f"peerlab.play_{role}(await peerlab.join(url, room=..., role={role!r}))", role=role)
    place = _played.place()
    replaced = endpoint.player
    peer = ScriptedPeer(role, endpoint, **options)
    for old in {replaced, _played.swap(place, peer)}:
        if old is not None and old is not peer:
            old.stop()  # a re-run cell, or a second peer on one endpoint: close the one it replaces
    return peer


def play_callee(endpoint: PlayableEndpoint, *, configuration: Any = None, add_candidates: bool = True,
                send_candidates: bool = True, report: Callable[[str], Any] | None = None,
                outlive_signalling: bool = False) -> ScriptedPeer:
    """Play the callee's seven steps on ``endpoint`` (usually ``loopback.callee``), in the background.

    It answers every new offer. ``add_candidates=False`` skips its step 7;
    ``send_candidates=False`` its steps 5-6: for the lessons' "what if" section.
    ``outlive_signalling=True`` keeps a connected connection when the signalling service ends.
    """
    return _play("callee", endpoint, configuration=configuration, add_candidates=add_candidates,
                 send_candidates=send_candidates, report=report, outlive_signalling=outlive_signalling)


def play_caller(endpoint: PlayableEndpoint, *, configuration: Any = None, add_candidates: bool = True,
                send_candidates: bool = True, report: Callable[[str], Any] | None = None,
                outlive_signalling: bool = False) -> ScriptedPeer:
    """Play the caller's eight steps on ``endpoint`` (usually ``loopback.caller``), in the background.

    It creates a data channel named ``"chat"`` before its offer and echoes what it receives,
    and offers again when the learner's callee starts over (see the module's notes).
    ``outlive_signalling=True`` keeps a connected connection when the signalling service ends.
    """
    return _play("caller", endpoint, configuration=configuration, add_candidates=add_candidates,
                 send_candidates=send_candidates, report=report, outlive_signalling=outlive_signalling)
