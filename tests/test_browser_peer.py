"""peerlab.browser without a browser: the bridge, with a fake page speaking peer.js's protocol.

The real page (Chromium in JupyterLab) is tested in tests/browser/ (lesson 06). Here a websockets
client plays the page: scripted answers and errors, or a peerlab connection standing in for the
browser's, so that a whole negotiation runs through the bridge.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import peerlab
from peerlab import browser

STATES = ("signalingState", "iceGatheringState", "iceConnectionState", "connectionState")


class DomError(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class FakePage:
    """What peer.js does in the page: hello, then answer each call; ``post`` sends events.

    ``channel`` is the way it links: ``"direct"`` (a WebSocket to the bridge) or ``"comm"`` (the
    widget's comm, its messages handed to the widget from another thread, as a kernel's subshell does).
    """

    def __init__(self, pc: browser.RTCPeerConnection, answers: dict[str, Callable[..., Any]] | None = None,
                 channel: str = "direct") -> None:
        self.pc = pc
        self.answers = answers or {}
        self.channel = channel
        self.calls: list[tuple[str, list[Any]]] = []
        self.answering: set[asyncio.Future[Any]] = set()
        self.linked: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def __aenter__(self) -> FakePage:
        hello = {"type": "hello", "peer": self.pc.peer_id, "key": self.pc.widget.key, "channel": self.channel,
                 "page": "fake-page", "userAgent": "fake"}
        if self.channel == "comm":
            self.inbox: asyncio.Queue[str] = asyncio.Queue()
            loop = asyncio.get_running_loop()
            self.pc.widget.send = lambda content, buffers=None: loop.call_soon_threadsafe(  # type: ignore[method-assign]
                self.inbox.put_nowait, content["peerlab"])
            self.task = asyncio.ensure_future(self._serve(self._from_comm()))
        else:
            self.ws = await connect(f"ws://127.0.0.1:{self.pc.widget.bridge_port}/")
            self.task = asyncio.ensure_future(self._serve(self.ws))
        await self.post(hello)
        await asyncio.wait_for(asyncio.shield(self.linked), 5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.channel == "comm":  # a comm has no end of its own: a test closes pc before leaving
            self.task.cancel()
        else:
            await self.ws.close()
        await asyncio.gather(self.task, return_exceptions=True)
        for task in self.answering:
            task.cancel()
        await asyncio.gather(*self.answering, return_exceptions=True)

    async def post(self, message: dict[str, Any]) -> None:
        text = json.dumps(message)
        if self.channel == "comm":  # from another thread, as ipykernel's subshells hand it over
            thread = threading.Thread(target=self.pc.widget._handle_custom_msg, args=({"peerlab": text}, []))
            thread.start()
            await asyncio.to_thread(thread.join)
        else:
            await self.ws.send(text)

    async def _from_comm(self) -> Any:
        while True:
            yield await self.inbox.get()

    async def _serve(self, texts: Any) -> None:
        async for text in texts:
            message = json.loads(text)
            if message["type"] == "linked":
                self.linked.set_result(message["channel"])
                continue
            self.calls.append((message["method"], message["args"]))
            task = asyncio.ensure_future(self._answer(message))
            self.answering.add(task)
            task.add_done_callback(self.answering.discard)

    async def _answer(self, message: dict[str, Any]) -> None:
        answer = self.answers.get(message["method"], lambda *args: None)
        try:
            value = answer(*message["args"])
            if inspect.isawaitable(value):
                value = await value
        except DomError as error:
            reply = {"type": "error", "id": message["id"], "error": {"name": error.name, "message": str(error)}}
        else:
            reply = {"type": "result", "id": message["id"], "value": value}
        if message["id"]:
            try:
                await self.post(reply)
            except ConnectionClosed:
                pass


@pytest.fixture(autouse=True)
async def bridge_closed():
    yield
    await browser.close_bridge()


# -- without a page -----------------------------------------------------------------------


async def test_without_a_page_a_call_fails_within_five_seconds_and_says_a_browser_is_needed():
    pc = browser.RTCPeerConnection({"iceServers": []})
    assert pc.connect_timeout == 5
    started = time.monotonic()
    with pytest.raises(browser.BrowserUnavailable, match="needs the notebook open in JupyterLab in a browser"):
        await pc.createOffer()
    assert time.monotonic() - started < 10  # gave up at its 5 s, not at the 10 s a reply may take: no speed target
    await pc.close()


async def test_without_a_page_every_call_and_wait_fails_and_none_hangs():
    pc = browser.RTCPeerConnection(connect_timeout=0.2)
    channel = pc.createDataChannel("chat")
    assert channel.readyState == "connecting"
    calls = [pc.createOffer(), pc.createAnswer(), pc.setLocalDescription(),
             pc.setRemoteDescription({"type": "offer", "sdp": "v=0\r\n"}), pc.addIceCandidate(None),
             pc.wait_for_state("connected", timeout=30), pc.wait_for_end_of_candidates(timeout=30)]
    outcomes = await asyncio.wait_for(asyncio.gather(*(asyncio.ensure_future(_settle(c)) for c in calls)), 5)
    assert all(isinstance(o, browser.BrowserUnavailable) for o in outcomes), outcomes
    assert all("JupyterLab in a browser" in str(o) for o in outcomes)
    await pc.close()
    with pytest.raises(peerlab.StepOrderError, match="closed"):
        await pc.createOffer()


async def _settle(promise: Any) -> Any:
    try:
        return await promise
    except Exception as error:
        return error


async def test_the_bridge_refuses_a_hello_without_the_key_and_a_second_link():
    pc = browser.RTCPeerConnection()
    url = f"ws://127.0.0.1:{pc.widget.bridge_port}/"
    async with connect(url) as ws:
        await ws.send(json.dumps({"type": "hello", "peer": pc.peer_id, "key": "wrong", "channel": "direct"}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd.code == 4003
    async with FakePage(pc):
        for page, says in (("fake-page", "this page is linked by direct already"), ("another", "another page")):
            async with connect(url) as ws:
                await ws.send(json.dumps({"type": "hello", "peer": pc.peer_id, "key": pc.widget.key,
                                          "channel": "proxy", "page": page}))
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.recv()
                assert closed.value.rcvd.code == 4009 and closed.value.rcvd.reason.startswith(says)
        assert pc.link == "direct"
    await pc.close()


async def test_one_bridge_per_loop_on_127_0_0_1_and_its_port_reaches_the_widget_but_no_key_in_a_url():
    a, b = browser.RTCPeerConnection(), browser.RTCPeerConnection()
    assert a.widget.bridge_port == b.widget.bridge_port > 0
    assert repr(browser.bridge.bridge()) == f"<peerlab browser bridge on 127.0.0.1:{a.widget.bridge_port}>"
    assert a.widget.key != b.widget.key and a.widget.peer_id != b.widget.peer_id
    assert a.widget.configuration == {"iceServers": []}
    assert a.widget.links == ["comm", "proxy", "direct"]
    await a.close()
    await b.close()


def test_a_hub_can_narrow_the_ways_a_page_links(monkeypatch):
    from peerlab.browser.links import allowed_channels

    assert allowed_channels({"PEERLAB_BROWSER_LINKS": "proxy, comm"}) == ["comm", "proxy"]
    assert allowed_channels({}) == ["comm", "proxy", "direct"]
    with pytest.raises(peerlab.ConfigurationError, match="name some of comm, proxy, direct"):
        allowed_channels({"PEERLAB_BROWSER_LINKS": "carrier-pigeon"})


# -- the ways a page links, and what a learner reads when none does ---------------------------


@pytest.mark.parametrize("channel", ["direct", "comm"])
async def test_the_first_way_to_say_hello_links_and_the_kernel_says_which(channel):
    pc = browser.RTCPeerConnection()
    assert pc.link is None and "(not linked yet)" in repr(pc)
    async with FakePage(pc, {"createOffer": lambda: {"type": "offer", "sdp": "v=0\r\n"}}, channel=channel) as page:
        assert await page.linked == channel and pc.link == channel
        assert f"(linked by {channel})" in repr(pc)
        assert (await pc.createOffer()).type == "offer"
        assert await pc.round_trip() < 1
        await pc.close()


async def test_a_page_that_reports_every_way_failed_makes_the_call_fail_at_once_saying_why():
    pc = browser.RTCPeerConnection(connect_timeout=30)
    failures = {"comm": "no answer within 3 s", "proxy": "HTTP 404 at http://hub/user/a/proxy/1/: no proxy",
                "direct": "not tried: this page comes from hub.example.org"}
    report = json.dumps({"type": "report", "failures": failures, "final": True})
    await asyncio.to_thread(pc.widget._handle_custom_msg, {"peerlab": report}, [])  # as peer.js sends it
    started = time.monotonic()
    with pytest.raises(browser.BrowserUnlinked) as caught:
        await pc.createOffer()
    assert time.monotonic() - started < 1 and caught.value.failures == failures
    assert isinstance(caught.value, browser.BrowserUnavailable)
    text = str(caught.value)
    assert text.startswith("createOffer(): the page that shows this notebook holds the browser, but could not "
                           "link up with the kernel: the widget's comm, through Jupyter: no answer within 3 s; ")
    assert "can give one of these: a kernel with ipykernel 7.4 or newer" in text
    assert "; or jupyter-server-proxy where the Jupyter server runs" in text and "127.0.0.1:..." not in text
    assert "open this notebook" not in text.lower()
    await pc.close()


# -- with a fake page -------------------------------------------------------------------------


async def test_calls_resolve_with_the_pages_answer_and_states_follow_the_page():
    pc = browser.RTCPeerConnection()
    seen: list[str] = []
    pc.onsignalingstatechange = lambda event: seen.append(pc.signalingState)
    offer = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"}

    async def set_local(description: Any) -> None:
        await page.post({"type": "state", "name": "signalingState", "value": "have-local-offer"})

    async with FakePage(pc, {"createOffer": lambda: offer, "setLocalDescription": set_local}) as page:
        made = await pc.createOffer()
        assert (made.type, made.sdp) == (offer["type"], offer["sdp"])
        await pc.setLocalDescription(made)
        assert pc.signalingState == "have-local-offer"  # the page's state came before its reply
        assert seen == ["have-local-offer"]
        assert page.calls[1] == ("setLocalDescription", [offer])
    await pc.close()


async def test_a_browser_error_comes_back_as_a_peerlab_error_with_the_dom_exception_name():
    def refuse(*args: Any) -> None:
        raise DomError("InvalidStateError", "Failed to execute 'createAnswer': no remote offer")

    def bad_candidate(*args: Any) -> None:
        raise DomError("OperationError", "Unknown ufrag")

    pc = browser.RTCPeerConnection()
    async with FakePage(pc, {"createAnswer": refuse, "addIceCandidate": bad_candidate}):
        with pytest.raises(peerlab.StepOrderError) as caught:
            await pc.createAnswer()
        assert caught.value.name == "InvalidStateError"
        assert "no remote offer" in str(caught.value)
        failed = await _settle(pc.addIceCandidate({"candidate": "candidate:1 1 udp 1 x.local 9 typ host",
                                                   "sdpMid": "0"}))
        assert isinstance(failed, peerlab.InvalidCandidateError) and failed.name == "OperationError"
    await pc.close()


async def test_a_page_that_goes_away_fails_the_waiting_call_at_once():
    pc = browser.RTCPeerConnection(reply_timeout=30)
    never = asyncio.get_running_loop().create_future()
    async with FakePage(pc, {"createOffer": lambda: never}) as page:
        call = asyncio.ensure_future(_settle(pc.createOffer()))
        while not page.calls:
            await asyncio.sleep(0.01)
    failed = await asyncio.wait_for(call, 2)
    assert isinstance(failed, browser.BrowserUnavailable) and "tab was closed" in str(failed)
    assert pc.connectionState == "closed"
    never.cancel()
    await pc.close()


async def test_candidates_from_the_page_are_held_until_a_listener_exists_then_end_of_candidates():
    pc = browser.RTCPeerConnection()
    local = {"candidate": "candidate:1 1 udp 2122260223 0b2c7d1e-aaaa.local 54321 typ host generation 0",
             "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "abcd"}
    async with FakePage(pc) as page:
        await page.post({"type": "icecandidate", "candidate": local})
        await page.post({"type": "icecandidate", "candidate": None})
        await pc.addIceCandidate(None)  # a round trip: the page's messages before its reply have arrived
        got: list[Any] = []
        with pytest.warns(peerlab.HeldCandidatesNote):
            pc.addEventListener("icecandidate", lambda event: got.append(event.candidate))
        await pc.wait_for_end_of_candidates(timeout=1)
        assert got[0].toJSON() == local and got[0].address.endswith(".local") and got[1] is None
    await pc.close()


async def test_data_channel_messages_both_ways_through_the_page():
    pc = browser.RTCPeerConnection()
    async with FakePage(pc) as page:
        channel = pc.createDataChannel("chat")
        received: list[Any] = []
        channel.on("message", received.append)
        with pytest.raises(peerlab.StepOrderError):
            channel.send("too early")
        await pc.addIceCandidate(None)
        channel_id = page.calls[0][1][0]
        await page.post({"type": "channel", "channel": channel_id, "event": "open", "readyState": "open"})
        await page.post({"type": "channel", "channel": channel_id, "event": "message", "data": "hi"})
        await page.post({"type": "channel", "channel": channel_id, "event": "message", "binary": True,
                         "data": base64.b64encode(b"\x00\x01").decode()})
        await pc.addIceCandidate(None)
        assert channel.readyState == "open" and received == ["hi", b"\x00\x01"]
        channel.send("hello")
        await pc.addIceCandidate(None)
        assert ("send", [channel_id, "hello", False]) in page.calls
    await pc.close()


# -- a whole negotiation through the bridge, a peerlab connection standing in for the browser's --


class PeerlabPage(FakePage):
    """A fake page whose 'browser' connection is a peerlab one: every event goes back as peer.js sends it."""

    def __init__(self, pc: browser.RTCPeerConnection) -> None:
        self.inner = peerlab.RTCPeerConnection({"iceServers": []}, name="page")
        self.channels: dict[str, Any] = {}
        inner = self.inner
        super().__init__(pc, {
            "createOffer": lambda: _json(inner.createOffer()),
            "createAnswer": lambda: _json(inner.createAnswer()),
            "setLocalDescription": lambda d=None: _json(inner.setLocalDescription(d)),
            "setRemoteDescription": lambda d: _json(inner.setRemoteDescription(d)),
            "addIceCandidate": lambda c=None: _json(inner.addIceCandidate(c)),
            "createDataChannel": self._create_channel,
            "send": lambda cid, data, binary: self.channels[cid].send(data),
            "close": lambda: _json(inner.close()),
        })
        for state in STATES:
            inner.addEventListener(state.lower() + "change", self._forward_state(state))
        inner.addEventListener("icecandidate", lambda e: self._post_soon(
            {"type": "icecandidate", "candidate": e.candidate and e.candidate.toJSON()}))

    def _forward_state(self, state: str) -> Callable[[Any], None]:
        return lambda event: self._post_soon({"type": "state", "name": state, "value": getattr(self.inner, state)})

    def _create_channel(self, cid: str, label: str, options: Any) -> None:
        channel = self.channels[cid] = self.inner.createDataChannel(label)
        channel.addEventListener("open", lambda e: self._post_soon(
            {"type": "channel", "channel": cid, "event": "open", "readyState": "open"}))
        channel.addEventListener("message", lambda e: self._post_soon(
            {"type": "channel", "channel": cid, "event": "message", "data": e.data}))

    def _post_soon(self, message: dict[str, Any]) -> None:
        self.ws.protocol.send_text(json.dumps(message).encode())  # in order, at once: as a page's ws.send
        self.ws.send_data()

    async def __aexit__(self, *exc: object) -> None:
        await super().__aexit__(*exc)
        await self.inner.close()


async def _json(promise: Any) -> Any:
    value = await promise
    return value and {"type": value.type, "sdp": value.sdp}


async def test_the_lesson_01_caller_steps_run_unchanged_against_the_bridged_peer():
    loopback = peerlab.Loopback()
    callee = peerlab.play_callee(loopback.callee)
    signalling = loopback.caller
    pc = browser.RTCPeerConnection({"iceServers": []}, name="caller")
    async with PeerlabPage(pc):
        channel = pc.createDataChannel("chat")
        offer = await pc.createOffer()
        pc.addEventListener("icecandidate", lambda event: signalling.send({"type": "candidate",
                                                                          "data": event.candidate}))
        await pc.setLocalDescription(offer)
        signalling.send({"type": "offer", "data": offer})
        await pc.wait_for_end_of_candidates(timeout=5)
        answer = await signalling.receive("answer", timeout=5)
        await pc.setRemoteDescription(answer["data"])
        while True:
            message = await signalling.receive("candidate", timeout=5)
            await pc.addIceCandidate(message["data"])
            if message["data"] is None:
                break
        await pc.wait_for_state("connected", timeout=5)
        assert await peerlab.send_and_receive(channel, "hello", timeout=5) == "echo: hello"
        assert pc.events.states("signalingState") == ["have-local-offer", "stable"]
        await pc.close()
        assert pc.connectionState == "closed"
    await callee.close()
    loopback.close()


async def test_add_camera_asks_the_page_and_its_errors_come_back_with_the_dom_exception_name_and_a_hint():
    def camera(constraints: dict[str, Any], timeout_ms: int) -> list[dict[str, Any]]:
        assert constraints == {"video": {"width": 640, "height": 480}, "audio": False}
        assert timeout_ms == 3000
        return [{"kind": "video", "label": "fake_device_0", "id": "t1", "width": 640, "height": 480}]

    def refused(*args: Any) -> None:
        raise DomError("NotAllowedError", "Permission denied")

    pc = browser.RTCPeerConnection()
    async with FakePage(pc, {"addCamera": camera}):
        track = await pc.addCamera(640, 480, timeout=3)
        assert (track.kind, track.label, track.width, track.height) == ("video", "fake_device_0", 640, 480)
        assert repr(track) == "<browser MediaStreamTrack video 'fake_device_0' 640×480>"
    await pc.close()
    pc = browser.RTCPeerConnection()
    async with FakePage(pc, {"addCamera": refused}):
        failed = await _settle(pc.addCamera())
        assert isinstance(failed, browser.BrowserError) and failed.name == "NotAllowedError"
        assert "getUserMedia() (in addCamera()) failed: NotAllowedError: Permission denied" in str(failed)
        assert "allow it" in str(failed)
    await pc.close()
    with pytest.raises(peerlab.StepOrderError):
        await pc.addCamera()


async def test_the_pages_track_events_and_the_video_it_plays_reach_python():
    pc = browser.RTCPeerConnection()
    playing = [{"width": 320, "height": 240, "paused": False, "readyState": 4, "trackState": "live", "playing": True}]
    async with FakePage(pc, {"videosInPage": lambda: playing}) as page:
        waiting = asyncio.ensure_future(_settle(pc.wait_for_video_in_page(timeout=5)))
        await page.post({"type": "track", "kind": "video", "id": "r1"})
        await page.post({"type": "video", "width": 320, "height": 240})
        assert await asyncio.wait_for(waiting, 5) == (320, 240)
        assert pc.received_tracks == ["video"]
        assert ("track", "video") in [(e.name, e.value) for e in pc.events.of("event")]
    await pc.close()
    quiet = browser.RTCPeerConnection()
    async with FakePage(quiet):
        failed = await _settle(quiet.wait_for_video_in_page(timeout=0.3))
        assert isinstance(failed, peerlab.WaitTimeout) and "the page received no track" in str(failed)
    await quiet.close()


async def test_a_wait_for_connected_that_ends_in_checking_says_a_hub_may_need_a_turn_server(monkeypatch):
    monkeypatch.delenv("PEERLAB_ICE_SERVERS", raising=False)
    pc = browser.RTCPeerConnection()
    async with FakePage(pc) as page:
        await page.post({"type": "state", "name": "iceConnectionState", "value": "checking"})
        await pc.addIceCandidate(None)  # a round trip: the state has arrived
        with pytest.raises(peerlab.WaitTimeout) as caught:
            await pc.wait_for_state("connected", timeout=0.2)
        assert str(caught.value).startswith("the browser waited 0.2 s for connectionState 'connected'; it is 'new'. "
                                            "ICE found no path between your browser and the kernel")
        assert "ask whoever runs this JupyterLab to set PEERLAB_ICE_SERVERS" in str(caught.value)
        monkeypatch.setenv("PEERLAB_ICE_SERVERS", '[{"urls": "turn:turn.example.org:3478", "username": "u", '
                                                  '"credential": "p"}]')
        with pytest.raises(peerlab.WaitTimeout, match=r"set for the lessons \(turn:turn.example.org:3478\) did not"):
            await pc.wait_for_state("connected", timeout=0.2)
        await pc.close()
