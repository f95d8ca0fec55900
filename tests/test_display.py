"""The views: live state panel, timeline, sequence diagram, SDP anatomy, candidate table.

Each is checked on a real connected pair, and its text form must read the same for two
independent connections (what nbval needs).
"""

from __future__ import annotations

import re

import pytest

from peerlab import Loopback, RTCPeerConnection, display

from .conftest import negotiate


async def connected_pair():
    loopback = Loopback()
    caller, callee = RTCPeerConnection(name="caller"), RTCPeerConnection(name="callee")
    events: list = []
    caller.addEventListener("icecandidate", events.append)
    await negotiate(loopback, caller, callee)
    await caller.wait_for_state("connected", timeout=5)
    await callee.wait_for_state("connected", timeout=5)
    return loopback, caller, callee, events


async def close(loopback, *pcs):
    for pc in pcs:
        await pc.close()
    loopback.close()


async def test_the_state_panel_updates_live_and_stops_when_closed():
    caller = RTCPeerConnection(name="caller")
    panel = display.state_panel(caller)
    assert 'data-state="new" style' in panel.value and repr(panel).endswith("connectionState=new")
    current = re.findall(r'class="peerlab-state peerlab-state-current"[^>]*data-machine="(\w+)" data-state="([\w-]+)"',
                         panel.value)
    assert current == [("signalingState", "stable"), ("iceGatheringState", "new"),
                       ("iceConnectionState", "new"), ("connectionState", "new")]
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    assert 'data-machine="signalingState" data-state="have-local-offer"' in panel.value.split("peerlab-state-current")[1]
    assert panel.updates >= 2
    panel.close()
    updates = panel.updates
    await caller.close()
    assert panel.updates == updates  # no longer following
    assert caller.events._watchers == []


async def test_views_of_a_connected_pair():
    loopback, caller, callee, events = await connected_pair()
    try:
        panel = display.state_panel(caller, callee)
        for peer in ("caller", "callee"):
            assert (f'class="peerlab-state peerlab-state-current" data-peer="{peer}" data-machine="connectionState" '
                    f'data-state="connected"') in panel.value
        panel.close()
        diagram = display.sequence_diagram(loopback.transcript)
        mermaid = diagram.mermaid.splitlines()
        assert mermaid[0] == "sequenceDiagram"
        arrows = [line for line in mermaid if "->>" in line]
        assert len(arrows) == diagram.arrow_count == 2 * len(diagram.text().splitlines()) == 12
        assert arrows[:2] == ["    caller->>S: offer (SDP)", "    S->>callee: offer (SDP)"]
        assert "    S->>caller: answer (SDP)" in mermaid and "    S->>caller: end-of-candidates (null)" in mermaid
        assert diagram._repr_mimebundle_()["text/plain"] == diagram.text()
        text = repr(display.timeline(caller, callee))
        assert "  connectionState    new → connecting → connected" in text.split("callee:")[0]
        assert "  signalingState     stable → have-remote-offer → stable" in text.split("callee:")[1]
        assert not re.search(r"\d+\.\d+ ?ms", text)
        html = display.timeline(caller, callee).value
        assert html.count("<circle") == len(caller.events) + len(callee.events) and " ms</td>" in html
    finally:
        await close(loopback, caller, callee)


async def test_text_forms_are_the_same_for_two_independent_connections():
    texts = []
    for _ in range(2):
        loopback, caller, callee, events = await connected_pair()
        try:
            texts.append([repr(display.state_panel(caller, callee)),
                          display.sequence_diagram(loopback.transcript).text(),
                          display.sequence_diagram(loopback.transcript).mermaid,
                          display.sdp_anatomy(caller.localDescription).text(),
                          display.sdp_anatomy(caller.localDescription)._repr_html_(),
                          display.candidate_table(events).text(),
                          display.candidate_table(events)._repr_html_()])
        finally:
            await close(loopback, caller, callee)
    assert texts[0] == texts[1]


async def test_sdp_anatomy_explains_each_line_and_masks_random_values():
    loopback, caller, callee, events = await connected_pair()
    try:
        description = caller.aiortc.localDescription  # aiortc's own, with candidates in it
        anatomy = display.sdp_anatomy(description)
        text = anatomy.text()
        for start in ("v=0", "o=- <session-id>", "m=application <port>", "a=ice-ufrag:<ufrag>", "a=mid:0",
                      "a=fingerprint:sha-256 <fingerprint>", "a=setup:actpass", "a=sctp-port:5000",
                      "a=candidate:<foundation> 1 udp 2130706431 <address> <port> typ host"):
            line = next(line for line in text.splitlines() if line.strip().startswith(start))
            assert len(line.split("  ")) > 1 and line.split("  ")[-1].strip(), line  # it has a meaning
        ufrag = next(line for line in description.sdp.splitlines() if line.startswith("a=ice-ufrag:"))
        assert ufrag not in text and ufrag not in anatomy._repr_html_()
        assert ufrag in display.sdp_anatomy(description, reveal=True).text()
        assert anatomy._repr_html_().count("<tr>") == len(description.sdp.strip().splitlines()) + 2
    finally:
        await close(loopback, caller, callee)


def test_candidate_priority_is_decoded():
    assert display.decode_priority(2130706431) == (126, 65535, 1)
    assert display.decode_priority(1694498815) == (100, 65535, 1)
    table = display.candidate_table([{"candidate": "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host",
                                      "sdpMid": "0"}])
    assert "2^24 × 126 (type preference) + 2^8 × 65535 (local preference)" in table.text()
    assert "192.0.2.1" not in table.text() and "192.0.2.1" not in table._repr_html_()
    assert "192.0.2.1" in display.candidate_table(table.candidates, reveal=True)._repr_html_()


def test_html_is_escaped():
    anatomy = display.sdp_anatomy({"type": "offer", "sdp": "v=0\r\ns=<script>alert(1)</script>\r\n"})
    assert "<script>" not in anatomy._repr_html_() and "&lt;script&gt;" in anatomy._repr_html_()


def test_explain_line_uses_the_line_type_and_attribute():
    assert display.explain_line("a=ice-pwd:xyz").startswith("ICE password")
    assert display.explain_line("m=audio 9 UDP/TLS/RTP/SAVPF 0").startswith("a media section")
    assert display.explain_line("a=unknown-thing") == ""


def test_state_panel_needs_a_connection():
    with pytest.raises(ValueError, match="at least one connection"):
        display.state_panel()
