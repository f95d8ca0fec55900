"""The browser peer's camera in Debian's Chromium: peer.js's addCamera() outside JupyterLab, without and with leave.

A plain page served from 127.0.0.1 by this test (a secure context on the local network, as JupyterLab on
127.0.0.1 is: a page Playwright makes up has no address, and Chromium keeps it off the local bridge) runs peer.js with a stand-in for the widget's model (no comm: it links by the direct WebSocket to the kernel's
bridge in this test's event loop). Chromium's fake camera (CHROMIUM_ARGS) is the camera; the browser context either
grants it or not. Lesson 09 (lesson_checks.check_your_camera) covers the rest: the video there and back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib import resources

import pytest

import peerlab.browser

from .jupyterlab import CHROMIUM_ARGS

HTML = b"<!doctype html><p>camera test</p>"
START = """async ([source, values]) => {
  const url = URL.createObjectURL(new Blob([source], {type: 'text/javascript'}));
  const peer = (await import(url)).default;
  peer.initialize({model: {get: (key) => values[key]}});
}"""


@contextlib.asynccontextmanager
async def one_page_server() -> AsyncIterator[str]:
    """An HTTP server on 127.0.0.1 that answers every request with HTML; its URL."""
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):  # Chromium's spare preconnected socket, closed unused
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: "
                     + str(len(HTML)).encode() + b"\r\n\r\n" + HTML)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    finally:
        server.close()
        await server.wait_closed()


async def open_peer(context, url: str) -> tuple[object, peerlab.browser.RTCPeerConnection]:
    page = await context.new_page()
    await page.goto(url)
    pc = peerlab.browser.RTCPeerConnection()
    source = resources.files("peerlab.browser").joinpath("peer.js").read_text(encoding="utf-8")
    await page.evaluate(START, [source, {"peer_id": pc.peer_id, "name": "browser", "configuration": {},
                                         "bridge_port": pc.widget.bridge_port, "key": pc.widget.key,
                                         "links": ["direct"]}])
    return page, pc


@pytest.mark.timeout(60)
async def test_add_camera_fails_with_not_allowed_error_within_seconds_and_works_when_allowed(chromium_executable):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright, one_page_server() as url:
        chromium = await playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        try:
            refused = await chromium.new_context()  # nobody answers the prompt: Chromium says no
            _, pc = await open_peer(refused, url)
            with pytest.raises(peerlab.browser.BrowserError) as caught:  # Chromium's refusal, not the 8 s timeout
                await pc.addCamera(timeout=8)
            assert caught.value.name == "NotAllowedError", str(caught.value)
            assert "getUserMedia() (in addCamera()) failed: NotAllowedError" in str(caught.value)
            await pc.close()

            allowed = await chromium.new_context()
            await allowed.grant_permissions(["camera"])
            page, pc = await open_peer(allowed, url)
            track = await pc.addCamera(320, 240, timeout=8)
            assert (track.kind, track.label, track.width, track.height) == ("video", "fake_device_0", 320, 240)
            offer = await pc.createOffer()
            assert any(line.startswith("m=video") for line in offer.sdp.splitlines())
            await pc.close()
            live = await page.evaluate("() => [...globalThis.__peerlab_browser_peers.values()]"
                                       ".flatMap(e => e.camera.map(t => t.readyState))")
            assert live == ["ended"]  # close() stopped the camera
        finally:
            await chromium.close()
            await peerlab.browser.close_bridge()
