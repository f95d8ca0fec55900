"""peerlab.ice_servers(): the ICE servers a teacher or a hub gives the lessons, from the environment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

import peerlab
from peerlab.webrtc.connection import to_configuration
from peerlab.webrtc.ice_servers import turn_credentials

TURN = {"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}


def test_none_on_a_laptop():
    assert peerlab.ice_servers({}) == []


def test_a_json_list_or_a_whole_configuration_and_aiortc_takes_it():
    assert peerlab.ice_servers({"PEERLAB_ICE_SERVERS": '[{"urls": "stun:stun.example.org"}]'}) == [
        {"urls": "stun:stun.example.org"}]
    servers = peerlab.ice_servers({"PEERLAB_ICE_SERVERS": json.dumps({"iceServers": [TURN]})})
    assert servers == [TURN]
    [server] = to_configuration({"iceServers": servers}).iceServers
    assert (server.urls, server.username, server.credential) == (TURN["urls"], "u", "p")


@pytest.mark.parametrize(("value", "says"), [
    ("turn:x", "is not JSON"),
    ('{"urls": "turn:x"}', "is a JSON list of ICE servers"),
    ('[{"username": "u"}]', "server 0 needs 'urls'"),
    ('[{"urls": "turn:x", "credential": 5}]', "username and credential are strings"),
])
def test_a_wrong_value_says_what_is_wrong(value, says):
    with pytest.raises(peerlab.ConfigurationError, match=says):
        peerlab.ice_servers({"PEERLAB_ICE_SERVERS": value})


def test_a_turn_secret_makes_time_limited_credentials_as_coturn_checks_them():
    username, password = turn_credentials("s3cret", now=1000.0, ttl=60)
    assert username == "1060:peerlab"
    assert password == base64.b64encode(hmac.new(b"s3cret", b"1060:peerlab", hashlib.sha1).digest()).decode()
    [server] = peerlab.ice_servers({"PEERLAB_TURN_URLS": "turn:t.example.org:3478, turns:t.example.org:5349",
                                    "PEERLAB_TURN_SECRET": "s3cret"})
    assert server["urls"] == ["turn:t.example.org:3478", "turns:t.example.org:5349"]
    assert server["username"].endswith(":peerlab")
    with pytest.raises(peerlab.ConfigurationError, match="go together"):
        peerlab.ice_servers({"PEERLAB_TURN_SECRET": "s3cret"})
