"""The kernel's end of the browser peers' WebSocket: one small server per kernel, on its own event loop.

Why a WebSocket for the page's replies, and not the widget's comm: DESIGN.md records a probe (ipykernel
7.4) in which a cell that awaited a reply sent over a widget's comm timed out, the reply arriving
only after the cell ended, since ipykernel handled the page's comm messages after the running cell. A
page → kernel path that does not depend on how the kernel orders its shell messages cannot deadlock
that way: a WebSocket to a server on the kernel's own event loop is read by that loop while the
cell awaits. Measured here (JupyterLab 4.6.6, ipykernel 7.4.0, Debian's Chromium, Run All): a
``createOffer()`` round trip over this bridge takes about 1 ms (median of 20; 1.4 ms at most).
The same setup did **not** reproduce the comm deadlock: a probe widget's comm reply reached a cell
awaiting it in the same cell within 63 ms. So the comm may work in some set-ups and not in others;
the WebSocket works in both. ``jupyter-ui-poll`` would instead replay the kernel's shell messages by
patching ipykernel internals.

The server listens on 127.0.0.1 on a random port and needs a random token in the URL
(``ws://127.0.0.1:PORT/?token=...``); the page learns both from the widget's synced traits. A
page whose browser cannot reach the kernel's machine directly (JupyterHub, Binder) needs the
port carried by ``jupyter-server-proxy`` (``/proxy/PORT/``) instead: not done here.

The socket is bound when the first browser peer is made (so its URL is known at once); the
server accepts from the next turn of the loop on. ``close_bridge()`` closes it; at exit it is
closed with the process.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import http
import json
import logging
import secrets
import socket
import weakref
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

if TYPE_CHECKING:
    from .connection import RTCPeerConnection

__all__ = ["Bridge", "bridge", "close_bridge", "HELLO_TIMEOUT"]

log = logging.getLogger("peerlab.browser")

HELLO_TIMEOUT = 5.0  # seconds a page has, once connected, to say which peer it holds
MAX_FRAME = 1 << 20  # an offer is a few KiB; a data-channel message sent as base64 stays well under this


class Bridge:
    """A WebSocket server on ``127.0.0.1`` for the pages that hold browser peers."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.token = secrets.token_urlsafe(16)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
            sock.listen(16)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self._sock: socket.socket | None = sock
        self.port: int = sock.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/?token={self.token}"
        self._peers: weakref.WeakValueDictionary[str, RTCPeerConnection] = weakref.WeakValueDictionary()
        self._server: Server | None = None
        self._closed = False
        self._started = loop.create_task(self._start())

    def __repr__(self) -> str:
        return f"<peerlab browser bridge on 127.0.0.1:{self.port}{' (closed)' if self._closed else ''}>"

    async def _start(self) -> None:
        sock, self._sock = self._sock, None
        self._server = await serve(self._handle, sock=sock, process_request=self._check_token,
                                   max_size=MAX_FRAME, ping_interval=None,
                                   logger=logging.getLogger("peerlab.browser.websockets"))

    def _check_token(self, connection: ServerConnection, request: Request) -> Response | None:
        query = parse_qs(urlsplit(request.path).query)
        if query.get("token") != [self.token]:
            return connection.respond(http.HTTPStatus.FORBIDDEN, "wrong or missing token\n")
        return None

    def register(self, peer: RTCPeerConnection) -> None:
        self._peers[peer.peer_id] = peer

    async def _handle(self, ws: ServerConnection) -> None:
        try:
            hello = json.loads(await asyncio.wait_for(ws.recv(), HELLO_TIMEOUT))
            peer = self._peers.get(hello.get("peer", "")) if isinstance(hello, dict) else None
        except (TimeoutError, ConnectionClosed, ValueError, TypeError):
            return
        if peer is None:
            await ws.close(4004, "no such browser peer in this kernel")
            return
        if not peer.attach_page(ws, hello):
            await ws.close(4009, "another page already holds this browser peer")
            return
        try:
            async for text in ws:
                try:
                    message = json.loads(text)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    peer.on_page_message(message)
        except ConnectionClosed:
            pass
        finally:
            peer.detach_page(ws)

    async def close(self) -> None:
        """Stop listening and close every page's socket."""
        self._closed = True
        if not self._started.done():
            await asyncio.gather(self._started, return_exceptions=True)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if _bridges.get(self.loop) is self:
            del _bridges[self.loop]

    def _close_now(self) -> None:
        """At exit: close the listening socket without the loop."""
        with contextlib.suppress(Exception):
            if self._server is not None:
                for listener in self._server.server.sockets:
                    listener.close()
            if self._sock is not None:
                self._sock.close()


_bridges: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Bridge] = weakref.WeakKeyDictionary()


def bridge() -> Bridge:
    """This loop's bridge (one per kernel), started on first use."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError("a browser peer needs a running asyncio loop: make it in a notebook cell "
                           "or an async function") from None
    found = _bridges.get(loop)
    if found is None or found._closed:
        found = _bridges[loop] = Bridge(loop)
    return found


async def close_bridge() -> None:
    """Close this loop's bridge, if it has one (tests; a kernel closes it when it exits)."""
    found = _bridges.get(asyncio.get_running_loop())
    if found is not None:
        await found.close()


def _close_all_at_exit() -> None:
    for found in list(_bridges.values()):
        found._close_now()


atexit.register(_close_all_at_exit)
