"""ICE candidates gathered from whatever holds them, their priority decoded, as text and HTML (pure)."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from aiortc import RTCIceCandidate as AiortcCandidate

from ..signalling.endpoint import SignallingEndpoint
from ..signalling.loopback import Loopback
from ..signalling.transcript import TranscriptEntry
from ..webrtc.candidate import RTCIceCandidate, candidates_of
from ..webrtc.connection import RTCPeerConnectionIceEvent
from ..webrtc.internals import candidate_priority
from ._html import CELL_STYLE, NOTE_STYLE, TABLE_STYLE, esc

__all__ = ["TYPE_MEANINGS", "TYPE_PREFERENCES", "COLUMNS", "decode_priority", "explain_priority",
           "collect_candidates", "candidate_rows", "candidates_text", "candidates_html"]

TYPE_MEANINGS = {
    "host": "an address of this machine's own network interface",
    "srflx": "server reflexive: this peer's public address, as a STUN server saw it",
    "prflx": "peer reflexive: learnt from an incoming connectivity check, never signalled",
    "relay": "an address on a TURN relay server, which forwards the traffic",
}

# aioice's type preferences, read from aioice itself: the top 8 bits of a component-1 priority.
TYPE_PREFERENCES = {kind: candidate_priority(1, kind) >> 24 for kind in TYPE_MEANINGS}

COLUMNS = ("foundation", "component", "protocol", "priority", "address", "port", "type")

Row = tuple[RTCIceCandidate, tuple[str, ...], int]
_SINGLE = (str, dict, RTCIceCandidate, AiortcCandidate, RTCPeerConnectionIceEvent, TranscriptEntry)


def decode_priority(priority: int) -> tuple[int, int, int]:
    """``(type preference, local preference, component)`` of a priority (RFC 8445 section 5.1.2.1).

    priority = 2^24 × type preference + 2^8 × local preference + (256 − component)
    """
    return priority >> 24, (priority >> 8) & 0xFFFF, 256 - (priority & 0xFF)


def explain_priority(priority: int) -> str:
    """The formula with this priority's numbers in it."""
    kind, local, component = decode_priority(priority)
    named = [name for name, value in TYPE_PREFERENCES.items() if value == kind]
    which = f", {named[0]}" if named else ""
    return (f"priority {priority} = 2^24 × {kind} (type preference{which})"
            f" + 2^8 × {local} (local preference)"
            f" + (256 − {component}) (component {component})")


def preferences_text() -> str:
    """aioice's type preferences in one line."""
    ranked = sorted(TYPE_PREFERENCES.items(), key=lambda kv: -kv[1])
    order = ", ".join(f"{kind} {value}" for kind, value in ranked)
    return f"type preferences (aioice): {order}; ICE tries the pair with the highest priority first"


def is_description(items: Any) -> bool:
    """Whether ``items`` is a session description (or SDP text) rather than a collection of candidates."""
    if isinstance(items, str):
        return items.lstrip().startswith("v=")
    if isinstance(items, dict):
        return "sdp" in items
    return isinstance(getattr(items, "sdp", None), str)


def _one(item: Any) -> RTCIceCandidate | None:
    if isinstance(item, TranscriptEntry):
        item = item.message.get("data") if item.type == "candidate" else None
    elif isinstance(item, dict) and "data" in item and "candidate" not in item:
        item = item["data"] if item.get("type") == "candidate" else None  # a signalling message, as received
    if isinstance(item, RTCPeerConnectionIceEvent):
        item = item.candidate
    if item is None or isinstance(item, RTCIceCandidate):
        return item
    if isinstance(item, str):
        return RTCIceCandidate(item)
    return RTCIceCandidate.from_json(item)  # a dict or aiortc's RTCIceCandidate; "" means end-of-candidates


def collect_candidates(items: Any) -> list[RTCIceCandidate]:
    """Candidates from events, dicts, candidate strings, a transcript, a loopback or a description.

    ``None`` candidates (end-of-candidates) and non-candidate messages are skipped.
    """
    if inspect.isawaitable(items):
        raise TypeError("candidate_table() got something to await: did you forget `await`?")
    if items is None:
        return []
    if is_description(items):
        return candidates_of(items if isinstance(items, str) else (
            items["sdp"] if isinstance(items, dict) else items.sdp))
    if isinstance(items, (Loopback, SignallingEndpoint)):
        items = items.transcript
    if isinstance(items, _SINGLE):
        items = [items]
    if not hasattr(items, "__iter__"):
        raise TypeError(f"candidate_table() takes candidates, events, a transcript or a description, "
                        f"not a {type(items).__name__}")
    return [c for c in map(_one, items) if c is not None]


def candidate_rows(candidates: Sequence[RTCIceCandidate], reveal: bool = False) -> list[Row]:
    """``(candidate, cells, count)`` per row: masked rows that read the same fold into one, with a count.

    With ``reveal``, every candidate has its own row with its real foundation, address and port.
    """
    rows: dict[Any, list[Any]] = {}
    for index, c in enumerate(candidates):
        cells = (c.foundation if reveal else "<foundation>", str(c.component), c.protocol, str(c.priority),
                 c.address if reveal else "<address>", str(c.port) if reveal else "<port>", c.type)
        key = (index,) if reveal else cells
        rows.setdefault(key, [c, cells, 0])[2] += 1
    return [(c, cells, count) for c, cells, count in rows.values()]


def candidates_text(rows: Sequence[Row], empty: str = "(no candidates)") -> str:
    """An aligned table (count ``(×N)`` per row), then what each type and each priority means."""
    if not rows:
        return empty
    table = [COLUMNS + ("",)] + [cells + (f"(×{count})",) for _, cells, count in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS) + 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]
    lines.append("")
    for kind in dict.fromkeys(c.type or "" for c, _, _ in rows):
        lines.append(f"{kind}: {TYPE_MEANINGS.get(kind, '')}")
    for priority in dict.fromkeys(c.priority or 0 for c, _, _ in rows):
        lines.append(explain_priority(priority))
    lines.append(preferences_text())
    return "\n".join(lines)


def candidates_html(rows: Sequence[Row], empty: str = "(no candidates)") -> str:
    """One ``<tr class="peerlab-candidate">`` per row in ``<tbody>``, priority decoded, type explained."""
    head = "".join(f'<th style="{CELL_STYLE}">{name}</th>' for name in COLUMNS + ("count",))
    body = []
    for c, cells, count in rows:
        kind, local, component = decode_priority(c.priority or 0)
        shown = [esc(cell) for cell in cells]
        shown[3] += (f"<br><small>type preference {kind} · local preference {local} · "
                     f"component {component}</small>")
        shown[6] = f"<b>{esc(c.type)}</b><br><small>{esc(TYPE_MEANINGS.get(c.type or '', ''))}</small>"
        shown.append(f"(×{count})")
        body.append(f'<tr class="peerlab-candidate" data-type="{esc(c.type)}" data-count="{count}">'
                    + "".join(f'<td style="{CELL_STYLE}">{cell}</td>' for cell in shown) + "</tr>")
    note = ("priority = 2^24 × type preference + 2^8 × local preference + (256 − component) "
            f"(RFC 8445 section 5.1.2.1); {preferences_text()}.")
    return (f'<div class="peerlab-candidates"><table style="{TABLE_STYLE}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>{"" if body else f"<div>{esc(empty)}</div>"}'
            f'<div style="{NOTE_STYLE}">{esc(note)}</div></div>')
