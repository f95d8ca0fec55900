"""The browser's ``RTCDataChannel`` (W3C webrtc-pc, section 6.2) over aiortc's: ``pc.createDataChannel()``.

aiortc's channel carries the data: ``send()`` hands it the message and its own
handler delivers what arrives, with no copy and no task per message. This view
adds what the browser's object has and aiortc's lacks:

- the events by the browser's names and shapes: ``open``, ``message`` (a
  :class:`MessageEvent`: ``event.data``), ``bufferedamountlow``, ``error`` (an
  :class:`RTCErrorEvent` when the far side's connection ends abruptly), ``closing``
  (when the far side closes the channel) and ``close``; through ``addEventListener``,
  ``on(...)`` or attributes such as ``channel.onmessage = f``;
- ``readyState`` as the browser's: ``closing`` from ``close()`` on, ``closed`` as soon
  as ``pc.close()`` returns (with no event);
- ``send()`` takes ``str``, ``bytes``, ``bytearray`` or ``memoryview``, and refuses, with
  the browser's error names, to send before ``open`` (``InvalidStateError``) or more
  than ``pc.sctp.maxMessageSize`` bytes (``TypeError``).

One difference, kept for code written for aiortc: a ``message`` listener added with
``channel.on("message", f)`` (aiortc's and pyee's way) gets the data itself, as
aiortc gives it; ``addEventListener("message", f)`` and ``onmessage`` get the event.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from aiortc import RTCDataChannel as AiortcDataChannel

from ..errors import InvalidMessageError, RTCError, StepOrderError
from .events import Event, EventHandler, EventTarget, _takes_no_argument
from .internals import watch_ready_state

if TYPE_CHECKING:
    from .connection import RTCPeerConnection

__all__ = ["MessageEvent", "RTCDataChannel", "RTCErrorEvent"]

BINARY_TYPES = ("arraybuffer", "blob")


class MessageEvent(Event):
    """The browser's ``MessageEvent``: ``event.data`` is a ``str``, or ``bytes`` for a binary message."""

    def __init__(self, data: str | bytes) -> None:
        super().__init__("message")
        self.data = data
        self.origin = ""
        self.lastEventId = ""

    def __repr__(self) -> str:
        shown = repr(self.data) if len(self.data) <= 40 else repr(self.data[:37]) + "..."
        return f"<MessageEvent {shown}>"


class RTCErrorEvent(Event):
    """The browser's ``RTCErrorEvent``: ``event.error`` is an :class:`~peerlab.errors.RTCError`."""

    def __init__(self, type: str, error: RTCError) -> None:
        super().__init__(type)
        self.error = error


class _DataListener:
    """A ``message`` listener added with ``on()``: called with the data, as aiortc calls it.

    It equals the function it wraps, so ``remove_listener``/``removeEventListener`` find it.
    """

    __slots__ = ("bare", "listener")

    def __init__(self, listener: Callable[..., Any]) -> None:
        self.listener = listener
        self.bare = _takes_no_argument(listener)

    def __call__(self, event: MessageEvent) -> Any:
        return self.listener() if self.bare else self.listener(event.data)

    def __eq__(self, other: object) -> bool:
        return bool(self.listener == (other.listener if isinstance(other, _DataListener) else other))

    def __hash__(self) -> int:
        return hash(self.listener)


class ChannelEvents(EventTarget):
    """A channel's events by JavaScript's names, and ``on()``, aiortc's (pyee's) way to listen."""

    def on(self, type: str, listener: Callable[..., Any] | None = None) -> Any:
        """``channel.on("open", f)`` or ``@channel.on("message")``: a ``message`` listener gets the data."""
        if listener is None:
            def decorator(f: Callable[..., Any]) -> Callable[..., Any]:
                self.on(type, f)
                return f
            return decorator
        self.addEventListener(type, _DataListener(listener) if type == "message" else listener)
        return listener


class RTCDataChannel(ChannelEvents):
    """A data channel as the browser has it; attribute and event names are JavaScript's.

    ``channel.aiortc`` is aiortc's channel underneath.
    """

    onopen = EventHandler()
    onmessage = EventHandler()
    onbufferedamountlow = EventHandler()
    onerror = EventHandler()
    onclosing = EventHandler()
    onclose = EventHandler()

    def __init__(self, channel: AiortcDataChannel, pc: RTCPeerConnection,
                 listener_failed: Callable[[str, BaseException], None]) -> None:
        """Made by the connection ``pc``: ``listener_failed`` keeps what a listener raised for its next wait."""
        super().__init__()
        self.aiortc = channel
        self._pc = pc
        self._report = listener_failed
        self._state: str = channel.readyState
        self._close_called = False  # close() started the closing: no closing event (spec 6.2.4)
        self._binary_type = "arraybuffer"
        channel.on("message", self._on_message)
        channel.on("bufferedamountlow", self._on_bufferedamountlow)
        watch_ready_state(channel, self._state_changed)  # aiortc has no event for "closing"
        # What its data-channel statistics count (aiortc counts nothing): messages and bytes each way,
        # and whether it was ever open (the connection's dataChannelsOpened / dataChannelsClosed).
        self.counts = {"messagesSent": 0, "bytesSent": 0, "messagesReceived": 0, "bytesReceived": 0}
        self.was_open = channel.readyState == "open"
        self._made_in: Hashable | None = None  # where createDataChannel() ran (a notebook cell), if known

    # -- the browser's attributes (JavaScript's names) -------------------------

    @property
    def readyState(self) -> str:
        """``connecting``, ``open``, ``closing`` or ``closed`` (at once when the connection closes)."""
        return "closed" if self._silent else self._state

    @property
    def _silent(self) -> bool:
        """``pc.close()`` closed the channel at once, as a browser does: no more events."""
        return self._pc.signalingState == "closed"

    @property
    def label(self) -> str:
        return self.aiortc.label

    @property
    def id(self) -> int | None:
        """The SCTP stream id: ``None`` until SCTP connects, unless ``negotiated``."""
        return self.aiortc.id

    @property
    def ordered(self) -> bool:
        return self.aiortc.ordered

    @property
    def maxPacketLifeTime(self) -> int | None:
        return self.aiortc.maxPacketLifeTime

    @property
    def maxRetransmits(self) -> int | None:
        return self.aiortc.maxRetransmits

    @property
    def protocol(self) -> str:
        return self.aiortc.protocol

    @property
    def negotiated(self) -> bool:
        return self.aiortc.negotiated

    @property
    def priority(self) -> str:
        """Always ``"low"``, the browser's default: aiortc has no priorities."""
        return "low"

    @property
    def bufferedAmount(self) -> int:
        """Bytes passed to ``send()`` and not yet handed to SCTP."""
        return self.aiortc.bufferedAmount

    @property
    def bufferedAmountLowThreshold(self) -> int:
        """``bufferedamountlow`` fires when ``bufferedAmount`` falls to this or below (default 0)."""
        return self.aiortc.bufferedAmountLowThreshold

    @bufferedAmountLowThreshold.setter
    def bufferedAmountLowThreshold(self, value: int) -> None:
        self.aiortc.bufferedAmountLowThreshold = value

    @property
    def binaryType(self) -> str:
        """``"arraybuffer"`` (the default) or ``"blob"``: binary messages arrive as ``bytes`` either way."""
        return self._binary_type

    @binaryType.setter
    def binaryType(self, value: str) -> None:
        if value not in BINARY_TYPES:
            raise ValueError(f"binaryType is 'arraybuffer' or 'blob', not {value!r}")
        self._binary_type = value

    def __repr__(self) -> str:
        return f"<RTCDataChannel {self.label!r} {self.readyState}>"

    # -- the browser's methods -------------------------------------------------

    def send(self, data: str | bytes | bytearray | memoryview) -> None:
        """Send a message: ``str`` arrives as ``str``, anything binary as ``bytes``.

        Raises ``InvalidStateError`` (:class:`StepOrderError`) unless the channel is open,
        and ``TypeError`` (:class:`InvalidMessageError`) for other types or too many bytes.
        """
        if self.readyState != "open":
            raise StepOrderError(self._not_open_hint())
        if isinstance(data, str):
            limit = self._max_message_size()
            # UTF-8 takes 1 to 4 bytes a character: encode only when the count cannot decide.
            if len(data) > limit or (4 * len(data) > limit and len(data.encode()) > limit):
                self._too_large(len(data.encode()), limit)
        elif isinstance(data, bytes):
            if len(data) > self._max_message_size():
                self._too_large(len(data), self._max_message_size())
        elif isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
            if len(data) > self._max_message_size():
                self._too_large(len(data), self._max_message_size())
        else:
            raise InvalidMessageError(
                f"send() takes a str, bytes, bytearray or memoryview, not {type(data).__name__}: "
                "turn it into text first (str(x), or json.dumps(x) for a dict or list)")
        self.aiortc.send(data)
        self._count("Sent", data)

    def close(self) -> None:
        """Start closing: ``readyState`` is ``closing`` at once; ``close`` fires once both sides are done."""
        if self.readyState in ("closing", "closed"):
            return
        self._close_called = True
        self.aiortc.close()  # "closing" at once (through _state_changed), or "closed" if it never connected

    # -- pyee's names, as aiortc's channel had them ----------------------------

    def once(self, type: str, listener: Callable[..., Any]) -> Callable[..., Any]:
        """pyee's ``once``: call ``listener`` for the next ``type`` event only."""
        def once(*args: Any) -> Any:
            self.remove_listener(type, once)
            return listener(*args) if args and not _takes_no_argument(listener) else listener()

        self.on(type, once)
        return listener

    def remove_listener(self, type: str, listener: Callable[..., Any]) -> None:
        """pyee's name for ``removeEventListener``."""
        self.removeEventListener(type, listener)

    def remove_all_listeners(self, type: str | None = None) -> None:
        """Remove every listener of ``type``, or of every type."""
        for name in [type] if type is not None else list(self._listeners):
            self._listeners.pop(name, None)
        self._bare.clear()

    # -- from aiortc's channel, and from the connection --------------------------

    def _on_message(self, data: str | bytes) -> None:
        self._count("Received", data)
        if not self._silent:
            self.dispatchEvent(MessageEvent(data))

    def _count(self, way: str, data: str | bytes) -> None:
        counts = self.counts
        counts["messages" + way] += 1
        counts["bytes" + way] += len(data) if isinstance(data, bytes) or data.isascii() else len(data.encode())

    def _on_bufferedamountlow(self) -> None:
        if not self._silent:
            self.dispatchEvent(Event("bufferedamountlow"))

    def _state_changed(self, state: str) -> None:
        previous, self._state = self._state, state if not self._silent else "closed"
        self.was_open = self.was_open or state == "open"
        if self._silent or state == previous:
            return
        if state == "open":
            self.dispatchEvent(Event("open"))
        elif state == "closing" and not self._close_called:
            self.dispatchEvent(Event("closing"))
        elif state == "closed":
            if previous != "closing":  # no closing procedure: the association ended under it
                self.dispatchEvent(RTCErrorEvent("error", RTCError(
                    f"the data channel {self.label!r} closed because its SCTP association ended (the far "
                    "side's connection closed or failed)", errorDetail="sctp-failure")))
            self.dispatchEvent(Event("close"))

    def _max_message_size(self) -> int | float:
        sctp = self._pc.sctp
        return sctp.maxMessageSize if sctp is not None else float("inf")

    def _too_large(self, size: int, limit: float) -> None:
        raise InvalidMessageError(
            f"this message is {size} bytes, more than the {limit:g} bytes the far side accepts in one "
            "message (pc.sctp.maxMessageSize): split it into smaller messages")

    def _not_open_hint(self) -> str:
        if self.readyState == "connecting":
            return (f"the data channel {self.label!r} is not open yet (readyState 'connecting'): wait for its "
                    "open event before send(), e.g. await peerlab.wait_for_open(channel) or channel.onopen")
        return (f"the data channel {self.label!r} is {self.readyState}, so it sends nothing more: make a new "
                "channel (or a new connection) to send again")

    def _listener_failed(self, type: str, exc: BaseException) -> None:
        """A listener raised: the connection keeps it, so its next wait shows it (see events.py)."""
        super()._listener_failed(type, exc)
        self._report(f"{type} (data channel {self.label!r})", exc)
