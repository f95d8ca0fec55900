"""Media for lesson 08: tracks of generated frames and a tone, a transform, and what counts frames.

aiortc carries media as ``MediaStreamTrack`` objects whose ``recv()`` returns one PyAV frame at
a time: a sender pulls frames from its track, encodes them (VP8, Opus) and sends them; a
receiver's track hands decoded frames to whoever calls ``recv()``.

- :class:`PatternTrack`: video frames drawn with numpy, a moving pattern with the frame's number
  drawn in twice: as digits for a person, as a 16-bit strip of black and white blocks along
  the top that survives lossy coding (:func:`read_counter` reads it back).
- :class:`ToneTrack`: a sine tone (440 Hz by default), 20 ms audio frames at 48 kHz.
- :class:`TransformTrack`: each frame of another track through a numpy function (:func:`edges`).
- :func:`rms_dbfs`: the level of an audio frame.

aiortc's ``getStats()`` counts packets and bytes but no frames, so every track here, and every
view in :mod:`peerlab.display` that reads a track, counts the frames it passes in
:data:`FRAME_COUNTS` (see :func:`count_frame`); ``peerlab.display.stats`` turns that into frames
per second.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time
import weakref
from collections.abc import Callable
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .internals import relay_source

__all__ = ["PatternTrack", "ToneTrack", "TransformTrack", "pattern", "draw_counter", "read_counter", "edges",
           "rms_dbfs", "rms_of_sine", "tone_samples", "count_frame", "frames_counted", "FRAME_COUNTS", "COUNTER_BITS",
           "MediaStreamError", "sources", "why_ended"]

Image = npt.NDArray[np.uint8]  # height × width × 3, RGB

VIDEO_CLOCK = 90_000  # RTP's clock for video: timestamps in 1/90000 s
AUDIO_RATE = 48_000  # Opus's sample rate
AUDIO_PTIME = 0.020  # 20 ms of audio per frame, as browsers send
COUNTER_BITS = 16  # the strip along the top: frame numbers modulo 65536
STRIP_HEIGHT = 16

# How many frames passed each track (ours when sent, the far side's when read): aiortc counts none.
FRAME_COUNTS: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def count_frame(track: Any) -> None:
    """Count one frame that passed ``track`` (peerlab's tracks and views call it for every frame)."""
    FRAME_COUNTS[track] = FRAME_COUNTS.get(track, 0) + 1


def frames_counted(track: Any) -> int | None:
    """How many frames peerlab saw pass ``track`` so far, or ``None`` if nothing of peerlab's reads it."""
    return FRAME_COUNTS.get(track) if track is not None else None


def sources(track: Any) -> list[Any]:
    """``track``, then what it reads from: a ``MediaRelay`` copy's source, a :class:`TransformTrack`'s, and theirs."""
    chain: list[Any] = []
    while track is not None and all(track is not seen for seen in chain):
        chain.append(track)
        track = relay_source(track) or getattr(track, "source", None)
    return chain


def why_ended(chain: list[Any]) -> str:
    """Why the first track of ``chain`` (:func:`sources`, taken while it was live) ended, in words."""
    for track in chain:
        reason = getattr(track, "ended_because", None)  # a receiver's track: its connection closed, or the far side's
        if reason:
            return str(reason)
    return "the track was stopped (track.stop())"


# -- drawing --------------------------------------------------------------------------------------

# A 3×5 font for the digits, one string of 15 pixels per digit, row by row.
DIGITS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001010010010",
    "8": "111101111101111", "9": "111101111001111",
}
GLYPHS = {d: np.array([int(c) for c in bits], dtype=bool).reshape(5, 3) for d, bits in DIGITS.items()}


def draw_text(image: Image, text: str, x: int, y: int, scale: int = 6) -> None:
    """Draw ``text`` (digits) in white on a black box at (x, y), each font pixel ``scale`` pixels wide."""
    width = len(text) * 4 * scale + scale
    image[y:y + 7 * scale, x:x + width] = 0
    for i, char in enumerate(text):
        glyph = np.kron(GLYPHS[char], np.ones((scale, scale), dtype=bool))
        top, left = y + scale, x + scale + i * 4 * scale
        region = image[top:top + 5 * scale, left:left + 3 * scale]
        region[glyph[:region.shape[0], :region.shape[1]]] = 255


def draw_counter(image: Image, number: int) -> None:
    """Draw ``number`` into the strip along the top: 16 blocks, white for a 1 bit, most significant first."""
    width = image.shape[1] // COUNTER_BITS
    for bit in range(COUNTER_BITS):
        on = (number >> (COUNTER_BITS - 1 - bit)) & 1
        image[:STRIP_HEIGHT, bit * width:(bit + 1) * width] = 255 if on else 0


def read_counter(image: Image) -> int:
    """The number :func:`draw_counter` drew: each block's middle, brighter than mid-grey or not."""
    width = image.shape[1] // COUNTER_BITS
    number = 0
    for bit in range(COUNTER_BITS):
        middle = image[4:STRIP_HEIGHT - 4, bit * width + width // 4:(bit + 1) * width - width // 4]
        number = (number << 1) | int(middle.mean() > 127)
    return number


def pattern(number: int, width: int = 320, height: int = 240) -> Image:
    """Frame ``number``: colour bands drifting to the right, a square bouncing across, the number drawn in."""
    x = np.arange(width, dtype=np.int32)
    y = np.arange(height, dtype=np.int32)[:, None]
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[..., 0] = ((x + 4 * number) % 256).astype(np.uint8)  # red: drifts right, 4 px a frame
    image[..., 1] = ((y * 255) // max(height - 1, 1)).astype(np.uint8)  # green: top to bottom
    image[..., 2] = 128
    side = height // 4
    span = width - side
    left = abs((6 * number) % (2 * span) - span)  # back and forth, 6 px a frame
    top = height // 2 - side // 2
    image[top:top + side, left:left + side] = 255
    draw_counter(image, number % (1 << COUNTER_BITS))
    draw_text(image, str(number), 8, STRIP_HEIGHT + 8, scale=max(2, height // 60))
    return image


def edges(image: Image) -> Image:
    """Where brightness changes sharply: the size of its gradient (central differences), white on black."""
    grey = image.astype(np.float32).mean(axis=2)
    gx = np.zeros_like(grey)
    gy = np.zeros_like(grey)
    gx[:, 1:-1] = grey[:, 2:] - grey[:, :-2]
    gy[1:-1, :] = grey[2:, :] - grey[:-2, :]
    magnitude = np.clip(np.hypot(gx, gy) * 2, 0, 255).astype(np.uint8)
    return np.repeat(magnitude[:, :, None], 3, axis=2)


# -- tracks ---------------------------------------------------------------------------------------

# After a pause this long with no reader (between two connections), a track drops the frames nobody took, as a
# camera does, instead of handing them all out at once to catch up (lesson 08's connection cell run again
# showed 70 frames/s): frame numbers and times keep following the clock.
PAUSE = 1.0


class _Paced(MediaStreamTrack):
    """Hands out a frame every ``period`` seconds of wall-clock time, as a camera or a microphone would.

    Frames nobody read for more than :data:`PAUSE` seconds are dropped, as a camera drops them.
    """

    def __init__(self, period: float) -> None:
        super().__init__()
        self.period = period
        self.frames = 0  # frames handed out so far
        self._start: float | None = None

    async def _next(self) -> int:
        """Wait for the next frame's time; returns its number (0, 1, ...)."""
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self.frames * self.period
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > PAUSE:  # nobody read for a while: the frames of that time are gone
            self.frames = int((now - self._start) / self.period)
        number = self.frames
        self.frames += 1
        count_frame(self)
        return number


class PatternTrack(_Paced):
    """A video track of generated frames: :func:`pattern`, ``width`` × ``height`` at ``fps``."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: float = 30) -> None:
        super().__init__(1 / fps)
        self.width, self.height, self.fps = width, height, fps

    async def recv(self) -> av.VideoFrame:
        number = await self._next()
        frame = av.VideoFrame.from_ndarray(pattern(number, self.width, self.height), format="rgb24")
        frame.pts = round(number * self.period * VIDEO_CLOCK)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return frame

    def __repr__(self) -> str:
        return f"PatternTrack({self.width}×{self.height} at {self.fps:g} fps, {self.readyState})"


def tone_samples(start: int, count: int, frequency: float = 440.0, amplitude: float = 0.5,
                 rate: int = AUDIO_RATE) -> npt.NDArray[np.int16]:
    """``count`` samples of a sine from sample ``start`` on, as 16-bit integers (full scale 32767)."""
    t = (np.arange(start, start + count, dtype=np.float64)) / rate
    return np.round(np.sin(2 * np.pi * frequency * t) * amplitude * 32767).astype(np.int16)


class ToneTrack(_Paced):
    """An audio track of a sine tone: ``frequency`` Hz at ``amplitude`` (1.0 is full scale), 48 kHz, both channels."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, amplitude: float = 0.5) -> None:
        super().__init__(AUDIO_PTIME)
        self.frequency, self.amplitude = frequency, amplitude
        self.samples = round(AUDIO_RATE * AUDIO_PTIME)

    async def recv(self) -> av.AudioFrame:
        number = await self._next()
        start = number * self.samples
        mono = tone_samples(start, self.samples, self.frequency, self.amplitude)
        # stereo, the same in both ears: aiortc's Opus encoder sends stereo, and would mix a mono
        # frame into it 3 dB quieter on each side (FFmpeg's resampler does)
        data = np.repeat(mono, 2).reshape(1, -1)  # packed: left, right, left, right, ...
        frame = av.AudioFrame.from_ndarray(data, format="s16", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame

    def __repr__(self) -> str:
        return f"ToneTrack({self.frequency:g} Hz at {rms_of_sine(self.amplitude):.1f} dBFS, {self.readyState})"


class TransformTrack(MediaStreamTrack):
    """Each frame of ``source`` through ``function`` (an RGB image in, one of the same size out).

    It reads ``source`` at the pace frames come and sends each result on; stopping it does not
    stop ``source``.
    """

    kind = "video"

    def __init__(self, source: Any, function: Callable[[Image], Image] = edges) -> None:
        super().__init__()
        self.source = source
        self.function = function
        self.frames = 0

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.source.recv()
        count_frame(self.source)
        result = av.VideoFrame.from_ndarray(self.function(frame.to_ndarray(format="rgb24")), format="rgb24")
        result.pts, result.time_base = frame.pts, frame.time_base
        self.frames += 1
        count_frame(self)
        return result

    def __repr__(self) -> str:
        name = getattr(self.function, "__name__", "function")
        return f"TransformTrack({name}, {self.readyState})"


# -- levels ---------------------------------------------------------------------------------------

def rms_dbfs(frame: av.AudioFrame | npt.NDArray[Any]) -> float:
    """The level of an audio frame (or of 16-bit samples): RMS relative to full scale, in dB (0 is loudest).

    A sine at full scale is -3.0 dBFS; silence is -inf.
    """
    samples = frame.to_ndarray() if isinstance(frame, av.AudioFrame) else frame
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64) / 32768))))
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def rms_of_sine(amplitude: float) -> float:
    """The level of a sine of ``amplitude`` (1.0 is full scale), in dBFS: ``20·log10(amplitude/√2)``."""
    return 20 * math.log10(amplitude / math.sqrt(2)) if amplitude > 0 else -math.inf
