"""The signalling transcript as a Mermaid sequence diagram and as text (pure).

Each message is drawn as two arrows, sender → Signalling and Signalling → receiver,
because that is the path it takes: the peers never talk to each other directly until
ICE connects them. Alike candidate messages sent one after the other fold into one
message with a count ``(×N)``, since how many host candidates a machine gathers depends
on its network interfaces (``fold=False`` draws every message).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..signalling.transcript import TranscriptEntry

__all__ = ["ARROWS_PER_MESSAGE", "message_label", "fold_messages", "mermaid_source", "sequence_text"]

ARROWS_PER_MESSAGE = 2


def _is_candidate(entry: TranscriptEntry) -> bool:
    return entry.type == "candidate" and entry.message.get("data") is not None


def message_label(entry: TranscriptEntry, count: int = 1) -> str:
    """A short label that is the same on every run: type and summary, never an address or a port."""
    if entry.type == "candidate":
        text = "end-of-candidates (null)" if entry.message.get("data") is None else (
            entry.summary.replace(", sdpMid", ", mid"))
    elif entry.type in ("offer", "answer"):
        text = f"{entry.type} (SDP)"
    else:
        text = entry.type
    return text + (f" (×{count})" if _is_candidate(entry) else "")


def fold_messages(entries: Iterable[TranscriptEntry], fold: bool = True) -> list[tuple[TranscriptEntry, int]]:
    """Messages as ``(entry, count)``; with ``fold``, consecutive alike candidate messages count as one."""
    runs: list[tuple[TranscriptEntry, int]] = []
    for entry in entries:
        if fold and runs and _is_candidate(entry):
            last, count = runs[-1]
            if (last.sender, last.receiver, last.type, last.summary) == (
                    entry.sender, entry.receiver, entry.type, entry.summary):
                runs[-1] = (last, count + 1)
                continue
        runs.append((entry, 1))
    return runs


def _mermaid_text(label: str) -> str:
    """Keep Mermaid's syntax (';' ends a statement, '#' starts an entity, '<' '>' are HTML) out of a label."""
    return (" ".join(label.split()).replace(";", ",").replace("#", "")
            .replace("<", "‹").replace(">", "›"))


def mermaid_source(entries: Iterable[TranscriptEntry], fold: bool = True) -> str:
    """A Mermaid ``sequenceDiagram``: Caller, Signalling, Callee, two arrows per (folded) message."""
    lines = ["sequenceDiagram", "    participant caller as Caller", "    participant S as Signalling",
             "    participant callee as Callee"]
    for entry, count in fold_messages(entries, fold):
        label = _mermaid_text(message_label(entry, count))
        lines.append(f"    {entry.sender}->>S: {label}")
        lines.append(f"    S->>{entry.receiver}: {label}")
    return "\n".join(lines)


def sequence_text(entries: Iterable[TranscriptEntry], fold: bool = True) -> str:
    """The diagram's text twin: one line per (folded) message, the same on every run."""
    rows = [f"{e.sender} → signalling → {e.receiver}: {message_label(e, n)}"
            for e, n in fold_messages(entries, fold)]
    return "\n".join(rows) or "(no messages yet)"
