"""``peerlab.browser.RTCPeerConnection``: the page's own ``RTCPeerConnection``, driven from Python.

The Python object has :class:`peerlab.RTCPeerConnection`'s API, so a lesson's cells run unchanged
against either; every call is made by the browser that shows the notebook, and every answer,
event and state is the browser's own, unchanged (a Chromium host candidate is a ``<uuid>.local``
name, ``iceConnectionState`` passes through ``connected``, gathering lasts).

How it travels: ``pc.widget`` (an ``anywidget`` widget, its JavaScript in ``peer.js``) makes the
page's connection as soon as the kernel creates it, and the page links up with the kernel by
every way it may at once: the widget's comm, a WebSocket through the Jupyter server, a WebSocket
straight to 127.0.0.1 (:mod:`peerlab.browser.links`). The first to reach the kernel carries the
calls to the page and its replies, events and states back, into the kernel's event loop;
``pc.link`` names it. :mod:`peerlab.browser.page` keeps that link and the calls waiting on it.

Without a page (nbval, nbclient, a closed tab), every call fails after ``connect_timeout``
seconds (5) with :class:`BrowserUnavailable`, saying that the cell needs the notebook open in
JupyterLab in a browser; a page that could not link says why (:class:`BrowserUnlinked`).
Nothing waits forever.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import anywidget
import traitlets
from aiortc import RTCSessionDescription

from ..defaults import DEFAULT_WAIT
from ..errors import (
    BrowserError,
    BrowserUnavailable,
    BrowserUnlinked,
    CandidateTypeError,
    ConfigurationError,
    DescriptionModifiedError,
    DescriptionSyntaxError,
    DescriptionTypeError,
    HeldCandidatesNote,
    InvalidCandidateError,
    InvalidDescriptionError,
    InvalidMessageError,
    PeerlabError,
    PeerlabNote,
    StepOrderError,
    WaitTimeout,
    note,
)
from ..signalling.messages import to_json
from ..webrtc import rules, wording
from ..webrtc.candidate import RTCIceCandidate
from ..webrtc.connection import RTCDataChannelEvent
from ..webrtc.datachannel import ChannelEvents, MessageEvent
from ..webrtc.events import Event, EventHandler, EventLog
from ..webrtc.ice_servers import ice_servers
from ..webrtc.interrupts import Wait
from ..webrtc.promise import Promise
from ..webrtc.sdp import ice_ufrag, to_description
from ..webrtc.trickle import RTCPeerConnectionIceEvent
from ..webrtc.waiting import STATES, PeerConnectionBase, raise_listener_error, state_reached, until
from .bridge import bridge
from .links import CHANNEL_WORDS, CommLink, PageLink, allowed_channels, listen_on_comm
from .page import Page

__all__ = ["RTCPeerConnection", "BrowserDataChannel", "BrowserMediaTrack", "BrowserPeerWidget",
           "BrowserSessionDescription", "BrowserError", "BrowserUnavailable", "BrowserUnlinked", "CONNECT_TIMEOUT",
           "REPLY_TIMEOUT"]

CONNECT_TIMEOUT = 5.0   # seconds a call waits for the page to link up before it fails
REPLY_TIMEOUT = DEFAULT_WAIT   # seconds a call waits for the linked page's answer
_ESM = resources.files(__package__).joinpath("peer.js").read_text(encoding="utf-8")


#: What to do about each way the browser's getUserMedia() fails (the DOMException's name).
CAMERA_HINTS = {
    "NotAllowedError": "the camera was refused (by you, or by the browser's settings for this site): allow it "
                       "(the camera icon in the address bar) and run the cell again",
    "NotFoundError": "this browser sees no camera: plug one in, or start Chromium with "
                     "--use-fake-device-for-media-stream for its test pattern",
    "NotReadableError": "the camera is there but busy or broken: close other programs or tabs that use it",
    "OverconstrainedError": "no camera can give what was asked: try another width and height",
    "NotSupportedError": "this page cannot ask for a camera",
    "TimeoutError": "nobody answered the browser's camera prompt in time: answer it, then run the cell again",
}


def no_path_hint(servers: list[dict[str, Any]]) -> str:
    """What to say when ICE found no path between the page and the far side: likely a hub that blocks UDP."""
    if servers:
        urls = ", ".join(str(u) for s in servers for u in ([s["urls"]] if isinstance(s["urls"], str) else s["urls"]))
        given = f"The ICE servers set for the lessons ({urls}) did not give one either: is the TURN server up?"
    else:
        given = ("None is set here (peerlab.ice_servers() is []): ask whoever runs this JupyterLab to set "
                 "PEERLAB_ICE_SERVERS for the lessons, then restart the kernel and run the lesson again.")
    return (". ICE found no path between your browser and the kernel: where JupyterLab runs on a server (a hub, "
            "Binder, a container), UDP between them may be blocked, and only a TURN relay gets through. " + given)


T = TypeVar("T")
class BrowserPromise(Promise[T]):
    """The Promise a browser peer's method returns: awaited in a cell, Jupyter's stop button ends it at once,
    with the one line every peerlab wait gives (:mod:`peerlab.webrtc.interrupts`)."""

    def __init__(self, work: Coroutine[Any, Any, T], who: str, what: str) -> None:
        super().__init__(lambda resolve, _: resolve(work))
        self.what = f"{what} on the {who}"
        self._wait = Wait(who, what, "the browser goes on by itself, so run the cell again to wait again")


def interruptible(method: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., BrowserPromise[T]]:
    """Make a browser peer's ``async def`` return a :class:`BrowserPromise` (the browser's methods return Promises)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> BrowserPromise[T]:
        return BrowserPromise(method(self, *args, **kwargs), self.name, f"{method.__name__}()")

    return wrapper


def videos_words(videos: list[dict[str, Any]]) -> str:
    """What the page says of its ``<video>`` elements for received tracks, when none plays."""
    if not videos:
        return "the page shows no <video> for it (is `pc` displayed in a cell of this notebook?)"
    parts = []
    for video in videos:
        if video.get("trackState") == "ended":
            parts.append("its track ended (the far side stopped sending, or a connection closed)")
        elif video.get("paused"):
            parts.append("it is paused")
        else:
            parts.append(f"it has no picture yet (readyState {video.get('readyState')})")
    return "; ".join(parts) + "."


def browser_error(method: str, error: dict[str, Any]) -> PeerlabError:
    """The peerlab exception for what the page's ``method`` threw: ``.name`` is the browser's name."""
    name = str(error.get("name") or "Error")
    message = str(error.get("message") or "")
    detail = error.get("errorDetail")
    descriptions = method in ("setLocalDescription", "setRemoteDescription")
    cls: type[PeerlabError] = BrowserError
    if name == "InvalidStateError":
        cls = StepOrderError
    elif name == "InvalidModificationError":
        cls = DescriptionModifiedError
    elif detail == "sdp-syntax-error":
        cls = DescriptionSyntaxError
    elif name == "TypeError":
        cls = (CandidateTypeError if method == "addIceCandidate" else DescriptionTypeError if descriptions
               else InvalidMessageError if method == "send" else BrowserError)
    elif name in ("OperationError", "RTCError"):
        cls = (InvalidCandidateError if method == "addIceCandidate" else InvalidDescriptionError if descriptions
               else BrowserError)
    elif name == "SyntaxError" and method == "RTCPeerConnection":
        cls = ConfigurationError
    if method == "addCamera":
        camera = BrowserError(f"the browser's getUserMedia() (in addCamera()) failed: {name}: {message}"
                           + (f". {CAMERA_HINTS[name]}" if name in CAMERA_HINTS else ""))
        camera.name = name
        camera.browser_message = message  # type: ignore[attr-defined]
        return camera
    exc = cls(f"the browser's {method}() failed: {name}: {message}")
    exc.name = name  # the DOMException's own name, whatever peerlab's class says
    exc.browser_message = message  # type: ignore[attr-defined]
    return exc


class BrowserPeerWidget(anywidget.AnyWidget):
    """The front end of a browser peer: makes the page's ``RTCPeerConnection``, links up, shows its four states.

    ``links`` are the ways the page may try (:mod:`peerlab.browser.links`); ``bridge_port`` is the
    kernel's WebSocket port on 127.0.0.1 and ``key`` what the page's hello must carry there.
    """

    _esm = _ESM
    peer_id = traitlets.Unicode("").tag(sync=True)
    name = traitlets.Unicode("browser").tag(sync=True)
    bridge_port = traitlets.Int(0).tag(sync=True)
    key = traitlets.Unicode("").tag(sync=True)
    links = traitlets.List(traitlets.Unicode()).tag(sync=True)
    configuration = traitlets.Dict().tag(sync=True)


class BrowserSessionDescription(RTCSessionDescription):
    """A description the page made (``createOffer()``, ``createAnswer()``): an ``RTCSessionDescription``
    that knows its maker, so that sending it once the page that made it is gone says so."""

    _maker: RTCPeerConnection | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RTCSessionDescription):
            return NotImplemented
        return (self.type, self.sdp) == (other.type, other.sdp)

    __hash__ = None  # type: ignore[assignment]  # as RTCSessionDescription's: equal by value, mutable

    def toJSON(self) -> dict[str, str]:
        """``{"type", "sdp"}``, as a browser's; refused once the page that made it is gone (a reload)."""
        maker = self._maker
        if maker is not None and maker._page.is_gone:
            raise BrowserUnavailable(f"this {self.type} was made by the {maker.name}, and {maker._page.lost}")
        return {"type": self.type, "sdp": self.sdp}


@dataclass(frozen=True)
class BrowserMediaTrack:
    """A track the page got from ``getUserMedia()``: what its ``MediaStreamTrack`` says of itself."""

    kind: str
    label: str
    id: str
    width: int | None = None
    height: int | None = None

    def __repr__(self) -> str:
        size = f" {self.width}×{self.height}" if self.width and self.height else ""
        return f"<browser MediaStreamTrack {self.kind} {self.label!r}{size}>"


class BrowserDataChannel(ChannelEvents):
    """A data channel of the page's connection: ``send``, ``readyState``, and its events in Python.

    As :class:`peerlab.RTCDataChannel`: ``addEventListener("message", f)`` and ``onmessage`` get a
    ``MessageEvent`` (``event.data``); ``on("message", f)`` gets the data itself.
    """

    onopen = EventHandler()
    onmessage = EventHandler()
    onclosing = EventHandler()
    onclose = EventHandler()

    def __init__(self, pc: RTCPeerConnection, channel_id: str, label: str, state: str = "connecting") -> None:
        super().__init__()
        self._pc = pc
        self._id = channel_id
        self.label = label
        self._state = state

    @property
    def readyState(self) -> str:
        return self._state

    def __repr__(self) -> str:
        return f"<browser RTCDataChannel {self.label!r} {self.readyState}>"

    def send(self, data: str | bytes | bytearray | memoryview) -> None:
        """Send through the page's channel: ``InvalidStateError`` unless it is open."""
        if self._pc._page.is_gone:
            raise BrowserUnavailable(f"send() on the data channel {self.label!r}: {self._pc._page.lost}")
        if self._state != "open":
            raise StepOrderError(f"the data channel {self.label!r} is {self._state!r}, not 'open': wait for its "
                                 "open event (await peerlab.wait_for_open(channel)) before send()")
        if isinstance(data, str):
            self._pc._post_call("send", [self._id, data, False])
        elif isinstance(data, (bytes, bytearray, memoryview)):
            self._pc._post_call("send", [self._id, base64.b64encode(bytes(data)).decode(), True])
        else:
            raise InvalidMessageError(f"send() takes a str or bytes, not {type(data).__name__}")

    def close(self) -> None:
        if self._state not in ("closing", "closed"):
            self._state = "closing"
            self._pc._post_call("closeChannel", [self._id])

    def _on_page(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "message":
            data = message.get("data", "")
            value: str | bytes = base64.b64decode(data) if message.get("binary") else str(data)
            self.dispatchEvent(MessageEvent(value))
            return
        self._state = str(message.get("readyState") or self._state)
        if event == "close":
            self._state = "closed"
        self.dispatchEvent(Event(str(event)))


class RTCPeerConnection(PeerConnectionBase):
    """The browser's own ``RTCPeerConnection``, in the page that shows this notebook, driven from Python.

    ``configuration`` goes to the page unchanged (``{"iceServers": []}`` by default: host
    candidates only). The methods are :class:`peerlab.RTCPeerConnection`'s and return
    Promises; the answers, events and states are the browser's. Display it to see its four
    states, live; ``pc.widget`` is the widget.
    """

    def __init__(self, configuration: Any = None, *, name: str = "browser",
                 connect_timeout: float = CONNECT_TIMEOUT, reply_timeout: float = REPLY_TIMEOUT) -> None:
        super().__init__()
        if configuration is None:
            configuration = {"iceServers": []}
        if not isinstance(configuration, dict):
            raise ConfigurationError("a browser peer's configuration is a dict like {'iceServers': []}")
        self.name = name
        self.events = EventLog()
        self.peer_id = secrets.token_hex(8)
        self.key = secrets.token_urlsafe(16)
        self._bridge = bridge()
        self._bridge.register(self)
        self._loop = self._bridge.loop
        self._page = Page(name, self._loop, connect_timeout=connect_timeout, reply_timeout=reply_timeout)
        self._page.on_gone = self._page_gone
        self._states = {"signalingState": "stable", "iceGatheringState": "new", "iceConnectionState": "new",
                        "connectionState": "new"}
        self._channels: dict[str, BrowserDataChannel] = {}
        self.datachannels: list[BrowserDataChannel] = []
        self.received_tracks: list[str] = []  # the kinds of the page's track events
        self.video_in_page: tuple[int, int] | None = None  # the first received video the page plays: its size
        self._camera: BrowserMediaTrack | None = None  # the camera track addCamera() put on the connection
        self._held: list[RTCIceCandidate | None] = []
        self._end_dispatched = False
        self._gathered: list[str] = []  # the types of this gathering's candidates that came from the page
        self._configuration = configuration
        self._local: tuple[str, str | None] | None = None  # the local description set last: its type and ice-ufrag
        self._has_remote = False
        self._closed = False
        self.widget = BrowserPeerWidget(peer_id=self.peer_id, name=name, bridge_port=self._bridge.port, key=self.key,
                                        links=allowed_channels(), configuration=configuration)
        listen_on_comm(self.widget, self._loop, self._from_comm)
        self.events.add(self.name, "call", "RTCPeerConnection", "created in the browser")

    # -- what a notebook shows -------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle: Any = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        if isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"<browser RTCPeerConnection {self.name} ({self._link_words()}): " + ", ".join(
            f"{k}={v!r}" for k, v in self.states().items()) + ">"

    def _link_words(self) -> str:
        """How the page talks to the kernel, in a few words: ``linked by comm``, ``not linked yet``, ..."""
        if self._page.link is not None:
            return f"linked by {self._page.link.channel}"
        if self._closed:
            return "closed"
        if self._page.lost is not None:
            return "its page is gone: run the cell that makes it again"
        return "could not link" if self._page.report else "not linked yet"

    # -- the four states, as the page last told them ----------------------------

    @property
    def signalingState(self) -> str:
        return self._states["signalingState"]

    @property
    def iceGatheringState(self) -> str:
        return self._states["iceGatheringState"]

    @property
    def iceConnectionState(self) -> str:
        return self._states["iceConnectionState"]

    @property
    def connectionState(self) -> str:
        return self._states["connectionState"]

    @property
    def linked(self) -> bool:
        """Whether a page holds this connection now."""
        return self._page.link is not None

    @property
    def link(self) -> str | None:
        """How the page holding this connection talks to the kernel: ``"comm"``, ``"proxy"``, ``"direct"``, or None.

        ``comm`` is the widget's own comm, through Jupyter; ``proxy`` a WebSocket through the Jupyter
        server (jupyter-server-proxy); ``direct`` a WebSocket straight to the kernel's 127.0.0.1. The
        page tries each it may at once, and the first to reach the kernel is the link.
        """
        return self._page.channel

    @property
    def link_failures(self) -> dict[str, str]:
        """What the page said about each way that did not link (empty once one has)."""
        return dict(self._page.report)

    @property
    def user_agent(self) -> str | None:
        """The linked page's ``navigator.userAgent``."""
        return self._page.user_agent

    @property
    def connect_timeout(self) -> float:
        """Seconds a call waits for a page to link up."""
        return self._page.connect_timeout

    @property
    def reply_timeout(self) -> float:
        """Seconds a call waits for the linked page's answer."""
        return self._page.reply_timeout

    # -- the browser's methods ---------------------------------------------------

    @interruptible
    async def createOffer(self, options: Any = None) -> RTCSessionDescription:
        """The page's ``createOffer()``: its SDP, unchanged."""
        return self._description(await self._request("createOffer"))

    @interruptible
    async def createAnswer(self, options: Any = None) -> RTCSessionDescription:
        """The page's ``createAnswer()``."""
        self._refuse(rules.create_answer(self.signalingState, self._local[0] if self._local else None))
        return self._description(await self._request("createAnswer"))

    @interruptible
    async def setLocalDescription(self, description: Any = None) -> None:
        """The page's ``setLocalDescription()``: gathering starts in the browser, and lasts."""
        desc = None if description is None else to_description(description, "setLocalDescription()")
        if desc is not None:
            self._refuse(rules.set_local_description(desc.type, self.signalingState,
                                                     self._local[0] if self._local else None))
        await self._request("setLocalDescription", None if desc is None or not desc.sdp
                            else {"type": desc.type, "sdp": desc.sdp})
        ufrag = ice_ufrag(desc.sdp) if desc is not None and desc.sdp else None
        if ufrag is None or self._local is None or self._local[1] != ufrag:
            # New ICE credentials, new gathering; the same description set again (a re-run cell) gathers nothing
            # new, so the end of candidates already dispatched still holds.
            self._end_dispatched = False
            self._gathered = []
        self._local = (desc.type if desc is not None and desc.sdp else
                       ("answer" if self.signalingState == "stable" else "offer"), ufrag)

    @interruptible
    async def setRemoteDescription(self, description: Any) -> None:
        """The page's ``setRemoteDescription()``."""
        desc = to_description(description, "setRemoteDescription()")
        self._refuse(rules.set_remote_description(desc.type, self.signalingState, self._has_remote))
        await self._request("setRemoteDescription", {"type": desc.type, "sdp": desc.sdp})
        self._has_remote = True

    @interruptible
    async def addIceCandidate(self, candidate: Any = None) -> None:
        """The page's ``addIceCandidate()``; ``None`` (or ``{}``, or ``""`` as the candidate) ends them."""
        parsed = RTCIceCandidate.from_json(candidate)
        await self._request("addIceCandidate", None if parsed is None or not parsed.candidate else parsed.toJSON())

    def createDataChannel(self, label: str, **options: Any) -> BrowserDataChannel:
        """The page's ``createDataChannel(label, options)``; create it before ``createOffer()``."""
        self._check_open("createDataChannel()")
        channel_id = f"near-{len(self._channels) + 1}"
        channel = BrowserDataChannel(self, channel_id, label)
        self._channels[channel_id] = channel
        self.events.add(self.name, "call", "createDataChannel", label)
        self._post_call("createDataChannel", [channel_id, label, to_json(options)])
        return channel

    def addCamera(self, width: int = 320, height: int = 240, *,
                  timeout: float = 8.0) -> BrowserPromise[BrowserMediaTrack]:
        """The page's camera on this connection: ``getUserMedia()``, then ``addTrack()``, in the browser.

        The page calls ``navigator.mediaDevices.getUserMedia({video: {width, height}})`` (the
        browser may ask you first) and ``pc.addTrack(track, stream)`` with the camera's track, as
        a web page does; call it before ``createOffer()``. Returns the camera's track as the page
        describes it. If the page gets no camera, the browser's error comes back as a
        :class:`BrowserError` whose ``name`` is the DOMException's (``NotAllowedError``: refused;
        ``NotFoundError``: no camera; ``TimeoutError``: nobody answered the prompt within
        ``timeout`` seconds). ``close()`` stops the camera.

        Each video track the page receives (its ``track`` event) plays in a ``<video>`` in this
        connection's widget: display ``pc`` to see it.

        Called again (a re-run cell), the new camera track takes the first one's place on its sender
        (``replaceTrack``) and the old one stops: one camera, one ``m=video`` section; a note says so.
        """
        self._check_open("addCamera()")
        if self._camera is not None:  # said now, in the learner's cell (the page's answer comes in a task)
            note(self._camera_replaced_words(), PeerlabNote)
        return BrowserPromise(self._add_camera(width, height, timeout, noted=self._camera is not None),
                              self.name, "addCamera()")

    def _camera_replaced_words(self) -> str:
        return (f"addCamera(): the {self.name} has a camera track already ({self._camera!r}, from an earlier run "
                "of this cell?). The new one takes its place on the same sender (replaceTrack) and the old one "
                "stops: the connection sends one camera, and an offer has one m=video section for it.")

    async def _add_camera(self, width: int, height: int, timeout: float, *, noted: bool) -> BrowserMediaTrack:
        wait = max(0.5, min(timeout, self.reply_timeout - 1))
        value = await self._request("addCamera", {"video": {"width": width, "height": height}, "audio": False},
                                    round(wait * 1000))
        given = [t for t in value or [] if isinstance(t, dict)]
        tracks = [BrowserMediaTrack(str(t.get("kind")), str(t.get("label") or ""), str(t.get("id") or ""),
                                    t.get("width"), t.get("height")) for t in given]
        video = next((t for t in tracks if t.kind == "video"), None)
        if video is None:
            raise BrowserError(f"addCamera(): the page's getUserMedia() gave no video track: {value!r}")
        if any(t.get("replaced") for t in given):
            self.events.add(self.name, "note", "addCamera", "replaced the camera track on its sender")
            if not noted:
                note(self._camera_replaced_words(), PeerlabNote)
        self._camera = video
        return video

    def close(self) -> Promise[None]:
        """Close the page's connection (and stop its camera); the states read ``closed`` at once."""
        async def closing() -> None:
            if self._page.link is not None and self._page.lost is None:
                try:
                    await self._request("close", check_open=False)
                except PeerlabError:
                    pass
            # The widget stays: its view keeps showing the page's connection, now closed.
            self._page.stop(f"the {self.name} is closed: start again from step 1 with a new RTCPeerConnection()")
            await self._close_listeners()
        if not self._closed:
            self._closed = True
            for state in ("signalingState", "iceConnectionState", "connectionState"):
                self._set_state(state, "closed", dispatch=False)
            for channel in self._channels.values():
                channel._state = "closed"
            self.events.add(self.name, "call", "close")
            return Promise.resolve(closing())
        return Promise.resolve(None)

    # -- peerlab's waits -----------------------------------------------------------

    @interruptible
    async def wait_for_state(self, state: str = "connected", *, attribute: str = "connectionState",
                             timeout: float = DEFAULT_WAIT) -> None:
        """Wait until ``attribute`` (default ``connectionState``) equals ``state``, as peerlab's own."""
        done = state_reached(self, attribute, state)
        who = "the browser" if self.name == "browser" else f"the {self.name} (the browser)"
        await self._until("wait_for_state()", done, timeout, lambda: (
            f"{who} waited {timeout:g} s for {attribute} {state!r}; it is {getattr(self, attribute)!r}"
            + (no_path_hint(ice_servers()) if state == "connected" and self.iceConnectionState in (
                "new", "checking", "failed") else "")))

    @interruptible
    async def wait_for_end_of_candidates(self, *, timeout: float = DEFAULT_WAIT) -> None:
        """Wait until the browser's last ``icecandidate`` event (``None``) reached the listeners."""
        await self._until("wait_for_end_of_candidates()", lambda: self._end_dispatched, timeout, lambda: (
            f"the {self.name}'s icecandidate events (from the browser) did not all arrive within {timeout:g} s"
            + ("" if self.listeners("icecandidate") else ": no icecandidate listener is registered")
            + self._gathering_words()))

    def _gathering_words(self) -> str:
        """Where the browser's gathering is, for a wait for its end that ran out: still asking, or its end lost."""
        came = (f"{len(self._gathered)} candidate(s) came ({', '.join(sorted(set(self._gathered)))})"
                if self._gathered else "no candidate came")
        said = f". Its iceGatheringState is {self.iceGatheringState!r}; {came}"
        servers = self._configuration.get("iceServers") if isinstance(self._configuration, dict) else None
        if self.iceGatheringState == "gathering" and servers:
            return (said + ": the browser is still asking its STUN/TURN server(s), and one that answers slowly, or "
                    "not at all, keeps its gathering going (a browser gives up on it after some seconds). Run this "
                    "cell again to wait longer.")
        if self.iceGatheringState == "complete":
            return (said + ": the browser has finished, but its last icecandidate event has not reached this kernel "
                    "yet (the page's link to the kernel is slow or gone). Run this cell again to wait longer.")
        return said + "."

    @interruptible
    async def wait_for_video_in_page(self, *, timeout: float = DEFAULT_WAIT) -> tuple[int, int]:
        """Wait until a video track the page received plays in the widget's ``<video>``; its width and height.

        The page is asked, live, whether a ``<video>`` of this connection plays now (a picture, not paused,
        its track not ended): what it played once says nothing of now.
        """
        call = "wait_for_video_in_page()"
        self._check_open(call)
        deadline = self._loop.time() + timeout
        await self._until(call, lambda: self.video_in_page is not None, timeout, lambda: (
            f"no received video played in the {self.name}'s widget within {timeout:g} s ("
            + ("track events so far: " + ", ".join(self.received_tracks) if self.received_tracks
               else "the page received no track") + "); is `pc` displayed in a cell of this notebook?"))
        while True:
            videos = [v for v in await self._request("videosInPage") or [] if isinstance(v, dict)]
            playing = [v for v in videos if v.get("playing")]
            if playing:
                return int(playing[0].get("width") or 0), int(playing[0].get("height") or 0)
            if self._loop.time() >= deadline:
                raise WaitTimeout(f"{call}: no received video plays in the {self.name}'s widget now, after "
                                  f"{timeout:g} s: " + videos_words(videos))
            await asyncio.sleep(min(0.25, max(0.0, deadline - self._loop.time())))

    # -- talking to the page -----------------------------------------------------

    def _post_call(self, method: str, args: list[Any]) -> None:
        self._page.post(method, args)

    async def _request(self, method: str, *args: Any, check_open: bool = True) -> Any:
        if check_open:
            self._check_open(f"{method}()")
        self.events.add(self.name, "call", method)
        return await self._page.request(method, list(args))

    @interruptible
    async def round_trip(self) -> float:
        """peerlab's own: seconds for one call to the page and its answer, over the link (``pc.link``)."""
        await self._page.wait_for_link("round_trip()")
        start = time.perf_counter()
        await self._page.request("ping", [])
        return time.perf_counter() - start

    async def attach_page(self, link: PageLink, hello: dict[str, Any]) -> bool:
        """A page said hello over ``link`` (the bridge's WebSocket, or the comm): link it, or refuse it."""
        if not await self._page.attach(link, hello):
            return False
        states = hello.get("states")
        if isinstance(states, dict):
            for state in STATES:
                if isinstance(states.get(state), str):
                    self._set_state(state, states[state], dispatch=False)
        self.events.add(self.name, "note", "page", f"linked by {CHANNEL_WORDS.get(link.channel, link.channel)}")
        return True

    def detach_page(self, link: PageLink) -> None:
        """The page's link closed (a reload, a closed tab); the calls waiting on it fail."""
        self._page.detach(link)

    def _page_gone(self) -> None:
        """The page that held the connection went away: its states read ``closed``, and every wait ends."""
        if not self._closed:
            for state in ("signalingState", "iceConnectionState", "connectionState"):
                self._set_state(state, "closed", dispatch=False)
            for channel in self._channels.values():
                channel._state = "closed"
        self.events.add(self.name, "note", "page", "gone")

    def _from_comm(self, message: dict[str, Any]) -> None:
        """One message over the widget's comm, on the loop: a hello, the page's report, or one for the linked page."""
        kind = message.get("type")
        if kind == "hello":
            self._loop.create_task(self.attach_page(CommLink(self.widget), message))
        elif kind == "report":
            failures = message.get("failures")
            if isinstance(failures, dict):
                self._page.reported(failures, bool(message.get("final")))
        elif self._page.channel == "comm":
            self.on_page_message(message)

    def on_page_message(self, message: dict[str, Any]) -> None:
        """The bridge: one message from the page (a call's result or error, an event, a state)."""
        kind = message.get("type")
        if kind in ("result", "error"):
            self._page.answer(message, browser_error)
        elif kind == "state":
            name, value = message.get("name"), message.get("value")
            if name in STATES and isinstance(value, str) and not self._closed:
                self._set_state(str(name), value)
        elif kind == "icecandidate":
            raw = message.get("candidate")
            candidate = RTCIceCandidate(raw) if isinstance(raw, dict) and raw.get("candidate") else None
            if self._closed:
                return
            if self.listeners("icecandidate"):
                self._dispatch_candidate(candidate)
            else:
                self._held.append(candidate)
                self.events.add(self.name, "note", "icecandidate", "held: no listener yet")
        elif kind == "datachannel":
            channel = BrowserDataChannel(self, str(message.get("channel")), str(message.get("label", "")),
                                         str(message.get("readyState") or "connecting"))
            self._channels[channel._id] = channel
            self.datachannels.append(channel)
            self.events.add(self.name, "event", "datachannel")
            self.dispatchEvent(RTCDataChannelEvent(channel))  # type: ignore[arg-type]
        elif kind == "track":
            self.received_tracks.append(str(message.get("kind")))
            self.events.add(self.name, "event", "track", str(message.get("kind")))
        elif kind == "video":
            if self.video_in_page is None and not self._closed:
                self.video_in_page = (int(message.get("width") or 0), int(message.get("height") or 0))
                self.events.add(self.name, "note", "video", "{}×{} playing in the page".format(*self.video_in_page))
        elif kind == "channel":
            found = self._channels.get(str(message.get("channel")))
            if found is not None:
                found._on_page(message)

    def _set_state(self, state: str, value: str, dispatch: bool = True) -> None:
        if self._states[state] == value:
            return
        self._states[state] = value
        self.events.add(self.name, "state", state, value)
        if dispatch:
            self.dispatchEvent(Event(state.lower() + "change"))

    def _dispatch_candidate(self, candidate: RTCIceCandidate | None) -> None:
        if candidate is not None:
            self._gathered.append(str(candidate.type or "?"))
        self.events.add(self.name, "event", "icecandidate", "end-of-candidates" if candidate is None
                        else str(candidate.type or ""))
        self.dispatchEvent(RTCPeerConnectionIceEvent(candidate))
        if candidate is None:
            self._end_dispatched = True
            self.events.add(self.name, "note", "icecandidate", "end dispatched")

    def _listener_added(self, type: str, listener: Any) -> None:
        if type == "icecandidate" and self._held:
            held, self._held = self._held, []
            count = sum(c is not None for c in held)
            note(f"{count} ICE candidate(s){' and the end-of-candidates event' if None in held else ''} came from "
                 "the browser before this listener existed. A browser fires them at nobody; peerlab held them and "
                 "delivers them now. Real code registers the listener before setLocalDescription.",
                 HeldCandidatesNote)
            for candidate in held:
                self._dispatch_candidate(candidate)

    def _check_open(self, call: str) -> None:
        if self._closed:
            raise StepOrderError(f"{call}: the {self.name}'s connection is closed. Start again from step 1 "
                                 "with a new RTCPeerConnection().")
        if self._page.is_gone:
            raise BrowserUnavailable(f"{call}: {self._page.lost}")

    async def _until(self, call: str, predicate: Callable[[], bool], timeout: float,
                     message: Callable[[], str]) -> None:
        """peerlab's wait (:func:`peerlab.webrtc.waiting.until`) once a page holds this peer; ends if the page goes.

        Once the page is gone, it says so at once, even where the condition held before it went: what the
        kernel knew of the page's connection is of a connection that no longer exists.
        """
        raise_listener_error(self)
        if self._page.is_gone:
            raise BrowserUnavailable(f"{call}: {self._page.lost}")
        if predicate():
            return
        await self._page.wait_for_link(call)

        def reached() -> bool:
            if predicate():
                return True
            if self._page.lost is not None:
                raise BrowserUnavailable(f"{call}: {self._page.lost}")
            return False

        await until(self, reached, timeout, message)

    def _description(self, value: Any) -> BrowserSessionDescription:
        if not isinstance(value, dict) or "sdp" not in value:
            raise PeerlabError(f"the page answered with {value!r}, not a description")
        made = BrowserSessionDescription(sdp=str(value["sdp"]), type=str(value.get("type")))
        made._maker = self
        return made

    def _refuse(self, refusal: rules.Refusal | None) -> None:
        """Raise what the rules refuse before asking the page, in the installed words (the guide's steps).

        Only what a re-run cell meets (the answer set already), and only while a page holds the connection:
        its states are then the page's, and the page would refuse the call too, in words that name no step.
        """
        if refusal is not None and refusal.reason in ("already-answered", "answer-applied") and not self._closed \
                and self._page.link is not None:
            raise StepOrderError(wording.current().refused(self, refusal))  # type: ignore[arg-type]
