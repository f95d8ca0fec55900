"""``peerlab.join``: a signalling endpoint that reaches the far peer through ``peerlab serve``.

The endpoint has the Loopback endpoint's interface (:class:`peerlab.signalling.endpoint.SignallingEndpoint`),
so a lesson's cells do not change when the far peer moves to another kernel or another laptop.
The server's own messages (``joined``, ``left``, ``replaced``, ``error``) never reach
``receive()``: they are kept in ``events``, explain a wait that runs out, and an ``error`` about
a message this endpoint sent is raised by its next ``send()`` or ``receive()``.

The endpoint also tells the server how its peer's connection is doing, for the teacher's status
page: it watches the connection whose offer or answer it carries (found by the description's ICE
username fragment, :func:`peerlab.webrtc.connection.connection_of`), or one given to
:meth:`WebSocketEndpoint.report_state`, and sends a ``state`` report (never relayed to the other
role, never in the transcript) now and whenever its ``connectionState`` or ``iceConnectionState`` changes.

What a frame means (:func:`read_frame`, :func:`far_presence`, :func:`refusal`, :func:`closed_error`)
is decided by pure functions, apart from the socket; :class:`WebSocketEndpoint` only moves frames.
"""

from __future__ import annotations

import asyncio
import json
import uuid
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from ..defaults import DEFAULT_WAIT
from ..errors import (
    JoinRefused,
    MessageRefused,
    PeerlabNote,
    SignallingClosed,
    SignallingUnreachable,
    note,
)
from ..webrtc.connection import RTCPeerConnection, connection_of
from ..webrtc.events import LogEntry
from ..webrtc.interrupts import Wait, interruptible
from ..webrtc.sdp import ice_ufrag
from .facts import FarSide
from .messages import MESSAGE_TYPES, OFFER_UFRAG, REPORT_TYPES, Message, a_message, encode, other_role
from .network import Frame, NetworkEndpoint
from .server import served_here
from .server_wire import SERVER_TYPES, CloseCode, join_url, split_url

__all__ = ["join", "WebSocketEndpoint", "CLIENT_ID", "read_frame", "far_presence", "refusal", "closed_error",
           "stale_words"]

#: This process's client id, made once: a re-run of a join cell in the same kernel replaces
#: the socket the last run opened (same room and role) instead of being refused.
CLIENT_ID = uuid.uuid4().hex


async def join(url: str, room: str, role: str = "caller", token: str | None = None, *,
               client_id: str | None = None, timeout: float = DEFAULT_WAIT) -> WebSocketEndpoint:
    """Join ``room`` on the signalling server at ``url`` as ``role``; return the endpoint.

    ``url`` is what ``peerlab serve`` printed (``ws://HOST:PORT/``, maybe with ``?token=...``).
    Raises :class:`JoinRefused` if the role is taken by another client (the message names who),
    and :class:`SignallingUnreachable` if nothing answers at ``url``.
    """
    base, url_token = split_url(url)
    token = token if token is not None else url_token
    client = client_id or CLIENT_ID
    joining = Wait(role, f"the server at {base} to let it join room {room!r}",
                   "it has not joined, so run the cell again to join")
    try:
        ws = await interruptible(connect(join_url(base, room=room, role=role, client=client, token=token),
                                         open_timeout=timeout, compression=None, max_size=2**22), joining)
    except InvalidStatus as exc:
        status = exc.response.status_code
        body = bytes(exc.response.body).decode(errors="replace").strip()
        reason = "token" if status == 403 else "bad-join"
        raise JoinRefused(f"The signalling server at {base} refused to let the {role} join room {room!r} "
                          f"(HTTP {status}): {body}", url=base, room=room, role=role, reason=reason) from exc
    except InvalidURI as exc:
        raise SignallingUnreachable(f"{url!r} is not a WebSocket URL: it looks like ws://HOST:PORT/, as "
                                    "`peerlab serve` prints it.", url=base) from exc
    except (TimeoutError, OSError, InvalidHandshake) as exc:
        ours = served_here(base)
        if ours is not None and ours.closed:
            raise SignallingUnreachable(
                f"Nothing answers at {base}: the signalling server this kernel started there (peerlab.serve) "
                "was closed. Re-run the cell that started it (a lesson's set-up cell) for a new one, then this "
                "cell.", url=base) from exc
        raise SignallingUnreachable(
            f"Nothing answers at {base} ({type(exc).__name__}: {exc}). Is `peerlab serve` running there? "
            "Check the address and port it printed, and that both machines are on the same network.",
            url=base) from exc
    try:
        first = json.loads(await interruptible(asyncio.wait_for(ws.recv(), timeout), joining))
    except asyncio.CancelledError:
        await asyncio.shield(ws.close())  # interrupted: leave nothing half-joined behind
        raise
    except (TimeoutError, ConnectionClosed, ValueError) as exc:
        await ws.close()
        raise SignallingUnreachable(f"The server at {base} did not answer the {role}'s join of room {room!r} "
                                    f"({type(exc).__name__}: {exc}): is it a peerlab server?", url=base) from exc
    data = first.get("data") or {}
    if first.get("type") == "refused":
        await ws.close()
        raise JoinRefused(f"The signalling server at {base} refused to let the {role} join: {data.get('message')}",
                          url=base, room=room, role=role, reason=data.get("reason", ""),
                          present=data.get("present"))
    if first.get("type") != "joined":
        await ws.close()
        raise SignallingUnreachable(f"The server at {base} answered the join with {str(first)[:80]}, not "
                                    "'joined': is it a peerlab server?", url=base)
    endpoint = WebSocketEndpoint(ws, base, room, role, client, data, token=token)
    if data.get("replacing"):
        dropped = data.get("dropped") or 0
        lost = (f"; {dropped} message(s) it had sent that waited for the {other_role(role)} were dropped"
                if dropped else "")
        note(f"This process was already in room {room!r} as the {role}; the server closed that earlier "
             f"connection, since this join replaces it (re-running the join cell starts over){lost}.", PeerlabNote)
    return endpoint


#: The ICE username fragment of every offer this process sent through a joined endpoint -> its connection.
#: Kept across endpoints (a re-run join cell): an answer moved to the new socket still finds its offer.
_offered: dict[str, weakref.ref[RTCPeerConnection]] = {}


def stale_words(message: Message, offered: dict[str, weakref.ref[RTCPeerConnection]]) -> str | None:
    """Why ``message`` belongs to an earlier connection's offer (set it aside), or None (give it to ``receive()``).

    Only a message marked with its offer's ICE username fragment (``OFFER_UFRAG``, as a peerlab far callee
    marks its answer and candidates) can be told apart: when that offer is one of ``offered`` and its
    connection is closed (or gone), the message is stale. Anything else is given as it comes.
    """
    ufrag = message.get(OFFER_UFRAG)
    ref = offered.get(ufrag) if isinstance(ufrag, str) else None
    if ref is None:
        return None
    pc = ref()
    if pc is not None and pc.signalingState != "closed":
        return None
    what = "an answer to" if message.get("type") == "answer" else f"{a_message(message.get('type'))} for"
    return (f"set aside: {what} the offer of an earlier RTCPeerConnection, closed since "
            "(an earlier run of the set-up or of step 1)")


# -- what a frame means (no socket) ------------------------------------------------------------

def read_frame(frame: str | bytes) -> tuple[str, Message] | None:
    """A frame from the server as ``("server", message)`` (one of the server's own messages) or
    ``("relayed", message)`` (from the far side); None for anything else, which is not for the learner
    (a peerlab server sends JSON objects with a ``type``)."""
    try:
        message = json.loads(frame)
    except ValueError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return None
    return ("server" if message["type"] in SERVER_TYPES else "relayed"), message


def far_presence(message: Message, role: str) -> bool | None:
    """What one of the server's messages to ``role`` says of the far side: True, it came (a new
    client, or the same one again); False, it left; None, nothing."""
    kind, data = message["type"], message.get("data") or {}
    if (kind == "joined" and not data.get("you")) or (kind == "replaced" and data.get("role") != role):
        return True
    if kind == "left":
        return False
    return None


def refusal(data: dict[str, Any], url: str) -> MessageRefused:
    """The server's ``error`` message (its ``data``) as the error the learner's next call raises."""
    seq, about = data.get("seq"), data.get("type")
    what = f"your message #{seq}" + (f" ({about!r})" if about else "")
    words = data.get("message") or "no reason given"
    if not words.startswith("your message"):
        words = f"{what} was refused: {words}"
    return MessageRefused(f"The server at {url} says: {words}", code=data.get("code", ""), seq=seq, type=about,
                          reason=data.get("reason"))


def closed_error(code: int | None, reason: str, url: str, room: str, role: str,
                 token: str | None = None, *, here: bool = False) -> SignallingClosed:
    """Why the socket closed (its close ``code`` and ``reason``), and what to do, in the words a learner needs.

    ``url`` is the server's URL without its query; the join to run again carries ``token`` (a server
    with a token refuses a URL without it). ``here``: this process started the server
    (``peerlab.serve`` in the learner's own kernel).
    """
    where = f"room {room!r} on {url}"
    again = f"peerlab.join({join_again_url(url, token)!r}, room={room!r}, role={role!r})"
    if code == CloseCode.REPLACED:
        return SignallingClosed(f"this connection to {where} was replaced: this process joined the room "
                                f"as the {role} again (a re-run cell). Use the endpoint that join returned.")
    if code == CloseCode.IDLE:
        return SignallingClosed(f"the server closed this connection to {where}: {reason}. "
                                f"Join again: await {again}.")
    if code == CloseCode.POLICY:
        return SignallingClosed(f"the server closed this connection to {where}: {reason}. Read what it "
                                f"sends (receive()), then join again: await {again}.")
    if here and code == CloseCode.GOING_AWAY:
        return SignallingClosed(
            f"the signalling server at {url}, which this kernel started (peerlab.serve), was closed, so nothing "
            f"more comes in {where}. A connection already made goes on without it (the server is not on the "
            "data channel's path). For new signalling, re-run the cell that started the server (a lesson's "
            "set-up cell), then your join cell.")
    return SignallingClosed(
        f"the signalling server at {url} stopped or the connection to it was lost "
        f"(close code {code}{', ' + repr(reason) if reason else ''}), so nothing more comes in {where}. "
        f"When the server runs again (`peerlab serve`), join again: await {again} (re-run your join cell).")


def join_again_url(url: str, token: str | None) -> str:
    """The URL to give :func:`join` again: the server's ``url`` with ``?token=`` when it has one."""
    return url if token is None else f"{url}?{urlencode({'token': token})}"


# -- the endpoint -------------------------------------------------------------------------------

class WebSocketEndpoint(NetworkEndpoint):
    """One side of a room on ``peerlab serve``: ``send``, ``await receive``, ``on("message")``, ``close()``.

    Made by :func:`join`. ``name`` is the role (``"caller"`` or ``"callee"``); ``transcript``
    holds what this endpoint sent and received; ``events`` the server's own messages;
    ``far_present`` whether the other role is in the room; ``ice_servers`` the STUN and TURN
    servers the server handed out, ready for ``{"iceServers": signalling.ice_servers}``;
    ``reported`` the ``state`` reports it sent the server about its connection (:meth:`report_state`).
    """

    def __init__(self, ws: ClientConnection, url: str, room: str, role: str, client_id: str,
                 joined: dict[str, Any], *, token: str | None = None) -> None:
        self._ws = ws
        self.url = url
        self._token = token  # for the join to run again after the server restarts
        self.room = room
        self.client_id = client_id
        self.events: list[Message] = [{"type": "joined", "data": joined}]
        self.limits: dict[str, Any] = dict(joined.get("limits") or {})
        self.far_present = joined.get("peer") is not None
        #: Step 1's ``iceServers`` the server handed out (``peerlab serve --turn-url ... --turn-secret ...``):
        #: STUN, then TURN with credentials for this client that expire; ``[]`` from a server without them.
        self.ice_servers: list[dict[str, Any]] = list(joined.get("iceServers") or [])
        #: The ``state`` reports sent to the server, oldest first (a server older than them takes none).
        self.reported: list[Message] = []
        self._reports = "state" in (joined.get("reports") or ())
        self._watched: RTCPeerConnection | None = None
        self._unwatch: Callable[[], None] | None = None
        super().__init__(role, tuple(joined.get("types") or MESSAGE_TYPES))

    def __repr__(self) -> str:
        state = "closed" if self.closed else (
            f"the {other_role(self.name)} {'is here' if self.far_present else 'has not joined'}")
        return (f"<WebSocketEndpoint {self.name} in room {self.room!r} on {self.url}: {state}, "
                f"{len(self._inbox)} waiting>")

    # -- the connection's state, for the status page ---------------------------------

    def report_state(self, pc: RTCPeerConnection) -> None:
        """Tell the server ``pc``'s ``connectionState`` now and at every change, until another connection
        is reported or this endpoint closes: the teacher's status page shows it for this role.

        Done by itself for the connection whose offer or answer this endpoint sends; call it for
        another one. Nothing is sent to the other role.
        """
        if not self._reports or pc is self._watched:
            return
        self._stop_watching()
        self._watched = pc
        self._unwatch = pc.events.watch(self._state_changed)
        self._report(pc)

    def _state_changed(self, entry: LogEntry) -> None:
        if entry.kind == "state" and entry.name in ("connectionState", "iceConnectionState") \
                and self._watched is not None:
            self._report(self._watched)

    def _report(self, pc: RTCPeerConnection) -> None:
        if self._closed is not None:
            return
        message = {"type": "state", "data": {"connectionState": pc.connectionState,
                                             "iceConnectionState": pc.iceConnectionState}}
        if self.reported and self.reported[-1] == message:
            return
        _, text = encode(message, REPORT_TYPES)
        self.reported.append(message)
        self._outgoing.put_nowait(text)

    def _stop_watching(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
        self._watched = self._unwatch = None

    def _send(self, message: Message) -> None:
        super()._send(message)
        if isinstance(message, dict) and message.get("type") in ("offer", "answer"):
            data = message.get("data")
            sdp = data.get("sdp") if isinstance(data, dict) else getattr(data, "sdp", None)
            pc = connection_of(sdp)
            if pc is not None:
                ufrag = ice_ufrag(sdp)
                if message["type"] == "offer" and ufrag is not None:
                    _offered[ufrag] = weakref.ref(pc)
                if self._reports:
                    self.report_state(pc)

    # -- what belongs to an earlier connection's offer ---------------------------------

    def _stale(self, message: Message) -> str | None:
        """Why ``message`` is set aside: the far callee marked it as belonging to an offer this process
        sent for a connection closed since (the learner started over: a new RTCPeerConnection)."""
        return stale_words(message, _offered)

    def _stale_words(self, kind: str | None) -> str:
        """For a wait that ran out: what this endpoint set aside, if anything."""
        if not self.set_aside or kind not in ("answer", "candidate", None):
            return ""
        kinds = {self._transcript[seq - 1].type for seq in self._aside}
        offer = ("the offer of an earlier RTCPeerConnection of this process, closed since (an earlier run of the "
                 "set-up or of step 1),")
        if "answer" not in kinds:
            return f" Its candidates for {offer} came and were set aside: no receive() gets them."
        if "candidate" not in kinds:
            return f" Its answer to {offer} came and was set aside: no receive() gets it."
        return f" Its answer to {offer} came and was set aside, with its candidates: no receive() gets them."

    # -- how bytes move ---------------------------------------------------------------

    def _framed(self, wire: Message, text: str) -> tuple[Frame | None, int, str]:
        """One JSON text frame; refused here if the server would refuse it for its size."""
        size = len(text.encode())
        cap = self.limits.get("max_message_bytes")
        if cap is not None and size > cap:
            raise MessageRefused(f"the {wire['type']!r} message is {size} bytes and the server at {self.url} takes "
                                 f"up to {cap}: it was not sent", code="too-big", type=wire["type"])
        return text, size, ""

    async def _read_frames(self) -> SignallingClosed:
        try:
            async for frame in self._ws:
                read = read_frame(frame)
                if read is None:
                    continue
                kind, message = read
                if kind == "server":
                    self._server_said(message)
                else:
                    self._arrived(message, len(frame) if isinstance(frame, str) else 0)
        except ConnectionClosed:
            pass
        ws = self._ws
        return closed_error(ws.close_code, ws.close_reason or "", self.url, self.room, self.name, self._token,
                            here=served_here(self.url) is not None)

    async def _write_frame(self, frame: Frame) -> bool:
        try:
            await self._ws.send(frame)
        except ConnectionClosed:
            return False
        return True

    async def _shut(self) -> None:
        self._stop_watching()
        await self._ws.close()

    def _closed_by_us(self) -> SignallingClosed:
        return SignallingClosed(f"this endpoint left room {self.room!r} on {self.url} (close() was called): "
                                "join again for a new one")

    # -- what the server says -----------------------------------------------------------

    def _server_said(self, message: Message) -> None:
        self.events.append(message)
        present = far_presence(message, self.name)
        if present is not None:
            self.far_present = present
            if present:
                self._far_joined()
        if message["type"] == "error":
            self._problem(refusal(message.get("data") or {}, self.url))

    def _far_side(self, kind: str | None) -> FarSide:
        far = other_role(self.name)
        if self.far_present:
            return FarSide(words=f"The {far} is in room {self.room!r}.{self._stale_words(kind)}")
        left = next((e for e in reversed(self.events) if e["type"] == "left"), None)
        was = (f"The {far} left room {self.room!r} ({left['data'].get('reason')})" if left
               else f"The {far} has not joined room {self.room!r}")
        return FarSide(present=False, words=f"{was} on {self.url}: messages reach it only once it joins "
                                            f"(peerlab.join(..., room={self.room!r}, role={far!r})).")
