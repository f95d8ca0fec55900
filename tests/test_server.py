"""``peerlab serve`` and ``peerlab.join``: a real WebSocket between two peers, and every way it can go wrong.

Every server here listens on 127.0.0.1 (or another loopback address) on a free port and is
closed by its fixture; every socket is closed by the test that opened it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import socket
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import peerlab
from peerlab import (
    JoinRefused,
    Loopback,
    MessageRefused,
    PeerlabNote,
    RTCPeerConnection,
    ServerStartError,
    SignallingClosed,
    SignallingEndpoint,
    SignallingError,
    SignallingTimeout,
    SignallingUnreachable,
    WebSocketEndpoint,
)
from peerlab.signalling.server_wire import CloseCode, join_url
from peerlab.testing import add_remote_candidates

from .room_notebooks import peerlab_serving

ROOT = Path(__file__).resolve().parent.parent
SDP = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
OFFER = {"type": "offer", "data": {"type": "offer", "sdp": SDP}}
END = {"type": "candidate", "data": None}

pytestmark = pytest.mark.filterwarnings("ignore::peerlab.HeldCandidatesNote")


@pytest.fixture
async def server():
    async with await peerlab.serve(port=0) as running:
        yield running


@pytest.fixture
async def opened():
    """Close, at the end, every endpoint and raw socket the test opened."""
    things: list = []
    yield things
    for thing in reversed(things):
        await thing.close()


async def join(opened: list, url: str, room: str, role: str, **options) -> WebSocketEndpoint:
    endpoint = await peerlab.join(url, room=room, role=role, **options)
    opened.append(endpoint)
    return endpoint


async def raw(opened: list, server, room: str, role: str, client: str | None = None,
              token: str | None = None) -> tuple[ClientConnection, dict]:
    """A bare WebSocket client, as one written in another language would be: the socket and its first message."""
    url = join_url(server.url, room=room, role=role, client=client or uuid.uuid4().hex,
                   token=token if token is not None else server.token)
    ws = await connect(url, compression=None)
    opened.append(ws)
    return ws, json.loads(await ws.recv())


async def next_of(ws: ClientConnection, kind: str) -> dict:
    """The next message of ``kind`` on a raw socket (skipping the server's other messages)."""
    while True:
        message = json.loads(await ws.recv())
        if message["type"] == kind:
            return message


async def assert_other_rooms_relay(server, opened: list) -> None:
    """A fresh pair in a fresh room still gets its messages across: nobody else noticed."""
    room = f"witness-{uuid.uuid4().hex[:8]}"
    caller = await join(opened, server.url, room, "caller", client_id="w-" + room)
    callee = await join(opened, server.url, room, "callee", client_id="v-" + room)
    caller.send(OFFER)
    assert await callee.receive("offer", timeout=5) == OFFER
    callee.send(END)
    assert await caller.receive("candidate", timeout=5) == END


async def room_when(server, name: str, ready, timeout: float = 10) -> dict:
    """Room ``name``'s status once ``ready(room)`` holds (the peers' reports travel on their own sockets)."""
    async def reached() -> dict:
        while True:
            room = next((r for r in server.status()["rooms"] if r["name"] == name), None)
            if room is not None and ready(room):
                return room
            await asyncio.sleep(0.02)
    try:
        return await asyncio.wait_for(reached(), timeout)
    except TimeoutError:
        raise AssertionError(f"room {name!r} never got there: {server.status()['rooms']}") from None


def connections(room: dict) -> dict:
    """Each role's reported connectionState in a room's status (None: nothing reported)."""
    return {role: (m["connection"] or {}).get("connectionState") if m else None for role, m in room["members"].items()}


def http_get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


# -- one interface for both endpoints -------------------------------------------------

async def test_the_loopback_endpoint_and_the_websocket_endpoint_are_both_signalling_endpoints(server, opened):
    loopback = Loopback()
    remote = await join(opened, server.url, "table-1", "caller")
    for endpoint in (loopback.caller, remote):
        assert isinstance(endpoint, SignallingEndpoint)
        assert endpoint.name == "caller"
        assert endpoint.transcript is not None and endpoint.pending == []
    for name in ("send", "receive", "on", "off", "close"):
        wanted = list(inspect.signature(getattr(SignallingEndpoint, name)).parameters)
        for cls in (peerlab.signalling.loopback.Endpoint, WebSocketEndpoint):
            assert list(inspect.signature(getattr(cls, name)).parameters) == wanted, (cls, name)
    assert inspect.signature(WebSocketEndpoint.receive).parameters["timeout"].default == \
        inspect.signature(peerlab.signalling.loopback.Endpoint.receive).parameters["timeout"].default
    loopback.close()


# -- a real exchange through the server ---------------------------------------------------

async def test_two_peer_connections_connect_through_the_server_and_echo(server, opened):
    caller_signalling = await join(opened, server.url, "table-3", "caller")
    callee_signalling = await join(opened, server.url, "table-3", "callee", client_id="the-callee")
    caller = RTCPeerConnection({"iceServers": []}, name="caller")
    callee = RTCPeerConnection({"iceServers": []}, name="callee")
    try:
        # caller steps 1-6, as lesson 01 writes them
        channel = caller.createDataChannel("chat")
        offer = await caller.createOffer()
        await caller.setLocalDescription(offer)
        caller_signalling.send({"type": "offer", "data": offer})
        caller.addEventListener(
            "icecandidate", lambda event: caller_signalling.send({"type": "candidate", "data": event.candidate}))
        # callee steps 2-6, as lesson 02 writes them
        message = await callee_signalling.receive("offer", timeout=5)
        await callee.setRemoteDescription(message["data"])
        answer = await callee.createAnswer()
        await callee.setLocalDescription(answer)
        callee_signalling.send({"type": "answer", "data": answer})
        callee.addEventListener(
            "icecandidate", lambda event: callee_signalling.send({"type": "candidate", "data": event.candidate}))
        # caller step 7, then step 8 on both sides
        await caller.setRemoteDescription((await caller_signalling.receive("answer", timeout=5))["data"])
        added = await asyncio.gather(add_remote_candidates(caller, caller_signalling, timeout=5),
                                     add_remote_candidates(callee, callee_signalling, timeout=5))
        assert all(count >= 1 for count in added)
        await caller.wait_for_state("connected", timeout=5)
        await callee.wait_for_state("connected", timeout=5)
        # Each endpoint reported the connection whose description it carried, by itself; the server kept it.
        room = await room_when(server, "table-3", lambda r: r["state"] == "connected")
        assert connections(room) == {"caller": "connected", "callee": "connected"}
        assert room["members"]["caller"]["connection"]["iceConnectionState"] in ("connected", "completed")

        far_channel = await peerlab.wait_for_datachannel(callee, timeout=5)
        far_channel.on("message", lambda text: far_channel.send(f"echo: {text}"))
        assert await peerlab.send_and_receive(channel, "hello over a real socket", timeout=5) == \
            "echo: hello over a real socket"
    finally:
        await caller.close()
        await callee.close()

    room = await room_when(server, "table-3", lambda r: connections(r) == {"caller": "closed", "callee": "closed"})
    assert room["state"] == "offer, answer and candidates exchanged; connection: caller closed, callee closed"
    # The reports went to the server only: not relayed, not in a transcript, not counted as messages.
    assert [m["data"]["connectionState"] for m in caller_signalling.reported][:1] == ["new"]
    assert caller_signalling.reported[-1]["data"]["connectionState"] == "closed"
    assert "state" not in caller_signalling.transcript.types() + callee_signalling.transcript.types()
    assert "state" not in room["by_type"] and callee_signalling.pending == []
    sent = caller_signalling.transcript.sent_by("caller")
    assert sent.splitlines()[0] == "caller → callee  offer      offer SDP, media: application, 0 candidates inside"
    assert sent.splitlines()[-1] == "caller → callee  candidate  end-of-candidates (null)"
    assert caller_signalling.transcript.types()[:2] == ["offer", "candidate"]
    assert room["by_type"]["offer"] == room["by_type"]["answer"] == 1
    assert room["messages"]["caller→callee"] == len(caller_signalling.transcript.between("caller", "callee"))


async def test_report_state_names_a_connection_the_endpoint_did_not_carry_an_offer_for(server, opened):
    signalling = await join(opened, server.url, "named", "caller")
    pc = RTCPeerConnection({"iceServers": []}, name="reported", replace_same_name=False)
    try:
        signalling.send(OFFER)  # an offer of no connection here: nothing to report
        room = await room_when(server, "named", lambda r: r["messages"]["caller→callee"] == 1)
        assert room["members"]["caller"]["connection"] is None and signalling.reported == []
        signalling.report_state(pc)
        signalling.report_state(pc)  # the same connection again: one report, not two
        room = await room_when(server, "named", lambda r: r["members"]["caller"]["connection"] is not None)
        assert room["members"]["caller"]["connection"]["connectionState"] == "new"
        assert room["state"] == "waiting for the callee to join"
    finally:
        await pc.close()
    await room_when(server, "named", lambda r: connections(r)["caller"] == "closed")
    assert [m["data"]["connectionState"] for m in signalling.reported] == ["new", "closed"]


async def test_messages_sent_before_the_far_side_joins_wait_for_it(server, opened):
    caller = await join(opened, server.url, "early", "caller")
    caller.send(OFFER)
    caller.send(END)
    assert server.status()["rooms"][0]["state"] == "waiting for the callee to join"
    callee = await join(opened, server.url, "early", "callee", client_id="late-callee")
    assert await callee.receive(timeout=5) == OFFER
    assert await callee.receive(timeout=5) == END
    assert caller.far_present and "the callee is here" in repr(caller)


async def test_on_message_handlers_get_every_message_and_their_errors_come_back(server, opened):
    caller = await join(opened, server.url, "handlers", "caller")
    callee = await join(opened, server.url, "handlers", "callee", client_id="handler-callee")
    seen = []

    @callee.on("message")
    def broken(message):
        seen.append(message["type"])
        raise KeyError("sdp")

    caller.send(OFFER)
    assert await callee.receive("offer", timeout=5) == OFFER
    await asyncio.sleep(0)
    assert seen == ["offer"]
    with pytest.raises(peerlab.MessageHandlerError, match="your on\\('message'\\) handler broken on the callee"):
        callee.send(END)


# -- who may join ----------------------------------------------------------------------------

async def test_a_role_taken_by_another_client_is_refused_naming_the_room_and_who_is_in_it(server, opened):
    first = await join(opened, server.url, "table-3", "caller", client_id="laptop-a")
    with pytest.raises(JoinRefused) as refused:
        await peerlab.join(server.url, room="table-3", role="caller", client_id="laptop-b")
    assert str(refused.value) == (
        f"The signalling server at {server.url} refused to let the caller join: room 'table-3' already has a "
        "caller: client laptop-a from 127.0.0.1, there for 0 s. The callee's place is free: join as callee, "
        "or pick another room.")
    assert (refused.value.reason, refused.value.room, refused.value.present) == \
        ("role-taken", "table-3", {"caller": "laptop-a"})
    await join(opened, server.url, "table-3", "callee", client_id="laptop-c")
    with pytest.raises(JoinRefused, match="Its callee is client laptop-c: the room is full, pick another room."):
        await peerlab.join(server.url, room="table-3", role="caller", client_id="laptop-b")
    first.send(OFFER)  # the refused client changed nothing for the pair in the room
    assert server.status()["rooms"][0]["members"]["caller"]["client"] == "laptop-a"


async def test_the_same_client_joining_again_replaces_its_old_socket_and_says_so_to_both(server, opened):
    old = await join(opened, server.url, "table-5", "caller")
    callee = await join(opened, server.url, "table-5", "callee", client_id="callee-5")
    waiting = asyncio.ensure_future(old.receive("answer", timeout=5))
    await asyncio.sleep(0)
    with pytest.warns(PeerlabNote, match="This process was already in room 'table-5' as the caller; the server "
                                         "closed that earlier connection, since this join replaces it"):
        new = await join(opened, server.url, "table-5", "caller")
    with pytest.raises(SignallingClosed, match="this connection to room 'table-5' on .* was replaced: this process "
                                               "joined the room as the caller again"):
        await waiting
    assert [e["type"] for e in old.events] == ["joined", "joined", "replaced"]
    new.send(OFFER)
    assert await callee.receive("offer", timeout=5) == OFFER
    assert any(e["type"] == "replaced" and e["data"]["role"] == "caller" for e in callee.events)
    assert [e["type"] for e in new.events][:2] == ["joined", "replaced"]
    callee.send(END)
    assert await new.receive("candidate", timeout=5) == END
    with pytest.raises(SignallingClosed, match="was replaced"):
        old.send(OFFER)


async def test_a_bad_token_is_refused_before_the_websocket_opens():
    async with await peerlab.serve(port=0, token="sesame") as server:
        assert server.url.endswith("/?token=sesame")
        with pytest.raises(JoinRefused, match="HTTP 403.*needs its token and the URL has a wrong token") as refused:
            await peerlab.join(server.url.replace("sesame", "guess"), room="r", role="caller")
        assert refused.value.reason == "token"
        with pytest.raises(JoinRefused, match="has no token"):
            await peerlab.join(server.url.split("?")[0], room="r", role="caller")
        endpoint = await peerlab.join(server.url.split("?")[0], room="r", role="caller", token="sesame")
        await endpoint.close()


async def test_any_address_but_127_0_0_1_gets_a_token_made_up():
    async with await peerlab.serve(host="127.0.0.2", port=0) as server:  # loopback, yet not 127.0.0.1
        assert server.token is not None and len(server.token) >= 16
        assert server.urls == [f"ws://127.0.0.2:{server.port}/?token={server.token}"]
        assert f"status: http://127.0.0.2:{server.port}/?token={server.token}" in str(server)
        endpoint = await peerlab.join(server.url, room="r", role="caller")
        await endpoint.close()


async def test_a_port_in_use_and_a_server_that_is_not_there_are_named(server):
    with pytest.raises(ServerStartError, match=f"port {server.port} on 127.0.0.1 is in use .*port=0"):
        await peerlab.serve(port=server.port)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with pytest.raises(SignallingUnreachable, match=f"Nothing answers at ws://127.0.0.1:{free}/ .*Is `peerlab "
                                                    "serve` running there?"):
        await peerlab.join(f"ws://127.0.0.1:{free}/", room="r", role="caller", timeout=5)


# -- bad input: the sender hears what was wrong, nobody else notices ------------------------

BAD_FRAMES = [
    ("not json at all", "not-json", "the frame is not JSON"),
    ('["offer"]', "not-object", "a message is a JSON object"),
    ('{"data": 1}', "unknown-type", 'the message has no "type" string'),
    ('{"type": "hello", "data": 1}', "unknown-type", "unknown message type 'hello': the server relays offer, "
                                                     "answer, candidate"),
    ('{"type": "joined", "data": {}}', "unknown-type", "unknown message type 'joined'"),
    ('{"type": "offer", "data": "v=0"}', "bad-message", "an 'offer' message's data is a description"),
    ('{"type": "answer", "data": {"type": "offer", "sdp": "v=0"}}', "bad-message",
     "the message says 'answer' but its description's type is 'offer'"),
    ('{"type": "candidate", "data": 7}', "bad-message", "a 'candidate' message's data is"),
    ('{"type": "state", "data": {"connectionState": "up"}}', "bad-message", "a 'state' message's data is "
     '{"connectionState": one of new, connecting, connected, disconnected, failed, closed'),
    ('{"type": "state", "data": null}', "bad-message", "a 'state' message's data is"),
]


@pytest.mark.parametrize("frame, code, words", BAD_FRAMES, ids=[c for _, c, _ in BAD_FRAMES])
async def test_a_frame_that_cannot_be_relayed_earns_its_sender_an_error(server, opened, frame, code, words):
    ws, joined = await raw(opened, server, "bad", "caller")
    far, _ = await raw(opened, server, "bad", "callee")
    assert joined["type"] == "joined"
    await ws.send(frame)
    error = await next_of(ws, "error")
    assert error["data"]["code"] == code and error["data"]["seq"] == 1
    assert words in error["data"]["message"]
    await ws.send(json.dumps(END))  # the socket is still good
    assert json.loads(await far.recv()) == END
    await assert_other_rooms_relay(server, opened)
    assert server.status()["rooms"][0]["errors"] == 1


async def test_a_binary_frame_earns_an_error(server, opened):
    ws, _ = await raw(opened, server, "bin", "caller")
    await ws.send(b"\x00\x01offer")
    error = await next_of(ws, "error")
    assert error["data"] == {"code": "binary", "seq": 1,  # no "type": the frame had none (README)
                             "message": "a binary frame (7 bytes) came; send each message as a JSON text frame"}
    await assert_other_rooms_relay(server, opened)


async def test_a_message_over_64_kib_earns_an_error_and_one_far_over_it_closes_the_socket(server, opened):
    ws, _ = await raw(opened, server, "big", "caller")
    frame = json.dumps({"type": "offer", "data": {"type": "offer", "sdp": "a" * 70_000}})
    await ws.send(frame)
    error = await next_of(ws, "error")
    assert error["data"]["code"] == "too-big"
    assert error["data"]["message"] == (f"the message is {len(frame)} bytes; the server takes up to 65536 "
                                        "(an offer is a few KiB: is something else in it?)")
    await ws.send("x" * (peerlab.signalling.server.HARD_FRAME_BYTES + 1))
    with pytest.raises(ConnectionClosed):
        while True:
            await ws.recv()
    assert ws.close_code == CloseCode.TOO_BIG
    await assert_other_rooms_relay(server, opened)


async def test_the_client_endpoint_refuses_an_oversized_message_before_sending_it(server, opened):
    caller = await join(opened, server.url, "big2", "caller")
    with pytest.raises(MessageRefused, match="the 'offer' message is 70049 bytes and the server at .* takes up to 65536: it was not sent"):
        caller.send({"type": "offer", "data": {"type": "offer", "sdp": "a" * 70_000}})
    with pytest.raises(SignallingError, match="unknown message type 'hello'"):
        caller.send({"type": "hello", "data": 1})


async def test_too_many_messages_a_second_are_refused_one_by_one(opened):
    async with await peerlab.serve(port=0, messages_per_second=0.01, burst=2) as server:
        ws, _ = await raw(opened, server, "flood", "caller")
        for _ in range(3):
            await ws.send(json.dumps(END))
        error = await next_of(ws, "error")
        assert error["data"]["code"] == "rate-limit" and error["data"]["seq"] == 3
        assert "more than 0.01 messages a second (burst 2); this one was not delivered" in error["data"]["message"]
        room = server.status()["rooms"][0]
        assert room["held"] == 2  # the first two wait for the callee
        await assert_other_rooms_relay(server, opened)


async def test_a_message_that_cannot_wait_for_an_absent_callee_is_reported_undelivered(opened):
    async with await peerlab.serve(port=0, hold_limit=1) as server:
        caller = await join(opened, server.url, "alone", "caller")
        caller.send(OFFER)  # held for the callee
        caller.send(END)    # the hold is full
        with pytest.raises(MessageRefused, match=r"your message #2 \('candidate'\) was not delivered: the callee "
                                                 r"has not joined room 'alone', and 1 messages already wait for it"):
            await caller.receive("answer", timeout=5)
        callee = await join(opened, server.url, "alone", "callee", client_id="alone-callee")
        assert await callee.receive(timeout=5) == OFFER


async def test_a_malformed_join_is_refused_with_a_close_code(server, opened):
    url = server.url + "?room=r&client=abc"  # no role
    ws = await connect(url, compression=None)
    opened.append(ws)
    refused = json.loads(await ws.recv())
    assert refused["type"] == "refused" and refused["data"]["reason"] == "bad-join"
    assert refused["data"]["message"].startswith("the URL has no role.")
    with pytest.raises(ConnectionClosed):
        await ws.recv()
    assert ws.close_code == CloseCode.BAD_JOIN
    with pytest.raises(JoinRefused, match="the room 'no spaces!' is not 1-64 letters"):
        await peerlab.join(server.url, room="no spaces!", role="caller")


async def test_room_and_client_caps_refuse_newcomers_by_name(opened):
    async with await peerlab.serve(port=0, max_rooms=1, max_clients=3) as server:
        await join(opened, server.url, "only", "caller")
        with pytest.raises(JoinRefused, match="the server already has 1 rooms, as many as it takes") as refused:
            await peerlab.join(server.url, room="second", role="caller")
        assert refused.value.reason == "full"
        await join(opened, server.url, "only", "callee", client_id="b")
        # a room of two is full: a third client is refused for its role, not for the cap
        with pytest.raises(JoinRefused, match="already has a callee"):
            await peerlab.join(server.url, room="only", role="callee", client_id="c")
    async with await peerlab.serve(port=0, max_clients=2) as server:
        await join(opened, server.url, "a", "caller")
        await join(opened, server.url, "b", "caller")
        with pytest.raises(JoinRefused, match="the server already has 2 clients, as many as it takes"):
            await peerlab.join(server.url, room="c", role="caller", client_id="c")
        with pytest.warns(PeerlabNote, match="replaces it"):  # replacing oneself is no new client
            await join(opened, server.url, "a", "caller")


async def test_an_idle_client_is_closed_and_told_why(opened):
    async with await peerlab.serve(port=0, idle_timeout=0.2) as server:
        caller = await join(opened, server.url, "sleepy", "caller")
        with pytest.raises(SignallingClosed, match="nothing came from you for 0.2 s; join again"):
            await caller.receive("answer", timeout=10)


async def test_messages_for_a_callee_that_does_not_read_are_reported_undelivered(opened):
    async with await peerlab.serve(port=0, messages_per_second=1e6, burst=10**6, outbox_limit=4) as server:
        ws, _ = await raw(opened, server, "stuck", "caller")
        far, _ = await raw(opened, server, "stuck", "callee")  # and never reads again
        big = json.dumps({"type": "offer", "data": {"type": "offer", "sdp": "a" * 60_000}})
        for _ in range(400):  # 24 MB: more than the socket buffers between them hold
            await ws.send(big)
        error = await next_of(ws, "error")
        assert error["data"]["code"] == "undelivered" and error["data"]["reason"] == "far-not-reading"
        assert error["data"]["message"].startswith(f"your message #{error['data']['seq']} ('offer') was not "
                                                   "delivered: the callee in room 'stuck' is not reading: 4 "
                                                   "messages already wait for it")
        await assert_other_rooms_relay(server, opened)
        for socket_ in (far, ws):  # neither reads what waits for it, so neither could close cleanly
            socket_.transport.abort()


def flood(url: str, frames: int) -> int:
    """Send ``frames`` frames as fast as a socket takes them, reading nothing back (in a thread)."""
    from websockets.sync.client import connect as connect_sync

    # it never reads, so it cannot see the server's reply to its close frame: do not wait 10 s for it
    with connect_sync(url, compression=None, close_timeout=0.5) as ws:
        for count in range(frames):
            try:
                ws.send('{"type": "candidate", "data": null}')
            except ConnectionClosed:
                return count
    return frames


async def test_a_client_flooding_its_room_does_not_slow_other_rooms_to_a_stop(opened):
    async with await peerlab.serve(port=0, messages_per_second=10, burst=20) as server:
        url = join_url(server.url, room="flood", role="caller", client="flooder", token=None)
        flooding = asyncio.ensure_future(asyncio.to_thread(flood, url, 5_000))
        while not server.status()["server"]["errors"]:
            await asyncio.sleep(0.01)
        await assert_other_rooms_relay(server, opened)  # while the flood goes on
        # Past the burst of 20, so the rate limit was hit; the server may also close a flooder that
        # never reads its errors (1008), sooner or later depending on the machine's load.
        assert await flooding > 20


# -- the server stops, restarts, and people leave ---------------------------------------------

async def test_a_stopped_server_ends_every_waiting_receive_and_rejoining_after_a_restart_works(opened):
    server = await peerlab.serve(port=0)
    port, url = server.port, server.url
    caller = await join(opened, url, "table-9", "caller")
    callee = await join(opened, url, "table-9", "callee", client_id="callee-9")
    waits = [asyncio.ensure_future(caller.receive("answer", timeout=30)),
             asyncio.ensure_future(callee.receive("offer", timeout=30))]
    await asyncio.sleep(0)
    await server.close()
    for wait in waits:
        with pytest.raises(SignallingClosed) as closed:
            await wait
        # this process started the server: the words say so, not "when `peerlab serve` runs again"
        assert str(closed.value) == (
            f"the signalling server at {url}, which this kernel started (peerlab.serve), was closed, so nothing "
            "more comes in room 'table-9' on " + url + ". A connection already made goes on without it (the "
            "server is not on the data channel's path). For new signalling, re-run the cell that started the "
            "server (a lesson's set-up cell), then your join cell.")
    with pytest.raises(SignallingClosed, match="which this kernel started"):
        caller.send(OFFER)

    async with await peerlab.serve(port=port) as again:
        caller = await join(opened, again.url, "table-9", "caller")
        callee = await join(opened, again.url, "table-9", "callee", client_id="callee-9")
        caller.send(OFFER)
        assert await callee.receive("offer", timeout=5) == OFFER


async def test_the_join_again_hint_after_a_restart_carries_the_token_so_the_server_takes_it(opened):
    """A teacher's `peerlab serve` (another process, with a token) stops: the hint's URL gets in once it runs again."""
    async with peerlab_serving(token="sesame") as url:
        port = int(re.search(r":(\d+)/", url).group(1))
        caller = await join(opened, url, "table-5", "caller")
        waiting = asyncio.ensure_future(caller.receive("answer", timeout=30))
        await asyncio.sleep(0)
    with pytest.raises(SignallingClosed) as closed:
        await waiting
    hint = re.search(r"join again: await (peerlab\.join\('([^']+)', room='table-5', role='caller'\))",
                     str(closed.value))
    assert hint is not None, str(closed.value)
    assert hint.group(2) == f"ws://127.0.0.1:{port}/?token=sesame"
    async with peerlab_serving(token="sesame", port=port):
        again = await join(opened, hint.group(2), "table-5", "caller")  # the hint's URL, as the learner copies it
        assert again.room == "table-5"


async def test_a_wait_that_runs_out_says_whether_the_far_side_is_there(server, opened):
    caller = await join(opened, server.url, "table-7", "caller")
    with pytest.raises(SignallingTimeout, match="The caller waited 0.05 s for an 'answer' message and none came. "
                                                "The callee has not joined room 'table-7'") as timeout:
        await caller.receive("answer", timeout=0.05)
    assert timeout.value.reason == "far-absent"
    callee = await join(opened, server.url, "table-7", "callee", client_id="callee-7")
    with pytest.raises(SignallingTimeout) as timeout:
        await caller.receive("answer", timeout=0.05)  # before the caller's own step 4, as on the Loopback
    assert str(timeout.value) == (
        "The caller waited 0.05 s for an 'answer' message and none came. The callee is in room 'table-7'. The "
        "caller has not sent an offer yet, so the callee has nothing to answer: caller step 4 "
        '(send({"type": "offer", "data": offer})) comes first.')
    assert timeout.value.reason == "own-step"
    caller.send(OFFER)
    with pytest.raises(SignallingTimeout, match="The callee is in room 'table-7'. An 'answer' message is sent by "
                                                "callee step 4") as timeout:
        await caller.receive("answer", timeout=0.05)
    assert timeout.value.reason == "not-sent"
    await callee.close()
    while caller.far_present:  # the server tells the caller
        await asyncio.sleep(0.01)
    with pytest.raises(SignallingTimeout, match=r"The callee left room 'table-7' \(closed\)"):
        await caller.receive("answer", timeout=0.05)


async def test_after_the_callee_leaves_the_callers_messages_wait_for_the_next_callee(server, opened):
    caller = await join(opened, server.url, "gone", "caller")
    ws, _ = await raw(opened, server, "gone", "callee")
    await ws.close()
    while caller.far_present:  # the server tells the caller
        await asyncio.sleep(0.01)
    assert caller.events[-1]["data"] == {"room": "gone", "role": "callee", "client": ws.request.path.split(
        "client=")[1][:8], "reason": "closed"}
    caller.send(OFFER)
    with pytest.raises(SignallingTimeout, match="The callee left room 'gone'"):
        await caller.receive("answer", timeout=0.05)
    callee = await join(opened, server.url, "gone", "callee", client_id="next-callee")
    assert await callee.receive("offer", timeout=5) == OFFER


# -- the status page -------------------------------------------------------------------------

async def test_the_status_page_and_its_json_are_served_on_the_same_port(server, opened):
    caller = await join(opened, server.url, "table-2", "caller", client_id="c0ffee00")
    caller.send(OFFER)
    status, kind, page = await asyncio.to_thread(http_get, server.page_url)
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert "<title>peerlab serve: rooms</title>" in page and "status.json" in page
    assert not re.search(r"(src|href)=\"?https?:", page)  # no external assets
    status, kind, body = await asyncio.to_thread(http_get, server.page_url + "status.json")
    assert (status, kind) == (200, "application/json")
    room = json.loads(body)["rooms"][0]
    assert room["name"] == "table-2"
    assert room["members"]["caller"]["client"] == "c0ffee00" and room["members"]["callee"] is None
    assert room["messages"] == {"caller→callee": 1, "callee→caller": 0}
    assert room["last"]["type"] == "offer" and room["last"]["from"] == "caller"
    assert room["held"] == 1 and room["state"] == "waiting for the callee to join"
    assert (await asyncio.to_thread(http_get, server.page_url + "nothing"))[0] == 404


async def test_the_status_page_needs_the_token_when_there_is_one():
    async with await peerlab.serve(port=0, token="sesame") as server:
        bare = server.page_url.split("?")[0]
        status, _, text = await asyncio.to_thread(http_get, bare)
        assert status == 403 and "needs its token" in text
        assert (await asyncio.to_thread(http_get, bare + "status.json"))[0] == 403
        assert (await asyncio.to_thread(http_get, bare + "status.json?token=sesame"))[0] == 200
        assert (await asyncio.to_thread(http_get, server.page_url))[0] == 200


# -- the command ----------------------------------------------------------------------------

def test_the_readme_documents_every_server_message_code_and_close_code():
    from peerlab.signalling import messages, server_wire

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The signalling server's wire", 1)[1].split("\n## ", 1)[0]
    names = (server_wire.SERVER_TYPES + server_wire.ERROR_CODES + server_wire.UNDELIVERED_REASONS
             + server_wire.REFUSED_REASONS + server_wire.LEFT_REASONS + messages.ROLES)
    assert [name for name in names if f"`{name}`" not in section] == []
    assert [kind for kind in messages.MESSAGE_TYPES + messages.REPORT_TYPES
            if f'{{"type": "{kind}"' not in section] == []
    codes = [value for key, value in vars(CloseCode).items() if key.isupper()]
    assert [code for code in codes if str(code) not in section] == []
    for param in ("room=", "role=", "client=", "token="):
        assert param in section


def test_pyproject_names_the_peerlab_command():
    text = (ROOT / "pyproject.toml").read_text()
    assert '[project.scripts]\npeerlab = "peerlab.cli:main"' in text
    assert '"websockets>=14"' in text


async def test_python_m_peerlab_serve_prints_the_urls_and_stops_on_sigterm(opened):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "peerlab", "serve", "--host", "127.0.0.3", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    try:
        lines = []
        while not lines or lines[-1] != "Stop it with Ctrl-C.":
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, "\n".join(lines)
            lines.append(line.decode().rstrip())
        assert lines[0].startswith("peerlab signalling server on 127.0.0.3:")
        assert "  (no --token given, so peerlab made one: whoever has the URL can join)" in lines
        url = re.search(r"peerlab\.join\('([^']+)'", lines[1]).group(1)
        assert re.fullmatch(r"ws://127\.0\.0\.3:\d+/\?token=[\w-]{16,}", url)
        endpoint = await join(opened, url, "cli", "caller")
        assert endpoint.far_present is False
    finally:
        process.terminate()
        rest = (await asyncio.wait_for(process.communicate(), 30))[0].decode()
    assert process.returncode == 0
    assert rest.strip().endswith("peerlab serve stopped.")


def test_peerlab_serve_help_names_its_options(capsys):
    from peerlab.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--host" in out and "--port" in out and "--token" in out



# -- what README's "The signalling server's wire" says, pinned (issue 24: six places where it and the server differed)

def wire_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## The signalling server's wire", 1)[1].split("\n## ", 1)[0]


def room_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## A room of laptops: `peerlab serve`", 1)[1].split("\n## ", 1)[0]


async def test_the_readme_says_what_the_scripted_far_peer_answers_and_it_does(server, opened):
    assert '`"echo: "` and the message (`"hi"` comes\nback as `"echo: hi"`)' in room_section()
    loopback = Loopback()
    caller = RTCPeerConnection(name="echo caller", replace_same_name=False)
    scripted = peerlab.play_callee(loopback.callee)
    try:
        channel = caller.createDataChannel("chat")
        caller.addEventListener("icecandidate", lambda event: loopback.caller.send(
            {"type": "candidate", "data": event.candidate}))
        await caller.setLocalDescription(await caller.createOffer())
        loopback.caller.send({"type": "offer", "data": caller.localDescription})
        await caller.setRemoteDescription((await loopback.caller.receive("answer", timeout=5))["data"])
        await add_remote_candidates(caller, loopback.caller)
        await peerlab.wait_for_open(channel, timeout=5)
        assert await peerlab.send_and_receive(channel, "hi", timeout=5) == "echo: hi"
    finally:
        scripted.stop()
        await caller.close()
        loopback.close()


def test_the_readme_shows_every_option_of_peerlab_serve_and_the_url_it_prints():
    from peerlab.cli import _parser

    serve = next(a for a in _parser()._actions if a.dest == "command").choices["serve"]
    options = [o for a in serve._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    section = room_section()
    assert options and [o for o in options if f"peerlab serve {o}" not in section
                        and f" {o} " not in section] == []
    assert "peerlab serve --port 0" in section and "--token room42" in section
    assert "`ws://HOST:PORT/`" in section and "`ws://HOST:PORT/` URL `peerlab serve`\nprints" in wire_section()


async def test_the_url_the_server_prints_has_the_readmes_form(server):
    assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/", server.url)
    assert f"peerlab.join({server.url!r}" in str(server)


async def test_an_error_names_the_frames_type_only_when_it_had_one(server, opened):
    assert "`type` (the frame's type; absent when it had none" in wire_section()
    ws, _ = await raw(opened, server, "types", "caller")
    await ws.send("not json")
    assert "type" not in (await next_of(ws, "error"))["data"]
    await ws.send('{"type": "hello"}')
    assert (await next_of(ws, "error"))["data"]["type"] == "hello"


async def test_status_json_has_exactly_the_keys_the_readme_shows(server, opened):
    section = wire_section()
    shown = json.loads(section.split("as JSON, both with `?token=`", 1)[1].split("```json", 1)[1].split("```", 1)[0])
    caller, _ = await raw(opened, server, "table-3", "caller")
    callee, _ = await raw(opened, server, "table-3", "callee")
    await caller.send(json.dumps(OFFER))
    assert await next_of(callee, "offer") == OFFER
    for ws in (caller, callee):
        await ws.send(json.dumps({"type": "state", "data": {"connectionState": "connected",
                                                            "iceConnectionState": "completed"}}))
    await room_when(server, "table-3", lambda r: r["state"] == "connected")
    status = server.status()

    def shape(value, name=""):
        if name == "by_type":  # one count per message type seen so far
            return {"<type>": "number"}
        if isinstance(value, dict):
            return {key: shape(item, key) for key, item in value.items()}
        if isinstance(value, list):
            return [shape(item) for item in value[:1]]
        return type(value).__name__ if not isinstance(value, (int, float)) or isinstance(value, bool) else "number"

    assert shape(status) == shape(shown)
    assert set(status["rooms"][0]["messages"]) == {"caller→callee", "callee→caller"}


async def test_a_rejoin_reaches_the_other_role_as_replaced_only_and_the_readme_says_who_offers_again(server, opened):
    assert "reaches the other role as `replaced`\nonly, never as a second `joined`" in wire_section()
    assert "The caller offers again" in wire_section()
    ws, _ = await raw(opened, server, "again", "callee")
    await raw(opened, server, "again", "caller", client="the-caller")
    assert (await next_of(ws, "joined"))["data"]["role"] == "caller"
    await raw(opened, server, "again", "caller", client="the-caller")
    seen = []
    while not seen or seen[-1]["type"] != "replaced":
        seen.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
    assert [m["type"] for m in seen] == ["replaced"] and seen[0]["data"]["role"] == "caller"


async def test_held_messages_dropped_on_replacement_are_counted_in_dropped_not_errors(server, opened):
    assert "messages still held for the other role when their sender leaves or is replaced" in wire_section()
    old, _ = await raw(opened, server, "held", "caller", client="the-caller")
    await old.send(json.dumps(OFFER))
    await old.send(json.dumps(END))
    await asyncio.sleep(0.1)  # held: no callee yet
    new, joined = await raw(opened, server, "held", "caller", client="the-caller")
    assert joined["data"]["replacing"] is True and joined["data"]["dropped"] == 2
    told = [json.loads(await asyncio.wait_for(old.recv(), 5))]
    assert told[-1]["type"] == "replaced" and told[-1]["data"]["dropped"] == 2
    assert (await next_of(new, "replaced"))["data"]["dropped"] == 2
    callee, callee_joined = await raw(opened, server, "held", "callee")
    assert callee_joined["data"]["held"] == 0
