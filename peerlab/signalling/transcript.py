"""What a signalling service carried: every message in order, as the display layer draws it.

Shared by every transport (the Loopback, the WebSocket and TCP endpoints), so a sequence
diagram or a timeline reads the same whoever carried the messages. Each entry's ``time`` counts
from :attr:`Transcript.started`, on ``time.monotonic()``'s clock, the clock of the connections'
event logs: that is how a timeline puts messages and calls in one order.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .messages import Message, summarize_value

__all__ = ["TranscriptEntry", "Transcript", "format_entries", "summarize"]


@dataclass(frozen=True)
class TranscriptEntry:
    """One message as the signalling service carried it."""

    seq: int
    time: float
    sender: str
    receiver: str
    type: str
    size: int
    summary: str
    message: Message

    def __str__(self) -> str:
        return f"{self.seq:>3}  {self.sender} → {self.receiver}  {self.type:<9}  {self.summary}"


class Transcript:
    """Every message in the order it was sent: what the display layer draws.

    ``str(transcript)`` leaves out times and sizes, which change from run to run.
    """

    def __init__(self) -> None:
        self._entries: list[TranscriptEntry] = []
        self._started = time.monotonic()

    @property
    def started(self) -> float:
        """When this transcript's clock started (``time.monotonic()``): each entry's ``time`` counts from here."""
        return self._started

    def record(self, sender: str, receiver: str, message: Message, size: int, note: str = "") -> TranscriptEntry:
        """Add ``message``, sent now by ``sender`` to ``receiver`` in ``size`` bytes; return its entry.

        ``note`` is added to the summary (how it was carried, or that it was not sent).
        """
        summary = summarize(message) + (f", {note}" if note else "")
        entry = TranscriptEntry(seq=len(self._entries) + 1, time=time.monotonic() - self._started, sender=sender,
                                receiver=receiver, type=message["type"], size=size, summary=summary,
                                message=message)
        self._entries.append(entry)
        return entry

    def annotate(self, seq: int, note: str) -> None:
        """Add ``note`` to the summary of entry ``seq`` (what became of the message after it came)."""
        entry = self._entries[seq - 1]
        self._entries[seq - 1] = dataclasses.replace(entry, summary=f"{entry.summary}, {note}")

    def clear(self) -> None:
        """Forget every entry and start the clock again (``Loopback.reset()``: a lesson from the top)."""
        self._entries.clear()
        self._started = time.monotonic()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[TranscriptEntry]:
        return iter(self._entries)

    def __getitem__(self, index: int) -> TranscriptEntry:
        return self._entries[index]

    def types(self) -> list[str]:
        """The message types in order, e.g. ``['offer', 'candidate', 'answer', ...]``."""
        return [e.type for e in self._entries]

    def between(self, sender: str, receiver: str) -> list[TranscriptEntry]:
        """The messages ``sender`` sent to ``receiver``."""
        return [e for e in self._entries if e.sender == sender and e.receiver == receiver]

    def sent_by(self, sender: str) -> str:
        """What ``sender`` sent, as text: one direction only, so its order never depends on timing."""
        return format_entries([e for e in self._entries if e.sender == sender])

    def __str__(self) -> str:
        return format_entries(self._entries)

    def __repr__(self) -> str:
        return f"<Transcript: {len(self._entries)} messages>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def format_entries(entries: list[TranscriptEntry]) -> str:
    """One line per message, runs of alike candidates folded into one line with a count.

    How many host candidates a machine gathers depends on its network interfaces,
    so the count is shown as ``(×N)`` and the lines stay the same elsewhere.
    """
    if not entries:
        return "(no messages yet)"
    lines: list[str] = []
    run: list[TranscriptEntry] = []

    def flush() -> None:
        if run:
            e = run[0]
            count = f"  (×{len(run)})" if e.type == "candidate" and e.message.get("data") is not None else ""
            lines.append(f"{e.sender} → {e.receiver}  {e.type:<9}  {e.summary}{count}")
            run.clear()

    for entry in entries:
        if run and (entry.sender, entry.receiver, entry.type, entry.summary) != (
                run[0].sender, run[0].receiver, run[0].type, run[0].summary):
            flush()
        run.append(entry)
    flush()
    return "\n".join(lines)


def summarize(message: Message) -> str:
    """A one-line description of a message that does not change from run to run."""
    data = message.get("data")
    kind = message["type"]
    if kind in ("offer", "answer") and isinstance(data, dict) and isinstance(data.get("sdp"), str):
        sdp = data["sdp"]
        media = [line.split()[0][2:] for line in sdp.splitlines() if line.startswith("m=")]
        candidates = sum(1 for line in sdp.splitlines() if line.startswith("a=candidate:"))
        return f"{data.get('type')} SDP, media: {', '.join(media) or 'none'}, {candidates} candidates inside"
    if kind == "candidate":
        if data is None:
            return "end-of-candidates (null)"
        if isinstance(data, dict) and isinstance(data.get("candidate"), str):
            bits = data["candidate"].split()
            typ = bits[7] if len(bits) > 7 else "?"
            proto = bits[2].lower() if len(bits) > 2 else "?"
            return f"{typ} candidate, {proto}, sdpMid {data.get('sdpMid')}"
    return summarize_value(data)
