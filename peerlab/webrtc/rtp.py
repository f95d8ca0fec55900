"""The browser's media objects over aiortc's: ``RTCRtpTransceiver``, ``RTCRtpSender``, ``RTCRtpReceiver``,
``MediaStream`` and the ``track`` event.

aiortc's transceiver, sender and receiver carry the media (frames in, RTP out, and back); these
views add only what the browser's objects have and aiortc's lack, and cost nothing per frame:

- a receiver has its track from the start (:class:`RemoteTrack`, ``muted`` until RTP arrives), where
  aiortc makes one only once a remote description says the far side sends;
- ``sender.replaceTrack()`` returns a Promise and refuses what the browser refuses (a stopped
  transceiver, a closed connection: ``InvalidStateError``; a track of another kind: ``TypeError``);
- ``transceiver.direction`` checks what it is given and asks for negotiation when it changes;
  ``transceiver.stop()`` returns at once, as in a browser;
- ``sender.getStats()`` and ``receiver.getStats()`` are the connection's report for that sender or
  receiver (:mod:`peerlab.webrtc.stats`);
- the ``track`` event carries ``track``, ``receiver``, ``transceiver`` and ``streams``: the far side's
  :class:`MediaStream` objects, one per stream id its ``a=msid`` lines name.

The connection owns them (:mod:`peerlab.webrtc.transceivers`); each ``.aiortc`` is aiortc's object
underneath. ``transceiver.kind`` is aiortc's, kept for code written for it (a browser reads
``transceiver.receiver.track.kind``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aiortc import RTCRtpReceiver as AiortcReceiver
from aiortc import RTCRtpSender as AiortcSender
from aiortc import RTCRtpTransceiver as AiortcTransceiver

from ..errors import MediaTypeError
from .events import Event
from .internals import RemoteStreamTrack
from .promise import Promise

if TYPE_CHECKING:
    from .transceivers import Transceivers
    from .transports import RTCDtlsTransport

__all__ = ["KINDS", "DIRECTIONS", "MediaStream", "RemoteTrack", "RTCRtpSender", "RTCRtpReceiver",
           "RTCRtpTransceiver", "RTCTrackEvent", "check_kind", "check_direction", "reverse", "intersect"]

KINDS = ("audio", "video")
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def check_kind(kind: Any, call: str) -> str:
    """``kind`` if it is ``"audio"`` or ``"video"``; the browser's ``TypeError`` otherwise."""
    if kind not in KINDS:
        raise MediaTypeError(f"Failed to execute '{call}': The provided value {kind!r} is not a valid media kind: "
                             "'audio' or 'video'.")
    return str(kind)


def check_direction(direction: Any, call: str) -> str:
    """``direction`` if it is one of :data:`DIRECTIONS`; the browser's ``TypeError`` otherwise."""
    if direction not in DIRECTIONS:
        raise MediaTypeError(f"Failed to execute '{call}': The provided value {direction!r} is not a valid enum "
                             f"value of type RTCRtpTransceiverDirection: one of {', '.join(DIRECTIONS)}.")
    return str(direction)


def reverse(direction: str) -> str:
    """The same direction from the other side: ``sendonly`` is the far side's ``recvonly``."""
    return {"sendonly": "recvonly", "recvonly": "sendonly"}.get(direction, direction)


def intersect(a: str, b: str) -> str:
    """What both directions allow: ``sendrecv`` and ``recvonly`` give ``recvonly`` (JSEP 5.3.1)."""
    send = "send" in _halves(a) and "send" in _halves(b)
    recv = "recv" in _halves(a) and "recv" in _halves(b)
    return {(True, True): "sendrecv", (True, False): "sendonly", (False, True): "recvonly",
            (False, False): "inactive"}[send, recv]


def _halves(direction: str) -> set[str]:
    return {"sendrecv": {"send", "recv"}, "sendonly": {"send"}, "recvonly": {"recv"}}.get(direction, set())


class MediaStream:
    """The browser's ``MediaStream``: an ``id`` and the tracks in it.

    ``MediaStream([track, ...])`` groups tracks, as ``addTrack(track, stream)`` announces them; the
    far side's ``track`` event gives the streams its tracks were announced in, by id.
    """

    def __init__(self, tracks: Iterable[Any] | MediaStream = (), *, id: str | None = None) -> None:
        self.id = id or str(uuid.uuid4())
        self._tracks: list[Any] = list(tracks.getTracks() if isinstance(tracks, MediaStream) else tracks)

    @property
    def active(self) -> bool:
        """Whether any of its tracks is still live."""
        return any(track.readyState == "live" for track in self._tracks)

    def getTracks(self) -> list[Any]:
        return list(self._tracks)

    def getAudioTracks(self) -> list[Any]:
        return [track for track in self._tracks if track.kind == "audio"]

    def getVideoTracks(self) -> list[Any]:
        return [track for track in self._tracks if track.kind == "video"]

    def getTrackById(self, trackId: str) -> Any:
        return next((track for track in self._tracks if track.id == trackId), None)

    def addTrack(self, track: Any) -> None:
        if track not in self._tracks:
            self._tracks.append(track)

    def removeTrack(self, track: Any) -> None:
        if track in self._tracks:
            self._tracks.remove(track)

    def __repr__(self) -> str:
        return f"<MediaStream {self.id}: {', '.join(t.kind for t in self._tracks) or 'no tracks'}>"


class RemoteTrack(RemoteStreamTrack):
    """A receiver's track, there from the start as in a browser: ``recv()`` gives the far side's frames.

    ``muted`` is true while no RTP arrives for it (none in the last 10 s), as a browser's remote track
    is muted until media flows.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(kind=kind)
        self.label = f"remote {kind}"
        self._receiver: AiortcReceiver | None = None
        #: why it ends or ended, in words ("the callee's connection closed"); None while nothing ends it
        self.ended_by: str | None = None
        self.receiving = "peer"  # the name of the connection that receives it

    @property
    def ended_because(self) -> str | None:
        """Why it ended, in words; None while it is live.

        Its own connection's ``close()`` or ``transceiver.stop()`` says so; otherwise the far side stopped
        sending (aiortc ends a receiver's track when the far side's sender says goodbye, RTCP BYE).
        """
        if self.readyState == "live":
            return None
        return self.ended_by or (f"the far side stopped sending to the {self.receiving} (it closed its "
                                 "connection, or stopped its transceiver)")

    @property
    def muted(self) -> bool:
        return self._receiver is None or not self._receiver.getSynchronizationSources()

    def __repr__(self) -> str:
        return f"<RemoteTrack {self.kind}, {self.readyState}{', muted' if self.muted else ''}>"


class RTCRtpSender:
    """``transceiver.sender``: what sends ``track`` (``None``: nothing) to the far side."""

    def __init__(self, sender: AiortcSender, owner: Transceivers) -> None:
        self.aiortc = sender
        self._owner = owner
        self._stream_ids: list[str] = []

    @property
    def track(self) -> Any:
        return self.aiortc.track

    @property
    def transport(self) -> RTCDtlsTransport:
        """The DTLS transport its RTP goes over (the browser's ``RTCDtlsTransport``)."""
        return self._owner.dtls(self.aiortc.transport)

    @property
    def dtmf(self) -> None:
        """DTMF tones: aiortc sends none."""
        return None

    @staticmethod
    def getCapabilities(kind: str) -> Any:
        """The codecs and header extensions aiortc can send for ``kind``."""
        return AiortcSender.getCapabilities(check_kind(kind, "RTCRtpSender.getCapabilities"))

    def replaceTrack(self, withTrack: Any) -> Promise[None]:
        """Send ``withTrack`` instead (``None``: send nothing), without negotiating: a Promise.

        Rejects with ``InvalidStateError`` once the connection is closed or the transceiver stopped, and
        ``TypeError`` for a track of another kind than the transceiver's.
        """
        return self._owner.replace_track(self, withTrack)

    def setStreams(self, *streams: MediaStream) -> None:
        """Announce the track in ``streams`` from the next negotiation on (``a=msid``)."""
        self._owner.set_streams(self, streams)

    def getStats(self) -> Promise[Any]:
        """The connection's statistics for this sender: its ``outbound-rtp`` and what that refers to."""
        return self._owner.stats(self)

    def __repr__(self) -> str:
        return f"<RTCRtpSender {self.aiortc.kind}: {self.track!r}>"


class RTCRtpReceiver:
    """``transceiver.receiver``: what receives the far side's media into ``track``."""

    def __init__(self, receiver: AiortcReceiver, owner: Transceivers) -> None:
        self.aiortc = receiver
        self._owner = owner

    @property
    def track(self) -> Any:
        return self.aiortc.track

    @property
    def transport(self) -> RTCDtlsTransport:
        return self._owner.dtls(self.aiortc.transport)

    @staticmethod
    def getCapabilities(kind: str) -> Any:
        """The codecs and header extensions aiortc can receive for ``kind``."""
        return AiortcReceiver.getCapabilities(check_kind(kind, "RTCRtpReceiver.getCapabilities"))

    def getSynchronizationSources(self) -> list[Any]:
        """The SSRCs RTP came from in the last 10 s, with when (aiortc's)."""
        return list(self.aiortc.getSynchronizationSources())

    def getContributingSources(self) -> list[Any]:
        """The CSRCs of what arrived: aiortc records none."""
        return []

    def getStats(self) -> Promise[Any]:
        """The connection's statistics for this receiver: its ``inbound-rtp`` and what that refers to."""
        return self._owner.stats(self)

    def __repr__(self) -> str:
        return f"<RTCRtpReceiver {self.track!r}>"


class RTCRtpTransceiver:
    """A sender and a receiver that share one media section (``m=audio``, ``m=video``) and its ``mid``."""

    def __init__(self, transceiver: AiortcTransceiver, owner: Transceivers) -> None:
        self.aiortc = transceiver
        self._owner = owner
        self.sender = RTCRtpSender(transceiver.sender, owner)
        self.receiver = RTCRtpReceiver(transceiver.receiver, owner)
        self._stopping = False
        self._has_sent = False  # ever negotiated to send: addTrack does not reuse its sender then
        self._receiving = False  # a track event fired for what the far side sends, and it still sends
        self._send_encodings: list[dict[str, Any]] = []  # as addTransceiver() was given them; aiortc sends one

    @property
    def kind(self) -> str:
        """``audio`` or ``video`` (aiortc's; a browser reads ``transceiver.receiver.track.kind``)."""
        return str(self.aiortc.kind)

    @property
    def mid(self) -> str | None:
        """The media section's ``a=mid``: ``None`` until a description associates one."""
        return self.aiortc.mid

    @property
    def stopped(self) -> bool:
        return self._stopping

    @property
    def direction(self) -> str:
        """What this side wants: ``sendrecv``, ``sendonly``, ``recvonly``, ``inactive`` (``stopped`` once stopped).

        Setting it takes effect at the next negotiation, and asks for one (``negotiationneeded``).
        """
        return "stopped" if self._stopping else str(self.aiortc.direction)

    @direction.setter
    def direction(self, direction: str) -> None:
        self._owner.set_direction(self, check_direction(direction, "RTCRtpTransceiver.direction"))

    @property
    def currentDirection(self) -> str | None:
        """What the last negotiation agreed (``None`` before one; ``stopped`` once stopped)."""
        if self._stopping and self.aiortc.currentDirection is not None:
            return "stopped"
        return self.aiortc.currentDirection

    def stop(self) -> None:
        """Stop sending and receiving for good, at once; the media section stays in later offers, inactive."""
        self._owner.stop(self)

    def setCodecPreferences(self, codecs: list[Any]) -> None:
        """The codecs to offer, best first (``RTCRtpSender.getCapabilities(kind).codecs``); ``[]``: the defaults."""
        self.aiortc.setCodecPreferences(codecs)

    def __repr__(self) -> str:
        return (f"<RTCRtpTransceiver {self.kind} mid={self.mid!r} direction={self.direction!r} "
                f"currentDirection={self.currentDirection!r}>")


class RTCTrackEvent(Event):
    """The browser's ``track`` event: the far side sends on ``transceiver``; ``track`` is ``receiver.track``.

    ``streams`` are the :class:`MediaStream` objects the track was announced in (``[]`` for none).
    """

    def __init__(self, receiver: RTCRtpReceiver, transceiver: RTCRtpTransceiver,
                 streams: list[MediaStream]) -> None:
        super().__init__("track")
        self.receiver = receiver
        self.track = receiver.track
        self.transceiver = transceiver
        self.streams = streams

    def __repr__(self) -> str:
        return f"<RTCTrackEvent {self.track.kind}, streams {[s.id for s in self.streams]}>"
