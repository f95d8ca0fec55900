"""The four state machines of a connection, as text and as HTML (pure: the live panel is in ``views``)."""

from __future__ import annotations

from ..webrtc.connection import RTCPeerConnection
from ..webrtc.waiting import STATES
from ._html import CELL_STYLE, NOTE_STYLE, TABLE_STYLE, esc

__all__ = ["STATE_MACHINES", "FOOTNOTES", "states_text", "state_paths_text", "state_panel_html"]

# The states each machine can be in (in aiortc), in the order they are usually passed through.
STATE_MACHINES: dict[str, tuple[str, ...]] = {
    "signalingState": ("stable", "have-local-offer", "have-remote-offer", "closed"),
    "iceGatheringState": ("new", "gathering", "complete"),
    "iceConnectionState": ("new", "checking", "completed", "failed", "closed"),
    "connectionState": ("new", "connecting", "connected", "failed", "closed"),
}

FOOTNOTES = (
    "aiortc has no 'connected' or 'disconnected' iceConnectionState: it goes from 'checking' straight to "
    "'completed', where a browser passes through 'connected' first.",
    "aiortc gathers candidates inside setLocalDescription(), so iceGatheringState is already 'complete' "
    "when that call returns.",
)


def states_text(*pcs: RTCPeerConnection) -> str:
    """The four states of each connection, one line per connection, aligned (no times: stable)."""
    width = max(len(pc.name) for pc in pcs)
    return "\n".join(
        f"{pc.name:<{width}}  " + "  ".join(f"{state}={getattr(pc, state)}" for state in STATES)
        for pc in pcs)


def state_paths_text(*pcs: RTCPeerConnection) -> str:
    """Each connection's path through each state machine so far, e.g. ``new → checking → completed``."""
    lines = []
    for pc in pcs:
        lines.append(f"{pc.name}:")
        for machine, states in STATE_MACHINES.items():
            lines.append(f"  {machine:<18} " + " → ".join([states[0], *pc.events.states(machine)]))
    return "\n".join(lines)


def _state_pill(pc: RTCPeerConnection, machine: str, state: str, current: bool) -> str:
    look = ("background:#2e7d32;color:white;font-weight:bold;" if current
            else "color:#999;border:1px solid #ddd;")
    cls = "peerlab-state peerlab-state-current" if current else "peerlab-state"
    return (f'<span class="{cls}" data-peer="{esc(pc.name)}" data-machine="{machine}" '
            f'data-state="{esc(state)}" '
            f'style="display:inline-block;padding:1px 6px;margin:1px 2px;border-radius:3px;{look}">'
            f"{esc(state)}</span>")


def state_panel_html(*pcs: RTCPeerConnection) -> str:
    """Each peer's four state machines as rows of every possible state, the current one highlighted."""
    rows = []
    for pc in pcs:
        for number, (machine, states) in enumerate(STATE_MACHINES.items()):
            current = getattr(pc, machine)
            shown = states if current in states else (*states, current)  # never leave the current one out
            border = "border-top:1px solid #ccc;" if number == 0 else ""
            name = (f'<th rowspan="{len(STATE_MACHINES)}" style="{CELL_STYLE}{border}">{esc(pc.name)}</th>'
                    if number == 0 else "")
            pills = "".join(_state_pill(pc, machine, state, state == current) for state in shown)
            style = f"{CELL_STYLE}{border}vertical-align:middle;"
            rows.append(f'<tr class="peerlab-state-machine" data-peer="{esc(pc.name)}" '
                        f'data-machine="{machine}">{name}<th style="{style}font-weight:normal">{machine}</th>'
                        f'<td style="{style}padding:0 4px">{pills}</td></tr>')
    notes = "".join(f'<div style="{NOTE_STYLE}">{esc(note)}</div>' for note in FOOTNOTES)
    return (f'<div class="peerlab-state-panel"><table style="{TABLE_STYLE}"><tbody>{"".join(rows)}</tbody>'
            f"</table>{notes}</div>")
