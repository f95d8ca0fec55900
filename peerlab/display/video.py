"""Live media in a notebook: video tracks as pictures in one widget, an audio track's level as a bar.

Each view reads its tracks itself (``await track.recv()`` in a task on the kernel's loop), as fast
as frames come, so nothing queues up; it redraws at most ``fps`` times a second, by changing
its widget's value (one output, updated in place, not a new output per frame). The pictures
are JPEG, encoded by PyAV (FFmpeg's ``mjpeg``): no other imaging library is needed.

When a track ends (its connection closed, or ``track.stop()``) or the view is stopped, the page
says so under the picture or beside the level ("ended: the callee's connection closed"), the
rates read 0 and the level None, and a wait for frames fails at once, saying why.

Their ``text/plain`` forms name what they show and nothing that changes from run to run.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fractions
import functools
import math
import time
from typing import Any

import av
import ipywidgets
from aiortc.mediastreams import MediaStreamError

from ..errors import TrackEnded, WaitTimeout
from ..webrtc.media import count_frame, rms_dbfs, sources, why_ended
from ._html import NOTE_STYLE, esc
from ._pace import Pacer
from ._text import WidgetTextRepr
from ._wait import view_wait

__all__ = ["VideoView", "AudioLevel", "video_view", "audio_level", "jpeg", "JpegEncoder"]

RATE_WINDOW = 2.0  # seconds over which a rate is measured


class JpegEncoder:
    """Video frames to JPEG bytes with FFmpeg's mjpeg encoder, kept open while the frame size stays the same.

    ``quality`` 2 is best, 31 worst. Opening an encoder costs more than encoding a 320×240 frame.
    """

    def __init__(self, quality: int = 5) -> None:
        self.quality = quality
        self._codec: Any = None
        self._count = 0  # pictures given to the open encoder

    def encode(self, frame: av.VideoFrame) -> bytes:
        codec = self._codec
        if codec is None or (codec.width, codec.height) != (frame.width, frame.height):
            codec = av.CodecContext.create("mjpeg", "w")
            codec.width, codec.height = frame.width, frame.height
            codec.pix_fmt = "yuvj420p"
            codec.time_base = fractions.Fraction(1, 30)
            codec.options = {"qmin": str(self.quality), "qmax": str(self.quality)}
            self._codec, self._count = codec, 0
        image = frame.reformat(format="yuvj420p")
        if image is frame:  # already the encoder's format: number a copy, never the caller's frame
            image = av.VideoFrame.from_ndarray(frame.to_ndarray(), format="yuvj420p")
        # The encoder refuses a frame whose pts is not after the last one's (EINVAL): received frames can
        # share a pts at its 1/30 s time base, or come without one, so each picture is numbered here.
        image.pts, image.time_base = self._count, codec.time_base
        self._count += 1
        packets = codec.encode(image)
        return b"".join(bytes(p) for p in packets)


def jpeg(frame: av.VideoFrame, quality: int = 5) -> bytes:
    """``frame`` as JPEG bytes (FFmpeg's mjpeg encoder; ``quality`` 2 is best, 31 worst)."""
    return JpegEncoder(quality).encode(frame)


class _Rate:
    """Events per second over the last :data:`RATE_WINDOW` seconds."""

    def __init__(self) -> None:
        self.times: collections.deque[float] = collections.deque()
        self.count = 0

    def tick(self) -> None:
        now = time.monotonic()
        self.count += 1
        self.times.append(now)
        while self.times and self.times[0] < now - RATE_WINDOW:
            self.times.popleft()

    def per_second(self) -> float:
        now = time.monotonic()
        while self.times and self.times[0] < now - RATE_WINDOW:
            self.times.popleft()
        return len(self.times) / RATE_WINDOW


class _Follower:
    """Reads tracks in tasks of its own until they end or :meth:`stop`; a subclass says what each frame does.

    When a track ends (its connection closed, or it was stopped) the view says so on the page, its
    rates read 0, and a wait for its frames fails at once, naming why.
    """

    tracks: tuple[Any, ...]
    labels: list[str]
    kind_of_view = "view"

    def _start(self) -> None:
        self.received = [_Rate() for _ in self.tracks]
        self.ended = [False] * len(self.tracks)
        #: why each track ended, in words ("the callee's connection closed"); None while it is live
        self.ended_why: list[str | None] = [None] * len(self.tracks)
        self.stopped = False  # stop() was called
        self.error: BaseException | None = None
        self._frames_seen = asyncio.Event()
        self._sources = [sources(track) for track in self.tracks]  # taken now: a relay copy forgets its source
        self._tasks = [asyncio.ensure_future(self._follow(i, track)) for i, track in enumerate(self.tracks)]
        # a track ends as its connection's close() ends it, or as track.stop() is called: the view says so
        # at once (frames still queued, or a relay between, would make it later, or never)
        self._listening: list[tuple[Any, Any]] = []
        for index, chain in enumerate(self._sources):
            for source in chain:
                if getattr(source, "readyState", None) == "live" and hasattr(source, "on"):
                    listener = functools.partial(self._source_ended, index)
                    source.on("ended", listener)
                    self._listening.append((source, listener))

    def _source_ended(self, index: int) -> None:
        if not self.ended[index] and not self._tasks[index].done():
            self._end(index, why_ended(self._sources[index]))
            self._tasks[index].cancel()

    def _stop_listening(self) -> None:
        for source, listener in self._listening:
            with contextlib.suppress(Exception):  # an ended track has let go of its listeners already
                source.remove_listener("ended", listener)
        self._listening = []

    async def _follow(self, index: int, track: Any) -> None:
        try:
            while True:
                frame = await track.recv()
                count_frame(track)
                self.received[index].tick()
                self._frame(index, frame)
                self._frames_seen.set()
        except MediaStreamError:  # the track ended: stopped, or its connection closed
            self._end(index, why_ended(self._sources[index]))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a view must never break what it watches; it keeps the error to show
            self.error = exc
            self._end(index, f"reading it failed: {type(exc).__name__}: {exc}")

    def _end(self, index: int, why: str) -> None:
        if self.ended[index]:
            return
        self.ended[index], self.ended_why[index] = True, why
        if all(self.ended):
            self._stop_listening()
        self._frames_seen.set()
        self._show_state()

    def _frame(self, index: int, frame: Any) -> None:
        raise NotImplementedError

    def _show_state(self) -> None:
        """Put on the page what the view's state is now (ended, stopped)."""
        raise NotImplementedError

    @property
    def following(self) -> bool:
        """Whether the view still reads and shows its tracks."""
        return any(not task.done() for task in self._tasks)

    def state(self, index: int | None = None) -> str:
        """``live``, ``stopped`` (by :meth:`stop`) or ``ended: <why>``, of one track or of the view."""
        indices = range(len(self.tracks)) if index is None else [index]
        ended = [self.ended_why[i] for i in indices if self.ended[i]]
        if len(ended) == len(indices):
            return "ended: " + "; ".join(dict.fromkeys(str(why) for why in ended))
        if self.stopped or not self.following:
            return "stopped"
        return "live"

    def frames(self, index: int = 0) -> int:
        """How many frames of track ``index`` the view has read."""
        return self.received[index].count

    def fps(self, index: int = 0) -> float:
        """Frames per second of track ``index`` read over the last two seconds; 0 once it ended or the view stopped."""
        if self.ended[index] or self._tasks[index].done():
            return 0.0
        return self.received[index].per_second()

    async def wait_for_frames(self, count: int = 1, *, timeout: float = 5.0) -> None:
        """Wait until every track has given ``count`` frames; WaitTimeout after ``timeout``, TrackEnded if one ends."""
        labels = getattr(self, "labels", None) or [f"track {i + 1}" for i in range(len(self.tracks))]

        def short(index: int) -> str:
            return f"{self.received[index].count} of {labels[index]!r}"

        def cannot() -> BaseException | None:
            for i, received in enumerate(self.received):
                if received.count >= count:
                    continue
                if self.ended[i]:
                    return TrackEnded(
                        f"{self.kind_of_view}: the track {labels[i]!r} ended after {received.count} frame(s), before "
                        f"the {count} waited for: {self.ended_why[i]}. No more frames will come; to watch again, "
                        "make the connection again (re-run its cell and the cells after it).")
                if self.stopped:
                    return TrackEnded(f"{self.kind_of_view} was stopped (stop()) after {received.count} frame(s) "
                                      f"of {labels[i]!r}: make a new view to watch again.")
            return None

        def timed_out() -> BaseException:
            got = ", ".join(short(i) for i in range(len(self.tracks)))
            return WaitTimeout(f"{self.kind_of_view} waited {timeout:g} s for {count} frame(s) of each track and got "
                               f"{got}: is the connection 'connected', and did the far side addTrack() before its "
                               "offer or answer?")

        await view_wait(self.kind_of_view, f"{count} frame(s) of each track",
                        lambda: all(r.count >= count for r in self.received), self._frames_seen, timeout,
                        cannot, timed_out)

    async def stop(self) -> None:
        """Stop reading the tracks (they stay live); the view keeps what it showed last, and says it stopped."""
        self.stopped = True
        self._stop_listening()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._frames_seen.set()
        self._show_state()


class VideoView(_Follower, WidgetTextRepr, ipywidgets.HBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Video tracks side by side, each picture redrawn up to ``fps`` times a second, with a caption."""

    kind_of_view = "video_view"

    def __init__(self, *tracks: Any, labels: list[str] | None = None, fps: float = 15.0, width: int = 320) -> None:
        if not tracks:
            raise ValueError("video_view() needs at least one video track, e.g. video_view(event.track)")
        labels = labels or [f"track {i + 1}" for i in range(len(tracks))]
        if len(labels) != len(tracks):
            raise ValueError(f"{len(tracks)} track(s) but {len(labels)} label(s)")
        self.tracks, self.labels, self.max_fps = tracks, labels, fps
        self.images = [ipywidgets.Image(format="jpeg", width=width) for _ in tracks]
        self.encoders = [JpegEncoder() for _ in tracks]
        self.latest: list[av.VideoFrame | None] = [None] * len(tracks)  # the last frame read of each track
        for image in self.images:
            image.add_class("peerlab-video-frame")
        self.sizes: list[tuple[int, int] | None] = [None] * len(tracks)
        self.shown = [0] * len(tracks)
        self._pacers = [Pacer(fps) for _ in tracks]
        captions = [ipywidgets.HTML(f'<div style="{NOTE_STYLE}">{esc(label)}</div>') for label in labels]
        self.states = [ipywidgets.HTML("") for _ in tracks]  # empty while live; "ended: ..." once it ends
        boxes = [ipywidgets.VBox([image, caption, state])
                 for image, caption, state in zip(self.images, captions, self.states, strict=True)]
        super().__init__(boxes)
        self.add_class("peerlab-video")
        self._start()

    def _frame(self, index: int, frame: av.VideoFrame) -> None:
        self.sizes[index] = (frame.width, frame.height)
        self.latest[index] = frame
        if not self._pacers[index].ready(time.monotonic()):
            return  # read, counted, not drawn: the picture changes at most max_fps times a second
        self.images[index].value = self.encoders[index].encode(frame)
        self.shown[index] += 1

    def _show_state(self) -> None:
        for index, widget in enumerate(self.states):
            state = self.state(index)
            widget.value = "" if state == "live" else _state_html(state)

    def text(self) -> str:
        state = self.state()
        lines = [f"video_view: {len(self.tracks)} track(s), {state}, pictures up to {self.max_fps:g} a second"]
        width = max(len(label) for label in self.labels)
        for index, (label, size) in enumerate(zip(self.labels, self.sizes, strict=True)):
            shape = f"{size[0]}×{size[1]}" if size else "no frame yet"
            mine = self.state(index)
            lines.append(f"  {label:<{width}}  {shape}" + (f"  ({mine})" if mine != state else ""))
        return "\n".join(lines)


class AudioLevel(_Follower, WidgetTextRepr, ipywidgets.HTML):  # type: ignore[misc]  # ipywidgets has no type hints
    """An audio track's level, RMS in dBFS over the last ``window`` seconds, as a bar redrawn 10 times a second."""

    kind_of_view = "audio_level"

    def __init__(self, track: Any, label: str = "audio", window: float = 0.2, floor: float = -60.0) -> None:
        self.tracks, self.label, self.labels, self.floor = (track,), label, [label], floor
        self.levels: collections.deque[float] = collections.deque(maxlen=max(1, round(window / 0.02)))
        self.sample_rate: int | None = None
        self.channels: int | None = None
        self._pacer = Pacer(10)
        super().__init__(value=self._html())
        self.add_class("peerlab-audio-level")
        self._start()

    @property
    def level(self) -> float:
        """The level (dBFS) over the last frames read: the mean power of the frames, back in dB.

        ``-inf`` before the first frame. Once the track ended or the view stopped there is no level any more:
        TrackEnded says why (the page shows "—" and the reason).
        """
        level = self._level()
        if level is None:
            raise TrackEnded(f"audio_level: {self.label!r} has no level any more, its view {self.state()}. To "
                             "measure again, make the connection again (re-run its cell and the cells after it).")
        return level

    def _level(self) -> float | None:
        """:attr:`level`, or None once the track ended or the view stopped."""
        if self.ended[0] or self._tasks[0].done():
            return None
        if not self.levels:
            return -math.inf
        power = sum(10 ** (db / 10) for db in self.levels) / len(self.levels)
        return 10 * math.log10(power) if power > 0 else -math.inf

    def _frame(self, index: int, frame: av.AudioFrame) -> None:
        self.sample_rate, self.channels = frame.sample_rate, len(frame.layout.channels)
        self.levels.append(rms_dbfs(frame))
        if self._pacer.ready(time.monotonic()):
            self.value = self._html()

    def _show_state(self) -> None:
        self.value = self._html()

    def _html(self) -> str:
        level = self._level() if hasattr(self, "_tasks") else -math.inf
        fill = 0.0 if level is None or level == -math.inf else min(1.0, max(0.0, (level - self.floor) / -self.floor))
        shown = ("—" if level is None else "silence" if level == -math.inf else f"{level:.1f} dBFS")
        state = self.state() if hasattr(self, "_tasks") else "live"
        if state != "live":
            shown += " " + _state_html(state, inline=True)
        return (f'<div class="peerlab-audio" style="font-family:var(--jp-code-font-family, monospace);'
                f'font-size:12px"><span>{esc(self.label)}</span> '
                f'<span style="display:inline-block;width:240px;height:12px;background:#eee;vertical-align:middle">'
                f'<span class="peerlab-audio-bar" style="display:block;height:12px;width:{fill * 100:.0f}%;'
                f'background:#2e7d32"></span></span> <span class="peerlab-audio-db">{shown}</span></div>')

    def text(self) -> str:
        state = self.state()
        what = (f"{self.sample_rate} Hz, {self.channels} channel(s)" if self.sample_rate else "no frame yet")
        return f"audio_level: {self.label}, {state}, {what}, level redrawn 10 times a second"


def _state_html(state: str, inline: bool = False) -> str:
    """What the page shows once a view is no longer live: "ended: the callee's connection closed", "stopped"."""
    tag = "span" if inline else "div"
    return (f'<{tag} class="peerlab-view-state" style="{NOTE_STYLE}color:#b71c1c;font-weight:bold">'
            f'{esc(state)}</{tag}>')


def video_view(*tracks: Any, labels: list[str] | None = None, fps: float = 15.0) -> VideoView:
    """Show video ``tracks`` live, side by side in one widget, each redrawn up to ``fps`` times a second.

    The view reads the tracks: a track can have one reader only (aiortc's ``MediaRelay`` makes more).
    """
    return VideoView(*tracks, labels=labels, fps=fps)


def audio_level(track: Any, label: str = "audio") -> AudioLevel:
    """Show an audio track's level (RMS, dBFS) live; ``.level`` is the latest value."""
    return AudioLevel(track, label)
