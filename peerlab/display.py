"""What a person looks at. Every view only reads events and transcripts; none drives a connection.

- :func:`state_panel`: the four state machines of one or more peers, updating live (a widget).
- :func:`timeline`: every call, event and state change in time order (a widget: table and picture).
- :func:`sequence_diagram`: the signalling transcript as a Mermaid sequence diagram.
- :func:`sdp_anatomy`: a description line by line, each line explained.
- :func:`candidate_table`: ICE candidates, their type and their priority explained.

Each view has a ``text/plain`` form that is the same on every run and every machine
(what nbval compares): no times, no addresses, no ports, no random ids. The HTML
forms live in widgets (nbval does not compare widget views) or are masked the same
way, unless ``reveal=True`` asks for real values in live exploration.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import ipywidgets
from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCSessionDescription
from aiortc.sdp import candidate_from_sdp, grouplines, parse_attr

from .candidate import RTCIceCandidate
from .connection import STATES, RTCPeerConnection, RTCPeerConnectionIceEvent
from .events import LogEntry
from .signalling import Transcript, TranscriptEntry

__all__ = ["show_states", "states_text", "state_panel", "StatePanel", "timeline", "Timeline",
           "sequence_diagram", "SequenceDiagram", "sdp_anatomy", "SdpAnatomy", "candidate_table",
           "CandidateTable", "STATE_MACHINES", "explain_line", "decode_priority", "mermaid_source"]

# The states each machine can be in, in the order they are usually passed through.
STATE_MACHINES: dict[str, tuple[str, ...]] = {
    "signalingState": ("stable", "have-local-offer", "have-remote-offer", "closed"),
    "iceGatheringState": ("new", "gathering", "complete"),
    "iceConnectionState": ("new", "checking", "completed", "failed", "closed"),
    "connectionState": ("new", "connecting", "connected", "failed", "closed"),
}

_STYLE = ("font-family: var(--jp-code-font-family, monospace); font-size: 12px; border-collapse: collapse;")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


# -- the four states, as text ---------------------------------------------------------

def states_text(*pcs: RTCPeerConnection) -> str:
    """The four states of each connection, one line per connection, aligned."""
    width = max(len(pc.name) for pc in pcs)
    return "\n".join(
        f"{pc.name:<{width}}  " + "  ".join(f"{state}={getattr(pc, state)}" for state in STATES) for pc in pcs)


def show_states(*pcs: RTCPeerConnection) -> None:
    """Print the four states of each connection: what each lesson step moves."""
    print(states_text(*pcs))


# -- state panel ------------------------------------------------------------------------

def state_panel_html(*pcs: RTCPeerConnection) -> str:
    """Each peer's four state machines, every possible state drawn, the current one highlighted."""
    rows = []
    for pc in pcs:
        for machine, states in STATE_MACHINES.items():
            current = getattr(pc, machine)
            cells = []
            for state in states:
                on = state == current
                style = ("background:#2e7d32;color:white;font-weight:bold;" if on else "color:#888;")
                cls = "peerlab-state peerlab-state-current" if on else "peerlab-state"
                cells.append(f'<td class="{cls}" data-peer="{_e(pc.name)}" data-machine="{machine}" '
                             f'data-state="{_e(state)}" style="padding:2px 8px;border:1px solid #ccc;{style}">'
                             f"{_e(state)}</td>")
            rows.append(f'<tr><th style="text-align:left;padding:2px 8px">{_e(pc.name)}</th>'
                        f'<th style="text-align:left;padding:2px 8px">{machine}</th>{"".join(cells)}</tr>')
    note = ('<div style="font-size:11px;color:#666">aiortc has no <code>connected</code> or <code>disconnected</code> '
            "ICE state: <code>iceConnectionState</code> goes from <code>checking</code> to <code>completed</code>.</div>")
    return f'<div class="peerlab-state-panel"><table style="{_STYLE}">{"".join(rows)}</table>{note}</div>'


class StatePanel(ipywidgets.HTML):
    """A widget that redraws itself at every state change, also while you read the next cell."""

    def __init__(self, *pcs: RTCPeerConnection) -> None:
        if not pcs:
            raise ValueError("state_panel() needs at least one connection, e.g. state_panel(pc)")
        super().__init__(value=state_panel_html(*pcs))
        self.pcs = pcs
        self.updates = 0
        self._stops = [pc.events.watch(self._on_entry) for pc in pcs]

    def _on_entry(self, entry: LogEntry) -> None:
        if entry.kind == "state":
            self.value = state_panel_html(*self.pcs)
            self.updates += 1

    def stop(self) -> None:
        """Stop following the connections; the panel keeps showing the states it last drew."""
        for stop in getattr(self, "_stops", []):
            stop()
        self._stops = []

    def close(self) -> None:
        """Stop following the connections and close the widget (its view disappears)."""
        self.stop()
        super().close()

    def __repr__(self) -> str:
        return states_text(*self.pcs) if getattr(self, "pcs", None) else "StatePanel()"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)  # ipywidgets would cut it at 110 characters
        return bundle


def state_panel(*pcs: RTCPeerConnection) -> StatePanel:
    """A live panel of the four state machines of ``pcs``."""
    return StatePanel(*pcs)


# -- timeline ------------------------------------------------------------------------------

def _timeline_rows(pcs: Iterable[RTCPeerConnection]) -> list[tuple[float, str, str, str]]:
    rows = [(e.time, e.peer, e.kind, e.name + (f" → {e.value}" if e.kind == "state" else
                                                (f": {e.value}" if e.value else "")))
            for pc in pcs for e in pc.events]
    return sorted(rows, key=lambda row: row[0])


class Timeline(ipywidgets.HTML):
    """Every call, event and state change of the peers, in time order, as a table and a picture.

    The text form lists each peer's entries in its own order without times, so it reads
    the same on every run; the widget shows the interleaving and the times.
    """

    def __init__(self, *pcs: RTCPeerConnection) -> None:
        self.pcs = pcs
        self.rows = _timeline_rows(pcs)
        super().__init__(value=self._html())

    def _html(self) -> str:
        if not self.rows:
            return '<div class="peerlab-timeline">(nothing yet)</div>'
        t0 = self.rows[0][0]
        peers = [pc.name for pc in self.pcs]
        colours = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a"]
        table = "".join(
            f'<tr><td style="text-align:right;padding:1px 8px">{(t - t0) * 1000:.1f} ms</td>'
            f'<td style="padding:1px 8px;color:{colours[peers.index(peer) % 4]}">{_e(peer)}</td>'
            f'<td style="padding:1px 8px">{_e(kind)}</td><td style="padding:1px 8px">{_e(what)}</td></tr>'
            for t, peer, kind, what in self.rows)
        span = max(self.rows[-1][0] - t0, 1e-6)
        width, lane = 640, 28
        dots = []
        for t, peer, kind, what in self.rows:
            x = 90 + (t - t0) / span * (width - 110)
            y = 20 + peers.index(peer) * lane
            r = 5 if kind == "state" else 3
            dots.append(f'<circle cx="{x:.1f}" cy="{y}" r="{r}" fill="{colours[peers.index(peer) % 4]}">'
                        f"<title>{_e(peer)} {_e(what)} at {(t - t0) * 1000:.1f} ms</title></circle>")
        labels = "".join(f'<text x="4" y="{24 + i * lane}" font-size="12">{_e(p)}</text>'
                         f'<line x1="90" x2="{width - 20}" y1="{20 + i * lane}" y2="{20 + i * lane}" stroke="#ddd"/>'
                         for i, p in enumerate(peers))
        svg = (f'<svg width="{width}" height="{20 + len(peers) * lane}" '
               f'xmlns="http://www.w3.org/2000/svg">{labels}{"".join(dots)}</svg>')
        return (f'<div class="peerlab-timeline">{svg}<div style="font-size:11px;color:#666">large dots: state '
                f'changes; time runs left to right, from the first entry</div>'
                f'<details><summary>the table ({len(self.rows)} entries)</summary>'
                f'<table style="{_STYLE}"><thead><tr><th>time</th><th>peer</th><th>kind</th><th>what</th></tr>'
                f"</thead><tbody>{table}</tbody></table></details></div>")

    def __repr__(self) -> str:
        """Each peer's path through each state machine: the same on every run, whatever the timing."""
        lines = []
        for pc in self.pcs:
            lines.append(f"{pc.name}:")
            for machine in STATE_MACHINES:
                path = pc.events.states(machine)
                lines.append(f"  {machine:<18} " + (" → ".join(["new" if machine != "signalingState" else "stable"]
                                                               + path)))
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)  # ipywidgets would cut it at 110 characters
        return bundle


def timeline(*pcs: RTCPeerConnection) -> Timeline:
    """The event timeline of ``pcs`` (a snapshot: show it again to see what came since)."""
    return Timeline(*pcs)


# -- sequence diagram ----------------------------------------------------------------------

def _arrow_label(entry: TranscriptEntry) -> str:
    data = entry.message.get("data")
    if entry.type == "candidate":
        return "end-of-candidates (null)" if data is None else entry.summary.replace(", sdpMid", ", mid")
    if entry.type in ("offer", "answer"):
        return f"{entry.type} (SDP)"
    return entry.type


def _folded_messages(entries: Iterable[TranscriptEntry]) -> list[tuple[TranscriptEntry, int]]:
    """Consecutive alike candidate messages as one (entry, count): how many depends on the machine."""
    runs: list[tuple[TranscriptEntry, int]] = []
    for entry in entries:
        if runs:
            last, count = runs[-1]
            alike = (last.sender, last.receiver, last.type, last.summary) == (
                entry.sender, entry.receiver, entry.type, entry.summary)
            if alike and entry.type == "candidate" and entry.message.get("data") is not None:
                runs[-1] = (last, count + 1)
                continue
        runs.append((entry, 1))
    return runs


def _label(entry: TranscriptEntry, count: int) -> str:
    text = _arrow_label(entry)
    if entry.type == "candidate" and entry.message.get("data") is not None:
        text += f" (×{count})"
    return text


def mermaid_source(transcript: Transcript | Iterable[TranscriptEntry]) -> str:
    """A Mermaid sequence diagram: each message as two arrows, sender → Signalling → receiver.

    Alike candidates sent one after the other share one pair of arrows, labelled with their count.
    """
    lines = ["sequenceDiagram", "    participant caller as Caller", "    participant S as Signalling",
             "    participant callee as Callee"]
    for entry, count in _folded_messages(transcript):
        label = _label(entry, count).replace(";", ",").replace("#", "")
        lines.append(f"    {entry.sender}->>S: {label}")
        lines.append(f"    S->>{entry.receiver}: {label}")
    return "\n".join(lines)


class SequenceDiagram:
    """The signalling transcript drawn by JupyterLab's own Mermaid renderer, with a text twin.

    ``arrow_count`` is the number of message arrows drawn: two per line of the text form.
    """

    def __init__(self, transcript: Transcript | Iterable[TranscriptEntry]) -> None:
        self.entries = list(transcript)
        self.mermaid = mermaid_source(self.entries)
        self.arrow_count = 2 * len(_folded_messages(self.entries))

    def text(self) -> str:
        rows = [f"{e.sender} → signalling → {e.receiver}: {_label(e, n)}" for e, n in _folded_messages(self.entries)]
        return "\n".join(rows) or "(no messages yet)"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/vnd.mermaid": self.mermaid, "text/plain": self.text()}

    def __repr__(self) -> str:
        return self.text()


def sequence_diagram(transcript: Transcript | Iterable[TranscriptEntry]) -> SequenceDiagram:
    """Draw ``loopback.transcript`` as caller ↔ signalling ↔ callee (two arrows per message)."""
    return SequenceDiagram(transcript)


# -- SDP anatomy -----------------------------------------------------------------------------

_LINE_MEANINGS = {
    "v": "protocol version: always 0",
    "o": "origin: user, session id and version (random), network type and address",
    "s": "session name (unused by WebRTC: '-')",
    "t": "time the session is active: 0 0 means always",
    "c": "connection address; 0.0.0.0 means: look at the ICE candidates instead",
    "m": "a media section: kind, port (9 = none yet: candidates trickle), transport, formats",
}
_ATTR_MEANINGS = {
    "group": "BUNDLE: these media sections share one transport (one set of candidates)",
    "msid-semantic": "how media streams are identified (WMS)",
    "mid": "this media section's id: what a candidate's sdpMid refers to",
    "sctp-port": "the SCTP port inside DTLS that carries data channels",
    "max-message-size": "the largest data-channel message this peer accepts, in bytes",
    "ice-ufrag": "ICE username fragment: identifies this peer in connectivity checks (random)",
    "ice-pwd": "ICE password: signs the connectivity checks (random)",
    "ice-options": "ICE extensions this peer supports (trickle: candidates may come later)",
    "fingerprint": "hash of this peer's DTLS certificate: the far side checks it to know who it talks to",
    "setup": "DTLS role: actpass (offer: either), active (client) or passive (server)",
    "candidate": "an ICE candidate: an address where this peer may be reached",
    "end-of-candidates": "no more candidates will follow",
    "sendrecv": "direction: send and receive",
    "rtcp-mux": "RTP and RTCP share one port",
    "rtpmap": "a payload type and its codec",
    "msid": "which media stream and track this section carries",
    "ssrc": "a synchronisation source id of an RTP stream",
}


def explain_line(line: str) -> str:
    """What one SDP line means, in a short note."""
    key = line[:1]
    if key != "a":
        return _LINE_MEANINGS.get(key, "")
    attr, _ = parse_attr(line)
    return _ATTR_MEANINGS.get(attr, "")


def mask_line(line: str) -> str:
    """The line with values that change from run to run (or machine to machine) replaced by names."""
    if line.startswith("o="):
        bits = line.split()
        return " ".join(bits[:1] + ["<session-id>", "<version>"] + bits[3:]) if len(bits) >= 6 else line
    if line.startswith("a=ice-ufrag:"):
        return "a=ice-ufrag:<ufrag>"
    if line.startswith("a=ice-pwd:"):
        return "a=ice-pwd:<pwd>"
    if line.startswith("a=fingerprint:"):
        return line.split()[0] + " <fingerprint>"
    if line.startswith("a=candidate:"):
        bits = line.split()
        if len(bits) >= 8:
            bits[0], bits[4], bits[5] = "a=candidate:<foundation>", "<address>", "<port>"
        return " ".join(bits)
    if line.startswith(("a=msid:", "a=ssrc:")):
        return line.split(":", 1)[0] + ":<id>"
    if line.startswith("m="):
        bits = line.split()
        if len(bits) > 1 and bits[1] != "9":
            bits[1] = "<port>"
        return " ".join(bits)
    if line.startswith("c=") and not line.endswith("0.0.0.0"):
        return " ".join(line.split()[:2] + ["<address>"])
    return line


def _as_sdp(description: Any) -> tuple[str, str]:
    if isinstance(description, str):
        return "description", description
    if isinstance(description, RTCSessionDescription):
        return description.type, description.sdp
    if isinstance(description, dict) and "sdp" in description:
        return str(description.get("type", "description")), description["sdp"]
    raise TypeError("sdp_anatomy() takes a description (offer, answer, pc.localDescription), a dict or SDP text")


class SdpAnatomy:
    """A description section by section, each line with its meaning."""

    def __init__(self, description: Any, reveal: bool = False) -> None:
        self.type, sdp = _as_sdp(description)
        session, media = grouplines(sdp)
        show = (lambda line: line) if reveal else mask_line
        self.sections: list[tuple[str, list[tuple[str, str]]]] = [
            ("session", [(show(line), explain_line(line)) for line in session])]
        for index, lines in enumerate(media):
            kind = lines[0][2:].split()[0] if lines else "?"
            self.sections.append((f"media section {index} ({kind})",
                                  [(show(line), explain_line(line)) for line in lines]))

    def text(self) -> str:
        width = max(len(line) for _, lines in self.sections for line, _ in lines)
        width = min(width, 48)
        out = [f"{self.type}:"]
        for title, lines in self.sections:
            out.append(f"  {title}")
            out += [f"    {line:<{width}}  {meaning}".rstrip() for line, meaning in lines]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        body = []
        for title, lines in self.sections:
            body.append(f'<tr><th colspan="2" style="text-align:left;padding:4px 8px;background:#eee">{_e(title)}</th></tr>')
            body += [f'<tr><td style="padding:1px 8px;white-space:nowrap"><code>{_e(line)}</code></td>'
                     f'<td style="padding:1px 8px;color:#444">{_e(meaning)}</td></tr>' for line, meaning in lines]
        return (f'<div class="peerlab-sdp"><b>{_e(self.type)}</b><table style="{_STYLE}">'
                f"<tbody>{''.join(body)}</tbody></table></div>")

    def __repr__(self) -> str:
        return self.text()


def sdp_anatomy(description: Any, reveal: bool = False) -> SdpAnatomy:
    """Explain ``description`` line by line; random and machine-specific values are masked unless ``reveal``."""
    return SdpAnatomy(description, reveal)


# -- candidates -------------------------------------------------------------------------------

_TYPE_MEANINGS = {
    "host": "an address of this machine's own network interface",
    "srflx": "server reflexive: this peer's public address, as a STUN server saw it",
    "prflx": "peer reflexive: learnt from an incoming connectivity check, never signalled",
    "relay": "an address on a TURN relay server, which forwards the traffic",
}


def decode_priority(priority: int) -> tuple[int, int, int]:
    """(type preference, local preference, component) from a priority (RFC 8445 section 5.1.2.1).

    priority = 2^24 × type preference + 2^8 × local preference + (256 − component)
    """
    return priority >> 24, (priority >> 8) & 0xFFFF, 256 - (priority & 0xFF)


def _candidates(items: Any) -> list[RTCIceCandidate]:
    if isinstance(items, (RTCSessionDescription, dict)) and "sdp" in (items if isinstance(items, dict) else {"sdp": 1}):
        _, sdp = _as_sdp(items)
        return [RTCIceCandidate.from_aiortc(candidate_from_sdp(line[len("a=candidate:"):]))
                for line in sdp.splitlines() if line.startswith("a=candidate:")]
    if isinstance(items, Transcript):
        items = [e.message["data"] for e in items if e.type == "candidate" and e.message.get("data") is not None]
    found = []
    for item in items:
        if isinstance(item, TranscriptEntry):
            if item.type != "candidate":
                continue
            item = item.message.get("data")
        if isinstance(item, RTCPeerConnectionIceEvent):
            item = item.candidate
        if item is None:
            continue
        if isinstance(item, AiortcCandidate):
            found.append(RTCIceCandidate.from_aiortc(item))
        elif isinstance(item, RTCIceCandidate):
            found.append(item)
        else:
            found.append(RTCIceCandidate.from_json(item))
    return found


class CandidateTable:
    """ICE candidates with their fields, the type explained and the priority decoded."""

    COLUMNS = ("foundation", "component", "protocol", "priority", "address", "port", "type")

    def __init__(self, items: Any, reveal: bool = False) -> None:
        self.candidates = _candidates(items)
        self.reveal = reveal

    def _row(self, c: RTCIceCandidate) -> tuple[str, ...]:
        hide = not self.reveal
        return ("<foundation>" if hide else c.foundation, str(c.component), c.protocol, str(c.priority),
                "<address>" if hide else c.address, "<port>" if hide else str(c.port), c.type)

    def text(self) -> str:
        if not self.candidates:
            return "(no candidates)"
        lines = ["  ".join(self.COLUMNS)]
        for _, row, count in self._folded():
            lines.append("  ".join(row) + f"  (×{count})")
        for c_type in dict.fromkeys(c.type for c in self.candidates):
            lines.append(f"{c_type}: {_TYPE_MEANINGS.get(c_type, '')}")
        for priority in dict.fromkeys(c.priority for c in self.candidates):
            t, local, comp = decode_priority(priority)
            lines.append(f"priority {priority} = 2^24 × {t} (type preference) + 2^8 × {local} (local preference)"
                         f" + (256 − {comp}) (component {comp})")
        return "\n".join(lines)

    def _folded(self) -> list[tuple[RTCIceCandidate, tuple[str, ...], int]]:
        """Rows that read the same (masked) become one row with a count."""
        rows: dict[tuple[str, ...], list[Any]] = {}
        for c in self.candidates:
            key = self._row(c) if not self.reveal else self._row(c) + (str(id(c)),)
            rows.setdefault(key, [c, self._row(c), 0])[2] += 1
        return [tuple(v) for v in rows.values()]  # type: ignore[misc]

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="padding:2px 8px">{c}</th>' for c in self.COLUMNS + ("count", "meaning"))
        rows = []
        for c, row, count in self._folded():
            t, local, comp = decode_priority(c.priority)
            cells = [_e(cell) for cell in row]
            cells[3] += f"<br><small>type {t} · local {local} · component {comp}</small>"
            cells += [f"(×{count})", _e(_TYPE_MEANINGS.get(c.type, ""))]
            rows.append("<tr>" + "".join(f'<td style="padding:2px 8px">{cell}</td>' for cell in cells) + "</tr>")
        return (f'<div class="peerlab-candidates"><table style="{_STYLE}"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table></div>")

    def __repr__(self) -> str:
        return self.text()


def candidate_table(items: Any, reveal: bool = False) -> CandidateTable:
    """Candidates from events, dicts, a transcript or a description; addresses masked unless ``reveal``."""
    return CandidateTable(items, reveal)
