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


def test_the_status_page_shows_two_laptops_running_the_room_notebooks_connected(browser, serve_process, monkeypatch,
                                                                                 tmp_path):
    """notebooks/room/ on two kernels (tests/room_notebooks.py) against the server: once both Connect cells
    ran, the teacher's page shows the table connected, each role's connection as its laptop reported it."""
    from ..room_notebooks import CALLEE, CALLER, Laptop, connect_and_chat

    monkeypatch.setenv("PEERLAB_SERVER", serve_process)
    monkeypatch.setenv("PEERLAB_ROOM", "table-2")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    context = browser.new_context(viewport={"width": VIEWPORT["width"], "height": 360})
    page = context.new_page()
    errors = watch_console(page)
    caller, callee = Laptop("caller"), Laptop("callee")
    try:
        seen = connect_and_chat(caller, callee)
        assert seen["caller heard"].strip() == "callee: hello from the callee"
        page.goto(serve_process.replace("ws://", "http://", 1))
        row = page.locator('tr[data-room="table-2"]')
        page.wait_for_function("document.querySelector('tr[data-room=\"table-2\"] td:last-child')?.innerText"
                               " === 'connected'")
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == "table-2"
        for role_cell in cells[1:3]:
            assert re.search(r"\nconnection: connected for \d+ s$", role_cell), role_cell
        assert row.locator("td").nth(5).get_attribute("class") == "done"
        assert row.locator(".conn-connected").count() == 2
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "status-page-connected.png"), full_page=True)
        assert errors == []
        for laptop, cells_of in ((caller, CALLER), (callee, CALLEE)):
            assert laptop.run(cells_of["clean_up"]).strip() == "closed"
    finally:
        caller.close()
        callee.close()
        context.close()


def test_a_quiet_connected_pair_does_not_look_stuck_and_a_failed_one_does(browser):
    """The page's rules, on a status.json given to it: a pair both connected, silent for 5 minutes, has no
    stale mark; a pair whose caller reports failed is marked; one connecting for long is marked too."""
    def member(client, state, age):
        return {"client": client, "address": "192.168.1.7", "since": 400.0,
                "connection": {"connectionState": state, "iceConnectionState": "checking", "age": age}}

    def room(name, caller_state, callee_state, state):
        return {"name": name, "age": 400.0, "members": {"caller": member("6f1c2a9e", caller_state, 290.0),
                                                        "callee": member("0b9d44c1", callee_state, 290.0)},
                "messages": {"caller→callee": 8, "callee→caller": 6}, "by_type": {}, "held": 0,
                "last": {"type": "candidate", "from": "callee", "age": 300.0}, "undelivered": 0, "errors": 0,
                "state": state}

    status = {"server": {"uptime": 400.0, "clients": 6, "rooms": 3, "relayed": 42, "undelivered": 0, "errors": 0},
              "rooms": [room("quiet", "connected", "connected", "connected"),
                        room("failed", "failed", "connecting",
                             "offer, answer and candidates exchanged; connection: caller failed, callee connecting"),
                        room("slow", "connecting", "connecting",
                             "offer, answer and candidates exchanged; connection: caller connecting, callee "
                             "connecting")]}
    from peerlab.signalling.status_page import STATUS_PAGE

    context = browser.new_context(viewport={"width": VIEWPORT["width"], "height": 360})
    page = context.new_page()
    try:
        page.route("http://status.test/", lambda route: route.fulfill(body=STATUS_PAGE, content_type="text/html"))
        page.route("http://status.test/status.json*", lambda route: route.fulfill(body=json.dumps(status),
                                                                                   content_type="application/json"))
        page.goto("http://status.test/")
        page.locator('tr[data-room="slow"]').wait_for()

        def classes(name, column):
            return page.locator(f'tr[data-room="{name}"] td').nth(column).get_attribute("class") or ""

        assert classes("quiet", 4) == "" and classes("quiet", 5) == "done"  # 5 min quiet, not stale
        assert page.locator('tr[data-room="quiet"] .stuck').count() == 0
        assert classes("failed", 4) == "stale" and classes("failed", 5) == "stuck"
        assert page.locator('tr[data-room="failed"] .conn-failed').inner_text() == "connection: failed for 5 min"
        assert classes("slow", 4) == "stale" and page.locator('tr[data-room="slow"] .stuck').count() == 2
        page.screenshot(path=str(ARTIFACTS / "status-page-rules.png"), full_page=True)
    finally:
        context.close()
