"""One side of signalling across a network: a connection, a reader task and a writer task around a mailbox.

The WebSocket endpoint (:mod:`peerlab.signalling.websocket`) and aiortc's TCP signalling
(:mod:`peerlab.signalling.tcp`) are both a :class:`NetworkEndpoint`: it owns what they share, so
``send()``, ``receive()``, ``close()``, the transcript, the scripted peer playing the endpoint and
the errors read alike whatever carries the messages. A subclass only says how bytes move, as
websockets keeps its protocol apart from its asyncio connection: how a message becomes a frame
(:meth:`NetworkEndpoint._framed`, with pure translation functions in its module), how frames are
read (:meth:`NetworkEndpoint._read_frames`) and written (:meth:`NetworkEndpoint._write_frame`), how
the connection is shut, and what it knows of the far side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import SignallingClosed, SignallingError
from .endpoint import Player
from .mailbox import Mailbox
from .messages import MESSAGE_TYPES, Message, encode, other_role
from .transcript import Transcript, TranscriptEntry

if TYPE_CHECKING:
    from typing import Self

__all__ = ["NetworkEndpoint", "Frame"]

#: What the writer writes: a WebSocket text frame, or the bytes of a line.
Frame = str | bytes


class NetworkEndpoint(Mailbox):
    """``send``, ``await receive``, ``on("message")``, ``close()`` over one connection to the far side.

    ``transcript`` holds what this endpoint sent (or did not) and received. Messages sent before
    the connection is ready (``on_line``: the far side has not connected yet) wait and go out when
    it is. A scripted peer can play the endpoint (:meth:`attach`); it plays as long as the
    connection is open.
    """

    def __init__(self, name: str, types: tuple[str, ...] = MESSAGE_TYPES, *, on_line: bool = True) -> None:
        super().__init__(name, types)
        self._transcript = Transcript()
        self._closed: SignallingClosed | None = None
        self._closing: asyncio.Task[None] | None = None
        self._far_watchers: list[Callable[[], None]] = []
        self._outgoing: asyncio.Queue[Frame | None] = asyncio.Queue()
        self._aside: set[int] = set()  # the transcript's numbers of the messages set aside
        self._on_line = asyncio.Event()  # the connection is ready: the reader reads, the writer writes
        if on_line:
            self._on_line.set()
        loop = asyncio.get_running_loop()
        self._read_task = loop.create_task(self._read())
        self._write_task = loop.create_task(self._write())

    @property
    def transcript(self) -> Transcript:
        """What this endpoint sent and received, in order."""
        return self._transcript

    @property
    def closed(self) -> bool:
        """Whether signalling through this endpoint has ended (close(), the far side, a lost connection)."""
        return self._closed is not None

    def send(self, message: Message) -> None:
        """Send ``message`` (``{"type": ..., "data": ...}``) to the far side; returns at once.

        Raises first an error kept from before (a message the far side refused, an ``on("message")``
        handler that raised), :class:`SignallingClosed` if signalling has ended.
        """
        self._raise_kept()
        self._raise_if_closed(f"{self.name}.send()")
        self._send(message)

    def close(self) -> asyncio.Task[None]:
        """Close the connection; ``await`` the result to wait until it is closed."""
        if self._closing is None:
            self._set_closed(self._closed_by_us())
            self._closing = asyncio.get_running_loop().create_task(self._close())
        return self._closing

    async def wait_closed(self) -> SignallingClosed:
        """Wait until the connection ends (close(), the far side ended it, it was lost); returns why."""
        await asyncio.wait([self._read_task])
        assert self._closed is not None
        return self._closed

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- what a scripted peer asks (peerlab.signalling.endpoint.PlayableEndpoint) -------------

    def detach(self, player: Player) -> None:
        """``player`` stops playing this endpoint (and hears no more of the far side joining)."""
        if self._player is player:
            super().detach(player)
            self._far_watchers.clear()

    def relay(self, message: Message) -> None:
        """Send ``message`` for the scripted peer playing here; nothing if signalling has ended."""
        if self._closed is None:
            self._send(message)

    def learner(self) -> None:
        """The learner's endpoint is across the network: a scripted peer here cannot look at it."""
        return None

    def watch_far(self, callback: Callable[[], None]) -> bool:
        """Call ``callback()`` whenever a far side (a new one, or the same again) comes; return whether one is here."""
        self._far_watchers.append(callback)
        return self._far_side(None).present

    # -- what the transport says ------------------------------------------------------

    def _framed(self, wire: Message, text: str) -> tuple[Frame | None, int, str]:
        """``wire`` (its JSON ``text``) as the frame to write, its size in bytes, and a note for the
        transcript; no frame if it is not sent. Raises :class:`SignallingError` if it cannot be sent."""
        raise NotImplementedError

    async def _read_frames(self) -> SignallingClosed:
        """Read until the connection ends, handing each message to :meth:`_arrived` and each error
        to :meth:`_problem`; return why it ended."""
        raise NotImplementedError

    async def _write_frame(self, frame: Frame) -> bool:
        """Write one frame; False if the connection is gone (the reader then says why)."""
        raise NotImplementedError

    async def _shut(self) -> None:
        """Close the connection (the writer has written all it had)."""

    def _closed_by_us(self) -> SignallingClosed:
        """Why signalling ended when ``close()`` was called, and what to do next."""
        return SignallingClosed(f"this {self.name} endpoint was closed (close() was called)")

    # -- for the transport ------------------------------------------------------------

    def _arrived(self, message: Message, size: int, note: str = "") -> None:
        """The far side sent ``message`` in ``size`` bytes: record it and hand it over."""
        self._transcript.record(other_role(self.name), self.name, message, size, note)
        self._deliver(message)

    def _put_aside(self, message: Message, why: str) -> None:
        """Set ``message`` aside, and say so on its line of the transcript."""
        super()._put_aside(message, why)
        for entry in reversed(list(self._transcript)):
            if entry.message is message:
                self._aside.add(entry.seq)
                self._transcript.annotate(entry.seq, why)
                break

    def _carried(self) -> list[TranscriptEntry]:
        """The transcript without what was set aside: a wait's facts count only what ``receive()`` could take."""
        return [entry for entry in self._transcript if entry.seq not in self._aside]

    def _problem(self, error: SignallingError) -> None:
        """Raise ``error`` in every waiting receive(); with none waiting, in the next send() or receive()."""
        if not self._fail_waiters(error):
            self._kept.append(error)

    def _far_joined(self) -> None:
        """A far side came (a new one, or the same one again): tell whoever watches."""
        for watcher in list(self._far_watchers):
            watcher()

    # -- the tasks ----------------------------------------------------------------------

    def _raise_if_closed(self, what: str) -> None:
        if self._closed is not None:
            raise SignallingClosed(f"{what}: {self._closed}")

    def _send(self, message: Message) -> None:
        wire, text = encode(message, self.types, self._refuse)
        frame, size, note = self._framed(wire, text)
        self._transcript.record(self.name, other_role(self.name), wire, size, note)
        if frame is not None:
            self._outgoing.put_nowait(frame)

    def _set_closed(self, error: SignallingClosed) -> None:
        """Signalling has ended (the first reason given is kept): every waiting receive() ends with it."""
        if self._closed is None:
            self._closed = error
            if self._player is not None:
                self._player.signalling_ended()  # a scripted peer plays as long as its signalling is open
        self._fail_waiters(self._closed)

    async def _read(self) -> None:
        try:
            await self._on_line.wait()
            why = await self._read_frames()
        except asyncio.CancelledError:
            raise  # close() stops the reader, having said why
        except Exception as exc:  # a bug must not leave a receive() waiting for ever
            self._ended(SignallingClosed(f"reading from the {other_role(self.name)} failed: {type(exc).__name__}: "
                                         f"{exc}"))
            raise
        self._ended(why)

    def _ended(self, why: SignallingClosed) -> None:
        self._set_closed(why)
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._close())

    async def _write(self) -> None:
        await self._on_line.wait()
        while (frame := await self._outgoing.get()) is not None:
            if not await self._write_frame(frame):
                return

    async def _close(self) -> None:
        """Write what waits, close the connection, stop the reader and the handlers still running."""
        self._outgoing.put_nowait(None)
        if not self._on_line.is_set():
            self._write_task.cancel()  # nothing ever connected: nothing to write to
        await asyncio.gather(self._write_task, return_exceptions=True)
        await self._shut()
        if asyncio.current_task() is not self._read_task:
            self._read_task.cancel()
            await asyncio.gather(self._read_task, return_exceptions=True)
        for task in list(self._handler_tasks):
            task.cancel()
        if self._handler_tasks:
            await asyncio.gather(*self._handler_tasks, return_exceptions=True)
