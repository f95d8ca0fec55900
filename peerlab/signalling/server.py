"""``peerlab serve``: a WebSocket signalling server for rooms of two, on ``websockets``' asyncio API.

Each room has one ``caller`` and one ``callee``; the server relays the Loopback's JSON
messages between them, one per text frame, and answers with its own messages
(``joined``, ``left``, ``replaced``, ``refused``, ``error``: see :mod:`peerlab.signalling.server_wire`
and README.md). The same port serves a status page at ``/`` for the teacher. A peer's ``state``
reports (its connection's ``connectionState``) are kept for that page, never relayed.

The server never lets one client's mistakes reach another room: every frame is checked
against the caps below, a bad one earns its sender an ``error``, and a message that cannot
be delivered is reported to its sender rather than dropped.

Started with STUN and TURN URLs and a TURN secret (``peerlab serve --turn-url turn:HOST:3478
--turn-secret S``), it hands each client step 1's ``iceServers`` in its ``joined`` message, with
TURN credentials of its own that expire (:mod:`peerlab.signalling.turn`): learners on different
networks then reach each other through the teacher's coturn.
"""

from __future__ import annotations

import asyncio
import errno
import http
import json
import logging
import secrets
import socket
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qs

from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as websockets_serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..errors import PeerlabNote, ServerStartError, note
from .hooks import hooks
from .messages import MESSAGE_TYPES, REPORT_TYPES, ROLES, check_message, other_role
from .server_wire import CloseCode, check_name, split_url
from .status_page import STATUS_PAGE, room_state
from .turn import DEFAULT_TTL, check_ice_urls, ice_servers

__all__ = [
    "served_here",
    "SignallingServer", "Limits", "serve", "DEFAULT_HOST", "DEFAULT_PORT", "MAX_MESSAGE_BYTES",
    "HARD_FRAME_BYTES", "MESSAGES_PER_SECOND", "BURST", "MAX_ROOMS", "MAX_CLIENTS", "IDLE_TIMEOUT",
    "HOLD_LIMIT", "OUTBOX_LIMIT", "local_addresses",
]

log = logging.getLogger("peerlab.server")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MAX_MESSAGE_BYTES = 64 * 1024          # an offer with candidates is a few KiB
HARD_FRAME_BYTES = 4 * MAX_MESSAGE_BYTES  # above this websockets closes the socket (1009) unread
MESSAGES_PER_SECOND = 100              # per client, sustained ...
BURST = 200                            # ... with this many at once
MAX_ROOMS = 250
MAX_CLIENTS = 500
IDLE_TIMEOUT = 3600.0                  # seconds without a frame from a client before it is closed
HOLD_LIMIT = 64                        # messages kept for a role that has not joined yet
OUTBOX_LIMIT = 256                     # messages queued for a client that reads slowly
STOPPED_REASON = "peerlab serve stopped"


@dataclass(frozen=True)
class Limits:
    """The caps one server applies; ``serve()`` takes each as a keyword."""

    max_message_bytes: int = MAX_MESSAGE_BYTES
    messages_per_second: float = MESSAGES_PER_SECOND
    burst: int = BURST
    max_rooms: int = MAX_ROOMS
    max_clients: int = MAX_CLIENTS
    idle_timeout: float = IDLE_TIMEOUT
    hold_limit: int = HOLD_LIMIT
    outbox_limit: int = OUTBOX_LIMIT


@dataclass(eq=False, slots=True)
class _Item:
    """One frame on its way to a client; ``origin`` is the client that sent it (None: the server)."""

    text: str
    origin: _Client | None = None
    seq: int = 0
    type: str = ""


class _Outbox:
    """What waits to be written to one client, in order (``None``: stop), and its writer's wake-up call.

    An ``asyncio.Queue`` does the same with more work per message (its getters, putters and
    unfinished-task count); this is a deque and one future, set only while the writer waits.
    """

    __slots__ = ("_waiter", "items")

    def __init__(self) -> None:
        self.items: deque[_Item | None] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self.items)

    def empty(self) -> bool:
        return not self.items

    def put_nowait(self, item: _Item | None) -> None:
        self.items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def get_nowait(self) -> _Item | None:
        return self.items.popleft()

    async def wait(self) -> None:
        """Until something is put (at once if something waits already)."""
        if not self.items:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter


@dataclass(eq=False)
class _Client:
    ws: ServerConnection
    room: _Room
    role: str
    id: str
    address: str
    joined: float
    outbox: _Outbox
    received: int = 0                  # frames this client sent us (its message numbers)
    tokens: float = 0.0                # rate limit: a token bucket
    refill: float = 0.0
    gone: bool = False                 # left the room (closed, lost, replaced)
    writer: asyncio.Task[None] | None = None
    last: float = 0.0                  # loop time of its last frame (the idle timeout's start)
    watchdog: asyncio.TimerHandle | None = None  # the idle timeout: one timer per idle period, not per frame
    direction: str = ""                # its key in the room's counts, "caller→callee" or "callee→caller"
    connection: dict[str, str] | None = None  # its last ``state`` report: its connection's states
    reported: float = 0.0              # when that report came (time.monotonic())

    def short(self) -> str:
        return self.id[:8]


@dataclass(eq=False)
class _Room:
    name: str
    created: float
    members: dict[str, _Client] = field(default_factory=dict)
    held: dict[str, deque[_Item]] = field(default_factory=lambda: {r: deque() for r in ROLES})
    counts: dict[str, int] = field(default_factory=lambda: {f"{r}→{other_role(r)}": 0 for r in ROLES})
    by_type: dict[str, int] = field(default_factory=dict)
    last_type: str | None = None
    last_from: str | None = None
    last_time: float | None = None
    undelivered: int = 0
    errors: int = 0
    sent_types: dict[str, set[str]] = field(default_factory=lambda: {r: set() for r in ROLES})


def _dumps(kind: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": kind, "data": data}, separators=(",", ":"), ensure_ascii=False)


class SignallingServer:
    """A running ``peerlab serve``: ``url`` to join, ``page_url`` to watch, ``await close()`` to stop.

    Made by :func:`serve`; also an async context manager that closes it at the end.
    """

    def __init__(self, host: str, port: int, token: str | None, limits: Limits,
                 types: tuple[str, ...], *, stun_urls: Iterable[str] = (), turn_urls: Iterable[str] = (),
                 turn_secret: str | None = None, turn_ttl: float = DEFAULT_TTL) -> None:
        self.host = host
        self.token = token
        self.limits = limits
        self.types = types
        self.port = port
        #: The STUN and TURN URLs each client's ``joined`` message carries, TURN with credentials of its own.
        self.stun_urls = check_ice_urls(tuple(stun_urls), "stun")
        self.turn_urls = check_ice_urls(tuple(turn_urls), "turn")
        if bool(self.turn_urls) != (turn_secret is not None):
            raise ValueError("TURN URLs and a TURN secret go together: the server signs each client's TURN "
                             "credentials with the secret the TURN server has (coturn's static-auth-secret)")
        if turn_ttl <= 0:
            raise ValueError(f"turn_ttl is the credentials' lifetime in seconds, more than 0, not {turn_ttl!r}")
        self._turn_secret = turn_secret
        self.turn_ttl = turn_ttl
        self._rooms: dict[str, _Room] = {}
        self._clients: set[_Client] = set()
        self._server: Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()  # closing sockets in the background
        self._stopping = False
        self._asked: tuple[Any, ...] = ()  # what serve() was asked for: a re-run cell asking the same gets it again
        self._started = time.monotonic()
        self.relayed = 0     # messages delivered to the far side, over the server's life
        self.undelivered = 0
        self.errors = 0

    # -- public --------------------------------------------------------------

    @property
    def url(self) -> str:
        """The WebSocket URL to give :func:`peerlab.join` on this machine (with the token, if any)."""
        return self._url("ws", self._local_host())

    @property
    def page_url(self) -> str:
        """The status page's URL on this machine (with the token, if any)."""
        return self._url("http", self._local_host())

    @property
    def urls(self) -> list[str]:
        """The WebSocket URLs learners on other machines type: one per address of this machine."""
        if self.host not in ("0.0.0.0", "", "::"):
            return [self.url]
        return [self._url("ws", address) for address in local_addresses()]

    def ice_servers(self, room: str, role: str) -> list[dict[str, Any]]:
        """Step 1's ``iceServers`` for the ``role`` of ``room``: TURN credentials named ``ROOM.ROLE``, valid
        ``turn_ttl`` seconds from now (what its ``joined`` message carries; empty without STUN or TURN URLs)."""
        return ice_servers(stun_urls=self.stun_urls, turn_urls=self.turn_urls, secret=self._turn_secret,
                           name=f"{room}.{role}", ttl=self.turn_ttl)

    def status(self) -> dict[str, Any]:
        """What the status page shows, as JSON data: the server, then each room."""
        now = time.monotonic()
        return {
            "server": {"uptime": round(now - self._started, 1), "clients": len(self._clients),
                       "rooms": len(self._rooms), "relayed": self.relayed,
                       "undelivered": self.undelivered, "errors": self.errors,
                       "limits": asdict(self.limits)},
            "rooms": [self._room_status(room, now) for room in sorted(self._rooms.values(), key=lambda r: r.name)],
        }

    @property
    def closed(self) -> bool:
        """Whether it was closed (or never started)."""
        return self._stopping or self._server is None or not self._server.is_serving()

    async def close(self) -> None:
        """Stop: every client's socket closes with 1001 and the reason "peerlab serve stopped". Twice is fine."""
        self._stopping = True
        hooks().servers.forget(self)
        if self._server is not None:
            self._server.close(code=CloseCode.GOING_AWAY, reason=STOPPED_REASON)
            await self._server.wait_closed()
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> SignallingServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __str__(self) -> str:
        lines = [f"peerlab signalling server on {self.host}:{self.port}"]
        for url in self.urls:
            lines.append(f"  join:   await peerlab.join({url!r}, room='table-1', role='caller')")
        page = self.page_url if self.host not in ("0.0.0.0", "", "::") else None
        pages = [page] if page else [u.replace("ws://", "http://", 1) for u in self.urls]
        for url in pages:
            lines.append(f"  status: {url}")
        if self.stun_urls or self.turn_urls:
            lines.append(f"  ICE servers for every client: {', '.join(self.stun_urls + self.turn_urls)}"
                         + (f" (TURN credentials of its own, valid {self.turn_ttl / 3600:g} h)" if self.turn_urls
                            else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<SignallingServer {self.url}: {len(self._rooms)} rooms, {len(self._clients)} clients"
                f"{', closed' if self._server is not None and not self._server.is_serving() else ''}>")

    # -- start -----------------------------------------------------------------

    async def _start(self) -> None:
        try:
            self._server = await websockets_serve(
                self._handle, self.host, self.port, process_request=self._process_request,
                max_size=max(HARD_FRAME_BYTES, 4 * self.limits.max_message_bytes), compression=None,
                logger=logging.getLogger("peerlab.server.websockets"))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServerStartError(
                    f"port {self.port} on {self.host} is in use (another `peerlab serve`?): stop that one, "
                    "or pick another port (--port 8766, or port=0 for any free one)") from exc
            raise ServerStartError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}. "
                                   "Check the address (--host) belongs to this machine.") from exc
        self.port = self._server.sockets[0].getsockname()[1]

    def _local_host(self) -> str:
        if self.host in ("0.0.0.0", ""):
            return "127.0.0.1"
        if self.host == "::":
            return "[::1]"
        return f"[{self.host}]" if ":" in self.host else self.host

    def _url(self, scheme: str, host: str) -> str:
        query = f"?token={self.token}" if self.token else ""
        return f"{scheme}://{host}:{self.port}/{query}"

    # -- HTTP: the status page, the token --------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path, _, query = request.path.partition("?")
        params = parse_qs(query)
        given = params.get("token", [""])[-1]
        if self.token is not None and not secrets.compare_digest(given.encode(), self.token.encode()):
            what = "a wrong token" if given else "no token"
            return connection.respond(http.HTTPStatus.FORBIDDEN,
                                      f"This peerlab server needs its token and the URL has {what}: "
                                      "use the URL `peerlab serve` printed (it ends in ?token=...).\n")
        if "websocket" in request.headers.get("Upgrade", "").lower():
            if path != "/":
                return connection.respond(http.HTTPStatus.NOT_FOUND,
                                          f"Join at the server's root URL (/), not {path[:60]}.\n")
            return None
        if path == "/":
            return _respond(connection, STATUS_PAGE, "text/html; charset=utf-8")
        if path == "/status.json":
            return _respond(connection, json.dumps(self.status()), "application/json")
        return connection.respond(http.HTTPStatus.NOT_FOUND, "Not found: the status page is at /.\n")

    def _room_status(self, room: _Room, now: float) -> dict[str, Any]:
        members = {role: ({"client": c.short(), "address": c.address, "since": round(now - c.joined, 1),
                           "connection": None if c.connection is None else
                           {**c.connection, "age": round(now - c.reported, 1)}}
                          if (c := room.members.get(role)) else None) for role in ROLES}
        states = {role: c.connection["connectionState"] for role, c in room.members.items() if c.connection}
        last = None if room.last_type is None else {
            "type": room.last_type, "from": room.last_from, "age": round(now - (room.last_time or now), 1)}
        return {"name": room.name, "age": round(now - room.created, 1), "members": members,
                "messages": dict(room.counts), "by_type": dict(room.by_type), "last": last,
                "held": sum(len(q) for q in room.held.values()), "undelivered": room.undelivered,
                "errors": room.errors,
                "state": room_state(set(room.members), room.sent_types, states)}

    # -- one WebSocket ---------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        """One client's life: join, relay its frames, leave. Nothing here may stop the server."""
        client = await self._join(ws)
        if client is None:
            return
        try:
            await self._relay_from(client)
        except ConnectionClosed:
            pass
        except Exception:  # a bug: close this client only, keep the rest serving
            log.exception("relaying for %s in room %r failed", client.role, client.room.name)
            await ws.close(CloseCode.INTERNAL, "the server failed on your last message; join again")
        finally:
            if client.watchdog is not None:
                client.watchdog.cancel()
                client.watchdog = None
            self._leave(client, "stopped" if self._stopping else _leave_reason(ws))
            await self._stop_writer(client)

    async def _join(self, ws: ServerConnection) -> _Client | None:
        """Check the URL's room, role and client id; place the client, or refuse it and close."""
        params = {k: v[-1] for k, v in parse_qs((ws.request.path if ws.request else "").partition("?")[2]).items()}
        room_name, role, client_id = params.get("room"), params.get("role"), params.get("client")
        problem = check_name(room_name, "room") or check_name(client_id, "client id")
        if problem is None and role not in ROLES:
            problem = f"the role is {role!r}: it must be 'caller' or 'callee'" if role else "the URL has no role"
        if problem is not None:
            await self._refuse(ws, CloseCode.BAD_JOIN, "bad-join", room_name, role,
                               f"{problem}. Join at ws://HOST:PORT/?room=NAME&role=caller|callee&client=ID.")
            return None
        assert room_name is not None and role is not None and client_id is not None
        room = self._rooms.get(room_name)
        old = room.members.get(role) if room is not None else None
        if len(self._clients) >= self.limits.max_clients and (old is None or old.id != client_id):
            await self._refuse(ws, CloseCode.FULL, "full", room_name, role,
                               f"the server already has {len(self._clients)} clients, as many as it "
                               "takes (max_clients); ask the teacher, or try again later.", room)
            return None
        if room is None and len(self._rooms) >= self.limits.max_rooms:
            await self._refuse(ws, CloseCode.FULL, "full", room_name, role,
                               f"the server already has {len(self._rooms)} rooms, as many as it takes "
                               "(max_rooms): join a room that exists, or ask the teacher.")
            return None
        if old is not None and old.id != client_id:
            now = time.monotonic()
            await self._refuse(
                ws, CloseCode.ROLE_TAKEN, "role-taken", room_name, role,
                f"room {room_name!r} already has a {role}: client {old.short()} from {old.address}, there for "
                f"{now - old.joined:.0f} s. " + (
                    f"The {other_role(role)}'s place is free: join as {other_role(role)}, or pick another room."
                    if other_role(role) not in room.members  # type: ignore[union-attr]
                    else f"Its {other_role(role)} is client {room.members[other_role(role)].short()}: "  # type: ignore[union-attr]
                         "the room is full, pick another room."), room)
            return None
        if room is None:
            room = self._rooms[room_name] = _Room(room_name, time.monotonic())
        address = ws.remote_address[0] if ws.remote_address else "?"
        loop = asyncio.get_running_loop()
        client = _Client(ws, room, role, client_id, address, time.monotonic(), _Outbox(),
                         tokens=float(self.limits.burst), refill=time.monotonic(), last=loop.time(),
                         direction=f"{role}→{other_role(role)}")
        client.watchdog = loop.call_at(client.last + self.limits.idle_timeout, self._check_idle, client)
        room.members[role] = client
        self._clients.add(client)
        client.writer = loop.create_task(self._write(client))
        far = room.members.get(other_role(role))
        peer = {"role": far.role, "client": far.short()} if far else None
        dropped = self._replace(old, client) if old is not None else 0
        joined: dict[str, Any] = {"room": room.name, "role": role, "client": client.short(), "you": True,
                                  "peer": peer, "held": len(room.held[role]),
                                  "replacing": old is not None, "dropped": dropped,
                                  "limits": {"max_message_bytes": self.limits.max_message_bytes,
                                             "messages_per_second": self.limits.messages_per_second,
                                             "burst": self.limits.burst,
                                             "idle_timeout": self.limits.idle_timeout,
                                             "hold_limit": self.limits.hold_limit},
                                  "types": list(self.types), "reports": list(REPORT_TYPES)}
        if self.stun_urls or self.turn_urls:
            joined["iceServers"] = self.ice_servers(room.name, role)
        self._tell(client, "joined", joined)
        if old is not None:
            about = {"room": room.name, "role": role, "client": client.short(), "dropped": dropped}
            self._tell(client, "replaced", about)
            if far is not None:
                self._tell(far, "replaced", about)
        elif far is not None:
            self._tell(far, "joined", {"room": room.name, "role": role, "client": client.short(), "you": False,
                                       "peer": {"role": far.role, "client": far.short()}, "held": 0})
        while room.held[role]:
            self._enqueue(client, room.held[role].popleft())
        return client

    async def _refuse(self, ws: ServerConnection, code: int, reason: str, room: str | None, role: str | None,
                      words: str, in_room: _Room | None = None) -> None:
        present = ({r: c.short() for r, c in in_room.members.items()} if in_room is not None else {})
        try:
            await ws.send(_dumps("refused", {"room": room, "role": role, "reason": reason, "message": words,
                                             "present": present}))
            await ws.close(code, _close_reason(words))
        except ConnectionClosed:
            pass

    def _replace(self, old: _Client, new: _Client) -> int:
        """``new`` (the same client id) takes ``old``'s place; returns how many held messages were dropped."""
        room = old.room
        old.gone = True
        room.sent_types[old.role] = set()
        far_role = other_role(old.role)
        before = len(room.held[far_role])
        room.held[far_role] = deque(item for item in room.held[far_role] if item.origin is not old)
        dropped = before - len(room.held[far_role])
        while not old.outbox.empty():  # what the far side sent and old has not written yet moves on
            item = old.outbox.get_nowait()
            if item is not None and item.origin is not None:
                self._enqueue(new, item)
        self._tell(old, "replaced", {"room": room.name, "role": old.role, "client": new.short(),
                                     "dropped": dropped})
        self._clients.discard(old)
        self._background(self._close_replaced(old))
        return dropped

    async def _close_replaced(self, old: _Client) -> None:
        await self._stop_writer(old)  # lets "replaced" reach it first
        await old.ws.close(CloseCode.REPLACED, "replaced: the same client joined this room and role again")

    def _background(self, job: Any) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- relaying --------------------------------------------------------------

    async def _relay_from(self, client: _Client) -> None:
        ws, loop = client.ws, asyncio.get_running_loop()
        while True:
            frame = await ws.recv()
            client.last = loop.time()
            client.received += 1
            if client.gone:
                continue
            self._frame(client, frame)

    def _check_idle(self, client: _Client) -> None:
        """The idle timer fired: close ``client`` if nothing came since, else wait for the rest of its time.

        One timer per idle period instead of a timeout around every ``recv`` (which costs a timer
        scheduled and cancelled per frame).
        """
        client.watchdog = None
        if client.gone or self._stopping:
            return
        loop, idle = asyncio.get_running_loop(), self.limits.idle_timeout
        due = client.last + idle
        if loop.time() < due:
            client.watchdog = loop.call_at(due, self._check_idle, client)
            return
        self._background(client.ws.close(CloseCode.IDLE, f"idle: nothing came from you for {idle:g} s; join again"))

    def _frame(self, client: _Client, frame: str | bytes) -> None:
        """Check one frame and relay it, or tell its sender why not."""
        seq, limits = client.received, self.limits
        if isinstance(frame, bytes):
            return self._error(client, seq, None, "binary",
                               f"a binary frame ({len(frame)} bytes) came; send each message as a JSON text frame")
        size = len(frame) if len(frame) * 4 <= limits.max_message_bytes else len(frame.encode())
        if size > limits.max_message_bytes:
            return self._error(client, seq, None, "too-big",
                               f"the message is {size} bytes; the server takes up to {limits.max_message_bytes} "
                               "(an offer is a few KiB: is something else in it?)")
        now = time.monotonic()
        client.tokens = min(float(limits.burst), client.tokens + (now - client.refill) * limits.messages_per_second)
        client.refill = now
        if client.tokens < 1:
            return self._error(client, seq, None, "rate-limit",
                               f"more than {limits.messages_per_second:g} messages a second (burst {limits.burst}); "
                               "this one was not delivered: send it again a moment later")
        client.tokens -= 1
        try:
            message = json.loads(frame)
        except ValueError as exc:
            return self._error(client, seq, None, "not-json", f"the frame is not JSON ({exc}): {frame[:40]!r}")
        kind = message.get("type") if isinstance(message, dict) else None
        report = kind in REPORT_TYPES
        problem = check_message(message, REPORT_TYPES if report else self.types)
        if problem is not None:
            return self._error(client, seq, kind if isinstance(kind, str) else None, problem.code, problem.wire_words)
        if report:  # for the server itself (the status page), not for the other role
            client.connection, client.reported = dict(message["data"]), now
            return None
        self._route(client, _Item(frame, client, seq, message["type"]), now)

    def _route(self, sender: _Client, item: _Item, now: float) -> None:
        room, far_role = sender.room, other_role(sender.role)
        room.counts[sender.direction] += 1
        room.by_type[item.type] = room.by_type.get(item.type, 0) + 1
        room.last_type, room.last_from, room.last_time = item.type, sender.role, now
        room.sent_types[sender.role].add(item.type)
        far = room.members.get(far_role)
        if far is not None:
            self._enqueue(far, item)
        elif len(room.held[far_role]) < self.limits.hold_limit:
            room.held[far_role].append(item)  # delivered when the far side joins
        else:
            self._undelivered(item, "far-absent",
                              f"the {far_role} has not joined room {room.name!r}, and {self.limits.hold_limit} "
                              "messages already wait for it")

    def _enqueue(self, client: _Client, item: _Item) -> None:
        if client.outbox.qsize() >= self.limits.outbox_limit and item.origin is not None:
            self._undelivered(item, "far-not-reading",
                              f"the {client.role} in room {client.room.name!r} is not reading: "
                              f"{client.outbox.qsize()} messages already wait for it")
            return
        client.outbox.put_nowait(item)

    def _tell(self, client: _Client, kind: str, data: dict[str, Any]) -> None:
        """Queue one of the server's own messages for ``client``."""
        if client.outbox.qsize() >= self.limits.outbox_limit + 16:
            # it does not read what the server tells it: stop it rather than queue without end
            if not client.gone:
                client.gone = True
                self._background(client.ws.close(
                    CloseCode.POLICY, "you sent many frames without reading the server's replies"))
            return
        client.outbox.put_nowait(_Item(_dumps(kind, data)))

    def _error(self, client: _Client, seq: int, kind: str | None, code: str, words: str) -> None:
        self.errors += 1
        client.room.errors += 1
        about = {"code": code, "message": words, "seq": seq}
        if kind is not None:  # absent for a frame that had no type (README: "The signalling server's wire")
            about["type"] = kind
        self._tell(client, "error", about)

    def _undelivered(self, item: _Item, reason: str, words: str) -> None:
        self.undelivered += 1
        sender = item.origin
        if sender is None:
            return
        sender.room.undelivered += 1
        if not sender.gone:
            self._tell(sender, "error", {"code": "undelivered", "reason": reason, "seq": item.seq,
                                         "type": item.type,
                                         "message": f"your message #{item.seq} ({item.type!r}) was not "
                                                    f"delivered: {words}"})

    async def _write(self, client: _Client) -> None:
        """Send what waits in ``client``'s outbox, in order; report what could not be sent."""
        outbox, ws = client.outbox, client.ws
        items = outbox.items
        while True:
            if not items:
                await outbox.wait()
                continue
            item = items.popleft()
            if item is None:
                return
            try:
                await ws.send(item.text)
            except ConnectionClosed:
                self._unsent(client, item)
                return
            if item.origin is not None:
                self.relayed += 1

    def _unsent(self, client: _Client, first: _Item | None) -> None:
        items = [first] if first is not None else []
        while not client.outbox.empty():
            item = client.outbox.get_nowait()
            if item is not None:
                items.append(item)
        for item in items:
            if item.origin is not None:
                self._undelivered(item, "far-left", f"the {client.role} left room {client.room.name!r} "
                                                    "before it could be delivered")

    async def _stop_writer(self, client: _Client) -> None:
        if client.writer is None:
            return
        client.outbox.put_nowait(None)
        try:
            await client.writer
        finally:
            self._unsent(client, None)

    def _leave(self, client: _Client, reason: str) -> None:
        """``client``'s socket ended: free its role, tell the far side, drop what it left held."""
        self._clients.discard(client)
        room = client.room
        if room.members.get(client.role) is not client:
            return  # replaced: the new socket has its place
        client.gone = True
        del room.members[client.role]
        room.sent_types[client.role] = set()
        far_role = other_role(client.role)
        room.held[far_role] = deque(item for item in room.held[far_role] if item.origin is not client)
        far = room.members.get(far_role)
        if far is not None:
            self._tell(far, "left", {"room": room.name, "role": client.role, "client": client.short(),
                                     "reason": reason})
        if not room.members:
            del self._rooms[room.name]


def _leave_reason(ws: ServerConnection) -> str:
    """``closed`` (it said goodbye), ``idle``, ``policy`` (flooded), ``error``, or ``lost``."""
    code = ws.close_code
    if code == CloseCode.IDLE:
        return "idle"
    if code == CloseCode.POLICY:
        return "policy"
    if code == CloseCode.INTERNAL:
        return "error"
    if code in (1000, 1001):
        return "closed"
    return "lost"


def _close_reason(words: str) -> str:
    """A close frame's reason holds 123 bytes: keep the start, whole characters only."""
    data = words.encode()[:123]
    return data.decode(errors="ignore")


def _respond(connection: ServerConnection, body: str, content_type: str) -> Response:
    data = body.encode()
    headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(data))),
                       ("Cache-Control", "no-store"), ("Connection", "close")])
    return Response(http.HTTPStatus.OK.value, "OK", headers, data)


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses that other machines may reach (the loopback last)."""
    found: list[str] = []
    try:
        import ifaddr  # installed with aiortc (aioice uses it)

        for adapter in ifaddr.get_adapters():
            for ip in adapter.ips:
                if isinstance(ip.ip, str) and not ip.ip.startswith(("127.", "169.254.")):
                    found.append(ip.ip)
    except Exception:  # pragma: no cover - no interface list: fall back to the host name
        found.append(socket.gethostname())
    return list(dict.fromkeys(found)) + ["127.0.0.1"]


async def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None, *,
                types: Iterable[str] = MESSAGE_TYPES, stun_urls: Iterable[str] = (), turn_urls: Iterable[str] = (),
                turn_secret: str | None = None, turn_ttl: float = DEFAULT_TTL, **limits: Any) -> SignallingServer:
    """Start a signalling server on ``host:port`` (port 0: any free one) and return it, running.

    Any ``host`` but 127.0.0.1 / localhost / ::1 needs a token: one is made when none is given
    (``server.token``; ``server.url`` and ``server.urls`` include it). Caps are keywords named as
    in :class:`Limits` (``max_message_bytes=...``, ``messages_per_second=...``, ...).

    ``stun_urls`` and ``turn_urls`` (``"turn:HOST:3478"``, ``"turn:HOST:3478?transport=tcp"``) with
    ``turn_secret`` (the TURN server's ``static-auth-secret``) put ``iceServers`` in every client's
    ``joined`` message, the TURN entry with credentials valid ``turn_ttl`` seconds.

    In a notebook, a cell run again gets the server its last run started, if that one still runs
    and was asked for the same (a lesson's set-up cell run twice starts no second server); asked
    for something else, the earlier one is closed first. Either way a note says so.
    """
    unknown = set(limits) - set(Limits.__dataclass_fields__)
    if unknown:
        raise TypeError(f"serve() has no cap named {', '.join(sorted(unknown))}; "
                        f"the caps are {', '.join(Limits.__dataclass_fields__)}")
    asked = (host, port, token, tuple(types), tuple(stun_urls), tuple(turn_urls), turn_secret, turn_ttl,
             tuple(sorted(limits.items())))
    places = hooks().servers
    place = places.place()
    earlier = places.at(place)
    if isinstance(earlier, SignallingServer) and not earlier.closed:
        if earlier._asked == asked:
            note(f"The signalling server this cell started before still runs at {earlier.url}: peerlab.serve() "
                 "gives it again rather than start a second one, so whoever joined it stays. To start a "
                 "fresh one, await server.close() first.", PeerlabNote)
            return earlier
        await earlier.close()
        note(f"The signalling server this cell started before, at {earlier.url}, was closed first, since this run "
             "starts one with other settings.", PeerlabNote)
    if token is None and host not in ("127.0.0.1", "localhost", "::1"):
        token = secrets.token_urlsafe(16)
    server = SignallingServer(host, port, token, Limits(**limits), tuple(types), stun_urls=stun_urls,
                              turn_urls=turn_urls, turn_secret=turn_secret, turn_ttl=turn_ttl)
    await server._start()
    server._asked = asked
    places.swap(place, server)
    for url in {server.url, *server.urls}:
        _here[split_url(url)[0]] = server
    return server


_here: dict[str, SignallingServer] = {}  # the URL (no token) of each server this process started -> it


def served_here(url: str) -> SignallingServer | None:
    """The server at ``url`` if this process started it (running or closed since), else None."""
    return _here.get(split_url(url)[0])
