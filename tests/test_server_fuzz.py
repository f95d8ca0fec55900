"""Fuzzing ``peerlab serve`` through a real socket on 127.0.0.1: it stays up, loses nothing, other rooms relay.

Each example opens a fresh room with a raw caller and callee (as a client in another language
would), sends a handful of frames, and checks that every frame either reached the callee
unchanged or earned the caller an ``error`` naming its number, never both, never neither.
"""

from __future__ import annotations

import json
import uuid

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

import peerlab
from peerlab.signalling.server_wire import SERVER_TYPES, join_url

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MARKER = {"type": "candidate", "data": {"candidate": "candidate:marker", "sdpMid": "0"}}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
types = st.sampled_from(["offer", "answer", "candidate", "joined", "error", "bye", "", "OFFER"]) | st.integers()
valid = st.sampled_from([
    {"type": "offer", "data": {"type": "offer", "sdp": "v=0\r\n"}},
    {"type": "answer", "data": {"type": "answer", "sdp": "v=0\r\n"}},
    {"type": "candidate", "data": None},
    {"type": "candidate", "data": {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host", "sdpMid": "0"}},
])
frames = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=80),
    valid.map(json.dumps),
    st.fixed_dictionaries({"type": types, "data": json_values}).map(json.dumps),
    st.dictionaries(st.text(max_size=6), json_values, max_size=3).map(json.dumps),
    json_values.map(json.dumps),
    st.integers(65_400, 66_000).map(lambda n: json.dumps({"type": "offer", "data": {"type": "offer", "sdp": "a" * n}})),
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fuzz_server():
    async with await peerlab.serve(port=0, messages_per_second=1e6, burst=10**6) as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def witness(fuzz_server):
    """A pair in its own room that must keep relaying whatever the fuzzed rooms do."""
    caller = await peerlab.join(fuzz_server.url, room="witness", role="caller", client_id="witness-caller")
    callee = await peerlab.join(fuzz_server.url, room="witness", role="callee", client_id="witness-callee")
    yield caller, callee
    await caller.close()
    await callee.close()


async def raw(server, room: str, role: str):
    ws = await connect(join_url(server.url, room=room, role=role, client=uuid.uuid4().hex, token=None),
                       compression=None)
    assert json.loads(await ws.recv())["type"] == "joined"
    return ws


pytestmark = pytest.mark.asyncio(loop_scope="module")


@FUZZ
@given(sent=st.lists(frames, min_size=1, max_size=6))
async def test_every_frame_is_relayed_unchanged_or_its_sender_hears_why_not(fuzz_server, witness, sent):
    room = f"fuzz-{uuid.uuid4().hex[:12]}"
    caller, callee = await raw(fuzz_server, room, "caller"), await raw(fuzz_server, room, "callee")
    try:
        for frame in sent:
            await caller.send(frame)
        await caller.send(json.dumps(MARKER))
        relayed = []
        while True:
            frame = await callee.recv()
            message = json.loads(frame)
            if message == MARKER:
                break
            if message.get("type") not in SERVER_TYPES:
                relayed.append(frame)
        errors: dict[int, dict] = {}
        while len(errors) + len(relayed) < len(sent):
            message = json.loads(await caller.recv())
            if message["type"] == "error":
                assert message["data"]["seq"] not in errors
                errors[message["data"]["seq"]] = message["data"]
    finally:
        await caller.close()
        await callee.close()
    delivered_seqs = [seq for seq in range(1, len(sent) + 1) if seq not in errors]
    assert relayed == [sent[seq - 1] for seq in delivered_seqs]  # in order, byte for byte
    for frame in relayed:
        assert json.loads(frame)["type"] in ("offer", "answer", "candidate")
    for error in errors.values():
        assert error["code"] in ("binary", "too-big", "not-json", "not-object", "unknown-type", "bad-message")
        assert error["message"]

    caller_w, callee_w = witness
    caller_w.send({"type": "candidate", "data": None})
    assert await callee_w.receive("candidate", timeout=5) == {"type": "candidate", "data": None}


names = st.text(max_size=70) | st.sampled_from(["table-1", "caller", "callee", "", "a" * 64, "a" * 65])


@FUZZ
@given(room=names, role=names, client=names)
async def test_any_join_url_is_joined_or_refused_by_name(fuzz_server, witness, room, role, client):
    from urllib.parse import urlencode

    ws = await connect(fuzz_server.url + "?" + urlencode({"room": room, "role": role, "client": client}),
                       compression=None)
    try:
        first = json.loads(await ws.recv())
    finally:
        await ws.close()
    assert first["type"] in ("joined", "refused")
    if first["type"] == "refused":
        assert first["data"]["reason"] in ("bad-join", "role-taken") and first["data"]["message"]
    caller_w, callee_w = witness
    callee_w.send({"type": "candidate", "data": None})
    assert await caller_w.receive("candidate", timeout=5) == {"type": "candidate", "data": None}
