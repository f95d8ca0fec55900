"""The page that holds one browser peer, as the kernel sees it: its link, the calls waiting on it, why it is gone.

A page links up by the first of its ways to the kernel that answers (:mod:`peerlab.browser.links`);
until then a call waits ``connect_timeout`` seconds, and once linked, each call waits
``reply_timeout`` seconds for the page's answer. Nothing waits forever.

When no page links up, what a learner reads depends on what the kernel knows: the page's own
report (it tells the kernel over the comm what each way answered, see :func:`unlinked_message`),
or nothing at all, which means no page exists when the kernel delivers comm messages while a cell
runs (ipykernel 7.4 and later), and may mean either where it does not (:func:`no_page_message`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import Callable
from typing import Any

from ..errors import BrowserUnavailable, BrowserUnlinked, PeerlabError
from .links import CHANNEL_WORDS, LINKS_VARIABLE, PageLink

__all__ = ["Page", "NEEDS_A_BROWSER", "comm_delivers_while_a_cell_runs", "gone_message", "no_page_message",
           "unlinked_message"]

NEEDS_A_BROWSER = ("this cell needs the notebook open in JupyterLab in a browser: the browser peer is the "
                   "page's own RTCPeerConnection, and no page")
#: What to do about each way the page tried and could not link, by the channel's name.
LINK_FIXES = {
    "comm": "a kernel with ipykernel 7.4 or newer (`%pip install 'ipykernel>=7.4'`, then restart the kernel)",
    "proxy": "jupyter-server-proxy where the Jupyter server runs (`pip install jupyter-server-proxy`, then restart "
             "the server; on a hub, in the single-user image)",
    "direct": "a kernel on the browser's own computer",
}
UNTRIED = ("not allowed here", "not tried")  # how the page says it did not try a way


def comm_delivers_while_a_cell_runs() -> bool | None:
    """Whether this kernel hands a widget's comm message over while a cell awaits (None: not an ipykernel)."""
    kernel = sys.modules.get("ipykernel")
    text = getattr(kernel, "__version__", None) if kernel is not None else None
    if not isinstance(text, str):
        return None
    try:
        major, minor = (int(part) for part in text.split(".")[:2])
    except ValueError:
        return None
    return (major, minor) >= (7, 4)


def no_page_message(call: str, timeout: float) -> str:
    """What a call says when nothing came from any page within ``timeout`` seconds."""
    delivers = comm_delivers_while_a_cell_runs()
    head = f"{call}: {NEEDS_A_BROWSER} linked up with the kernel within {timeout:g} s."
    if delivers is False:
        return (head + " If this notebook is not open in JupyterLab in a browser, open it and run the cell there "
                "(nbval, nbclient and `jupyter execute` have no page). If it is, its page could not link: this "
                "kernel's ipykernel handles a widget's messages only after the running cell, and no WebSocket "
                f"linked either. Use {LINK_FIXES['comm']}; or {LINK_FIXES['proxy']}.")
    return (head + " Open this notebook in JupyterLab in a browser and run the cell there (nbval, nbclient and "
            "`jupyter execute` have no page).")


def gone_message(name: str, how: str) -> str:
    """What every later call and wait on a browser peer says once the page that held it went away (``how``)."""
    return (f"the page that held the {name}'s RTCPeerConnection went away ({how}): that RTCPeerConnection went "
            "with it, so this Python object has no connection behind it any more. Run the cell that makes it "
            "(peerlab.browser.RTCPeerConnection(...)) again, then the cells after it, in this page.")


def unlinked_message(call: str, name: str, failures: dict[str, str]) -> str:
    """What a call says when a page holds the peer and told the kernel why none of its ways linked."""
    ordered = [channel for channel in CHANNEL_WORDS if channel in failures]
    lines = "; ".join(f"{CHANNEL_WORDS[channel]}: {failures[channel]}" for channel in ordered)
    tried = [channel for channel in ordered if not failures[channel].startswith(UNTRIED)]
    if tried:
        fix = ("Whoever runs this JupyterLab can give one of these: "
               + "; or ".join(LINK_FIXES[channel] for channel in tried) + ".")
    else:
        fix = f"Whoever runs this JupyterLab allows one of these ways ({LINKS_VARIABLE})."
    return (f"{call}: the page that shows this notebook holds the {name}, but could not link up with the kernel: "
            f"{lines}. {fix} Then run the cell that makes the {name} again.")


class Page:
    """The kernel's side of the page holding one browser peer: its link, the calls out, why it is gone.

    ``deliver(message)`` gets every message of the linked page that is not an answer to a call
    (events and states); ``report`` is what the page last said about the ways that did not link.
    """

    def __init__(self, name: str, loop: asyncio.AbstractEventLoop, *, connect_timeout: float,
                 reply_timeout: float) -> None:
        self.name = name
        self.loop = loop
        self.connect_timeout = connect_timeout
        self.reply_timeout = reply_timeout
        self.link: PageLink | None = None
        self.lost: str | None = None  # why the page is gone
        self.report: dict[str, str] = {}  # the page's word on each way that did not link
        self.user_agent: str | None = None
        self.page_id: Any = None  # the linked page's own random id (peer.js makes one per page and peer)
        self.on_gone: Callable[[], None] = lambda: None  # called once, when the linked page is found gone
        self._settled: asyncio.Future[None] = loop.create_future()  # linked, stopped, or every way failed
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self._ids = itertools.count(1)
        self._stopped = False  # close() stopped it (lost says so), as opposed to its page going away

    @property
    def channel(self) -> str | None:
        """The linked channel's name (``"comm"``, ``"proxy"``, ``"direct"``), or None."""
        return None if self.link is None else self.link.channel

    # -- linking ------------------------------------------------------------------------

    async def attach(self, link: PageLink, hello: dict[str, Any]) -> bool:
        """A page said hello over ``link``: link it, unless another link holds the peer (then refuse it)."""
        if self.link is not None and hello.get("page") == self.page_id:
            await link.close(4009, f"this page is linked by {self.link.channel} already")
            return False
        if self.link is not None and self.link.channel == "comm" and self.lost is None:
            # The widget's comm is one per kernel: a new page saying hello on it is this tab reloaded (or the notebook
            # opened again), whose JupyterLab brought the widget back with a new RTCPeerConnection. The page that
            # held this one is gone, or no longer the one the comm reaches: calls can reach it no more.
            self.gone("the notebook's tab was reloaded, or the notebook opened again, and a new page took over "
                      "the widget's comm")
        if self.link is not None or self.lost is not None:
            # A second tab on the notebook, or this tab after a reload: the peer's RTCPeerConnection is another page's.
            await link.close(4009, "another page (or this one before a reload) holds this browser peer: run the "
                                   "cell that makes it again to use it here")
            return False
        self.link = link
        self.page_id = hello.get("page")
        try:
            await link.send(json.dumps({"type": "linked", "channel": link.channel}))
        except ConnectionError:  # it closed while saying hello: the next way to say hello may link
            self.link = None
            return False
        self.report = {}
        self.user_agent = str(hello.get("userAgent") or "") or None
        self._writer = self.loop.create_task(self._write(link))
        if not self._settled.done():
            self._settled.set_result(None)
        return True

    def detach(self, link: PageLink) -> bool:
        """``link`` closed (a reload, a closed tab): the calls waiting on it fail. False if it was not the link."""
        if self.link is not link:
            return False
        self.gone(f"its tab was closed or reloaded: its link, {CHANNEL_WORDS.get(link.channel, link.channel)}, "
                  "closed")
        return True

    def gone(self, how: str) -> None:
        """The linked page went away (``how``): every call waiting on it, and every later one, says so."""
        if self.lost is not None:
            return
        self.link = None
        self.lost = gone_message(self.name, how)
        self._stop_writing()
        if not self._settled.done():
            self._settled.set_result(None)
        self.on_gone()

    @property
    def is_gone(self) -> bool:
        """Whether the page that held the peer went away (not closed by ``close()``)."""
        return self.lost is not None and not self._stopped

    def reported(self, failures: dict[str, str], final: bool) -> None:
        """The page's report: why each way did not link (``final``: none is left to try)."""
        if self.link is not None:
            return
        self.report = {str(k): str(v) for k, v in failures.items()}
        if final and not self._settled.done():
            self._settled.set_result(None)

    def stop(self, reason: str) -> None:
        """No more calls (``close()``): the waiting ones fail with ``reason``; a call waiting for a page wakes."""
        if self.lost is None:
            self.lost = reason
            self._stopped = True
        self._stop_writing()
        if not self._settled.done():
            self._settled.set_result(None)

    def _stop_writing(self) -> None:
        for method, reply in self._pending.values():
            if not reply.done():
                reply.set_exception(BrowserUnavailable(f"{method}(): {self.lost}"))
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None

    async def _write(self, link: PageLink) -> None:
        try:
            while True:
                await link.send(await self._outbox.get())
        except ConnectionError:
            pass

    # -- calls ----------------------------------------------------------------------------

    def post(self, method: str, args: list[Any], call_id: int = 0) -> None:
        """Queue a call for the page (sent once it is linked); ``call_id`` 0 wants no answer."""
        self._outbox.put_nowait(json.dumps({"type": "call", "id": call_id, "method": method, "args": args}))

    async def request(self, method: str, args: list[Any]) -> Any:
        """Call ``method`` in the page and wait for its answer (settled by :meth:`answer`)."""
        await self.wait_for_link(f"{method}()")
        call_id = next(self._ids)
        reply: asyncio.Future[Any] = self.loop.create_future()
        self._pending[call_id] = (method, reply)
        self.post(method, args, call_id)
        try:
            return await asyncio.wait_for(reply, self.reply_timeout)
        except TimeoutError:
            if reply.done() and not reply.cancelled():
                raise  # the page's own answer (BrowserUnavailable is a TimeoutError too)
            raise BrowserUnavailable(
                f"{method}(): the page that holds the {self.name} did not answer within {self.reply_timeout:g} s; "
                "is its tab still open (a tab in the background may be slowed down)?") from None
        finally:
            self._pending.pop(call_id, None)

    def answer(self, message: dict[str, Any], error: Callable[[str, dict[str, Any]], PeerlabError]) -> None:
        """A ``result`` or ``error`` message from the page: settle the call it answers."""
        pending = self._pending.get(int(message.get("id") or 0))
        if pending is None or pending[1].done():
            return
        method, reply = pending
        if message.get("type") == "result":
            reply.set_result(message.get("value"))
        else:
            thrown = message.get("error")
            reply.set_exception(error(method, thrown if isinstance(thrown, dict) else {}))

    async def wait_for_link(self, call: str) -> None:
        """Return once a page holds the peer; raise why not after ``connect_timeout`` (or at once if gone)."""
        if self.lost is not None:
            raise BrowserUnavailable(f"{call}: {self.lost}")
        if self.link is not None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._settled), self.connect_timeout)
        except TimeoutError:
            pass
        if self.lost is not None:
            raise BrowserUnavailable(f"{call}: {self.lost}")
        if self.link is not None:
            return
        if self.report:
            raise BrowserUnlinked(unlinked_message(call, self.name, self.report), failures=dict(self.report))
        raise BrowserUnavailable(no_page_message(call, self.connect_timeout))
