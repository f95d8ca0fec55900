"""``peerlab.join``: a signalling endpoint that reaches the far peer through ``peerlab serve``.

The endpoint has the Loopback endpoint's interface (:class:`peerlab.signalling.endpoint.SignallingEndpoint`),
so a lesson's cells do not change when the far peer moves to another kernel or another laptop.
The server's own messages (``joined``, ``left``, ``replaced``, ``error``) never reach
``receive()``: they are kept in ``events``, explain a wait that runs out, and an ``error`` about
a message this endpoint sent is raised by its next ``send()`` or ``receive()``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from ..defaults import DEFAULT_WAIT
from ..errors import (
    JoinRefused,
    MessageRefused,
    PeerlabNote,
    SignallingClosed,
    SignallingError,
    SignallingUnreachable,
    note,
)
from ..teaching.steps import sender_of
from .messages import MESSAGE_TYPES, Message, encode, other_role
from .network import Inbox
from .server_wire import SERVER_TYPES, CloseCode, join_url, split_url
from .transcript import Transcript

if TYPE_CHECKING:
    from .loopback import Player

__all__ = ["join", "WebSocketEndpoint", "CLIENT_ID"]

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
    try:
        ws = await connect(join_url(base, room=room, role=role, client=client, token=token),
                           open_timeout=timeout, compression=None, max_size=2**22)
    except InvalidStatus as exc:
        status = exc.response.status_code
        body = bytes(exc.response.body).decode(errors="replace").strip()
        reason = "token" if status == 403 else "bad-join"
        raise JoinRefused(f"The signalling server at {base} refused to let the {role} join room {room!r} "
                          f"(HTTP {status}): {body}", url=base, room=room, role=role, reason=reason) from exc
    except InvalidURI as exc:
        raise SignallingUnreachable(f"{url!r} is not a WebSocket URL: it looks like ws://HOST:PORT/, as "
                                    "`peerlab serve` prints it.", url=base) from exc
    except (OSError, asyncio.TimeoutError, InvalidHandshake) as exc:
        raise SignallingUnreachable(
            f"Nothing answers at {base} ({type(exc).__name__}: {exc}). Is `peerlab serve` running there? "
            "Check the address and port it printed, and that both machines are on the same network.",
            url=base) from exc
    try:
        first = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    except (ConnectionClosed, asyncio.TimeoutError, ValueError) as exc:
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
    endpoint = WebSocketEndpoint(ws, base, room, role, client, data)
    if data.get("replacing"):
        dropped = data.get("dropped") or 0
        lost = (f"; {dropped} message(s) it had sent that waited for the {other_role(role)} were dropped"
                if dropped else "")
        note(f"This process was already in room {room!r} as the {role}; the server closed that earlier "
             f"connection, since this join replaces it (re-running the join cell starts over){lost}.", PeerlabNote)
    return endpoint


class WebSocketEndpoint(Inbox):
    """One side of a room on ``peerlab serve``: ``send``, ``await receive``, ``on("message")``, ``close()``.

    Made by :func:`join`. ``name`` is the role (``"caller"`` or ``"callee"``); ``transcript``
    holds what this endpoint sent and received; ``events`` the server's own messages.
    """

    def __init__(self, ws: ClientConnection, url: str, room: str, role: str, client_id: str,
                 joined: dict[str, Any]) -> None:
        self._ws = ws
        self.url = url
        self.room = room
        self.name = role
        self.client_id = client_id
        self.transcript = Transcript()
        self.events: list[Message] = [{"type": "joined", "data": joined}]
        self.limits: dict[str, Any] = dict(joined.get("limits") or {})
        self.types: tuple[str, ...] = tuple(joined.get("types") or MESSAGE_TYPES)
        self.far_present = joined.get("peer") is not None
        super().__init__()
        self._closing: asyncio.Task[None] | None = None
        self._player: Player | None = None  # a scripted peer playing this endpoint (peerlab.teaching.scripted)
        self._far_watchers: list[Callable[[], None]] = []
        self._outgoing: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._read())
        self._writer = loop.create_task(self._write())

    # -- the Loopback endpoint's interface -------------------------------------

    def send(self, message: Message) -> None:
        """Send ``message`` (``{"type": ..., "data": ...}``) to the far side as one JSON text frame.

        Returns at once. Raises :class:`MessageRefused` first if the server refused an earlier
        message, :class:`SignallingClosed` if the connection is closed.
        """
        self._raise_problem()
        if self._closed is not None:
            raise SignallingClosed(f"{self.name}.send(): {self._closed}")
        self._send(message)

    def _send(self, message: Message) -> None:
        wire, text = encode(message, self.types)
        size = len(text.encode())
        cap = self.limits.get("max_message_bytes")
        if cap is not None and size > cap:
            raise MessageRefused(f"the {wire['type']!r} message is {size} bytes and the server at {self.url} takes "
                                 f"up to {cap}: it was not sent", code="too-big", type=wire["type"])
        self._record(self.name, other_role(self.name), wire, size)
        self._outgoing.put_nowait(text)

    def close(self) -> asyncio.Task[None]:
        """Leave the room and close the socket; ``await`` the result to wait until it is closed."""
        if self._closing is None:
            self._set_closed(SignallingClosed(
                f"this endpoint left room {self.room!r} on {self.url} (close() was called): "
                f"join again for a new one"))
            self._closing = asyncio.get_running_loop().create_task(self._close())
        return self._closing

    @property
    def closed(self) -> bool:
        """Whether this endpoint's connection to the server has ended."""
        return self._closed is not None

    async def wait_closed(self) -> SignallingClosed:
        """Wait until the connection ends (close(), the server stopped, it was lost); returns why."""
        await asyncio.shield(self._reader)
        assert self._closed is not None
        return self._closed

    # -- what a scripted peer asks (peerlab.signalling.endpoint.PlayableEndpoint) -------------

    @property
    def player(self) -> Player | None:
        """The scripted peer playing this endpoint, if any."""
        return self._player

    def attach(self, player: Player) -> None:
        """``player`` plays this endpoint from now on: it gets every message, those waiting first."""
        self._player = player
        waiting, self._inbox = self._inbox, deque()
        for message in waiting:
            player.deliver(message)

    def detach(self, player: Player) -> None:
        """``player`` stops playing this endpoint."""
        if self._player is player:
            self._player = None
            self._far_watchers.clear()

    def relay(self, message: Message) -> None:
        """Send ``message`` for the scripted peer playing here; nothing if the connection has ended."""
        if self._closed is None:
            self._send(message)

    def learner(self) -> None:
        """The learner's endpoint is across the network: a scripted peer here cannot look at it."""
        return None

    def watch_far(self, callback: Callable[[], None]) -> bool:
        """Call ``callback()`` whenever the other role joins the room, or its client joins again."""
        self._far_watchers.append(callback)
        return self.far_present

    async def __aenter__(self) -> WebSocketEndpoint:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed is not None else (
            f"the {other_role(self.name)} {'is here' if self.far_present else 'has not joined'}")
        return (f"<WebSocketEndpoint {self.name} in room {self.room!r} on {self.url}: {state}, "
                f"{len(self._inbox)} waiting>")

    # -- the socket --------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                try:
                    message = json.loads(frame)
                except ValueError:
                    continue  # a peerlab server sends JSON; anything else is not for the learner
                if not isinstance(message, dict):
                    continue
                if message.get("type") in SERVER_TYPES:
                    self._server_said(message)
                else:
                    self._deliver(message, len(frame) if isinstance(frame, str) else 0)
        except ConnectionClosed:
            pass
        finally:
            self._set_closed(self._closed_error())

    async def _write(self) -> None:
        while True:
            text = await self._outgoing.get()
            if text is None:
                return
            try:
                await self._ws.send(text)
            except ConnectionClosed:
                return  # the reader says why, to every waiting receive()

    async def _close(self) -> None:
        self._outgoing.put_nowait(None)
        await self._writer
        await self._ws.close()
        await self._reader
        for task in list(self._handler_tasks):
            task.cancel()
        if self._handler_tasks:
            await asyncio.gather(*self._handler_tasks, return_exceptions=True)

    def _closed_error(self) -> SignallingClosed:
        """Why the socket closed, and what to do, in the words a learner needs."""
        code, reason = self._ws.close_code, self._ws.close_reason or ""
        where = f"room {self.room!r} on {self.url}"
        again = f"peerlab.join({self.url!r}, room={self.room!r}, role={self.name!r})"
        if code == CloseCode.REPLACED:
            return SignallingClosed(f"this connection to {where} was replaced: this process joined the room "
                                    f"as the {self.name} again (a re-run cell). Use the endpoint that join returned.")
        if code == CloseCode.IDLE:
            return SignallingClosed(f"the server closed this connection to {where}: {reason}. "
                                    f"Join again: await {again}.")
        if code == CloseCode.POLICY:
            return SignallingClosed(f"the server closed this connection to {where}: {reason}. Read what it "
                                    f"sends (receive()), then join again: await {again}.")
        return SignallingClosed(
            f"the signalling server at {self.url} stopped or the connection to it was lost "
            f"(close code {code}{', ' + repr(reason) if reason else ''}), so nothing more comes in {where}. "
            f"When the server runs again (`peerlab serve`), join again: await {again} (re-run your join cell).")

    def _set_closed(self, error: SignallingClosed) -> None:
        if self._closed is None:
            self._closed = error
            if self._player is not None:
                self._player.stop()  # a scripted peer plays as long as its signalling is open
        waiters, self._waiters = self._waiters, []
        for _, future in waiters:
            if not future.done():
                future.set_exception(self._closed)

    # -- what arrives ------------------------------------------------------------

    def _server_said(self, message: Message) -> None:
        self.events.append(message)
        kind, data = message["type"], message.get("data") or {}
        if (kind == "joined" and not data.get("you")) or (kind == "replaced" and data.get("role") != self.name):
            self.far_present = True
            for watcher in list(self._far_watchers):
                watcher()
        elif kind == "left":
            self.far_present = False
        elif kind == "error":
            seq, about = data.get("seq"), data.get("type")
            what = f"your message #{seq}" + (f" ({about!r})" if about else "")
            words = data.get("message") or "no reason given"
            if not words.startswith("your message"):
                words = f"{what} was refused: {words}"
            self._problem(MessageRefused(f"The server at {self.url} says: {words}", code=data.get("code", ""),
                                         seq=seq, type=about, reason=data.get("reason")))

    def _problem(self, error: SignallingError) -> None:
        """Raise ``error`` in every waiting receive(); with none waiting, in the next send() or receive()."""
        waiters, self._waiters = self._waiters, []
        live = [f for _, f in waiters if not f.done()]
        for future in live:
            future.set_exception(error)
        if not live:
            self._problems.append(error)

    def _deliver(self, message: Message, size: int) -> None:
        if "type" not in message:
            return
        self._record(other_role(self.name), self.name, message, size)
        if self._player is not None:
            self._player.deliver(message)
            self._call_handlers(message)
            return
        self._hand_over(message)

    def _record(self, sender: str, receiver: str, message: Message, size: int) -> None:
        self.transcript.record(sender, receiver, message, size)

    # -- why nothing came ----------------------------------------------------------

    def _explain(self, kind: str | None) -> tuple[str, str]:
        """Why no ``kind`` message came, as far as this side can tell: (reason, words)."""
        far = other_role(self.name)
        if not self.far_present:
            left = next((e for e in reversed(self.events) if e["type"] == "left"), None)
            was = (f"The {far} left room {self.room!r} ({left['data'].get('reason')})" if left
                   else f"The {far} has not joined room {self.room!r}")
            return "far-absent", (f"{was} on {self.url}: messages reach it only once it joins "
                                  f"(peerlab.join(..., room={self.room!r}, role={far!r})).")
        got = [e for e in self.transcript if e.receiver == self.name and e.type == kind]
        if kind in ("offer", "answer") and got and not any(m["type"] == kind for m in self._inbox):
            return "consumed", (f"The {kind} the {far} sent was already received by an earlier receive(), and "
                                f"no other is on its way: the {far} sends one per negotiation.")
        if kind == "candidate" and got and got[-1].message.get("data") is None:
            return "consumed", (f"The candidates the {far} sent, up to its end-of-candidates, were already "
                                "received by an earlier receive().")
        return "not-sent", f"The {far} is in room {self.room!r}. {sender_of(kind, self.name)}"
