"""peerlab: learn WebRTC peer connections step by step, in Jupyter, with the real aiortc.

- :class:`Loopback` — an in-process signalling service carrying JSON between a
  caller and a callee in one kernel.
- :class:`RTCPeerConnection` — aiortc's connection with the browser's
  ``icecandidate`` event, trickle ICE and step-by-step errors; its media (``addTrack``, the
  ``track`` event, :class:`RTCRtpTransceiver`, :class:`MediaStream`) and ``getStats()`` as a browser has them.
- :class:`Promise` — a JavaScript-style Promise (``.then``/``.catch``), also awaitable;
  every asynchronous method of the connection returns one.
- :func:`start_far_peer` — the far peer in a process of its own (``python -m peerlab.peer``),
  started from a notebook, as lesson 05 does.
- :func:`ice_servers` — the ICE servers a teacher or a hub sets in the environment
  (``PEERLAB_ICE_SERVERS``), ``[]`` on a laptop.
- :mod:`peerlab.steps` — the guide's numbered steps, in English and Korean.
"""

from .errors import (
    BrowserError,
    BrowserUnavailable,
    BrowserUnlinked,
    CandidateTypeError,
    ChannelIdInUseError,
    ConfigurationError,
    ConnectionFailed,
    DescriptionModifiedError,
    DescriptionSyntaxError,
    DescriptionTypeError,
    FarPeerEnded,
    FileLimitError,
    HeldCandidatesNote,
    InvalidCandidateError,
    InvalidDescriptionError,
    InvalidMessageError,
    JoinRefused,
    LabError,
    LabUnavailable,
    LateCandidateNote,
    MediaAccessError,
    MediaTypeError,
    MessageHandlerError,
    MessageRefused,
    PeerlabError,
    PeerlabNote,
    PromiseNotAwaitedError,
    PromiseRejectedError,
    RTCError,
    ScriptedPeerError,
    ServerStartError,
    SignallingClosed,
    SignallingError,
    SignallingTimeout,
    SignallingUnreachable,
    StepCheckFailed,
    StepOrderError,
    TrackEnded,
    UnreadableMessage,
    WaitTimeout,
)
from .far import FarProcess, start_far_peer
from .signalling.endpoint import SignallingEndpoint
from .signalling.loopback import Loopback
from .signalling.server import SignallingServer, serve
from .signalling.tcp import TcpEndpoint, tcp_signalling
from .signalling.websocket import WebSocketEndpoint, join
from .teaching.channels import far_end, wait_for
from .teaching.checks import check
from .teaching.scripted import ScriptedPeer, play_callee, play_caller
from .teaching.steps import CALLEE_STEPS, CALLER_STEPS
from .teaching.waits import send_and_receive, wait_for_datachannel, wait_for_open
from .webrtc.candidate import RTCIceCandidate
from .webrtc.connection import RTCDataChannelEvent, RTCPeerConnection, RTCPeerConnectionIceEvent, RTCTrackEvent
from .webrtc.datachannel import MessageEvent, RTCDataChannel, RTCErrorEvent
from .webrtc.ice_servers import ice_servers
from .webrtc.limits import preload
from .webrtc.promise import Promise
from .webrtc.rtp import MediaStream, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from .webrtc.stats import RTCStatsReport
from .webrtc.transports import RTCDtlsTransport, RTCIceCandidatePair, RTCIceTransport

__version__ = "0.1.0"

preload()  # what the first DTLS handshake would import in the background, where a file limit kills it

__all__ = [
    "CALLEE_STEPS",
    "CALLER_STEPS",
    "CandidateTypeError",
    "ChannelIdInUseError",
    "ConfigurationError",
    "ConnectionFailed",
    "DescriptionModifiedError",
    "DescriptionSyntaxError",
    "DescriptionTypeError",
    "FileLimitError",
    "HeldCandidatesNote",
    "InvalidCandidateError",
    "InvalidDescriptionError",
    "InvalidMessageError",
    "LateCandidateNote",
    "Loopback",
    "MediaAccessError",
    "MediaTypeError",
    "MessageEvent",
    "MessageHandlerError",
    "PeerlabError",
    "PeerlabNote",
    "Promise",
    "PromiseNotAwaitedError",
    "PromiseRejectedError",
    "MediaStream",
    "RTCDataChannel",
    "RTCDataChannelEvent",
    "RTCDtlsTransport",
    "RTCIceCandidatePair",
    "RTCIceTransport",
    "RTCRtpReceiver",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RTCStatsReport",
    "RTCError",
    "RTCErrorEvent",
    "RTCIceCandidate",
    "RTCPeerConnection",
    "RTCPeerConnectionIceEvent",
    "RTCTrackEvent",
    "ScriptedPeer",
    "ScriptedPeerError",
    "FarPeerEnded",
    "FarProcess",
    "start_far_peer",
    "SignallingClosed",
    "SignallingError",
    "SignallingTimeout",
    "StepCheckFailed",
    "StepOrderError",
    "TrackEnded",
    "WaitTimeout",
    "BrowserError",
    "BrowserUnavailable",
    "BrowserUnlinked",
    "LabUnavailable",
    "LabError",
    "check",
    "far_end",
    "ice_servers",
    "play_callee",
    "play_caller",
    "send_and_receive",
    "wait_for",
    "wait_for_datachannel",
    "wait_for_open",
    "JoinRefused",
    "MessageRefused",
    "ServerStartError",
    "SignallingEndpoint",
    "SignallingServer",
    "SignallingUnreachable",
    "WebSocketEndpoint",
    "join",
    "serve",
    "TcpEndpoint",
    "UnreadableMessage",
    "tcp_signalling",
]
