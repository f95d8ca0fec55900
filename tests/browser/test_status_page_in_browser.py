"""The teacher's view of ``peerlab serve``: its status page in Chromium shows a room appear without a reload.

The server runs as ``python -m peerlab serve`` in its own process (Playwright's sync API owns this
thread's event loop); the learners are bare WebSocket clients from websockets' sync API.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import uuid

import pytest

from .conftest import ARTIFACTS, ROOT, VIEWPORT
from .jupyterlab import watch_console


@pytest.fixture
def serve_process():
    """``python -m peerlab serve --port 0 --token ...`` on 127.0.0.1; its join URL; stopped afterwards."""
    process = subprocess.Popen([sys.executable, "-m", "peerlab", "serve", "--port", "0", "--token", "teacher"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        while not lines or lines[-1] != "Stop it with Ctrl-C.":
            line = process.stdout.readline()
            assert line, "peerlab serve ended early:\n" + "\n".join(lines)
            lines.append(line.rstrip())
        url = re.search(r"peerlab\.join\('([^']+)'", "\n".join(lines)).group(1)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=30)


def learner(sockets: contextlib.ExitStack, url: str, room: str, role: str):
    """A bare WebSocket client joined to ``room`` as ``role``; ``sockets`` closes it."""
    from websockets.sync.client import connect

    from peerlab.signalling.server_wire import join_url, split_url

    base, token = split_url(url)
    ws = sockets.enter_context(connect(join_url(base, room=room, role=role, client=uuid.uuid4().hex, token=token),
                                       compression=None))
    assert json.loads(ws.recv())["type"] == "joined"
    return ws


def test_the_status_page_shows_a_room_appear_without_reloading(browser, serve_process):
    page_url = serve_process.replace("ws://", "http://", 1)
    context = browser.new_context(viewport={"width": VIEWPORT["width"], "height": 420})
    page = context.new_page()
    errors = watch_console(page)
    with contextlib.ExitStack() as sockets:
        try:
            page.goto(page_url)
            page.wait_for_selector("#empty", state="visible")
            assert page.locator("#summary").inner_text().startswith("rooms: 0 · clients: 0")
            page.evaluate("window.notReloaded = true")

            caller = learner(sockets, serve_process, "table-4", "caller")
            row = page.locator('tr[data-room="table-4"]')
            row.wait_for()
            assert "waiting for the callee to join" in row.inner_text()

            learner(sockets, serve_process, "table-4", "callee")
            caller.send(json.dumps({"type": "offer", "data": {"type": "offer", "sdp": "v=0\r\n"}}))
            learner(sockets, serve_process, "table-7", "caller")
            page.wait_for_function("document.querySelector('tr[data-room=\"table-4\"]').innerText"
                                   ".includes('offer sent; no answer yet')")
            page.locator('tr[data-room="table-7"]').wait_for()
            assert page.evaluate("window.notReloaded") is True
            cells = row.locator("td").all_inner_texts()
            assert cells[0] == "table-4" and cells[3] == "1 / 0"
            assert cells[4].startswith("offer from the caller, ")
            assert page.locator("#summary").inner_text().startswith("rooms: 2 · clients: 3 · messages relayed: 1")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "status-page.png"), full_page=True)
            assert errors == []
        finally:
            context.close()
