"""A connection's transceivers, the browser's way: ``addTrack``, ``removeTrack``, ``addTransceiver``, the track event.

aiortc keeps the transceivers and carries their media; this module keeps one
:class:`~peerlab.webrtc.rtp.RTCRtpTransceiver` view of each, and does what the browser does that
aiortc does not (W3C webrtc-pc section 5.1):

- ``addTrack(track, *streams)`` reuses a transceiver of the same kind whose sender has no track and
  has never sent, else makes a new one; a track that already has a sender is an ``InvalidAccessError``;
- ``addTransceiver(track)`` twice makes two transceivers (aiortc refuses the second), and a kind or
  direction the browser does not know is a ``TypeError``;
- ``removeTrack(sender)``: the sender sends nothing, and ``sendrecv`` becomes ``recvonly``,
  ``sendonly`` ``inactive``;
- every receiver has its track from the start; before aiortc applies a remote offer, each media
  section that no transceiver will take gets a ``recvonly`` one here (as aiortc would make it), so
  that its receiver has that track too. After a remote description, a ``track`` event for each
  transceiver the far side now sends on, with the streams its ``a=msid`` lines name;
- each change that needs negotiating asks for it (:mod:`peerlab.webrtc.negotiation`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from aiortc import RTCDtlsTransport as AiortcDtlsTransport
from aiortc import RTCRtpTransceiver as AiortcTransceiver
from aiortc.mediastreams import MediaStreamTrack

from ..errors import MediaAccessError, MediaTypeError, StepOrderError
from . import rules, wording
from .internals import count_received_bytes, set_receiver_track, set_stream_ids
from .negotiation import NegotiationNeeded, TransceiverFacts
from .promise import Promise
from .rtp import (
    MediaStream,
    RemoteTrack,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCTrackEvent,
    check_direction,
    check_kind,
    reverse,
)
from .sdp import media_sections
from .transports import RTCDtlsTransport

if TYPE_CHECKING:
    from .connection import RTCPeerConnection

__all__ = ["Transceivers"]

_RID_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _check_send_encodings(encodings: Any) -> list[dict[str, Any]]:
    """``sendEncodings`` as the browser checks them: each ``rid`` alphanumeric, 16 characters at most."""
    checked = []
    for encoding in encodings or ():
        if not isinstance(encoding, dict):
            raise MediaTypeError(f"sendEncodings holds dicts like {{'rid': 'hi'}}, not {encoding!r}")
        rid = encoding.get("rid")
        if rid is not None and (not isinstance(rid, str) or not rid or len(rid) > 16
                                or not set(rid) <= _RID_CHARACTERS):
            raise MediaTypeError(f"Failed to execute 'addTransceiver': Invalid rid value {rid!r}: a rid is 1 to "
                                 "16 letters and digits.")
        checked.append(dict(encoding))
    return checked


class Transceivers:
    """The transceivers of ``pc`` (aiortc's ``aiortc_pc``), their views and their track events."""

    def __init__(self, pc: RTCPeerConnection, negotiation: NegotiationNeeded,
                 chain: Callable[[Callable[[], Coroutine[Any, Any, None]]], Promise[None]],
                 get_stats: Callable[[Any], Promise[Any]]) -> None:
        self._pc = pc
        self._negotiation = negotiation
        self._chain = chain
        self._get_stats = get_stats
        self._views: dict[AiortcTransceiver, RTCRtpTransceiver] = {}
        self._transports: dict[AiortcDtlsTransport, RTCDtlsTransport] = {}
        self._remote_streams: dict[str, MediaStream] = {}
        self._stopping: set[asyncio.Future[None]] = set()  # aiortc's transceiver.stop(), still running
        self.received_bytes: dict[RTCRtpReceiver, int] = {}

    def _refuse(self, refusal: rules.Refusal | None) -> None:
        """Raise what the rules refused, as the browser's ``InvalidStateError``, in the installed words."""
        if refusal is not None:
            raise StepOrderError(wording.current().refused(self._pc, refusal))

    def _log(self, call: str, value: str = "") -> None:
        self._pc.events.add(self._pc.name, "call", call, value)

    # -- the views ---------------------------------------------------------------------------------

    def all(self) -> list[RTCRtpTransceiver]:
        """Every transceiver, in the order aiortc made them (and the media sections list them)."""
        return [self._view(t) for t in self._pc.aiortc.getTransceivers()]

    def _view(self, transceiver: AiortcTransceiver) -> RTCRtpTransceiver:
        view = self._views.get(transceiver)
        if view is None:
            if not isinstance(transceiver.receiver.track, RemoteTrack) and transceiver.receiver.track is None:
                self._give_track(transceiver)
            view = self._views[transceiver] = RTCRtpTransceiver(transceiver, self)
            receiver = view.receiver
            self.received_bytes[receiver] = 0

            def counted(size: int, receiver: RTCRtpReceiver = receiver) -> None:
                self.received_bytes[receiver] += size

            count_received_bytes(transceiver.receiver, counted)
        return view

    def _give_track(self, transceiver: AiortcTransceiver) -> None:
        track = RemoteTrack(transceiver.kind)
        track._receiver = transceiver.receiver
        track.receiving = self._pc.name
        set_receiver_track(transceiver.receiver, track)

    def dtls(self, transport: AiortcDtlsTransport) -> RTCDtlsTransport:
        """The browser's view of aiortc's DTLS transport (one per transport)."""
        view = self._transports.get(transport)
        if view is None:
            view = self._transports[transport] = RTCDtlsTransport(transport, self._pc)
        return view

    def of_sender(self, sender: Any) -> RTCRtpTransceiver | None:
        return next((t for t in self.all() if t.sender is sender), None)

    def of_receiver(self, receiver: Any) -> RTCRtpTransceiver | None:
        return next((t for t in self.all() if t.receiver is receiver), None)

    def facts(self) -> list[TransceiverFacts]:
        """What the negotiation-needed check reads of each transceiver (the streams aiortc can announce: one)."""
        return [TransceiverFacts(t.mid, str(t.aiortc.direction), t.stopped, tuple(t.sender._stream_ids[:1]))
                for t in self.all()]

    # -- the browser's calls -----------------------------------------------------------------------

    def add_track(self, track: Any, streams: Iterable[MediaStream]) -> RTCRtpSender:
        """``pc.addTrack(track, ...streams)``."""
        self._refuse(rules.require_open("addTrack", self._pc.signalingState))
        if not isinstance(track, MediaStreamTrack):
            raise MediaTypeError(f"Failed to execute 'addTrack': addTrack() takes a MediaStreamTrack (aiortc's, such "
                                 f"as peerlab.media.PatternTrack()), not a {type(track).__name__}")
        kind = check_kind(track.kind, "addTrack")
        if any(t.sender.track is track for t in self.all()):
            raise MediaAccessError("Failed to execute 'addTrack' on 'RTCPeerConnection': A sender already exists "
                                   "for the track.")
        reusable = next((t for t in self.all() if t.kind == kind and t.sender.track is None and not t.stopped
                         and not t._has_sent), None)
        if reusable is None:
            transceiver = self._create(kind, "sendrecv", track)
        else:
            transceiver = reusable
            transceiver.aiortc.sender.replaceTrack(track)
            transceiver.aiortc.direction = {"recvonly": "sendrecv", "inactive": "sendonly"}.get(
                transceiver.aiortc.direction, transceiver.aiortc.direction)
        self._streams(transceiver.sender, streams)
        self._log("addTrack", kind)
        self._negotiation.update()
        return transceiver.sender

    def add_transceiver(self, track_or_kind: Any, direction: Any, streams: Iterable[MediaStream],
                        send_encodings: Any) -> RTCRtpTransceiver:
        """``pc.addTransceiver(trackOrKind, {direction, streams, sendEncodings})``."""
        self._refuse(rules.require_open("addTransceiver", self._pc.signalingState))
        if isinstance(track_or_kind, MediaStreamTrack):
            track: Any = track_or_kind
            kind = check_kind(track.kind, "addTransceiver")
        else:
            track, kind = None, check_kind(track_or_kind, "addTransceiver")
        direction = check_direction(direction, "addTransceiver")
        encodings = _check_send_encodings(send_encodings)
        transceiver = self._create(kind, direction, track)
        transceiver._send_encodings = encodings  # aiortc sends one encoding, whatever they ask for
        self._streams(transceiver.sender, streams)
        self._log("addTransceiver", f"{kind} {direction}")
        self._negotiation.update()
        return transceiver

    def _create(self, kind: str, direction: str, track: Any) -> RTCRtpTransceiver:
        """A new transceiver: aiortc's ``addTransceiver(kind)``, then the track (aiortc refuses one already sent)."""
        made = self._pc.aiortc.addTransceiver(kind, direction)
        self._give_track(made)
        if track is not None:
            made.sender.replaceTrack(track)
        return self._view(made)

    def _streams(self, sender: RTCRtpSender, streams: Iterable[MediaStream]) -> None:
        ids = [stream.id if isinstance(stream, MediaStream) else str(stream) for stream in streams]
        sender._stream_ids = ids
        set_stream_ids(sender.aiortc, ids)

    def set_streams(self, sender: RTCRtpSender, streams: Iterable[MediaStream]) -> None:
        """``sender.setStreams(...streams)``."""
        self._refuse(rules.require_open("setStreams", self._pc.signalingState))
        self._streams(sender, streams)
        self._negotiation.update()

    def remove_track(self, sender: Any) -> None:
        """``pc.removeTrack(sender)``."""
        self._refuse(rules.require_open("removeTrack", self._pc.signalingState))
        transceiver = self.of_sender(sender)
        if transceiver is None:
            raise MediaAccessError("Failed to execute 'removeTrack' on 'RTCPeerConnection': The sender was not "
                                   "created by this peer connection.")
        if transceiver.stopped or sender.track is None:
            return
        self._log("removeTrack", transceiver.kind)
        transceiver.aiortc.sender.replaceTrack(None)
        transceiver.aiortc.direction = {"sendrecv": "recvonly", "sendonly": "inactive"}.get(
            transceiver.aiortc.direction, transceiver.aiortc.direction)
        self._negotiation.update()

    def replace_track(self, sender: RTCRtpSender, track: Any) -> Promise[None]:
        """``sender.replaceTrack(withTrack)``: checked at once, the track set on the operations chain."""
        transceiver = self.of_sender(sender)

        def refused() -> BaseException | None:
            try:
                self._refuse(rules.require_live_transceiver(
                    "replaceTrack", self._pc.signalingState, transceiver is None or transceiver.stopped))
            except Exception as exc:
                return exc
            return None

        error = refused()
        if error is None and track is not None:
            if not isinstance(track, MediaStreamTrack) or track.kind != sender.aiortc.kind:
                error = MediaTypeError(
                    f"Failed to execute 'replaceTrack' on 'RTCRtpSender': this sender sends {sender.aiortc.kind}, "
                    f"so it takes a {sender.aiortc.kind} track, not {track!r}")
        if error is not None:
            return Promise.reject(error)

        async def replace() -> None:
            late = refused()
            if late is not None:
                raise late
            sender.aiortc.replaceTrack(track)

        return self._chain(replace)

    def set_direction(self, transceiver: RTCRtpTransceiver, direction: str) -> None:
        """``transceiver.direction = direction`` (already checked)."""
        self._refuse(rules.require_live_transceiver("direction", self._pc.signalingState, transceiver.stopped))
        if direction == transceiver.aiortc.direction:
            return
        transceiver.aiortc.direction = direction
        self._negotiation.update()

    def stop(self, transceiver: RTCRtpTransceiver) -> None:
        """``transceiver.stop()``: at once for the learner; aiortc's own stop runs as a task the close waits for."""
        self._refuse(rules.require_open("stop", self._pc.signalingState))
        if transceiver.stopped:
            return
        transceiver._stopping = True
        transceiver.aiortc.direction = "inactive"  # what aiortc writes for it from now on
        track = transceiver.receiver.track
        if isinstance(track, RemoteTrack) and track.ended_by is None:
            track.ended_by = f"the {self._pc.name} stopped its transceiver"
        task = asyncio.ensure_future(self._stop_keeping_track(transceiver.aiortc))
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)
        self._negotiation.update()

    async def _stop_keeping_track(self, transceiver: AiortcTransceiver) -> None:
        """aiortc's ``transceiver.stop()``, leaving the sender's track live for its owner to stop, as a browser does."""
        give_back = self.keep_tracks([transceiver])
        try:
            await transceiver.stop()
        finally:
            give_back()

    @staticmethod
    def keep_tracks(transceivers: Iterable[AiortcTransceiver]) -> Callable[[], None]:
        """Take the tracks off these senders so that aiortc, stopping them, does not stop the tracks too.

        aiortc's sender stops its track when it stops sending; a browser's leaves it live (a camera
        stays on until ``track.stop()``). Returns what gives each sender its track back, so that
        ``sender.track`` still names it afterwards, as in a browser.
        """
        kept = [(t.sender, t.sender.track) for t in transceivers if t.sender.track is not None]
        for sender, _ in kept:
            sender.replaceTrack(None)

        def give_back() -> None:
            for sender, track in kept:
                sender.replaceTrack(track)

        return give_back

    def stats(self, selector: RTCRtpSender | RTCRtpReceiver) -> Promise[Any]:
        return self._get_stats(selector)

    # -- descriptions ------------------------------------------------------------------------------

    def before_remote_offer(self, sdp: str) -> None:
        """Before aiortc applies a remote offer: a ``recvonly`` transceiver for each section none will take.

        As aiortc matches them (the first of the same kind whose mid is that section's or unset), so
        that aiortc makes none of its own: each receiver keeps the track it had from the start.
        """
        taken: set[AiortcTransceiver] = set()
        for section in media_sections(sdp):
            if section.kind not in ("audio", "video"):
                continue
            match = next((t for t in self._pc.aiortc.getTransceivers()
                          if t.kind == section.kind and t not in taken and t.mid in (None, section.mid)), None)
            if match is None:
                match = self._create(section.kind, "recvonly", None).aiortc
            taken.add(match)

    def after_description(self) -> None:
        """A description was applied: remember which transceivers have been negotiated to send."""
        for transceiver in self.all():
            if transceiver.aiortc.currentDirection in ("sendrecv", "sendonly"):
                transceiver._has_sent = True

    def track_events(self, sdp: str) -> list[RTCTrackEvent]:
        """After a remote description: a ``track`` event for each transceiver the far side now sends on.

        Once per start of sending (the spec's [[FiredDirection]]): a section that stops sending takes
        its track out of the streams it was in, and a later one that sends again fires again.
        """
        events = []
        by_mid = {t.mid: t for t in self.all() if t.mid is not None}
        for section in media_sections(sdp):
            transceiver = by_mid.get(section.mid) if section.mid is not None else None
            if transceiver is None or section.direction is None:
                continue
            track = transceiver.receiver.track
            if reverse(section.direction) in ("recvonly", "sendrecv"):
                if transceiver._receiving:
                    continue
                transceiver._receiving = True
                streams = [self._remote_streams.setdefault(stream_id, MediaStream(id=stream_id))
                           for stream_id in section.stream_ids]
                for stream in streams:
                    stream.addTrack(track)
                events.append(RTCTrackEvent(transceiver.receiver, transceiver, streams))
            elif transceiver._receiving:
                transceiver._receiving = False
                for stream in self._remote_streams.values():
                    stream.removeTrack(track)
        return events

    def closing(self) -> None:
        """The connection closes: each receiver's track will end, and says why."""
        for transceiver in self.all():
            track = transceiver.receiver.track
            if isinstance(track, RemoteTrack) and track.ended_by is None:
                track.ended_by = f"the {self._pc.name}'s connection closed"

    async def close(self) -> None:
        """Wait for the transceivers' own stops still running (aiortc's close stops the rest)."""
        if self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)
