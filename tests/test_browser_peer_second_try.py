"""The browser peer's second try, with a fake page (issue 21): a reloaded page, a cell run twice.

What a learner meets in lessons 06 and 09 when the page that holds the browser's connection is
reloaded, or a cell runs again; the real page (JupyterLab in Chromium) is in
tests/browser/test_second_try_in_browser.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import peerlab
from peerlab import browser

from .test_browser_peer import FakePage, _settle

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"}


@pytest.fixture(autouse=True)
async def bridge_closed():
    yield
    await browser.close_bridge()


async def reload_over_comm(pc: browser.RTCPeerConnection) -> None:
    """What JupyterLab does on a reload: the new page's widget says hello on the same comm, as another page."""
    hello = json.dumps({"type": "hello", "peer": pc.peer_id, "key": pc.widget.key, "channel": "comm",
                        "page": "the-page-after-the-reload", "userAgent": "fake"})
    await asyncio.to_thread(pc.widget._handle_custom_msg, {"peerlab": hello}, [])
    await asyncio.sleep(0.05)  # the hello is handled on the loop


async def test_after_a_reload_over_the_comm_the_offer_the_next_call_and_a_met_wait_say_the_page_went_away():
    loopback = peerlab.Loopback(name="reload")
    pc = browser.RTCPeerConnection()
    pc.addEventListener("icecandidate", lambda event: None)
    async with FakePage(pc, {"createOffer": lambda: OFFER}, channel="comm") as page:
        offer = await pc.createOffer()
        await page.post({"type": "icecandidate", "candidate": None})
        await pc.wait_for_end_of_candidates(timeout=5)  # met before the reload
        await reload_over_comm(pc)
        assert pc.connectionState == "closed" and "its page is gone" in repr(pc)
        with pytest.raises(browser.BrowserUnavailable) as sent:
            loopback.caller.send({"type": "offer", "data": offer})  # step 4
        assert str(sent.value).startswith("this offer was made by the browser, and the page that held the "
                                          "browser's RTCPeerConnection went away (the notebook's tab was reloaded")
        assert len(loopback.transcript) == 0  # nothing went out
        with pytest.raises(browser.BrowserUnavailable, match=r"^wait_for_end_of_candidates\(\): the page that held"):
            await pc.wait_for_end_of_candidates(timeout=5)  # step 6: says so at once, although met before
        failed = await _settle(pc.createOffer())
        assert isinstance(failed, browser.BrowserUnavailable)
        assert "Run the cell that makes it (peerlab.browser.RTCPeerConnection(...)) again" in str(failed)
        await pc.close()
    loopback.close()


async def test_the_same_offer_set_again_keeps_its_end_of_candidates_and_a_new_one_waits_for_its_own():
    pc = browser.RTCPeerConnection()
    pc.addEventListener("icecandidate", lambda event: None)
    async with FakePage(pc, {"createOffer": lambda: OFFER}) as page:
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        await page.post({"type": "icecandidate", "candidate": None})
        await pc.wait_for_end_of_candidates(timeout=5)
        await pc.setLocalDescription(offer)  # step 3 run again: the browser gathers nothing new
        await asyncio.wait_for(pc.wait_for_end_of_candidates(timeout=30), 5)  # at once, not after 30 s
        await pc.setLocalDescription({"type": "offer", "sdp": OFFER["sdp"].replace("abcd", "efgh")})
        with pytest.raises(peerlab.WaitTimeout, match="did not all arrive"):
            await pc.wait_for_end_of_candidates(timeout=0.2)  # new credentials: a new gathering, not ended
        await pc.close()


async def test_an_answer_set_twice_is_refused_at_once_naming_the_earlier_run():
    pc = browser.RTCPeerConnection()
    answer = {"type": "answer", "sdp": "v=0\r\na=ice-ufrag:far\r\n"}

    async def set_local(description: Any) -> None:
        await page.post({"type": "state", "name": "signalingState", "value": "have-local-offer"})

    async def set_remote(description: Any) -> None:
        await page.post({"type": "state", "name": "signalingState", "value": "stable"})

    async with FakePage(pc, {"createOffer": lambda: OFFER, "setLocalDescription": set_local,
                             "setRemoteDescription": set_remote}) as page:
        await pc.setLocalDescription(await pc.createOffer())
        await pc.setRemoteDescription(answer)
        with pytest.raises(peerlab.StepOrderError) as caught:
            await pc.setRemoteDescription(answer)  # step 7 run again
        assert "already has an answer" in str(caught.value) and "caller step 7" in str(caught.value)
        assert [c for c, _ in page.calls].count("setRemoteDescription") == 1  # refused before the page
        await pc.close()


async def test_add_camera_run_twice_says_the_new_track_replaced_the_first():
    def camera(constraints: dict[str, Any], timeout_ms: int) -> list[dict[str, Any]]:
        return [{"kind": "video", "label": "fake_device_0", "id": f"t{len(page.calls)}", "width": 320,
                 "height": 240, "replaced": len(page.calls) > 1}]

    pc = browser.RTCPeerConnection()
    async with FakePage(pc, {"addCamera": camera}) as page:
        await pc.addCamera()
        with pytest.warns(peerlab.PeerlabNote, match=r"has a camera track already .* takes its place on the "
                                                     r"same sender .* one m=video section") as said:
            await pc.addCamera()
        assert len(said) == 1 and said[0].filename == __file__  # once, pointing at the line that called it
        await pc.close()


async def test_wait_for_video_in_page_asks_the_page_and_says_when_nothing_plays_now():
    pc = browser.RTCPeerConnection()
    ended = [{"width": 320, "height": 240, "paused": False, "readyState": 4, "trackState": "ended", "playing": False}]
    async with FakePage(pc, {"videosInPage": lambda: ended}) as page:
        await page.post({"type": "video", "width": 320, "height": 240})  # it played once
        failed = await _settle(pc.wait_for_video_in_page(timeout=0.5))
        assert isinstance(failed, peerlab.WaitTimeout)
        assert "no received video plays in the browser's widget now" in str(failed) and "its track ended" in str(failed)
        await pc.close()
        with pytest.raises(peerlab.StepOrderError, match="closed"):
            await pc.wait_for_video_in_page(timeout=5)


async def test_the_same_offer_sent_twice_is_answered_once_and_a_second_receive_of_the_answer_says_so_at_once():
    loopback = peerlab.Loopback(name="offer twice")
    callee = peerlab.play_callee(loopback.callee)
    pc = peerlab.RTCPeerConnection(name="caller")
    pc.createDataChannel("chat")
    offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    loopback.caller.send({"type": "offer", "data": offer})
    loopback.caller.send({"type": "offer", "data": offer})  # step 4 run twice
    answer = await loopback.caller.receive("answer", timeout=10)
    await pc.setRemoteDescription(answer["data"])
    with pytest.raises(peerlab.SignallingTimeout) as caught:
        await asyncio.wait_for(loopback.caller.receive("answer", timeout=30), 5)  # step 7 run twice: at once
    assert caught.value.reason == "consumed" and "already received" in str(caught.value)
    await pc.close()
    await callee.close()
    loopback.close()


def test_a_listener_a_re_run_cell_adds_replaces_its_previous_runs_and_other_cells_keep_theirs():
    """In a real kernel, as JupyterLab sends cells: lesson 06's chat cell and lesson 09's track cell run twice."""
    from .kernel import Kernel

    kernel = Kernel()
    try:
        kernel.ok("import peerlab\nfrom peerlab.webrtc.events import Event, EventTarget\n"
                  "target = EventTarget()\nheard = []", "set-up")
        cell = "def on_reply(event):\n    heard.append('chat')\n\ntarget.addEventListener('message', on_reply)"
        kernel.ok(cell, "chat")
        kernel.ok(cell, "chat")  # run again: replaces, not adds
        kernel.ok("target.addEventListener('message', lambda event: heard.append('other cell'))", "other")
        kernel.ok("target.dispatchEvent(Event('message'))", "send")
        assert kernel.ok("print(heard)", "look").stdout.strip() == "['chat', 'other cell']"
        kernel.ok("callee = peerlab.RTCPeerConnection(name='callee')", "callee")
        track_cell = ("def on_callee_track(event):\n    pass\n\n"
                      "callee.addEventListener('track', on_callee_track)")
        kernel.ok(track_cell, "track")
        kernel.ok(track_cell, "track")
        assert kernel.ok("print(len(callee.listeners('track')))", "count").stdout.strip() == "1"
        kernel.ok("await callee.close()", "close")
    finally:
        kernel.close()


def test_the_stop_button_ends_a_browser_call_or_wait_at_once_with_one_line():
    """In a real kernel with no page: an interrupted call or wait ends within the interrupt, not at its timeout."""
    from .kernel import ANSI, Kernel

    kernel = Kernel()
    try:
        kernel.ok("import peerlab.browser\npc = peerlab.browser.RTCPeerConnection(connect_timeout=20)", "set-up")
        for code, what in (("await pc.createOffer()", "createOffer()"),
                           ("await pc.wait_for_state('connected', timeout=20)", "wait_for_state()")):
            out = kernel.run(code, "wait", interrupt_after=1.0, timeout=15)  # fails here if it waited its 20 s
            said = ANSI.sub("", out.traceback[-1])
            assert out.error == "CancelledError" and len(out.traceback) == 1, out.traceback
            assert said.startswith(f"Interrupted: The browser stopped waiting for {what} after "), said
            assert "Nothing is broken: the browser goes on by itself" in said, said
        kernel.ok("await pc.close()", "close")
    finally:
        kernel.close()


async def test_a_wait_for_the_end_of_candidates_that_runs_out_says_where_the_browsers_gathering_is():
    host = {"candidate": "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    pc = browser.RTCPeerConnection({"iceServers": [{"urls": "turn:192.0.2.9:3478", "username": "u",
                                                    "credential": "c"}]})
    pc.addEventListener("icecandidate", lambda event: None)
    async with FakePage(pc, {"createOffer": lambda: OFFER}) as page:
        await pc.setLocalDescription(await pc.createOffer())
        await page.post({"type": "state", "name": "iceGatheringState", "value": "gathering"})
        await page.post({"type": "icecandidate", "candidate": host})
        with pytest.raises(peerlab.WaitTimeout) as still:
            await pc.wait_for_end_of_candidates(timeout=0.2)
        assert str(still.value).endswith(
            "did not all arrive within 0.2 s. Its iceGatheringState is 'gathering'; 1 candidate(s) came (host): the "
            "browser is still asking its STUN/TURN server(s), and one that answers slowly, or not at all, keeps its "
            "gathering going (a browser gives up on it after some seconds). Run this cell again to wait longer."), still
        await page.post({"type": "state", "name": "iceGatheringState", "value": "complete"})
        with pytest.raises(peerlab.WaitTimeout) as lost:
            await pc.wait_for_end_of_candidates(timeout=0.2)
        assert "Its iceGatheringState is 'complete'; 1 candidate(s) came (host): the browser has finished, but its " \
               "last icecandidate event has not reached this kernel yet" in str(lost.value), lost
        await pc.close()
