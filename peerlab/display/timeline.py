"""Every entry of the peers' event logs (and the signalling messages), as rows, text and HTML (pure).

Each peer's own calls come in the order its code made them; its ICE state changes come when
the checks succeed, which is timing: in the guide's order 400 of 400 connections on a loaded
machine gave the same lanes, but on a slow host a callee's ``iceConnectionState → completed``
came before its ``addIceCandidate`` calls (the far side's checks got through first), and
``peerlab.testing.negotiate``'s early candidates move them too. How two peers interleave
changes more often (2 of 30 connections swapped two ``iceConnectionState`` changes). So the text form
keeps each lane in its own order, with each entry's time (ms from the first entry, which
tests/sanitize.cfg masks for nbval), and only the picture and the table show the interleaving.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..signalling.endpoint import SignallingEndpoint
from ..signalling.loopback import Loopback
from ..webrtc.connection import RTCPeerConnection
from ._html import CELL_STYLE, NOTE_STYLE, TABLE_STYLE, esc

__all__ = ["TimelineRow", "SIGNALLING_LANE", "timeline_rows", "fold_rows", "timeline_text", "timeline_html"]

SIGNALLING_LANE = "signalling"

# colour and dot radius of each kind of entry
KIND_STYLES: dict[str, tuple[str, int]] = {
    "state": ("#2e7d32", 6),
    "event": ("#1565c0", 4),
    "message": ("#ef6c00", 4),
    "call": ("#616161", 3),
    "note": ("#9e9e9e", 3),
    "error": ("#c62828", 6),
}


@dataclass(frozen=True)
class TimelineRow:
    """One entry: ``time`` in ``time.monotonic()`` seconds, on ``lane`` (one per peer, then signalling)."""

    time: float
    lane: int
    peer: str
    kind: str
    name: str
    value: str = ""

    @property
    def what(self) -> str:
        """``name → value`` for a state change, ``name: value`` otherwise (as ``LogEntry`` prints)."""
        if self.kind == "state":
            return f"{self.name} → {self.value}"
        return f"{self.name}: {self.value}" if self.value else self.name

    @property
    def is_candidate(self) -> bool:
        """One of several alike candidate rows, whose number depends on the machine's network interfaces."""
        if self.kind == "message":
            return self.name == "candidate" and "end-of-candidates" not in self.value
        named = self.name in ("icecandidate", "addIceCandidate")
        return named and self.value not in ("", "end-of-candidates")


def timeline_rows(pcs: Sequence[RTCPeerConnection],
                  loopback: Loopback | SignallingEndpoint | None = None) -> list[TimelineRow]:
    """The entries of every peer (and every signalling message of ``loopback``, a Loopback or an
    endpoint), in time order."""
    rows = [TimelineRow(e.time, lane, pc.name, e.kind, e.name, e.value)
            for lane, pc in enumerate(pcs) for e in pc.events]
    if loopback is not None:
        start = loopback.transcript.started  # transcript times count from here, on the event logs' clock
        rows += [TimelineRow(start + m.time, len(pcs), SIGNALLING_LANE, "message", m.type,
                             f"{m.sender} → {m.receiver}: {m.summary}") for m in loopback.transcript]
    return sorted(rows, key=lambda row: row.time)


def fold_rows(rows: Sequence[TimelineRow]) -> list[tuple[TimelineRow, int]]:
    """Rows as ``(row, count)``, alike rows next to each other (within one lane) counted as one."""
    folded: list[tuple[TimelineRow, int]] = []
    for row in rows:
        if folded:
            last, count = folded[-1]
            if (last.lane, last.kind, last.name, last.value) == (row.lane, row.kind, row.name, row.value):
                folded[-1] = (last, count + 1)
                continue
        folded.append((row, 1))
    return folded


def timeline_text(rows: Sequence[TimelineRow], lanes: Sequence[str]) -> str:
    """Each lane's rows in their order, numbered, each with its time in ms from the first entry.

    Alike candidate rows fold into one with a count ``(×N)``, at the first one's time; tests/sanitize.cfg
    masks the counts and the times, which change from run to run.
    """
    if not rows:
        return "(nothing yet)"
    t0 = rows[0].time
    out = []
    for lane, name in enumerate(lanes):
        own = [row for row in rows if row.lane == lane]
        if not own:
            continue
        out.append(f"{name}:")
        for number, (row, count) in enumerate(fold_rows(own), 1):
            tail = f"  (×{count})" if count > 1 or row.is_candidate else ""
            at = f"+{(row.time - t0) * 1000:.1f} ms"
            out.append(f"  {number:>3}  {at:>11}  {row.kind:<7}  {row.what}{tail}")
    out.append("(ms from the first entry; each lane in its own order; how the lanes interleave changes "
               "from run to run: the picture shows it)")
    return "\n".join(out)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timeline_html(rows: Sequence[TimelineRow], lanes: Sequence[str]) -> str:
    """A picture (inline SVG: a lane per peer, a dot per entry) and a table; ms from the first entry."""
    if not rows:
        return '<div class="peerlab-timeline">(nothing yet)</div>'
    t0 = rows[0].time
    span = max(rows[-1].time - t0, 1e-9)
    left, width, lane_height, top = 130, 760, 32, 24
    plot = width - left - 40
    height = top + len(lanes) * lane_height + 24
    parts = []
    for lane, name in enumerate(lanes):
        y = top + lane * lane_height
        parts.append(f'<text x="4" y="{y + 4}" font-size="12">{esc(name)}</text>'
                     f'<line x1="{left}" x2="{left + plot}" y1="{y}" y2="{y}" stroke="#ddd"/>')
    axis_y = top + len(lanes) * lane_height
    parts.append(f'<line x1="{left}" x2="{left + plot}" y1="{axis_y}" y2="{axis_y}" stroke="#999"/>'
                 f'<text x="{left}" y="{axis_y + 16}" font-size="11">0 ms</text>'
                 f'<text x="{left + plot}" y="{axis_y + 16}" font-size="11" text-anchor="end">'
                 f"{_ms(rows[-1].time - t0)}</text>")
    for row in rows:
        colour, radius = KIND_STYLES.get(row.kind, ("#000", 3))
        x = left + (row.time - t0) / span * plot
        y = top + row.lane * lane_height
        if row.kind == "state" and row.name == "connectionState":  # the one change everybody waits for
            parts.append(f'<text x="{x:.1f}" y="{y - 8}" font-size="10" text-anchor="middle" fill="{colour}">'
                         f"{esc(row.value)}</text>")
        parts.append(f'<circle class="peerlab-timeline-dot" data-peer="{esc(row.peer)}" '
                     f'data-kind="{esc(row.kind)}" '
                     f'data-name="{esc(row.name)}" cx="{x:.1f}" cy="{y}" r="{radius}" fill="{colour}" '
                     f'fill-opacity="0.8"><title>{esc(row.peer)} {esc(row.kind)} {esc(row.what)} at '
                     f"{_ms(row.time - t0)}</title></circle>")
    svg = (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
    legend = " ".join(f'<span style="color:{colour}">● {kind}</span>'
                      for kind, (colour, _) in KIND_STYLES.items())
    body = "".join(
        f'<tr data-peer="{esc(row.peer)}" data-kind="{esc(row.kind)}">'
        f'<td style="{CELL_STYLE}text-align:right">{_ms(row.time - t0)}</td><td style="{CELL_STYLE}">'
        f'{esc(row.peer)}</td><td style="{CELL_STYLE}">{esc(row.kind)}</td>'
        f'<td style="{CELL_STYLE}">{esc(row.what)}</td></tr>' for row in rows)
    head = "".join(f'<th style="{CELL_STYLE}">{h}</th>' for h in ("time", "peer", "kind", "what"))
    return (f'<div class="peerlab-timeline">{svg}<div style="{NOTE_STYLE}">{legend} · '
            "time runs left to right "
            f"from the first entry; point at a dot to read it</div>"
            f"<details><summary>the table: {len(rows)} entries</summary>"
            f'<table class="peerlab-timeline-table" style="{TABLE_STYLE}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></details></div>")
