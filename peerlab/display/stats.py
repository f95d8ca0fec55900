"""``getStats()`` as a live table and plot: the notebook's chrome://webrtc-internals.

Once a second the view asks the connection for its statistics (``pc.getStats()``, an
``RTCStatsReport`` in the browser's shape), reads one row per RTP stream from it (``outbound-rtp``
with what the far side's receiver reports say of it, ``remote-inbound-rtp``: round-trip time,
jitter, losses; ``inbound-rtp``: what arrived), turns the counters into rates, and redraws one
widget: a table of the latest values and a plot of the last minute. aiortc counts no frames, so
frames per second come from :mod:`peerlab.media`'s counts of the frames peerlab's tracks and views
pass (``—`` where nothing of peerlab's reads the track): the one note under the widget says so.

When the connection closes, the view stops asking, its rates read 0 (the others none) and the
page says "ended: the caller's connection closed".

The ``text/plain`` form names the streams and the columns, never a value: it is the same
on every run. :meth:`StatsView.table` gives the values as text.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from dataclasses import dataclass, field

import ipywidgets

from ..errors import ConnectionFailed, WaitTimeout
from ..webrtc.connection import RTCPeerConnection
from ..webrtc.events import LogEntry
from ..webrtc.media import frames_counted
from ..webrtc.rtp import RTCRtpTransceiver
from ._html import CELL_STYLE, NOTE_STYLE, TABLE_STYLE, esc
from ._text import WidgetTextRepr
from ._wait import view_wait

__all__ = ["StatsView", "StreamStats", "stats", "COLUMNS"]

COLUMNS = ("frames/s", "packets/s", "kB/s", "RTT ms", "jitter ms", "lost")
#: The columns that are rates: the counter each is made from, and its scale.
RATES = {"frames/s": ("frames", 1.0), "packets/s": ("packets", 1.0), "kB/s": ("bytes", 1 / 1000)}
PLOTS = (("frames/s", "frames per second"), ("kB/s", "kilobytes per second"))
COLOURS = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#c62828", "#00838f")
NOTES = (
    "frames/s: aiortc counts no frames; peerlab counts those its own tracks and views pass (— if none).",
)


@dataclass
class StreamStats:
    """One stream: ``video sent``, ``audio received``...; its latest values and their history."""

    name: str
    values: dict[str, float | None] = field(default_factory=dict)
    history: dict[str, collections.deque[float | None]] = field(default_factory=dict)
    counters: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (time, value)
    first: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> its first (time, value)

    def rate(self, name: str, value: float | None, now: float, scale: float = 1.0) -> float | None:
        """Per second since the last call with ``name`` (``None`` the first time or without a value)."""
        if value is None:
            return None
        last = self.counters.get(name)
        self.counters[name] = (now, value)
        self.first.setdefault(name, (now, value))
        if last is None or now <= last[0]:
            return None
        return max(0.0, value - last[1]) / (now - last[0]) * scale

    def overall(self, column: str) -> float | None:
        """``frames/s``, ``packets/s`` or ``kB/s`` over the whole time watched, not just the last interval.

        One interval can catch a moment when the machine was busy elsewhere (the tracks then catch up);
        the whole time says what the stream keeps up. ``None`` until two updates have counted it.
        """
        if column not in RATES:
            raise ValueError(f"overall() takes one of {', '.join(RATES)}, not {column!r}: the others are not rates")
        name, scale = RATES[column]
        if name not in self.first or self.counters[name][0] <= self.first[name][0]:
            return None
        (t0, v0), (t1, v1) = self.first[name], self.counters[name]
        return max(0.0, v1 - v0) / (t1 - t0) * scale


class StatsView(WidgetTextRepr, ipywidgets.HTML):  # type: ignore[misc]  # ipywidgets has no type hints
    """The statistics of ``pc``, redrawn every ``interval`` seconds until :meth:`stop` or the connection closes."""

    def __init__(self, pc: RTCPeerConnection, interval: float = 1.0, history: int = 60) -> None:
        self.pc, self.interval, self.keep = pc, interval, history
        self.streams: dict[str, StreamStats] = {}
        self.updates = 0
        self.error: BaseException | None = None
        #: why it stopped asking, in words ("the caller's connection closed"); None while live
        self.ended: str | None = None
        self.stopped = False  # stop() was called
        super().__init__(value=self.html())
        self.add_class("peerlab-stats")
        self._updated = asyncio.Event()
        self._unwatch = pc.events.watch(self._on_entry)
        self._task: asyncio.Task[None] | None = asyncio.ensure_future(self._run())
        if pc.connectionState == "closed":
            self._end()

    async def _run(self) -> None:
        try:
            while self.pc.connectionState != "closed":
                await self.refresh()
                await asyncio.sleep(self.interval)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a view must never break the connection it watches
            if self.pc.connectionState != "closed":
                self.error = exc
        self._end()

    def _on_entry(self, entry: LogEntry) -> None:
        if entry.kind == "call" and entry.name == "close":  # close() logs it at once, before aiortc closes
            self._end()

    def _end(self) -> None:
        """The connection closed: stop asking, rates to 0 and the rest to none, and say so on the page."""
        self._unwatch()
        if self.ended is not None or self.pc.connectionState != "closed":
            return
        self.ended = f"the {self.pc.name}'s connection closed"
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        for stream in self.streams.values():
            stream.values = {column: (0.0 if column in RATES else None) for column in COLUMNS}
            for column, value in stream.values.items():
                stream.history.setdefault(column, collections.deque(maxlen=self.keep)).append(value)
        self.value = self.html()
        self._updated.set()

    def state(self) -> str:
        """``live``, ``stopped`` (by :meth:`stop`) or ``ended: the caller's connection closed``."""
        if self.ended is not None:
            return f"ended: {self.ended}"
        return "live" if self.following else "stopped"

    async def refresh(self) -> None:
        """Ask for the statistics now, add them to the history and redraw."""
        now = time.monotonic()
        report = await self.pc.getStats()
        tracks: dict[str | None, RTCRtpTransceiver] = {t.mid: t for t in self.pc.getTransceivers() if t.mid}
        for out in report.of_type("outbound-rtp"):
            stream = self.streams.setdefault(f"{out.kind} sent", StreamStats(f"{out.kind} sent"))
            back = report.get(out.get("remoteId", ""))
            rtt = back.get("roundTripTime") if back is not None else None
            sender = tracks.get(out.get("mid"))
            self._record(stream, now, frames=frames_counted(sender.sender.track if sender else None),
                         packets=out.packetsSent, bytes_=out.bytesSent, rtt=None if rtt is None else rtt * 1000,
                         jitter=None if back is None else back.jitter * 1000,
                         lost=None if back is None else back.packetsLost)
        for inbound in report.of_type("inbound-rtp"):
            if not inbound.packetsReceived:
                continue
            stream = self.streams.setdefault(f"{inbound.kind} received", StreamStats(f"{inbound.kind} received"))
            receiver = tracks.get(inbound.get("mid"))
            self._record(stream, now, frames=frames_counted(receiver.receiver.track if receiver else None),
                         packets=inbound.packetsReceived, bytes_=inbound.bytesReceived, rtt=None,
                         jitter=inbound.jitter * 1000, lost=inbound.packetsLost)
        self.value = self.html()
        self.updates += 1
        self._updated.set()

    def _record(self, stream: StreamStats, now: float, *, frames: int | None, packets: int, bytes_: int | None,
                rtt: float | None, jitter: float | None, lost: int | None) -> None:
        stream.values = {
            "frames/s": stream.rate("frames", frames, now, RATES["frames/s"][1]),
            "packets/s": stream.rate("packets", packets, now, RATES["packets/s"][1]),
            "kB/s": stream.rate("bytes", bytes_, now, RATES["kB/s"][1]),
            "RTT ms": rtt,
            "jitter ms": jitter,
            "lost": None if lost is None else float(lost),
        }
        for column, value in stream.values.items():
            stream.history.setdefault(column, collections.deque(maxlen=self.keep)).append(value)

    async def wait_for_updates(self, count: int = 2, *, timeout: float = 5.0) -> None:
        """Wait until the view has asked for the statistics ``count`` times (rates need two).

        WaitTimeout after ``timeout``; ConnectionFailed at once if the connection closes first.
        """
        def cannot() -> BaseException | None:
            if self.ended is not None:
                return ConnectionFailed(f"stats({self.pc.name}): {self.ended} after {self.updates} reading(s) of "
                                        f"the statistics, before the {count} waited for. To watch again, make the "
                                        "connection again (re-run its cell and the cells after it).")
            if not self.following:
                return ConnectionFailed(f"stats({self.pc.name}) was stopped (stop()) after {self.updates} "
                                        f"reading(s): {self.error or 'make a new one to watch again'}")
            return None

        def timed_out() -> BaseException:
            return WaitTimeout(f"stats({self.pc.name}) waited {timeout:g} s to read the statistics {count} times "
                               f"and read them {self.updates} time(s): {self.error or 'is the connection open?'}")

        await view_wait(f"stats({self.pc.name})", f"the statistics, read {count} times",
                        lambda: self.updates >= count, self._updated, timeout, cannot, timed_out)

    @property
    def following(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop asking; the view keeps its last table and plot, and says it stopped."""
        self.stopped = True
        self._unwatch()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.value = self.html()
        self._updated.set()

    # -- what it shows ------------------------------------------------------------------------------

    def table(self) -> str:
        """The latest values as text: one row per stream (they change every second)."""
        width = max([len("stream")] + [len(name) for name in self.streams])
        lines = [f"{'stream':<{width}}  " + "  ".join(f"{c:>9}" for c in COLUMNS)]
        for stream in self.streams.values():
            lines.append(f"{stream.name:<{width}}  " + "  ".join(
                f"{_number(stream.values.get(c)):>9}" for c in COLUMNS))
        return "\n".join(lines)

    def text(self) -> str:
        state = self.state()
        lines = [f"stats({self.pc.name}): {state}, every {self.interval:g} s: " + ", ".join(COLUMNS)]
        lines += [f"  {name}" for name in self.streams] or ["  (no streams yet)"]
        return "\n".join(lines)

    def html(self) -> str:
        head = "".join(f'<th style="{CELL_STYLE}">{esc(c)}</th>' for c in ("stream", *COLUMNS))
        rows = "".join(
            f'<tr class="peerlab-stats-row" data-stream="{esc(s.name)}"><td style="{CELL_STYLE}">'
            f'<span style="color:{COLOURS[i % len(COLOURS)]}">■</span> {esc(s.name)}</td>'
            + "".join(f'<td style="{CELL_STYLE}text-align:right">{_number(s.values.get(c))}</td>' for c in COLUMNS)
            + "</tr>" for i, s in enumerate(self.streams.values()))
        table = f'<table style="{TABLE_STYLE}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        plots = "".join(self._plot(column, title) for column, title in PLOTS)
        notes = "".join(f'<div style="{NOTE_STYLE}">{esc(note)}</div>' for note in NOTES)
        state = self.state() if hasattr(self, "_task") else "live"
        shown = "" if state == "live" else (f' <span class="peerlab-view-state" style="color:#b71c1c;'
                                            f'font-weight:bold">{esc(state)}</span>')
        return (f'<div class="peerlab-stats-view"><b>{esc(self.pc.name)}</b>: getStats() every '
                f'{self.interval:g} s{shown}{table}<div style="display:flex;gap:12px">{plots}</div>{notes}</div>')

    def _plot(self, column: str, title: str, width: int = 300, height: int = 120) -> str:
        series = [[v for v in s.history.get(column, ())] for s in self.streams.values()]
        top = max([v for values in series for v in values if v is not None] + [1.0]) * 1.1
        span = min(self.keep, max([10] + [len(values) for values in series]))  # seconds across: fills as it grows
        step = width / (span - 1)
        lines = []
        for i, values in enumerate(series):
            start = span - len(values)
            points = " ".join(f"{(start + j) * step:.1f},{height - v / top * height:.1f}"
                              for j, v in enumerate(values) if v is not None)
            if points:
                lines.append(f'<polyline class="peerlab-stats-line" points="{points}" fill="none" '
                             f'stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="1.5"/>')
        caption = f"{title} (last {span * self.interval:g} s; top {_number(top)})"
        return (f'<div><div style="{NOTE_STYLE}">{esc(caption)}</div>'
                f'<svg class="peerlab-stats-plot" data-column="{esc(column)}" width="{width}" height="{height}" '
                f'style="background:#fafafa;border:1px solid #ddd">{"".join(lines)}</svg></div>')


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}"


def stats(pc: RTCPeerConnection, interval: float = 1.0) -> StatsView:
    """``pc.getStats()`` every ``interval`` seconds as a live table and plot (one widget)."""
    return StatsView(pc, interval)
