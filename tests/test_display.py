"""The views: live state panel, timeline, sequence diagram, SDP anatomy, candidate table.

Each is checked on a real connected pair over a Loopback, and its text form must read
the same for two independent connections (what nbval needs).
"""

from __future__ import annotations

import fractions
import re
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc import RTCConfiguration
from aiortc import RTCPeerConnection as AiortcPeerConnection
from aiortc.sdp import SessionDescription
from nbval.plugin import get_sanitize_patterns

import peerlab
from peerlab import Loopback, RTCPeerConnection, display, wait_for_datachannel
from peerlab.display import timeline_rows
from peerlab.display.video import JpegEncoder

from .conftest import add_remote_candidates, negotiate


def current_states(html: str, peer: str) -> dict[str, str]:
    """What the panel highlights for ``peer``: {machine: state}, read from the DOM attributes."""
    found = {}
    for cell in re.findall(r"<[a-z]+ [^>]*>", html):
        if "peerlab-state-current" in cell and f'data-peer="{peer}"' in cell:
            machine = re.search(r'data-machine="([^"]+)"', cell).group(1)
            found[machine] = re.search(r'data-state="([^"]+)"', cell).group(1)
    return found


async def connect(loopback, caller, callee, **kwargs) -> list:
    """Negotiate, wait for both sides to connect; returns the caller's icecandidate events."""
    events: list = []
    caller.addEventListener("icecandidate", events.append)
    await negotiate(loopback, caller, callee, **kwargs)
    await caller.wait_for_state("connected", timeout=5)
    await callee.wait_for_state("connected", timeout=5)
    return events


# -- state panel ----------------------------------------------------------------------------

async def test_the_state_panel_follows_both_peers_live_until_closed(pair):
    loopback, caller, callee = pair
    before = len(caller.events._watchers), len(callee.events._watchers)
    panel = display.state_panel(caller, callee)
    first = panel.value
    assert current_states(first, "caller") == current_states(first, "callee") == {
        "signalingState": "stable", "iceGatheringState": "new", "iceConnectionState": "new",
        "connectionState": "new"}
    await connect(loopback, caller, callee)
    # the same panel, not a new one, now shows the connection
    for peer in ("caller", "callee"):
        assert current_states(panel.value, peer)["connectionState"] == "connected"
        assert current_states(panel.value, peer)["iceConnectionState"] == "completed"
    assert panel.value != first and panel.updates >= 8
    assert repr(panel) == (
        "caller  signalingState=stable  iceGatheringState=complete  iceConnectionState=completed  "
        "connectionState=connected\n"
        "callee  signalingState=stable  iceGatheringState=complete  iceConnectionState=completed  "
        "connectionState=connected")
    assert panel._repr_mimebundle_()["text/plain"] == repr(panel)
    assert "aiortc has no &#x27;connected&#x27; or &#x27;disconnected&#x27; iceConnectionState" in panel.value
    assert 'class="peerlab-state-panel"' in panel.value
    panel.close()
    assert not panel.following
    assert (len(caller.events._watchers), len(callee.events._watchers)) == before
    shown = panel.value
    await caller.close()
    assert panel.value == shown  # no longer following


async def test_the_state_panel_lets_go_once_every_connection_is_closed():
    caller = RTCPeerConnection(name="caller")
    panel = display.state_panel(caller)
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    assert current_states(panel.value, "caller")["signalingState"] == "have-local-offer"
    assert panel.following and len(caller.events._watchers) == 1
    gathering = caller.iceGatheringState
    await caller.close()
    assert current_states(panel.value, "caller") == {
        "signalingState": "closed", "iceGatheringState": gathering, "iceConnectionState": "closed",
        "connectionState": "closed"}
    assert not panel.following and caller.events._watchers == []
    assert not display.state_panel(caller).following  # nothing to follow on a closed connection


def test_state_panel_needs_a_connection():
    with pytest.raises(ValueError, match="at least one connection"):
        display.state_panel()


async def test_the_panel_escapes_a_peer_name():
    pc = RTCPeerConnection(name="<b>me</b>")
    try:
        panel = display.state_panel(pc)
        assert "<b>me" not in panel.value and 'data-peer="&lt;b&gt;me&lt;/b&gt;"' in panel.value
        assert "<b>me" not in display.timeline(pc).value
        panel.close()
    finally:
        await pc.close()


# -- timeline ----------------------------------------------------------------------------------

def lane_lines(block: str) -> list[list[str]]:
    """A lane's lines of the timeline's text as [number, kind, what], its times checked and left out."""
    lines = [line.split(None, 4) for line in block.strip("\n").splitlines() if line[:1] == " "]
    times = [float(at.lstrip("+")) for _, at, ms, _, _ in lines if ms == "ms"]
    assert len(times) == len(lines) and times == sorted(times) and times[0] >= 0
    return [[number, kind, what] for number, _, _, kind, what in lines]


async def test_the_timeline_lists_each_lane_in_time_order_with_times(pair):
    loopback, caller, callee = pair
    await connect(loopback, caller, callee)
    view = display.timeline(caller, callee, loopback=loopback)
    text = repr(view)
    lanes = re.split(r"^(caller|callee|signalling):$", text, flags=re.M)[1:]
    assert lanes[0::2] == ["caller", "callee", "signalling"]
    assert lanes[1].strip("\n").splitlines()[0] == "    1      +0.0 ms  call     RTCPeerConnection: created"
    for pc, block in ((caller, lanes[1]), (callee, lanes[3])):
        lines = lane_lines(block)
        assert [int(number) for number, _, _ in lines] == list(range(1, len(lines) + 1))
        expected = [str(e).split(None, 1)[1].split(None, 1) for e in sorted(pc.events, key=lambda e: e.time)]
        shown = [[kind, re.sub(r"  \(×\d+\)$", "", what)] for _, kind, what in lines]
        folded = [entry for i, entry in enumerate(expected) if i == 0 or entry != expected[i - 1]]
        assert shown == [[kind, what.strip()] for kind, what in folded]
    # connecting, then connected (whether the caller's last addIceCandidate returns before or after is timing)
    caller_states = [what for _, kind, what in lane_lines(lanes[1]) if what.startswith("connectionState")]
    assert caller_states == ["connectionState → connecting", "connectionState → connected"]
    messages = lane_lines(lanes[5])
    assert [(kind, what.split(":")[0]) for _, kind, what in messages] == [
        ("message", "offer"), ("message", "candidate"), ("message", "candidate"), ("message", "answer"),
        ("message", "candidate"), ("message", "candidate")]
    assert messages[2][2] == "candidate: caller → callee: end-of-candidates (null)"


async def test_the_timeline_picture_and_table_show_every_entry_with_times(pair):
    loopback, caller, callee = pair
    await connect(loopback, caller, callee)
    view = display.timeline(caller, callee, loopback=loopback)
    html = view.html()
    entries = len(caller.events) + len(callee.events) + len(loopback.transcript)
    assert html.count('<circle class="peerlab-timeline-dot"') == entries
    assert html.count('data-kind="message"') == 2 * len(loopback.transcript)  # a dot and a table row each
    times = [float(t) for t in re.findall(r">(\d+\.\d) ms</td>", html)]
    assert len(times) == entries and times[0] == 0.0 and times == sorted(times)
    assert html.startswith('<div class="peerlab-timeline">')
    assert view._repr_mimebundle_()["text/plain"] == repr(view)


@pytest.mark.parametrize("transport", ["loopback", "tcp"])
async def test_the_timeline_draws_a_message_after_the_call_that_made_what_it_carries(transport):
    """Every transport's transcript counts its times from ``transcript.started``, on the event logs' clock.

    The timeline used to give a TcpEndpoint's messages an origin of 0.0, which drew an offer sent
    after createOffer() before the connection even existed.
    """
    loopback = None
    if transport == "loopback":
        loopback = Loopback()
        endpoint = loopback.caller
    else:
        endpoint = await peerlab.tcp_signalling("127.0.0.1", 0, role="caller")  # nobody connects: it waits
    pc = RTCPeerConnection({"iceServers": []}, name="caller")
    try:
        pc.createDataChannel("chat")
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        endpoint.send({"type": "offer", "data": offer})
        assert pc.events[0].time >= endpoint.transcript.started
        rows = timeline_rows([pc], endpoint)
        order = [row.name for row in rows if row.name in ("createOffer", "offer")]
        assert order == ["createOffer", "offer"]
        assert rows[-1].kind == "message" and rows[-1].time >= pc.events[-1].time
    finally:
        await pc.close()
        if loopback is not None:
            loopback.close()
        else:
            await endpoint.close()


# -- sequence diagram --------------------------------------------------------------------------

async def test_the_sequence_diagram_draws_two_arrows_per_message(pair):
    loopback, caller, callee = pair
    await connect(loopback, caller, callee)
    diagram = display.sequence_diagram(loopback.transcript)
    mermaid = diagram.mermaid.splitlines()
    assert mermaid[:4] == ["sequenceDiagram", "    participant caller as Caller",
                           "    participant S as Signalling", "    participant callee as Callee"]
    arrows = [line for line in mermaid if "->>" in line]
    # offer, a run of host candidates, end-of-candidates; the same back: 6 messages after folding
    assert len(arrows) == diagram.arrow_count == 2 * len(diagram.text().splitlines()) == 12
    assert arrows[:2] == ["    caller->>S: offer (SDP)", "    S->>callee: offer (SDP)"]
    assert "    S->>caller: answer (SDP)" in mermaid and "    S->>caller: end-of-candidates (null)" in mermaid
    assert not re.search(r"\d+\.\d+\.\d+\.\d+|[0-9a-f]{8,}", diagram.mermaid)
    assert diagram._repr_mimebundle_() == {"text/vnd.mermaid": diagram.mermaid, "text/plain": diagram.text()}
    unfolded = display.sequence_diagram(loopback, fold=False)
    assert unfolded.arrow_count == 2 * len(loopback.transcript) == unfolded.mermaid.count("->>")


# -- stability -----------------------------------------------------------------------------------

async def connect_as_lesson_04(loopback, caller, callee) -> list:
    """Lesson 04's steps in the guide's order, to the callee's ``datachannel``; returns the caller's icecandidate events.

    Not :func:`peerlab.testing.negotiate`: its callee adds the candidates already there before it
    answers, and whether the last ones are there yet is timing (once in a make test run its
    ``addIceCandidate`` run split around ``createAnswer``). Waiting for ``datachannel`` keeps that
    event in every snapshot (without it, 1 of 400 connections on a loaded machine differed).
    """
    events: list = []
    caller.addEventListener("icecandidate", events.append)
    for pc, endpoint in ((caller, loopback.caller), (callee, loopback.callee)):
        pc.addEventListener("icecandidate",
                            lambda event, ep=endpoint: ep.send({"type": "candidate", "data": event.candidate}))
    caller.createDataChannel("chat")
    offer = await caller.createOffer()
    await caller.setLocalDescription(offer)
    loopback.caller.send({"type": "offer", "data": offer})
    await caller.wait_for_end_of_candidates(timeout=5)
    await callee.setRemoteDescription((await loopback.callee.receive("offer", timeout=5))["data"])
    answer = await callee.createAnswer()
    await callee.setLocalDescription(answer)
    loopback.callee.send({"type": "answer", "data": answer})
    await callee.wait_for_end_of_candidates(timeout=5)
    await caller.setRemoteDescription((await loopback.caller.receive("answer", timeout=5))["data"])
    await add_remote_candidates(caller, loopback.caller, timeout=5)
    await add_remote_candidates(callee, loopback.callee, timeout=5)
    await caller.wait_for_state("connected", timeout=5)
    await callee.wait_for_state("connected", timeout=5)
    await wait_for_datachannel(callee, timeout=5)
    return events


async def test_text_forms_are_the_same_for_two_independent_connections():
    """What lesson 04 shows, twice: the same text once nbval's sanitizing has run (its stored outputs hold)."""
    forms = []
    for _ in range(2):
        loopback = Loopback()
        caller, callee = RTCPeerConnection(name="caller"), RTCPeerConnection(name="callee")
        try:
            panel = display.state_panel(caller, callee)
            events = await connect_as_lesson_04(loopback, caller, callee)
            with_candidates = caller.aiortc.localDescription
            forms.append([
                repr(panel),
                repr(display.timeline(caller, callee, loopback=loopback)),
                display.sequence_diagram(loopback.transcript)._repr_mimebundle_(),
                repr(display.sdp_anatomy(caller.localDescription)),
                display.sdp_anatomy(callee.localDescription)._repr_html_(),
                repr(display.sdp_anatomy(with_candidates)),
                display.sdp_anatomy(with_candidates)._repr_html_(),
                repr(display.candidate_table(events)),
                display.candidate_table(loopback.transcript)._repr_html_(),
            ])
            panel.close()
        finally:
            await caller.close()
            await callee.close()
            loopback.close()
    for index, (first, second) in enumerate(zip(*forms, strict=True)):
        if index == 1:  # the timeline: ICE runs beside the calls, so within a lane the order can change
            assert timeline_entries(sanitized(first)) == timeline_entries(sanitized(second))
        else:
            assert sanitized(first) == sanitized(second)


def timeline_entries(text: object) -> list[str]:
    """A timeline's kinds of line, without their numbers and without order: what happened, not when.

    Seen on a slow host: the callee's ``iceConnectionState → completed`` before its ``addIceCandidate``
    calls (the far side's checks got through first), which can also split a run of ``(×N)`` candidates.
    """
    return sorted({re.sub(r"^\s*\d+ ", "", line) for line in str(text).splitlines()})


def sanitized(form: object) -> object:
    """A text form as nbval compares it: with tests/sanitize.cfg's rules applied, in order."""
    if not isinstance(form, str):
        return form
    rules = get_sanitize_patterns(Path(__file__).with_name("sanitize.cfg").read_text(encoding="utf-8"))
    for regex, replace in rules:
        form = re.sub(regex, replace, form)
    return form


def test_nbval_sees_a_timelines_times_as_the_same():
    lines = ["    1      +0.0 ms  call     RTCPeerConnection: created", "   17   +1043.9 ms  state    x"]
    assert [sanitized(line) for line in lines] == [
        "    1 +N ms  call     RTCPeerConnection: created", "   17 +N ms  state    x"]


# -- SDP anatomy ----------------------------------------------------------------------------------

async def test_sdp_anatomy_explains_each_line_and_masks_random_values(pair):
    loopback, caller, callee = pair
    await connect(loopback, caller, callee)
    description = caller.aiortc.localDescription  # aiortc's own, with candidates in it
    anatomy = display.sdp_anatomy(description)
    text, html = repr(anatomy), anatomy._repr_html_()
    for start in ("v=0", "o=- <session-id> <version>", "m=application <port>", "a=ice-ufrag:<ufrag>",
                  "a=mid:0", "a=fingerprint:sha-256 <fingerprint>", "a=setup:actpass", "a=sctp-port:5000",
                  "a=candidate:<foundation> 1 udp 2130706431 <address> <port> typ host"):
        line = next(line for line in text.splitlines() if line.strip().startswith(start))
        assert len(line.split("  ")) > 1 and line.split("  ")[-1].strip(), line  # it has a meaning
    assert "media section 0 (application, mid 0)" in text
    parsed = SessionDescription.parse(description.sdp)
    media = parsed.media[0]
    secret = [media.ice.usernameFragment, media.ice.password, str(parsed.origin).split()[1],
              media.dtls.fingerprints[0].value, str(media.port)]
    for c in media.ice_candidates:
        secret += [c.ip, f" {c.port} ", c.foundation]
    for value in secret:
        assert value not in text and value not in html, value
    revealed = repr(display.sdp_anatomy(description, reveal=True))
    assert all(value in revealed for value in secret)
    lines = [line for line in description.sdp.splitlines() if line]
    candidates = sum(1 for line in lines if line.startswith("a=candidate:"))
    assert html.count('<tr class="peerlab-sdp-line"') == len(lines) - candidates + 1  # alike candidates fold
    assert html.count('<tr class="peerlab-sdp-section"') == 2
    assert f"typ host (×{candidates})" in text
    assert repr(display.sdp_anatomy({"type": description.type, "sdp": description.sdp})) == text


async def test_sdp_anatomy_masks_media_stream_ids():
    pc = AiortcPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio")
        pc.addTransceiver("video")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        text = repr(display.sdp_anatomy(sdp))
        ssrcs = re.findall(r"^a=ssrc:(\d+)", sdp, flags=re.M)
        assert ssrcs and not any(ssrc in text for ssrc in ssrcs)
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text)
        assert "a=msid:<stream-id> <track-id>" in text and "a=ssrc:<ssrc> cname:<cname>" in text
        assert "a=ssrc-group:FID <ssrc> <ssrc>" in text
        assert "media section 1 (video, mid 1)" in text
    finally:
        await pc.close()


def test_explain_line_uses_the_line_type_and_attribute():
    assert display.explain_line("a=ice-pwd:xyz").startswith("ICE password")
    assert display.explain_line("a=setup:passive").startswith("DTLS role: passive")
    assert display.explain_line("m=audio 9 UDP/TLS/RTP/SAVPF 0").startswith("an audio section")
    assert "peer reflexive" in display.explain_line("a=candidate:1 1 udp 1845501695 192.0.2.1 5000 typ prflx")
    assert display.explain_line("a=unknown-thing") == ""


def test_html_is_escaped():
    anatomy = display.sdp_anatomy({"type": "offer", "sdp": "v=0\r\ns=<script>alert(1)</script>\r\n"})
    assert "<script>" not in anatomy._repr_html_() and "&lt;script&gt;" in anatomy._repr_html_()


def test_sdp_anatomy_says_what_it_needs():
    with pytest.raises(TypeError, match="setLocalDescription"):
        display.sdp_anatomy(None)
    with pytest.raises(TypeError, match="not a list"):
        display.sdp_anatomy([])


# -- candidate table --------------------------------------------------------------------------------

def test_candidate_priority_is_decoded():
    assert display.decode_priority(2130706431) == (126, 65535, 1)
    assert display.decode_priority(1694498815) == (100, 65535, 1)
    assert display.TYPE_PREFERENCES == {"host": 126, "srflx": 100, "prflx": 110, "relay": 0}
    table = display.candidate_table([{"candidate": "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host",
                                      "sdpMid": "0"}])
    assert ("priority 2130706431 = 2^24 × 126 (type preference, host) + 2^8 × 65535 (local preference) "
            "+ (256 − 1) (component 1)") in repr(table)
    assert "type preference 126 · local preference 65535 · component 1" in table._repr_html_()
    assert "192.0.2.1" not in repr(table) and "192.0.2.1" not in table._repr_html_()
    assert "5000" not in repr(table) and "<address>" in repr(table)
    assert "192.0.2.1" in display.candidate_table(table.candidates, reveal=True)._repr_html_()


async def test_the_candidate_table_reads_candidates_from_anything_that_holds_them(pair):
    loopback, caller, callee = pair
    events = await connect(loopback, caller, callee)
    sent = [message.message for message in loopback.transcript.between("caller", "callee")]
    expected = [e.candidate.candidate for e in events if e.candidate is not None]
    assert events[-1].candidate is None  # the end-of-candidates event is skipped, not shown
    sources = [events, [e.candidate for e in events], [e.candidate.toJSON() for e in events if e.candidate],
               [e.candidate.to_aiortc() for e in events if e.candidate],
               loopback.transcript.between("caller", "callee"), sent, caller.aiortc.localDescription]
    for source in sources:
        table = display.candidate_table(source)
        assert [c.candidate for c in table.candidates] == expected, source
        assert repr(table) == repr(display.candidate_table(events))
    assert len(display.candidate_table(loopback).candidates) == 2 * len(expected)
    html = display.candidate_table(events, reveal=True)._repr_html_()
    assert html.count('<tr class="peerlab-candidate" data-type="host"') == len(expected)
    assert "carries none" in repr(display.candidate_table(await caller.createOffer()))


async def test_a_peer_reflexive_candidate_is_explained(pair):
    loopback, caller, callee = pair
    await connect(loopback, caller, callee, caller_adds=False)  # the caller learns the callee from its checks
    table = display.candidate_table(caller.remote_candidates())
    assert "prflx: peer reflexive: learnt from an incoming connectivity check, never signalled" in repr(table)
    assert "(type preference, prflx)" in repr(table) and 'data-type="prflx"' in table._repr_html_()


def test_a_view_draws_received_frames_that_share_a_timestamp_or_have_none():
    """Frames through a TURN relay came two in one 1/30 s (the same pts at the encoder's time base), and the
    view ended with FFmpeg's 'avcodec_send_frame() returned 22': every picture must encode."""
    encoder = JpegEncoder()
    for pts in (0, 3000, 3000, 1000, None, 6000):  # in 1/90000 s, as aiortc's decoder stamps them
        frame = av.VideoFrame.from_ndarray(np.zeros((240, 320, 3), np.uint8), format="rgb24")
        frame.pts, frame.time_base = pts, fractions.Fraction(1, 90000)
        assert encoder.encode(frame).startswith(b"\xff\xd8"), pts  # a JPEG's start-of-image marker
        assert frame.pts == pts  # the caller's frame is left as it was
