"""The kernel's WebSocket end for browser peers: one small server per kernel, on its own event loop.

It carries two of a page's three ways to the kernel (:mod:`peerlab.browser.links`): the WebSocket
through the Jupyter server (jupyter-server-proxy forwards ``{baseUrl}proxy/PORT/`` here) and the one
straight to ``ws://127.0.0.1:PORT/``. A WebSocket is read by the kernel's event loop while a cell
awaits, whatever the kernel does with its shell messages; the widget's comm needs ipykernel 7.4
for that, and links first where it has it.

The server listens on 127.0.0.1 on a random port. A page's first message, its hello, names the
browser peer it holds, the channel it came by, and the peer's random key (the widget's ``key``
trait); without the right key the socket is closed (4003). The key is never in a URL, which
jupyter-server-proxy logs. A peer another link already holds refuses the socket (4009).

The socket is bound when the first browser peer is made (so its port is known at once); the
server accepts from the next turn of the loop on. ``close_bridge()`` closes it; at exit it is
closed with the process.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hmac
import json
import logging
import socket
import weakref
from typing import TYPE_CHECKING

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from .links import WebSocketLink

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
        self.url = f"ws://127.0.0.1:{self.port}/"
        self._peers: weakref.WeakValueDictionary[str, RTCPeerConnection] = weakref.WeakValueDictionary()
        self._server: Server | None = None
        self._closed = False
        self._started = loop.create_task(self._start())

    def __repr__(self) -> str:
        return f"<peerlab browser bridge on 127.0.0.1:{self.port}{' (closed)' if self._closed else ''}>"

    async def _start(self) -> None:
        sock, self._sock = self._sock, None
        self._server = await serve(self._handle, sock=sock, max_size=MAX_FRAME, ping_interval=None,
                                   logger=logging.getLogger("peerlab.browser.websockets"))

    def register(self, peer: RTCPeerConnection) -> None:
        self._peers[peer.peer_id] = peer

    async def _handle(self, ws: ServerConnection) -> None:
        try:
            hello = json.loads(await asyncio.wait_for(ws.recv(), HELLO_TIMEOUT))
            peer = self._peers.get(str(hello.get("peer", ""))) if isinstance(hello, dict) else None
        except (TimeoutError, ConnectionClosed, ValueError, TypeError):
            return
        if peer is None:
            await ws.close(4004, "no such browser peer in this kernel")
            return
        if not hmac.compare_digest(str(hello.get("key", "")), peer.key):
            await ws.close(4003, "wrong key for this browser peer")
            return
        link = WebSocketLink(ws, "proxy" if hello.get("channel") == "proxy" else "direct")
        if not await peer.attach_page(link, hello):
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
            peer.detach_page(link)

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
