"""The one message model: one set of rules, which the Loopback, both network endpoints and the server all ask.

Each transport only chooses how to report a problem: an endpoint raises ``SignallingError`` with
the problem's words (Python's names), the server answers with an ``error`` frame carrying its code
and the same rule in JSON's names, for a client that may not be Python.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiortc import RTCSessionDescription
from websockets.asyncio.client import connect

import peerlab
from peerlab import Loopback, SignallingError
from peerlab.signalling.messages import (
    MESSAGE_TYPES,
    ROLES,
    a_message,
    check_message,
    check_type,
    encode,
    other_role,
)
from peerlab.signalling.server_wire import join_url

SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

# (message, the rule it breaks, the server's code)
BAD = [
    ("offer", "not-object", "not-object"),
    ({"data": 1}, "no-type", "unknown-type"),
    ({"type": "ofer", "data": 1}, "unknown-type", "unknown-type"),
    ({"type": 5, "data": 1}, "unknown-type", "unknown-type"),
    ({"type": "offer", "data": "v=0"}, "no-description", "bad-message"),
    ({"type": "answer", "data": {"type": "offer", "sdp": SDP}}, "description-type", "bad-message"),
    ({"type": "candidate", "data": "candidate:1"}, "no-candidate", "bad-message"),
    ({"type": "candidate", "data": {"sdpMid": "0"}}, "no-candidate", "bad-message"),
]


def test_the_roles_and_the_types():
    assert ROLES == ("caller", "callee") and MESSAGE_TYPES == ("offer", "answer", "candidate")
    assert [other_role(role) for role in ROLES] == ["callee", "caller"]
    assert [a_message(kind) for kind in (*MESSAGE_TYPES, None)] == [
        "an 'offer' message", "an 'answer' message", "a 'candidate' message", "any message"]


@pytest.mark.parametrize("message, rule, code", BAD, ids=[rule for _, rule, _ in BAD])
def test_each_rule_has_a_code_and_words_for_a_python_sender_and_for_any_client(message, rule, code):
    problem = check_message(message)
    assert problem is not None and (problem.rule, problem.code) == (rule, code)
    assert problem.words and problem.wire_words
    assert ("None" in problem.words) == ("null" in problem.wire_words)  # each in its own language


def test_good_messages_pass_and_extra_types_are_the_callers_choice():
    for message in ({"type": "offer", "data": {"type": "offer", "sdp": SDP}},
                    {"type": "candidate", "data": None},
                    {"type": "candidate", "data": {"candidate": "", "sdpMid": "0"}},  # end-of-candidates, Firefox
                    {"type": "candidate", "data": {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host"}}):
        assert check_message(message) is None
    assert check_message({"type": "chat", "data": "hi"}) is not None
    assert check_message({"type": "chat", "data": "hi"}, (*MESSAGE_TYPES, "chat")) is None
    assert check_type("chat") is not None and check_type("offer") is None


def test_encode_names_a_description_sent_as_a_message_for_what_it_is():
    description = RTCSessionDescription(sdp=SDP, type="offer")
    with pytest.raises(SignallingError, match="send\\(\\) takes a dict like .*not a RTCSessionDescription"):
        encode(description)  # as JSON it would be {"type": "offer", "sdp": ...}: a message without data
    wire, text = encode({"type": "offer", "data": description})
    assert wire == {"type": "offer", "data": {"type": "offer", "sdp": SDP}} and json.loads(text) == wire


@asynccontextmanager
async def every_endpoint() -> AsyncIterator[dict[str, peerlab.SignallingEndpoint]]:
    """A caller's endpoint on each transport: the Loopback, a WebSocket to ``peerlab serve``, aiortc's TCP wire."""
    async with await peerlab.serve(port=0) as server:
        loopback = Loopback()
        websocket = await peerlab.join(server.url, room="rules", role="caller")
        tcp = await peerlab.tcp_signalling("127.0.0.1", 0, role="caller")  # nobody connects: sends wait
        try:
            yield {"loopback": loopback.caller, "websocket": websocket, "tcp": tcp}
        finally:
            loopback.close()
            await websocket.close()
            await tcp.close()


@pytest.mark.parametrize("message, rule, code", BAD, ids=[rule for _, rule, _ in BAD])
async def test_every_endpoint_refuses_a_bad_message_with_the_same_words_and_the_server_with_its_code(
        message, rule, code):
    problem = check_message(message)
    assert problem is not None
    async with every_endpoint() as endpoints:
        for name, endpoint in endpoints.items():
            with pytest.raises(SignallingError) as refused:
                endpoint.send(message)
            extra = " (Loopback(extra_types=[...]) allows others)" if name == "loopback" and rule == "unknown-type" else ""
            assert str(refused.value) == problem.words + extra, name
            assert len(endpoint.transcript) == 0, name  # nothing was sent
    async with await peerlab.serve(port=0) as server:  # a client in another language sends the same frame
        url = join_url(server.url, room="rules", role="caller", client=uuid.uuid4().hex, token=server.token)
        async with connect(url) as ws:
            assert json.loads(await ws.recv())["type"] == "joined"
            await ws.send(json.dumps(message))
            error = json.loads(await ws.recv())
    assert error["type"] == "error"
    assert (error["data"]["code"], error["data"]["message"]) == (problem.code, problem.wire_words)
