"""How fast a transfer went: a bar chart of MB/s over time (inline SVG in a widget) with a text twin.

The samples are what the receiving side records for each message: ``(time, size)``,
``time`` from ``time.perf_counter()`` and ``size`` in bytes. The text form gives the
total, the duration and the average rate (``4.0 MiB in 612 ms: 6.9 MB/s``); the
duration and the rate change from run to run, and tests/sanitize.cfg masks both for
nbval. The chart is a widget, which nbval does not compare.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import ipywidgets

from ._html import NOTE_STYLE, esc
from ._text import WidgetTextRepr

__all__ = ["ThroughputPlot", "format_size", "throughput_bins", "throughput_text", "throughput_svg",
           "throughput_plot"]

MB = 1_000_000  # rates are in MB/s, decimal megabytes, as network speeds are given
BAR_COLOUR = "#1565c0"
AVERAGE_COLOUR = "#ef6c00"


def format_size(size: int) -> str:
    """``4.0 MiB``, ``16.0 KiB`` or ``42 bytes``: sizes in powers of two, as files are counted."""
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MiB"
    if size >= 1 << 10:
        return f"{size / (1 << 10):.1f} KiB"
    return f"{size} bytes"


def _nice_ceiling(value: float) -> float:
    """The top of the rate axis: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, at or above ``value``."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if step * power >= value)


def _span(samples: Sequence[tuple[float, int]], start: float | None) -> tuple[float, float]:
    """The start and the duration in seconds (never zero, so that rates stay finite)."""
    first = samples[0][0] if start is None else start
    return first, max(samples[-1][0] - first, 1e-6)


def throughput_bins(samples: Sequence[tuple[float, int]], start: float | None = None,
                    bins: int = 20) -> list[float]:
    """MB/s in each of ``bins`` equal slices of time from ``start`` (default: the first sample) to the last."""
    if not samples:
        return []
    first, span = _span(samples, start)
    width = span / bins
    amounts = [0] * bins
    for when, size in samples:
        amounts[min(max(int((when - first) / width), 0), bins - 1)] += size
    return [amount / width / MB for amount in amounts]


def throughput_text(samples: Sequence[tuple[float, int]], start: float | None = None) -> str:
    """``4.0 MiB in 612 ms: 6.9 MB/s``: the total received, how long it took, the average rate."""
    if not samples:
        return "nothing received"
    _, span = _span(samples, start)
    total = sum(size for _, size in samples)
    return f"{format_size(total)} in {span * 1000:.0f} ms: {total / span / MB:.1f} MB/s"


def throughput_svg(samples: Sequence[tuple[float, int]], start: float | None = None, bins: int = 20) -> str:
    """A bar per slice of time (its rate in MB/s) and a dashed line at the average."""
    if not samples:
        return '<div class="peerlab-throughput">(nothing received)</div>'
    rates = throughput_bins(samples, start, bins)
    _, span = _span(samples, start)
    average = sum(size for _, size in samples) / span / MB
    left, top, plot_width, plot_height = 60, 16, 560, 160
    width, height = left + plot_width + 130, top + plot_height + 40  # the average's label right of the bars
    ceiling = _nice_ceiling(max(max(rates), average, 1e-9))
    bar = plot_width / bins
    base = top + plot_height
    parts = [f'<line x1="{left}" x2="{left + plot_width}" y1="{base}" y2="{base}" stroke="#999"/>',
             f'<line x1="{left}" x2="{left}" y1="{top}" y2="{base}" stroke="#999"/>',
             f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end">{ceiling:g}</text>',
             f'<text x="{left - 6}" y="{base + 4}" font-size="11" text-anchor="end">0</text>',
             f'<text x="12" y="{top + plot_height / 2}" font-size="11" text-anchor="middle" '
             f'transform="rotate(-90 12 {top + plot_height / 2})">MB/s</text>',
             f'<text x="{left}" y="{base + 16}" font-size="11">0 ms</text>',
             f'<text x="{left + plot_width}" y="{base + 16}" font-size="11" text-anchor="end">'
             f"{span * 1000:.0f} ms</text>",
             f'<text x="{left + plot_width / 2}" y="{base + 32}" font-size="11" text-anchor="middle">'
             "time since the first send</text>"]
    for index, rate in enumerate(rates):
        h = rate / ceiling * plot_height
        parts.append(f'<rect class="peerlab-throughput-bar" x="{left + index * bar + 1:.1f}" y="{base - h:.1f}" '
                     f'width="{bar - 2:.1f}" height="{h:.1f}" fill="{BAR_COLOUR}" fill-opacity="0.8">'
                     f"<title>{index * span / bins * 1000:.0f}–{(index + 1) * span / bins * 1000:.0f} ms: "
                     f"{rate:.1f} MB/s</title></rect>")
    y = base - average / ceiling * plot_height
    parts.append(f'<line class="peerlab-throughput-average" x1="{left}" x2="{left + plot_width}" y1="{y:.1f}" '
                 f'y2="{y:.1f}" stroke="{AVERAGE_COLOUR}" stroke-dasharray="6 4"/>'
                 f'<text x="{left + plot_width + 6}" y="{y + 4:.1f}" font-size="11" '
                 f'fill="{AVERAGE_COLOUR}">average {average:.1f} MB/s</text>')
    svg = (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')
    return (f'<div class="peerlab-throughput">{svg}<div style="{NOTE_STYLE}">'
            f"{esc(throughput_text(samples, start))} · each bar: the bytes that arrived in "
            f"1/{bins} of the time; point at a bar to read it</div></div>")


class ThroughputPlot(WidgetTextRepr, ipywidgets.HTML):  # type: ignore[misc]  # ipywidgets has no type hints
    """The chart of a transfer's rate over time; its text form is :func:`throughput_text`."""

    def __init__(self, samples: Sequence[tuple[float, int]], start: float | None = None, bins: int = 20) -> None:
        self.samples = list(samples)
        self.start = start
        self.bins = bins
        super().__init__(value=throughput_svg(self.samples, start, bins))

    @property
    def rates(self) -> list[float]:
        """MB/s in each bar, left to right."""
        return throughput_bins(self.samples, self.start, self.bins)

    def text(self) -> str:
        return throughput_text(self.samples, self.start)


def throughput_plot(samples: Sequence[tuple[float, int]], start: float | None = None,
                    bins: int = 20) -> ThroughputPlot:
    """Plot a transfer: ``samples`` are ``(time.perf_counter(), bytes)`` per message received.

    ``start`` is when the sender began (default: the first arrival); time runs from it to
    the last arrival, cut into ``bins`` slices, each drawn as a bar of its MB/s.
    """
    return ThroughputPlot(samples, start, bins)
