"""The ways a page and the kernel talk, and the kernel's end of each: a *link* carries JSON text both ways.

Three ways, tried by the page all at once (``peer.js``); the first whose hello reaches the kernel
holds the browser peer, and the kernel says which (``pc.link``, the widget, ``repr(pc)``):

``comm``
    The widget's own comm, through Jupyter: the page's ``model.send()``, the kernel's
    ``widget.send()``. It goes wherever the notebook goes (a JupyterHub, Binder, a container, a
    teacher's server). Since ipykernel 7.4 a kernel hands a comm message to its widget while a
    cell awaits; ipykernel 7.3 does so on a subshell thread when JupyterLab sends comms over
    subshells, and 6.x only after the running cell. So the handler wakes the cell's event loop
    thread-safely (``loop.call_soon_threadsafe``), whichever thread it runs on.
``proxy``
    A WebSocket to the kernel's bridge (:mod:`peerlab.browser.bridge`, on 127.0.0.1) through the
    Jupyter server's own origin, ``{baseUrl}proxy/{port}/`` (``wss:`` under https): needs
    jupyter-server-proxy in the server's environment. It does not depend on the kernel's message
    order at all.
``direct``
    A WebSocket straight to ``ws://127.0.0.1:{port}/``: only from a page served from this
    computer's loopback, where the browser's 127.0.0.1 is the kernel's.

``PEERLAB_BROWSER_LINKS`` (comma-separated, e.g. ``comm,proxy``) narrows the ways a hub allows.
The WebSocket's key travels in the hello, never in a URL: jupyter-server-proxy logs the URLs it
proxies, and Jupyter takes a query parameter named ``token`` for its own.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from typing import Any, Protocol

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..errors import ConfigurationError
from .kernel_parent import keep_each_cells_parent

__all__ = ["CHANNELS", "CHANNEL_WORDS", "LINKS_VARIABLE", "PageLink", "WebSocketLink", "CommLink", "allowed_channels",
           "listen_on_comm"]

CHANNELS = ("comm", "proxy", "direct")
#: How a learner reads each channel's name.
CHANNEL_WORDS = {
    "comm": "the widget's comm, through Jupyter",
    "proxy": "a WebSocket through the Jupyter server (jupyter-server-proxy)",
    "direct": "a WebSocket straight to the kernel's 127.0.0.1",
}
LINKS_VARIABLE = "PEERLAB_BROWSER_LINKS"


def allowed_channels(environ: dict[str, str] | None = None) -> list[str]:
    """The channels the page may try: all three, or those ``PEERLAB_BROWSER_LINKS`` names."""
    text = (os.environ if environ is None else environ).get(LINKS_VARIABLE, "").strip()
    if not text:
        return list(CHANNELS)
    named = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in named if name not in CHANNELS]
    if unknown or not named:
        raise ConfigurationError(f"{LINKS_VARIABLE}={text!r}: name some of {', '.join(CHANNELS)}, "
                                 "separated by commas (or leave it unset for all three)")
    return [name for name in CHANNELS if name in named]


class PageLink(Protocol):
    """One link between a page and the kernel: ``channel`` is its name in :data:`CHANNELS`."""

    channel: str

    async def send(self, text: str) -> None:
        """Send one message (JSON text) to the page; ``ConnectionError`` once the link is gone."""

    async def close(self, code: int, reason: str) -> None:
        """Tell the page this link will not be used (``code`` and ``reason`` as a WebSocket's)."""


class WebSocketLink:
    """A page's WebSocket to the bridge, through the proxy or straight to 127.0.0.1."""

    def __init__(self, ws: ServerConnection, channel: str) -> None:
        self.ws = ws
        self.channel = channel

    def __repr__(self) -> str:
        return f"<page link: {self.channel}>"

    async def send(self, text: str) -> None:
        try:
            await self.ws.send(text)
        except ConnectionClosed as exc:
            raise ConnectionError(f"the page's {self.channel} WebSocket closed") from exc

    async def close(self, code: int, reason: str) -> None:
        await self.ws.close(code, reason)


class CommLink:
    """The widget's comm: ``send(text)`` is ``widget.send({"peerlab": text})``, a ``msg:custom`` in the page."""

    channel = "comm"

    def __init__(self, widget: Any) -> None:
        self.widget = widget

    def __repr__(self) -> str:
        return "<page link: comm>"

    async def send(self, text: str) -> None:
        self.widget.send({"peerlab": text})

    async def close(self, code: int, reason: str) -> None:
        self.widget.send({"peerlab": json.dumps({"type": "refused", "code": code, "reason": reason})})


def listen_on_comm(widget: Any, loop: asyncio.AbstractEventLoop, deliver: Callable[[dict[str, Any]], None]) -> None:
    """Call ``deliver(message)`` on ``loop`` for each message the page sends over ``widget``'s comm.

    The kernel may run the handler on its shell thread, on a subshell's thread (ipykernel 7.3 with
    JupyterLab's comms over subshells) or in the loop's own thread: ``call_soon_threadsafe`` wakes
    the loop in each case, where a plain ``future.set_result`` from another thread would not.
    Comm messages that come while Run All's cells follow each other must leave each cell's idle
    status with that cell: :func:`~peerlab.browser.kernel_parent.keep_each_cells_parent`.
    """
    keep_each_cells_parent()

    def on_message(_: Any, content: Any, buffers: Any) -> None:
        text = content.get("peerlab") if isinstance(content, dict) else None
        if not isinstance(text, str):
            return
        try:
            message = json.loads(text)
        except ValueError:
            return
        if isinstance(message, dict) and not loop.is_closed():
            loop.call_soon_threadsafe(deliver, message)

    widget.on_msg(on_message)
