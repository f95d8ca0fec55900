"""A browser-like ``RTCPeerConnection`` built on aiortc's.

aiortc's connection is real WebRTC, but it gathers every ICE candidate inside
``setLocalDescription()`` and writes them into the SDP: it has no
``icecandidate`` event. This class keeps aiortc underneath and adds what the
browser has:

- descriptions without candidates (``createOffer``, ``createAnswer``,
  ``localDescription``); each candidate is an ``icecandidate`` event instead,
  then one event whose ``candidate`` is ``None`` (end-of-candidates);
- candidates gathered before any listener exists are held for the first one
  (a browser would drop them; peerlab says so);
- ``setRemoteDescription`` checks the SDP first, and ``addIceCandidate`` before a
  remote description is refused, as a browser does;
- errors that say which step comes first, and an event log of every state.

Method and event names are the browser's (``createOffer``, ``signalingState``,
``icecandidate``); peerlab's own helpers are snake_case (``wait_for_state``).
As in the browser, every asynchronous method returns a Promise (:mod:`peerlab.promise`):
``await pc.createOffer()`` and ``pc.createOffer().then(...)`` both work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCSessionDescription
from aiortc import RTCPeerConnection as AiortcPeerConnection
from aiortc.exceptions import InvalidAccessError, InvalidStateError
from aiortc.sdp import SessionDescription

from .candidate import RTCIceCandidate
from .errors import (
    ConfigurationError,
    ConnectionFailed,
    HeldCandidatesNote,
    InvalidCandidateError,
    InvalidDescriptionError,
    LateCandidateNote,
    PeerlabError,
    PeerlabNote,
    StepOrderError,
    WaitTimeout,
    note,
)
from .events import EventLog, EventTarget
from .promise import promising
from .sdp import parse_description, strip_candidates, to_description
from .steps import step

__all__ = ["RTCPeerConnection", "RTCPeerConnectionIceEvent", "DEFAULT_WAIT"]

DEFAULT_WAIT = 10.0

# Named connections still open, so that re-running "step 1" closes the one it replaces.
_open_by_name: dict[str, RTCPeerConnection] = {}
_closing: set[Any] = set()  # close() promises still running
_EVENT_DELAY_TURNS = 8  # more than a Promise needs to resume its awaiter (see _emit_soon)
STATES = ("signalingState", "iceGatheringState", "iceConnectionState", "connectionState")
_FORWARDED = ("datachannel", "track")


class RTCPeerConnectionIceEvent:
    """The browser's ``icecandidate`` event: ``event.candidate`` is a candidate or ``None``."""

    type = "icecandidate"

    def __init__(self, candidate: RTCIceCandidate | None) -> None:
        self.candidate = candidate

    def __repr__(self) -> str:
        return f"<RTCPeerConnectionIceEvent candidate={self.candidate!r}>"


def to_configuration(configuration: Any) -> RTCConfiguration:
    """Turn ``{"iceServers": [...]}`` (the browser's shape) into aiortc's ``RTCConfiguration``.

    ``None`` gives ``{"iceServers": []}``: host candidates only, no network needed.
    """
    if configuration is None:
        return RTCConfiguration(iceServers=[])
    if isinstance(configuration, RTCConfiguration):
        return configuration
    if not isinstance(configuration, dict):
        raise ConfigurationError(
            f"the configuration is a dict like {{'iceServers': []}} or an RTCConfiguration, "
            f"not a {type(configuration).__name__}"
        )
    unknown = set(configuration) - {"iceServers", "bundlePolicy"}
    if unknown:
        raise ConfigurationError(f"unknown configuration keys {sorted(unknown)}: peerlab knows 'iceServers'")
    servers = configuration.get("iceServers", [])
    if not isinstance(servers, list):
        raise ConfigurationError("'iceServers' is a list of {'urls': ...} dicts, e.g. []")
    result = []
    for index, server in enumerate(servers):
        if not isinstance(server, dict) or "urls" not in server:
            raise ConfigurationError(f"iceServers[{index}] needs 'urls', e.g. {{'urls': 'stun:stun.example.org'}}")
        try:
            result.append(RTCIceServer(urls=server["urls"], username=server.get("username"),
                                       credential=server.get("credential")))
        except Exception as exc:
            raise ConfigurationError(f"iceServers[{index}] is not usable: {exc}") from exc
    return RTCConfiguration(iceServers=result)


class RTCPeerConnection(EventTarget):
    """One end of a WebRTC connection, with the browser's API on top of aiortc.

    ``configuration`` is ``{"iceServers": [...]}`` or an aiortc ``RTCConfiguration``;
    the default, ``{"iceServers": []}``, gathers host candidates only and works
    offline. ``name`` labels this peer in the event log ("caller", "callee"); a
    new connection with the name of one still open closes that one, so that
    re-running a notebook's step 1 starts over instead of leaking the old peer
    (``replace_same_name=False`` opts out, as peerlab's scripted peers do).
    """

    def __init__(self, configuration: Any = None, *, name: str | None = None,
                 replace_same_name: bool = True) -> None:
        super().__init__()
        self.name = name or "peer"
        self.events = EventLog()
        self._pc = AiortcPeerConnection(to_configuration(configuration))
        self._states = {state: getattr(self._pc, state) for state in STATES}
        self._sent: set[str] = set()
        self._end_sent = False
        self._held: list[RTCPeerConnectionIceEvent] = []
        self._end_dispatched = False
        self._remote_end = False
        self._closed = False
        self.datachannels: list[Any] = []  # channels the far side opened (the datachannel event)
        self.events.add(self.name, "call", "RTCPeerConnection", "created")
        for event in ("signalingstatechange", "icegatheringstatechange",
                      "iceconnectionstatechange", "connectionstatechange"):
            self._pc.on(event, self._on_state_change)
        for event in _FORWARDED:
            self._pc.on(event, self._forward(event))
        if name is not None and replace_same_name:
            self._replace_previous(name)

    def _replace_previous(self, name: str) -> None:
        old = _open_by_name.get(name)
        _open_by_name[name] = self
        if old is None or old._closed:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop: nothing can be awaited; the old one stays the caller's to close
            return
        closing = old.close()
        _closing.add(closing)
        closing.finally_(lambda: _closing.discard(closing))
        note(f"a connection named {name!r} was still open; peerlab closed it, since this new one replaces it "
             "(re-running step 1 starts over).", PeerlabNote)
    # -- the browser's read-only attributes ----------------------------------

    @property
    def signalingState(self) -> str:
        return self._pc.signalingState

    @property
    def iceGatheringState(self) -> str:
        return self._pc.iceGatheringState

    @property
    def iceConnectionState(self) -> str:
        return self._pc.iceConnectionState

    @property
    def connectionState(self) -> str:
        return self._pc.connectionState

    @property
    def localDescription(self) -> RTCSessionDescription | None:
        """The local description, without candidates (they go out as ``icecandidate`` events)."""
        description = self._pc.localDescription
        return strip_candidates(description) if description is not None else None

    @property
    def remoteDescription(self) -> RTCSessionDescription | None:
        """The remote description, with the candidates added so far (as in a browser)."""
        return self._pc.remoteDescription

    @property
    def aiortc(self) -> AiortcPeerConnection:
        """The aiortc connection underneath, for what peerlab does not wrap."""
        return self._pc

    def remote_candidates(self) -> list[RTCIceCandidate]:
        """The far side's candidates ICE knows: those added, and peer-reflexive ones it discovered.

        A ``prflx`` candidate here was never sent by the far side: ICE learnt its
        address from an incoming connectivity check (RFC 8445 section 7.3.1.3).
        """
        transports = {t.sender.transport for t in self._pc.getTransceivers()}
        if self._pc.sctp is not None:
            transports.add(self._pc.sctp.transport)
        return [RTCIceCandidate.from_aiortc(c) for dtls in transports for c in dtls.transport.getRemoteCandidates()]

    def states(self) -> dict[str, str]:
        """The four states at once: what a learner checks after each step."""
        return {state: getattr(self, state) for state in STATES}

    def __repr__(self) -> str:
        return f"<RTCPeerConnection {self.name}: " + ", ".join(
            f"{k}={v!r}" for k, v in self.states().items()) + ">"

    # -- the browser's methods -----------------------------------------------

    @promising
    async def createOffer(self) -> RTCSessionDescription:
        """Create an SDP offer (caller step 2). It carries no candidates."""
        self._check_open("createOffer()")
        if self.signalingState == "have-remote-offer":
            raise StepOrderError(
                f"the {self.name} has received an offer, so it answers instead: "
                f"createAnswer() ({step('callee', 3).label}), not createOffer()"
            )
        self._log_call("createOffer")
        offer = await self._call(self._pc.createOffer(), "createOffer()")
        if not SessionDescription.parse(offer.sdp).media:
            note("this offer has no media section, so nothing can connect: call "
                 "pc.createDataChannel('chat') (or addTrack) before createOffer()", PeerlabNote)
        return strip_candidates(offer)

    @promising
    async def createAnswer(self) -> RTCSessionDescription:
        """Create an SDP answer to the remote offer (callee step 3). It carries no candidates."""
        self._check_open("createAnswer()")
        if self.signalingState != "have-remote-offer":
            raise StepOrderError(
                f"createAnswer() needs a remote offer first, and the {self.name} has none "
                f"(signalingState is {self.signalingState!r}). {step('callee', 2).label} comes first: "
                "setRemoteDescription(offer) with the offer received from the signalling service."
            )
        self._log_call("createAnswer")
        answer = await self._call(self._pc.createAnswer(), "createAnswer()")
        return strip_candidates(answer)

    @promising
    async def setLocalDescription(self, description: Any = None) -> None:
        """Apply our own offer or answer (caller step 3; the callee's too, after step 3).

        Gathering happens here; each candidate then becomes an ``icecandidate`` event.
        With no argument it creates the offer or answer itself, as the browser does.
        """
        self._check_open("setLocalDescription()")
        call = "setLocalDescription()"
        desc = None if description is None else to_description(description, call)
        if desc is not None:
            self._check_local_order(desc.type)
        self._log_call("setLocalDescription", desc.type if desc else "implicit")
        await self._call(self._pc.setLocalDescription(desc), call)
        self._queue_candidates()

    @promising
    async def setRemoteDescription(self, description: Any) -> None:
        """Apply the far side's offer or answer (caller step 7, callee step 2), checked first."""
        self._check_open("setRemoteDescription()")
        call = "setRemoteDescription()"
        desc = to_description(description, call)
        self._check_remote_order(desc.type)
        parse_description(desc, call)
        self._log_call("setRemoteDescription", desc.type)
        await self._call(self._pc.setRemoteDescription(desc), call)

    @promising
    async def addIceCandidate(self, candidate: Any = None) -> None:
        """Add one of the far side's candidates (caller step 8, callee step 7).

        Takes the dict the far side sent, an ``RTCIceCandidate`` (peerlab's or
        aiortc's), or ``None`` for end-of-candidates.
        """
        self._check_open("addIceCandidate()")
        parsed = RTCIceCandidate.from_json(candidate)
        if self._pc.remoteDescription is None:
            mine = "caller step 7" if self.signalingState == "have-local-offer" else "callee step 2"
            raise StepOrderError(
                f"addIceCandidate() needs the remote description first, and the {self.name} has none. "
                f"{mine} comes first: setRemoteDescription() with the description the other peer sent. "
                "(A browser raises InvalidStateError here; aiortc alone would accept it silently.)"
            )
        if self._remote_end:
            note(f"the {self.name} already added end-of-candidates (None), so this candidate is ignored: "
                 "send None only after the last candidate", LateCandidateNote)
            self.events.add(self.name, "note", "addIceCandidate", "ignored after end-of-candidates")
            return
        if parsed is not None:
            self._check_candidate_media(parsed)
        self._log_call("addIceCandidate", "end-of-candidates" if parsed is None else parsed.type)
        await self._call(self._pc.addIceCandidate(None if parsed is None else parsed.to_aiortc()),
                         "addIceCandidate()")
        if parsed is None:
            self._remote_end = True

    def createDataChannel(self, label: str, **options: Any) -> Any:
        """Create an ``RTCDataChannel`` (aiortc's); create it before ``createOffer()``."""
        self._check_open("createDataChannel()")
        self._log_call("createDataChannel", label)
        return self._pc.createDataChannel(label, **options)

    def addTrack(self, track: Any) -> Any:
        """aiortc's ``addTrack``, unchanged."""
        return self._pc.addTrack(track)

    def addTransceiver(self, trackOrKind: Any, direction: str = "sendrecv") -> Any:
        """aiortc's ``addTransceiver``, unchanged."""
        return self._pc.addTransceiver(trackOrKind, direction)

    @promising
    async def getStats(self) -> Any:
        """aiortc's ``getStats``, unchanged."""
        return await self._pc.getStats()

    @promising
    async def close(self) -> None:
        """Close the connection, its sockets, and any listener still running. Safe to repeat."""
        if self._closed:
            return
        self._closed = True
        if _open_by_name.get(self.name) is self:
            del _open_by_name[self.name]
        self._log_call("close")
        await self._pc.close()
        await self._close_listeners()

    async def __aenter__(self) -> RTCPeerConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- peerlab's waits -----------------------------------------------------

    @promising
    async def wait_for_state(self, state: str = "connected", *, attribute: str = "connectionState",
                             timeout: float = DEFAULT_WAIT) -> None:
        """Wait until ``attribute`` (default ``connectionState``) equals ``state``.

        Raises :class:`WaitTimeout` with a hint naming the likely missing step, or
        :class:`ConnectionFailed` if the connection fails or closes first.
        """
        if attribute not in STATES:
            raise ValueError(f"attribute is one of {', '.join(STATES)}, not {attribute!r}")

        def done() -> bool:
            if getattr(self, attribute) == state:
                return True
            if state not in ("failed", "closed") and self.connectionState in ("failed", "closed"):
                raise ConnectionFailed(
                    f"the {self.name}'s connection is {self.connectionState!r}, so it will never be {state!r}. "
                    + self._diagnose())
            return False

        await self._until(done, timeout, lambda: (
            f"the {self.name} waited {timeout:g} s for {attribute} {state!r}; it is "
            f"{getattr(self, attribute)!r}. " + self._diagnose()))

    @promising
    async def wait_for_end_of_candidates(self, *, timeout: float = DEFAULT_WAIT) -> None:
        """Wait until the last ``icecandidate`` event (``candidate`` = None) reached the listeners.

        Also raises anything an ``icecandidate`` listener raised, so a mistake in
        the learner's listener shows up in the cell that waits.
        """
        if self._pc.localDescription is None:
            raise StepOrderError(
                f"the {self.name} gathers candidates in setLocalDescription(), which has not run yet "
                f"({step(self._side(), 3).label if self._side() == 'caller' else 'after callee step 3'})")
        if self._held and not self.listeners("icecandidate"):
            raise StepOrderError(
                f"no icecandidate listener is registered on the {self.name}, so no candidate is sent: "
                f"{step(self._side(), 5).label} comes first: "
                "pc.addEventListener('icecandidate', listener)")
        await self._until(lambda: self._end_dispatched, timeout, lambda: (
            f"the {self.name}'s icecandidate events did not all arrive within {timeout:g} s"))

    # -- internals -----------------------------------------------------------

    def _side(self) -> str:
        description = self._pc.localDescription
        if description is not None:
            return "caller" if description.type == "offer" else "callee"
        return "callee" if self._pc.remoteDescription is not None else "caller"

    def _diagnose(self) -> str:
        """A hint naming the step most likely missing, from the connection's state."""
        side = self._side()
        local = self._pc.localDescription
        if local is not None and "a=candidate:" not in local.sdp and self.iceGatheringState == "complete":
            return ("This peer gathered no ICE candidates: the machine has no network address ICE can use "
                    "(aioice never uses 127.0.0.1). Turn wifi on or plug in a cable; no internet is needed.")
        if self._pc.localDescription is None:
            if side == "caller":
                return f"It has no local description yet: {step(side, 3).label} setLocalDescription(offer) is next."
            return ("It has no local description yet: after callee step 3 (createAnswer), "
                    "setLocalDescription(answer) is next.")
        if self._pc.remoteDescription is None:
            return (f"It has no remote description yet: {step(side, 7 if side == 'caller' else 2).label} "
                    "sets the description the other peer sent.")
        if self.iceConnectionState in ("new", "checking"):
            if not self.remote_candidates() and not self._remote_end:
                other = "callee" if side == "caller" else "caller"
                return (f"The {other} has given this peer no candidate, and none of its checks arrived either. "
                        f"Has the {other} set its local description (which gathers its candidates) and registered "
                        "its icecandidate listener? And has each side added the other's candidates "
                        "(caller step 8, callee step 7)? If neither does, no check can ever succeed.")
            return ("ICE found no working pair of candidates yet. Has each peer sent its candidates (step 6) "
                    "and has the other added them (caller step 8, callee step 7)? If neither side adds the "
                    "other's candidates, no check can ever succeed.")
        if self.iceConnectionState == "failed":
            return ("ICE tried every pair of candidates and none worked: was end-of-candidates (None) "
                    "added before any real candidate arrived?")
        return f"ICE is {self.iceConnectionState!r}; DTLS and SCTP are still setting up."

    async def _until(self, predicate: Callable[[], bool], timeout: float,
                     message: Callable[[], str]) -> None:
        self._raise_listener_error()
        if predicate():
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def check(_: Any = None) -> None:
            if future.done():
                return
            try:
                if predicate():
                    future.set_result(None)
            except Exception as exc:
                future.set_exception(exc)

        stop = self.events.watch(check)
        timer = loop.call_later(timeout, lambda: future.done() or future.set_exception(WaitTimeout(message())))
        try:
            await future
        finally:
            timer.cancel()
            stop()
        self._raise_listener_error()

    def _raise_listener_error(self) -> None:
        if self.listener_errors:
            event, exc = self.listener_errors.pop(0)
            raise PeerlabError(
                f"your {event!r} listener on the {self.name} raised {type(exc).__name__}: {exc}") from exc

    def _listener_failed(self, event: str, exc: BaseException) -> None:
        super()._listener_failed(event, exc)
        self.events.add(self.name, "error", event, f"listener raised {exc.__class__.__name__}: {exc}")

    def _on_state_change(self) -> None:
        for state in STATES:
            value = getattr(self._pc, state)
            if value != self._states[state]:
                self._states[state] = value
                self.events.add(self.name, "state", state, value)
                self.dispatch(state.lower() + "change")

    def _forward(self, event: str) -> Callable[..., None]:
        def forward(*args: Any) -> None:
            if event == "datachannel":
                self.datachannels.append(args[0])
            self.events.add(self.name, "event", event)
            self.dispatch(event, *args)
        return forward

    def _log_call(self, name: str, value: str = "") -> None:
        self.events.add(self.name, "call", name, value)

    def _check_open(self, call: str) -> None:
        if self._closed or self._pc.connectionState == "closed":
            raise StepOrderError(
                f"{call}: the {self.name}'s connection is closed. Start again from step 1 with a new "
                "RTCPeerConnection().")

    async def _call(self, coro: Any, call: str) -> Any:
        """Await an aiortc call; reword its errors, keeping them as the cause."""
        try:
            return await coro
        except InvalidStateError as exc:
            raise StepOrderError(f"{call} cannot run now (signalingState {self.signalingState!r}): {exc}") from exc
        except (ValueError, InvalidAccessError) as exc:
            raise InvalidDescriptionError(f"{call} was refused: {exc}") from exc

    def _check_local_order(self, kind: str) -> None:
        state = self.signalingState
        if kind == "offer" and state == "have-remote-offer":
            raise StepOrderError(
                f"the {self.name} has a remote offer, so its local description must be an answer: "
                f"{step('callee', 3).label} createAnswer(), then setLocalDescription(answer)")
        if kind == "answer" and state != "have-remote-offer":
            raise StepOrderError(
                f"setLocalDescription(answer) needs the remote offer first (signalingState is {state!r}): "
                f"{step('callee', 2).label} setRemoteDescription(offer) comes first")

    def _check_remote_order(self, kind: str) -> None:
        state = self.signalingState
        if kind == "offer" and state == "have-local-offer":
            raise StepOrderError(
                f"the {self.name} made an offer itself, so it expects an answer, not an offer. "
                "Only one peer (the caller) makes the offer; the callee answers it.")
        if kind == "answer" and state != "have-local-offer":
            if state == "stable" and self._pc.remoteDescription is not None:
                raise StepOrderError(
                    f"the {self.name} already has an answer and is negotiated (signalingState 'stable'); "
                    "this second answer was not applied. Receive the answer once, in "
                    f"{step('caller', 7).label}.")
            raise StepOrderError(
                f"an answer only fits after this peer's own offer, and the {self.name} has none "
                f"(signalingState is {state!r}): {step('caller', 3).label} setLocalDescription(offer) comes first")

    def _check_candidate_media(self, candidate: RTCIceCandidate) -> None:
        media = SessionDescription.parse(self._pc.remoteDescription.sdp).media
        mids = [m.rtp.muxId for m in media]
        if candidate.sdpMid is not None and candidate.sdpMid not in mids:
            raise InvalidCandidateError(
                f"the candidate is for sdpMid {candidate.sdpMid!r}, but the remote description has "
                f"{', '.join(map(repr, mids))}: pass the candidate exactly as the other peer sent it")
        if candidate.sdpMid is None and not 0 <= (candidate.sdpMLineIndex or 0) < len(media):
            raise InvalidCandidateError(
                f"the candidate's sdpMLineIndex {candidate.sdpMLineIndex} is not one of the remote "
                f"description's {len(media)} media sections")

    def _queue_candidates(self) -> None:
        """Turn the candidates aiortc put in the SDP into ``icecandidate`` events, one per loop turn."""
        parsed = SessionDescription.parse(self._pc.localDescription.sdp)
        bundled: set[str] = set()
        for group in parsed.group:
            if group.semantic == "BUNDLE":
                bundled.update(str(mid) for mid in group.items[1:])
        loop = asyncio.get_running_loop()
        for index, media in enumerate(parsed.media):
            if media.rtp.muxId in bundled:
                continue
            for c in media.ice_candidates:
                c.sdpMid, c.sdpMLineIndex = media.rtp.muxId, index
                candidate = RTCIceCandidate.from_aiortc(c)
                if candidate.candidate not in self._sent:
                    self._sent.add(candidate.candidate)
                    self._emit_soon(loop, RTCPeerConnectionIceEvent(candidate))
        if not self._end_sent and self._pc.iceGatheringState == "complete":
            self._end_sent = True
            self._emit_soon(loop, RTCPeerConnectionIceEvent(None))

    def _emit_soon(self, loop: asyncio.AbstractEventLoop, event: RTCPeerConnectionIceEvent,
                   turns: int = _EVENT_DELAY_TURNS) -> None:
        """Fire ``event`` a few loop turns from now.

        A browser fires icecandidate events as tasks, after the promise of
        setLocalDescription() has resumed its awaiting code; the turns here let
        that Promise reach its awaiter first, so code right after the ``await``
        still registers its listener in time. Events keep their order.
        """
        if turns:
            loop.call_soon(self._emit_soon, loop, event, turns - 1)
        else:
            self._emit_candidate(event)

    def _emit_candidate(self, event: RTCPeerConnectionIceEvent) -> None:
        if self._closed:
            return
        if not self.listeners("icecandidate"):
            self._held.append(event)
            self.events.add(self.name, "note", "icecandidate", "held: no listener yet")
            return
        self.events.add(self.name, "event", "icecandidate",
                        "end-of-candidates" if event.candidate is None else event.candidate.type)
        self.dispatch("icecandidate", event)
        if event.candidate is None:
            self._end_dispatched = True
            self.events.add(self.name, "note", "end-of-candidates dispatched")

    def _listener_added(self, event: str, listener: Any) -> None:
        if event != "icecandidate" or not self._held:
            return
        held, self._held = self._held, []
        count = sum(1 for e in held if e.candidate is not None)
        end = " and the end-of-candidates event" if any(e.candidate is None for e in held) else ""
        note(f"{count} ICE candidate(s){end} were gathered before this listener existed. peerlab held "
             "them and delivers them now; a browser would have dropped them. Real code registers the "
             "icecandidate listener before it calls setLocalDescription(), although the guide lists that "
             "as step 5, after step 3.", HeldCandidatesNote)
        loop = asyncio.get_running_loop()
        for event in held:
            loop.call_soon(self._emit_candidate, event)
