"""A browser-like ``RTCPeerConnection`` built on aiortc's.

aiortc's connection is real WebRTC, but it gathers every ICE candidate inside
``setLocalDescription()`` and writes them into the SDP: it has no
``icecandidate`` event. This class keeps aiortc underneath and behaves as the
browser's (the W3C spec, checked against a port of the web-platform-tests in
``tests/wpt/``):

- trickle ICE (:mod:`peerlab.webrtc.trickle`): ``createOffer``/``createAnswer`` return
  descriptions without candidates; after ``setLocalDescription()`` settles,
  ``icegatheringstatechange``, one ``icecandidate`` event per candidate, then
  ``complete`` and a ``None`` candidate (end-of-candidates);
- ``localDescription`` carries the candidates surfaced so far, and the six
  description attributes follow the spec (:mod:`peerlab.webrtc.descriptions`);
- every listener gets an event object (``event.type``, ``event.target``,
  ``event.candidate``, ``event.channel``), added with ``addEventListener``,
  ``on`` or an attribute such as ``onsignalingstatechange``;
- descriptions and candidates are checked before aiortc sees them, calls are allowed
  in the states the spec allows them (:mod:`peerlab.webrtc.rules`), and errors carry the
  browser's name (``error.name``: ``InvalidStateError``, ``OperationError``, ...) and its
  words, or the teaching layer's, which say which step comes first (:mod:`peerlab.webrtc.wording`);
- data channels are the browser's ``RTCDataChannel`` (:mod:`peerlab.webrtc.datachannel`) over aiortc's;
- media: ``addTrack``, ``removeTrack``, ``addTransceiver`` and the ``track`` event as the browser has
  them, over aiortc's transceivers (:mod:`peerlab.webrtc.transceivers`, :mod:`peerlab.webrtc.rtp`);
- ``negotiationneeded`` when a change needs an offer, with the spec's timing
  (:mod:`peerlab.webrtc.negotiation`); ``getStats()`` in the browser's shape (:mod:`peerlab.webrtc.stats`);
- ``close()`` fires no events and closes every data channel.

Method and event names are the browser's (``createOffer``, ``signalingState``,
``icecandidate``); peerlab's own helpers are snake_case (``wait_for_state``).
As in the browser, every asynchronous method returns a Promise (:mod:`peerlab.webrtc.promise`):
``await pc.createOffer()`` and ``pc.createOffer().then(...)`` both work.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable, Coroutine, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCSessionDescription
from aiortc import RTCPeerConnection as AiortcPeerConnection
from aiortc.exceptions import InvalidAccessError, InvalidStateError

from ..defaults import DEFAULT_WAIT
from ..errors import (
    ChannelIdInUseError,
    ConfigurationError,
    DescriptionModifiedError,
    InvalidDescriptionError,
    LateCandidateNote,
    PeerlabError,
    PeerlabNote,
    StepOrderError,
    note,
)
from . import mdns, rules, wording
from .candidate import RTCIceCandidate, remote_candidate
from .datachannel import RTCDataChannel
from .descriptions import Descriptions
from .events import Event, EventHandler, EventLog
from .internals import ice_remote_candidates, left_out_of_answer
from .negotiation import NegotiationNeeded, negotiation_needed
from .promise import Promise, promising, queue_task, waits_for
from .rtp import MediaStream, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver, RTCTrackEvent
from .sctp import RTCSctpTransport
from .sdp import (
    ice_ufrag,
    media_sections,
    parse_description,
    split_mdns_candidates,
    strip_candidates,
    to_description,
    with_candidates,
)
from .stats import RTCStatsReport, StatsIds, collect_stats, selector_of
from .transceivers import Transceivers
from .trickle import RTCPeerConnectionIceEvent, Trickle
from .waiting import (
    STATE_VALUES,
    STATES,
    PeerConnectionBase,
    candidates_wait,
    state_reached,
    state_wait,
    until,
)

__all__ = ["RTCPeerConnection", "RTCPeerConnectionIceEvent", "RTCDataChannelEvent", "RTCTrackEvent",
           "DEFAULT_WAIT", "STATES", "STATE_VALUES", "open_connections", "connection_of"]


# Named connections still open, so that re-running "step 1" closes the one it replaces.
_open_by_name: dict[str, RTCPeerConnection] = {}


def open_connections() -> Mapping[str, RTCPeerConnection]:
    """The named connections of this process still open, by name: a read-only view that stays current.

    Scripted peers' connections (``replace_same_name=False``) are not in it.
    """
    return MappingProxyType(_open_by_name)

# Every connection of this process not yet collected, named or not (scripted peers' too): connection_of().
_made: weakref.WeakSet[RTCPeerConnection] = weakref.WeakSet()


def connection_of(sdp: Any) -> RTCPeerConnection | None:
    """The open connection of this process whose local description ``sdp`` is (its ``a=ice-ufrag`` says:
    each connection makes its own), or None: how a signalling endpoint finds the connection whose
    offer or answer it carries."""
    ufrag = ice_ufrag(sdp)
    if ufrag is None:
        return None
    for pc in list(_made):
        local = pc._descriptions.local
        if not pc._closed and local is not None and ice_ufrag(local.sdp) == ufrag:
            return pc
    return None

_closing: set[Any] = set()  # close() promises still running
_AIORTC_STATES = ("signalingState", "iceConnectionState", "connectionState")  # gathering is Trickle's


T = TypeVar("T")


def _sentences(*parts: str) -> str:
    """``parts`` joined by spaces, leaving out the empty ones (a wording with nothing to add)."""
    return " ".join(part for part in parts if part)


def operation(method: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., Coroutine[Any, Any, T]]:
    """Run ``method`` on the connection's *operations chain*, as the browser does.

    One operation at a time, in the order they were called: an ``addIceCandidate()``
    called while ``setRemoteDescription()`` is still running waits for it instead of
    failing, so code that does not await between steps behaves as in JavaScript. The
    operation joins the chain at the call, as in the browser (``negotiationneeded`` waits for an
    empty chain).
    """

    @functools.wraps(method)
    def chained(self: RTCPeerConnection, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, T]:
        self._chain_length += 1
        return self._run_chained(method(self, *args, **kwargs))

    return chained


class RTCDataChannelEvent(Event):
    """The browser's ``datachannel`` event: ``event.channel`` is the channel the far side opened."""

    def __init__(self, channel: RTCDataChannel) -> None:
        super().__init__("datachannel")
        self.channel = channel


def to_configuration(configuration: Any) -> RTCConfiguration:
    """Turn ``{"iceServers": [...], "iceTransportPolicy": ..., "bundlePolicy": ...}`` (the browser's shape)
    into aiortc's.

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
    unknown = set(configuration) - {"iceServers", "iceTransportPolicy", "bundlePolicy"}
    if unknown:
        raise ConfigurationError(
            f"unknown configuration keys {sorted(unknown)}: peerlab knows 'iceServers', 'iceTransportPolicy' "
            "and 'bundlePolicy'")
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
    policies = {p.value: p for p in RTCBundlePolicy}
    policy = configuration.get("bundlePolicy", "balanced")
    if policy not in policies:
        raise ConfigurationError(f"'bundlePolicy' is one of {', '.join(map(repr, policies))}, not {policy!r}")
    transports = {p.value: p for p in RTCIceTransportPolicy}
    transport = configuration.get("iceTransportPolicy", "all")
    if transport not in transports:
        raise ConfigurationError(
            f"'iceTransportPolicy' is one of {', '.join(map(repr, transports))}, not {transport!r}")
    return RTCConfiguration(iceServers=result, bundlePolicy=policies[policy], iceTransportPolicy=transports[transport])


class RTCPeerConnection(PeerConnectionBase):
    """One end of a WebRTC connection, with the browser's API on top of aiortc.

    ``configuration`` is ``{"iceServers": [...]}`` or an aiortc ``RTCConfiguration``;
    the default, ``{"iceServers": []}``, gathers host candidates only and works
    offline. ``name`` labels this peer in the event log ("caller", "callee"); a
    new connection with the name of one still open closes that one, so that
    re-running a notebook's step 1 starts over instead of leaking the old peer
    (``replace_same_name=False`` opts out, as peerlab's scripted peers do).
    """

    ontrack = EventHandler()
    onnegotiationneeded = EventHandler()

    def __init__(self, configuration: Any = None, *, name: str | None = None,
                 replace_same_name: bool = True) -> None:
        super().__init__()
        self.name = name or "peer"
        self.events = EventLog()
        self._pc = AiortcPeerConnection(to_configuration(configuration))
        self._states = {state: getattr(self._pc, state) for state in _AIORTC_STATES}
        self._descriptions = Descriptions()
        self._trickle = Trickle(self)
        self._remote_added: list[RTCIceCandidate] = []
        self._remote_ended: set[int] = set()  # the remote media sections that had end-of-candidates
        self._names = mdns.Resolving(self._name_resolved)  # the far side's .local candidates, resolving
        self._end_held = False  # end-of-candidates waits for them before it reaches aiortc
        self.mdns_unresolved: list[str] = []  # the far side's .local names that did not resolve
        self._closed = False
        self._close_task: asyncio.Future[None] | None = None
        self._inflight: set[asyncio.Future[Any]] = set()  # aiortc calls still running: close() waits
        self._operations = asyncio.Lock()  # the spec's operations chain (see `operation`)
        self._chain_length = 0  # operations called and not yet done (the chain's length, for negotiationneeded)
        self._negotiation = NegotiationNeeded(
            fire=self._fire_negotiationneeded, busy=lambda: self._chain_length > 0,
            state=lambda: self.signalingState, needed=self._negotiation_needed)
        self._media = Transceivers(self, self._negotiation, self._chained, self.getStats)
        self._stats_ids = StatsIds()
        self._sctp: RTCSctpTransport | None = None
        self._channels: list[RTCDataChannel] = []  # every data channel, ours and the far side's
        self.datachannels: list[RTCDataChannel] = []  # channels the far side opened (the datachannel event)
        self.events.add(self.name, "call", "RTCPeerConnection", "created")
        for event in ("signalingstatechange", "iceconnectionstatechange", "connectionstatechange"):
            self._pc.on(event, self._on_state_change)
        self._pc.on("datachannel", self._on_datachannel)
        if name is not None and replace_same_name:
            self._replace_previous(name)
        _made.add(self)

    def _replace_previous(self, name: str) -> None:
        """Close the open connection named ``name`` that this one replaces, with a note in the installed words.

        A core feature of named connections rather than a hook of the teaching layer: it must
        happen as the connection is made, it needs the core's own ``close()``, and the core keeps
        the registry of open named connections anyway (:func:`open_connections`, which hints and
        checks read). Only its words come from the wording hook: :meth:`peerlab.webrtc.wording.Wording.replaced`.
        """
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
        note(wording.current().replaced(name), PeerlabNote)

    # -- the browser's read-only attributes ----------------------------------

    @property
    def signalingState(self) -> str:
        return "closed" if self._closed else self._pc.signalingState

    @property
    def iceGatheringState(self) -> str:
        """``new``, ``gathering``, ``complete``: as the events tell it, after ``setLocalDescription()``."""
        return self._trickle.state

    @property
    def iceConnectionState(self) -> str:
        return "closed" if self._closed else self._pc.iceConnectionState

    @property
    def connectionState(self) -> str:
        return "closed" if self._closed else self._pc.connectionState

    @property
    def localDescription(self) -> RTCSessionDescription | None:
        """The pending local description, else the current one, with the candidates gathered so far."""
        return self._local(self._descriptions.local)

    @property
    def currentLocalDescription(self) -> RTCSessionDescription | None:
        return self._local(self._descriptions.current_local)

    @property
    def pendingLocalDescription(self) -> RTCSessionDescription | None:
        return self._local(self._descriptions.pending_local)

    @property
    def remoteDescription(self) -> RTCSessionDescription | None:
        """The pending remote description, else the current one, with the candidates added so far."""
        return self._remote(self._descriptions.remote)

    @property
    def currentRemoteDescription(self) -> RTCSessionDescription | None:
        return self._remote(self._descriptions.current_remote)

    @property
    def pendingRemoteDescription(self) -> RTCSessionDescription | None:
        return self._remote(self._descriptions.pending_remote)

    def _local(self, description: RTCSessionDescription | None) -> RTCSessionDescription | None:
        if description is None:
            return None
        return with_candidates(description, self._trickle.surfaced, self._trickle.complete)

    def _remote(self, description: RTCSessionDescription | None) -> RTCSessionDescription | None:
        if description is None:
            return None
        return with_candidates(description, self._remote_added, self._remote_ended)

    @property
    def descriptions(self) -> Descriptions:
        """The six description slots, as they were set (without the candidates the attributes above add).

        Read-only: a :class:`~peerlab.webrtc.descriptions.Descriptions`, replaced at each step.
        What a step check compares with the descriptions the signalling transcript carried.
        """
        return self._descriptions

    @property
    def added_candidates(self) -> tuple[RTCIceCandidate, ...]:
        """The far side's candidates ``addIceCandidate()`` took since the last remote description, in order."""
        return tuple(self._remote_added)

    @property
    def ended_sections(self) -> frozenset[int]:
        """The remote media sections (by index) that end-of-candidates ended since the last remote description."""
        return frozenset(self._remote_ended)

    @property
    def mdns_resolving(self) -> tuple[str, ...]:
        """The far side's ``.local`` names still being resolved (see :attr:`mdns_unresolved` for those that failed)."""
        return self._names.names

    @property
    def sctp(self) -> RTCSctpTransport | None:
        """The SCTP transport that carries data channels: ``None`` until a description negotiates one."""
        if self._sctp is None and self._pc.sctp is not None:
            applied = (self._descriptions.local, self._descriptions.remote)
            if any(d is not None and "m=application" in d.sdp for d in applied):
                self._sctp = RTCSctpTransport(self, self._pc.sctp, self._media.dtls(self._pc.sctp.transport))
        return self._sctp

    @property
    def canTrickleIceCandidates(self) -> bool | None:
        """Whether the far side takes trickled candidates: ``None`` until a remote description is set."""
        remote = self._descriptions.remote
        if remote is None:
            return None
        return "a=ice-options:trickle" in remote.sdp

    @property
    def aiortc(self) -> AiortcPeerConnection:
        """The aiortc connection underneath, for what peerlab does not wrap."""
        return self._pc

    def remote_candidates(self) -> list[RTCIceCandidate]:
        """The far side's candidates ICE knows: those added, and peer-reflexive ones it discovered.

        A ``prflx`` candidate here was never sent by the far side: ICE learnt its
        address from an incoming connectivity check (RFC 8445 section 7.3.1.3).
        """
        return [RTCIceCandidate.from_aiortc(c) for c in ice_remote_candidates(self._pc)]

    def __repr__(self) -> str:
        return f"<RTCPeerConnection {self.name}: " + ", ".join(
            f"{k}={v!r}" for k, v in self.states().items()) + ">"

    # -- the browser's methods -----------------------------------------------

    @promising
    @operation
    async def createOffer(self, options: Any = None) -> RTCSessionDescription:
        """Create an SDP offer (caller step 2). It carries no candidates."""
        return await self._create_offer()

    async def _create_offer(self) -> RTCSessionDescription:
        self._refuse(rules.create_offer(self.signalingState))
        self._log_call("createOffer")
        offer = strip_candidates(await self._call(self._pc.createOffer(), "createOffer()"))
        if not media_sections(offer.sdp):
            note("this offer has no media section, so nothing can connect: call "
                 "pc.createDataChannel('chat') (or addTrack) before createOffer()", PeerlabNote)
        self._descriptions = self._descriptions.created(offer)
        return offer

    @promising
    @operation
    async def createAnswer(self, options: Any = None) -> RTCSessionDescription:
        """Create an SDP answer to the remote offer (callee step 3). It carries no candidates."""
        return await self._create_answer()

    async def _create_answer(self) -> RTCSessionDescription:
        self._refuse(rules.create_answer(self.signalingState, self._current_local_type()))
        self._log_call("createAnswer")
        answer = strip_candidates(await self._call(self._pc.createAnswer(), "createAnswer()"))
        self._descriptions = self._descriptions.created(answer)
        return answer

    def setLocalDescription(self, description: Any = None) -> Promise[None]:
        """Apply our own offer or answer (caller step 3; the callee's too, after step 3).

        Gathering follows: once this promise has settled, each candidate becomes an
        ``icecandidate`` event. With no argument (or no ``sdp``) it creates the
        offer or answer itself, as the browser does.
        """
        promise = self._set_local_description(description)

        def gather() -> None:  # the first job once it settles: the events are queued after its handlers
            if promise.state == "fulfilled" and self._pc.localDescription is not None:
                self._trickle.gathered(self._pc.localDescription.sdp, self._pc.iceGatheringState == "complete")

        promise.on_settled(gather)
        return promise

    @promising
    @operation
    async def _set_local_description(self, description: Any) -> None:
        self._refuse(rules.require_open("setLocalDescription", self.signalingState))
        call = "setLocalDescription()"
        desc = None if description is None else to_description(description, call)
        if desc is not None:  # with no description, the one that fits: the rules allow it
            self._refuse(rules.set_local_description(desc.type, self.signalingState, self._current_local_type()))
        if desc is None or not desc.sdp:
            kind = "answer" if self.signalingState == "have-remote-offer" else "offer"
            self._log_call("setLocalDescription", f"implicit {kind}")
            last = self._descriptions.last_created(kind)
            if last is not None and kind == "offer" and self.signalingState == "stable":
                last = None  # a new offer, as the browser makes one each time
            if last is None:
                desc = await (self._create_offer() if kind == "offer" else self._create_answer())
            else:
                desc = RTCSessionDescription(sdp=last, type=kind)
        else:
            if not self._descriptions.was_created(desc):
                raise DescriptionModifiedError(
                    f"{call}: this {desc.type} is not the one this connection's "
                    f"create{desc.type.capitalize()}() made last (the SDP differs). Pass the description "
                    f"create{desc.type.capitalize()}() returned, unchanged.")
            self._log_call("setLocalDescription", desc.type)
        if desc.type == "answer":  # a transceiver added after the offer has no section in it, as in a browser
            left = [t for t in self._media.all() if t.mid is None and not t.stopped]
            with left_out_of_answer([t.aiortc for t in left]):
                await self._call(self._pc.setLocalDescription(desc), call)
            for transceiver in left:
                self.events.add(self.name, "note", "setLocalDescription",
                                f"a {transceiver.kind} transceiver added after the offer is not in this answer: "
                                "it waits for the next offer (negotiationneeded)")
        else:
            await self._call(self._pc.setLocalDescription(desc), call)
        self._descriptions = self._descriptions.set_local(desc)
        self._description_applied()

    @promising
    @operation
    async def setRemoteDescription(self, description: Any) -> None:
        """Apply the far side's offer or answer (caller step 7, callee step 2), checked first."""
        self._refuse(rules.require_open("setRemoteDescription", self.signalingState))
        call = "setRemoteDescription()"
        desc = to_description(description, call)
        self._refuse(rules.set_remote_description(desc.type, self.signalingState,
                                                  self._pc.remoteDescription is not None))
        parse_description(desc, call)
        self._log_call("setRemoteDescription", desc.type)
        for_aiortc, names, ended = split_mdns_candidates(desc)  # resolved afterwards, as trickled ones are
        if desc.type == "offer":
            self._media.before_remote_offer(desc.sdp)  # every receiver keeps the track it had from the start
        await self._call(self._pc.setRemoteDescription(for_aiortc), call)
        self._descriptions = self._descriptions.set_remote(desc)
        self._remote_added, self._remote_ended = [], set()
        for candidate in names:
            self._names.start(candidate)
        self._end_held = self._end_held or ended
        self._description_applied()
        for event in self._media.track_events(desc.sdp):  # after signalingstatechange, before the promise settles
            if not self._closed:
                self.events.add(self.name, "event", "track", event.track.kind)
                self.dispatchEvent(event)

    @promising
    @operation
    async def addIceCandidate(self, candidate: Any = None) -> None:
        """Add one of the far side's candidates (caller step 8, callee step 7).

        Takes the dict the far side sent, an ``RTCIceCandidate`` (peerlab's or
        aiortc's), or ``None`` (also ``{}`` or ``""`` as the candidate) for end-of-candidates.
        An end-of-candidates naming ``sdpMid`` or ``sdpMLineIndex`` ends that media section
        only, as in the browser; aiortc hears it once every section has ended.
        """
        self._refuse(rules.require_open("addIceCandidate", self.signalingState))
        remote = self._descriptions.remote
        added = remote_candidate(candidate, None if remote is None else remote.sdp)
        self._refuse(rules.add_ice_candidate(self.signalingState, added is not None))
        assert added is not None
        if added.candidate is not None and added.aiortc is not None:
            if added.index in self._remote_ended:
                note(f"the {self.name} already added end-of-candidates (None), so this candidate is ignored: "
                     "send None only after the last candidate", LateCandidateNote)
                self.events.add(self.name, "note", "addIceCandidate", "ignored after end-of-candidates")
                return
            self._log_call("addIceCandidate", added.candidate.type or "")
            if mdns.is_mdns_name(added.aiortc.ip):
                self._names.start(added.aiortc)  # added once resolved (see _name_resolved)
            else:
                await self._call(self._pc.addIceCandidate(added.aiortc), "addIceCandidate()")
            self._remote_added.append(added.candidate)
            return
        index = added.index
        ended = self._remote_ended | (set(range(added.sections)) if index is None else {index})
        if ended == self._remote_ended:
            return  # end-of-candidates again: nothing more to say
        self._log_call("addIceCandidate", "end-of-candidates" + (
            "" if index is None else f" of media section {index} (mid {added.mid!r})"))
        if len(ended) == added.sections:
            if self._names.pending:  # aiortc ignores candidates after end-of-candidates: it follows them
                self._end_held = True
            else:
                await self._call(self._pc.addIceCandidate(None), "addIceCandidate()")
        self._remote_ended = ended

    async def _name_resolved(self, resolution: mdns.Resolution) -> None:
        """A far side's ``.local`` name resolved, or did not: add its candidate with its address.

        A browser's ``addIceCandidate`` settles at once and resolves the name afterwards
        (:class:`peerlab.webrtc.mdns.Resolving`); this runs on the operations chain, like the call it
        completes. A name that does not resolve is ignored, as a browser ignores it; the event log
        says so, and a wait's hint mentions it if ICE stalls.
        """
        if resolution.error is not None:
            self.events.add(self.name, "error", "mDNS", resolution.error)
        async with self._operations:
            self._names.settle(resolution)  # before end-of-candidates asks whether any is left
            if self._closed:
                return
            if resolution.candidate is None:
                self.mdns_unresolved.append(resolution.name)
                self.events.add(self.name, "note", "mDNS",
                                f"{resolution.name} did not resolve: candidate ignored, as a browser ignores it")
            else:
                self.events.add(self.name, "note", "mDNS", f"{resolution.name} is {resolution.address}")
                await self._call_unawaited(self._pc.addIceCandidate(resolution.candidate))
            if self._end_held and not self._names.pending:
                self._end_held = False
                await self._call_unawaited(self._pc.addIceCandidate(None))

    async def _call_unawaited(self, coro: Any) -> None:
        """An aiortc ``addIceCandidate`` nobody awaits: what it raises goes to the event log."""
        try:
            await self._call(coro, "addIceCandidate()")
        except PeerlabError as exc:
            self.events.add(self.name, "error", "addIceCandidate", str(exc))

    def createDataChannel(self, label: str, **options: Any) -> RTCDataChannel:
        """Create an ``RTCDataChannel`` (the browser's, over aiortc's); create it before ``createOffer()``.

        ``options`` are the browser's: ``ordered``, ``maxPacketLifeTime``, ``maxRetransmits``,
        ``protocol``, ``negotiated``, ``id``.
        """
        self._refuse(rules.require_open("createDataChannel", self.signalingState))
        self._log_call("createDataChannel", label)
        words = wording.current()
        try:
            made = self._pc.createDataChannel(label, **options)
        except ValueError as exc:
            if "already registered" not in str(exc):  # aiortc's words for an id in use
                raise
            raise self._id_in_use(options.get("id"), words) from exc
        channel = RTCDataChannel(made, self, self._listener_failed)
        channel._made_in = words.made_where()
        first = not self._channels
        self._channels.append(channel)
        if first:
            self._negotiation.update()
        return channel

    def _id_in_use(self, channel_id: int | None, words: wording.Wording) -> ChannelIdInUseError:
        """``createDataChannel(id=channel_id)`` found the id taken: the browser's ``OperationError``, in ``words``."""
        existing = next((c for c in reversed(self._channels) if c.id == channel_id and c.readyState != "closed"), None)
        here = words.made_where()
        made_here = existing is not None and here is not None and existing._made_in == here
        return ChannelIdInUseError(words.id_in_use(self, channel_id, existing, made_here), id=channel_id,
                                   existing=existing)

    def addTrack(self, track: Any, *streams: MediaStream) -> RTCRtpSender:
        """Send ``track`` (aiortc's ``MediaStreamTrack``) to the far side, announced in ``streams``; before the offer.

        Reuses a transceiver of the same kind that has no track and never sent, else makes one
        (``sendrecv``), and asks for negotiation (``negotiationneeded``). ``InvalidAccessError``
        (:class:`MediaAccessError`) if the track already has a sender here.
        """
        return self._media.add_track(track, streams)

    def removeTrack(self, sender: RTCRtpSender) -> None:
        """Stop sending ``sender``'s track: its track becomes ``None``, its transceiver stops sending.

        The change takes effect at the next negotiation (``negotiationneeded``); the sender stays in
        ``getSenders()``. ``InvalidAccessError`` for another connection's sender.
        """
        self._media.remove_track(sender)

    def addTransceiver(self, trackOrKind: Any, init: Any = None, *, direction: str | None = None,
                       streams: Any = (), sendEncodings: Any = ()) -> RTCRtpTransceiver:
        """A new transceiver for ``trackOrKind`` (a track, ``"audio"``, ``"video"``): a section in the next offer.

        ``init`` is the browser's dictionary, ``{"direction": "recvonly", "streams": [...]}``; the same
        as keywords works too (``direction="recvonly"``), and a direction alone as aiortc takes it
        (``addTransceiver("video", "recvonly")``). An unknown kind or direction is a ``TypeError``
        (:class:`MediaTypeError`). The same track may be added to several transceivers (aiortc's senders
        then share its frames: give each a copy through aiortc's ``MediaRelay``).
        """
        options = {"direction": init} if isinstance(init, str) else dict(init or {})
        if direction is not None:
            options["direction"] = direction
        return self._media.add_transceiver(trackOrKind, options.get("direction", "sendrecv"),
                                           options.get("streams", streams),
                                           options.get("sendEncodings", sendEncodings))

    def getTransceivers(self) -> list[RTCRtpTransceiver]:
        """Every transceiver, in the order of their media sections."""
        return self._media.all()

    def getSenders(self) -> list[RTCRtpSender]:
        return [t.sender for t in self._media.all()]

    def getReceivers(self) -> list[RTCRtpReceiver]:
        return [t.receiver for t in self._media.all()]

    @promising
    async def getStats(self, selector: Any = None) -> RTCStatsReport:
        """The connection's statistics now: an ``RTCStatsReport``, a mapping from each entry's id to the entry.

        ``selector`` is a track: only the stats of the one sender or receiver that has it (and what they
        lead to); ``InvalidAccessError`` if none or several have it. See :mod:`peerlab.webrtc.stats`.
        """
        return await collect_stats(self, self._stats_ids, selector_of(self, selector), channels=self._channels,
                                   received_bytes=self._media.received_bytes)

    def close(self) -> Promise[None]:
        """Close the connection and every data channel, at once and with no events, as a browser does.

        The far side's media tracks (``track`` events) end too; this side's own tracks, given to
        ``addTrack``, stay live until stopped (``track.stop()``), as in a browser.

        The states read ``closed`` as soon as this returns; the Promise settles once
        aiortc has closed its sockets. Safe to repeat: a second ``close()`` while the
        first is still running waits for it.
        """
        if self._close_task is None:
            # From here on the states read "closed" and no event reaches a listener; every data channel
            # reads "closed" too (closed abruptly, at once, without a close event).
            self._closed = True
            if _open_by_name.get(self.name) is self:
                del _open_by_name[self.name]
            self._log_call("close")
            self._media.closing()
            self._close_task = asyncio.ensure_future(self._close())
        return Promise.resolve(asyncio.shield(self._close_task))

    async def _close(self) -> None:
        await self._names.cancel()
        if self._inflight:  # let a setLocalDescription() still gathering finish, or its sockets would leak
            await asyncio.gather(*self._inflight, return_exceptions=True)
        await self._media.close()
        give_back = self._media.keep_tracks(self._pc.getTransceivers())  # this side's tracks stay live
        try:
            await self._pc.close()
        finally:
            give_back()
        for receiver in self._pc.getReceivers():  # as a browser's close() does: the far side's tracks end
            if receiver.track is not None:
                receiver.track.stop()
        self._on_state_change()  # the log shows the closed states; no listener hears them
        await self._close_listeners()

    # -- peerlab's waits -----------------------------------------------------

    @promising
    @waits_for(state_wait)
    async def wait_for_state(self, state: str = "connected", *, attribute: str = "connectionState",
                             timeout: float = DEFAULT_WAIT) -> None:
        """Wait until ``attribute`` (default ``connectionState``) equals ``state``.

        Raises :class:`WaitTimeout` with a hint naming the likely missing step, or
        :class:`ConnectionFailed` if the connection fails or closes first.
        """
        done = state_reached(self, attribute, state, lambda: wording.current().diagnose(self))
        await until(self, done, timeout, lambda: _sentences(
            f"the {self.name} waited {timeout:g} s for {attribute} {state!r}; it is {getattr(self, attribute)!r}.",
            wording.current().diagnose(self)))

    @promising
    @waits_for(candidates_wait)
    async def wait_for_end_of_candidates(self, *, timeout: float = DEFAULT_WAIT) -> None:
        """Wait until the last ``icecandidate`` event (``candidate`` = None) reached the listeners.

        Also raises anything an ``icecandidate`` listener raised, so a mistake in
        the learner's listener shows up in the cell that waits.
        """
        self._refuse(rules.wait_for_end_of_candidates(
            self.signalingState, self._pc.localDescription is not None,
            bool(self._trickle.held) and not self.listeners("icecandidate")))
        await until(self, lambda: self._trickle.end_dispatched, timeout, lambda: (
            f"the {self.name}'s icecandidate events did not all arrive within {timeout:g} s"))

    # -- internals -----------------------------------------------------------

    def _listener_failed(self, event: str, exc: BaseException) -> None:
        super()._listener_failed(event, exc)
        self.events.add(self.name, "error", event, f"listener raised {exc.__class__.__name__}: {exc}")

    def _on_state_change(self) -> None:
        for state in _AIORTC_STATES:
            value = getattr(self._pc, state)
            if value != self._states[state]:
                self._states[state] = value
                self.events.add(self.name, "state", state, value)
                if not self._closed:
                    self.dispatchEvent(Event(state.lower() + "change"))

    def _on_datachannel(self, aiortc_channel: Any) -> None:
        """The far side opened a channel: ``datachannel`` first, then the channel's ``open``, as in browsers.

        aiortc marks the channel open before it announces it; peerlab fires ``open``
        once the ``datachannel`` listeners had their chance to listen for it.
        """
        channel = RTCDataChannel(aiortc_channel, self, self._listener_failed)
        self._channels.append(channel)
        self.datachannels.append(channel)
        if self._closed:
            return  # its readyState is "closed", as every channel's of a closed connection
        self.events.add(self.name, "event", "datachannel")
        self.dispatchEvent(RTCDataChannelEvent(channel))
        if channel.readyState == "open":
            channel.dispatchEvent(Event("open"))

    async def _run_chained(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run an operation ``coroutine`` once the ones before it are done (see :func:`operation`).

        Its place in the chain is given back in a task of its own, as a browser settles each operation
        in a task: a negotiation-needed check queued before it still finds the chain busy.
        """
        try:
            async with self._operations:
                return await coroutine
        finally:
            queue_task(self._operation_done)

    def _operation_done(self) -> None:
        self._chain_length -= 1
        if self._chain_length == 0:
            self._negotiation.chain_emptied()

    def _chained(self, step: Callable[[], Coroutine[Any, Any, None]]) -> Promise[None]:
        """``step()`` as an operation on the chain (``sender.replaceTrack()``), as a Promise."""
        self._chain_length += 1
        return Promise.resolve(self._run_chained(step()))

    def _description_applied(self) -> None:
        """A description was set: which transceivers negotiated sending; back in ``stable``, look for a new need."""
        self._media.after_description()
        if self.signalingState == "stable":
            self._negotiation.stable_again()

    def _negotiation_needed(self) -> bool:
        local = self._descriptions.current_local
        remote = self._descriptions.current_remote
        return negotiation_needed(channels=bool(self._channels), local=None if local is None else local.sdp,
                                  local_type=None if local is None else local.type,
                                  remote=None if remote is None else remote.sdp, transceivers=self._media.facts())

    def _fire_negotiationneeded(self) -> None:
        self.events.add(self.name, "event", "negotiationneeded")
        self.dispatchEvent(Event("negotiationneeded"))

    def _log_call(self, name: str, value: str = "") -> None:
        self.events.add(self.name, "call", name, value)

    def _refuse(self, refusal: rules.Refusal | None) -> None:
        """Raise what the rules refused, as the browser's ``InvalidStateError``, in the installed words."""
        if refusal is not None:
            raise StepOrderError(wording.current().refused(self, refusal))

    def _current_local_type(self) -> str | None:
        current = self._descriptions.current_local
        return None if current is None else current.type

    async def _call(self, coro: Any, call: str) -> Any:
        """Await an aiortc call; reword its errors, keeping them as the cause."""
        task = asyncio.ensure_future(coro)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        try:
            return await task
        except InvalidStateError as exc:
            raise StepOrderError(f"the {self.name}'s {call} cannot run now (signalingState "
                                 f"{self.signalingState!r}): {exc}") from exc
        except (ValueError, InvalidAccessError) as exc:
            raise InvalidDescriptionError(
                f"the {self.name}'s {call} was refused by aiortc, the library under peerlab "
                f"({type(exc).__name__}: {exc}), for a reason peerlab does not know to check first: "
                f"{self.name}.events lists the calls that led here") from exc

    def _listener_added(self, event: str, listener: Any) -> None:
        if event == "icecandidate":
            self._trickle.listener_added()
