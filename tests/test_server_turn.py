"""``peerlab serve --turn-url ... --turn-secret ...``: every client's ``joined`` message carries step 1's
``iceServers``, TURN with credentials of its own that coturn's ``use-auth-secret`` accepts until they expire.

(That coturn really accepts them, across two NATs, is tests/test_natlab.py's classroom test.)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import sys
import time
from pathlib import Path

import pytest

import peerlab
from peerlab.cli import main
from peerlab.signalling.turn import DEFAULT_TTL, check_ice_urls, credentials, ice_servers

ROOT = Path(__file__).resolve().parent.parent
STUN = "stun:198.51.100.7:3478"
TURN = ["turn:198.51.100.7:3478", "turn:198.51.100.7:3478?transport=tcp"]
SECRET = "classroom-secret"


def signed(username: str, secret: str = SECRET) -> str:
    """coturn's check, written out: base64(HMAC-SHA1(secret, username))."""
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


def test_credentials_are_an_expiry_and_a_name_signed_with_the_secret():
    username, password = credentials(SECRET, "table-3.caller", 600, now=1_800_000_000)
    assert username == "1800000600:table-3.caller"
    assert password == signed(username)
    assert credentials("another secret", "table-3.caller", 600, now=1_800_000_000)[1] != password


def test_ice_servers_list_stun_then_turn_with_credentials_and_no_turn_without_a_secret():
    servers = ice_servers(stun_urls=[STUN], turn_urls=TURN, secret=SECRET, name="n", ttl=60, now=100)
    assert servers == [{"urls": [STUN]}, {"urls": TURN, "username": "160:n", "credential": signed("160:n")}]
    assert ice_servers(stun_urls=[STUN], turn_urls=TURN) == [{"urls": [STUN]}]
    assert ice_servers() == []


@pytest.mark.parametrize("url, scheme", [("turn:h", "stun"), ("http://h:3478", "turn"), ("stun:", "stun")])
def test_a_url_of_another_kind_is_refused_with_an_example(url, scheme):
    with pytest.raises(ValueError, match=f"is not a {scheme.upper()} URL: it looks like {scheme}:HOST:3478"):
        check_ice_urls([url], scheme)


async def test_each_client_gets_its_own_turn_credentials_in_its_joined_message():
    started = time.time()
    async with await peerlab.serve(port=0, stun_urls=[STUN], turn_urls=TURN, turn_secret=SECRET,
                                   turn_ttl=900) as server:
        caller = await peerlab.join(server.url, room="table-3", role="caller")
        callee = await peerlab.join(server.url, room="table-3", role="callee")
        try:
            for endpoint in (caller, callee):
                stun, turn = endpoint.ice_servers
                assert stun == {"urls": [STUN]}
                assert turn["urls"] == TURN
                expiry, name = turn["username"].split(":", 1)
                assert name == f"table-3.{endpoint.name}"
                assert started + 900 <= int(expiry) + 1 and int(expiry) <= time.time() + 900
                assert turn["credential"] == signed(turn["username"])
            told = [e for e in caller.events if e["type"] == "joined" and not e["data"]["you"]]
            assert told and "iceServers" not in told[0]["data"]  # the other's credentials are its own
            configuration = {"iceServers": caller.ice_servers}  # what a learner's step 1 takes
            pc = peerlab.RTCPeerConnection(configuration, name="turn-config")
            await pc.close()
        finally:
            await caller.close()
            await callee.close()
        assert "ICE servers for every client: " + ", ".join([STUN, *TURN]) in str(server)


async def test_a_server_without_ice_servers_hands_out_none():
    async with await peerlab.serve(port=0) as server:
        endpoint = await peerlab.join(server.url, room="plain", role="caller")
        try:
            assert endpoint.ice_servers == []
            assert "iceServers" not in endpoint.events[0]["data"]
        finally:
            await endpoint.close()
        assert "ICE servers" not in str(server)


@pytest.mark.parametrize("options, words", [
    ({"turn_urls": TURN}, "TURN URLs and a TURN secret go together"),
    ({"turn_secret": SECRET}, "TURN URLs and a TURN secret go together"),
    ({"turn_urls": ["turns"], "turn_secret": SECRET}, "is not a TURN URL"),
    ({"turn_urls": TURN, "turn_secret": SECRET, "turn_ttl": 0}, "more than 0"),
])
async def test_serve_refuses_turn_settings_that_cannot_work(options, words):
    with pytest.raises(ValueError, match=words):
        await peerlab.serve(port=0, **options)


def test_peerlab_serve_refuses_a_turn_url_without_a_secret(capsys, monkeypatch):
    monkeypatch.delenv("PEERLAB_TURN_SECRET", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--turn-url", TURN[0]])
    assert exited.value.code == 2
    assert "--turn-url and --turn-secret (or PEERLAB_TURN_SECRET) go together" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--turn-url" in out and "--turn-secret" in out and "--stun-url" in out and "--turn-ttl" in out
    assert f"{DEFAULT_TTL:g}" in out


async def test_python_m_peerlab_serve_takes_the_secret_from_the_environment_and_hands_it_out():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "peerlab", "serve", "--port", "0", "--stun-url", STUN, "--turn-url", TURN[0],
        "--turn-ttl", "120", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT,
        env={**os.environ, "PEERLAB_TURN_SECRET": SECRET})
    try:
        lines: list[str] = []
        while not lines or lines[-1] != "Stop it with Ctrl-C.":
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, "\n".join(lines)
            lines.append(line.decode().rstrip())
        assert f"  ICE servers for every client: {STUN}, {TURN[0]} (TURN credentials of its own, valid " \
               f"{120 / 3600:g} h)" in lines
        url = re.search(r"peerlab\.join\('([^']+)'", lines[1]).group(1)
        endpoint = await peerlab.join(url, room="cli", role="callee")
        try:
            turn = endpoint.ice_servers[1]
            assert turn["credential"] == signed(turn["username"]) and turn["username"].endswith(":cli.callee")
        finally:
            await endpoint.close()
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
