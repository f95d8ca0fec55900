"""The browser's ``RTCSctpTransport``, as a view of aiortc's: ``pc.sctp``.

aiortc's SCTP transport carries the data channels; this view adds what the
browser's object has and aiortc's lacks: ``maxMessageSize`` (the largest message
``send()`` accepts, from the far side's ``a=max-message-size``), and the states as
the spec names them (``connecting`` from the start, ``closed`` as soon as the
connection is closed).

It fires no ``statechange`` event: aiortc's transport announces no change of its state, so
there is nothing to fire it from. Read ``state`` (the web-platform-tests port polls it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiortc import RTCSctpTransport as AiortcSctpTransport

from .internals import sctp_max_message_size
from .sdp import media_sections

if TYPE_CHECKING:
    from .connection import RTCPeerConnection
    from .transports import RTCDtlsTransport

__all__ = ["RTCSctpTransport"]

# What aiortc can send in one message, and what a description means without the attribute (RFC 8841).
CAN_SEND_SIZE = sctp_max_message_size()
DEFAULT_REMOTE_SIZE = 65536


class RTCSctpTransport:
    """``pc.sctp``: the SCTP transport, its state and its limits."""

    def __init__(self, pc: RTCPeerConnection, sctp: AiortcSctpTransport, transport: RTCDtlsTransport) -> None:
        self._pc = pc
        self.aiortc = sctp
        self.transport = transport  # the DTLS transport underneath, the browser's view of aiortc's
        self._size_of: tuple[Any, int | float] = (None, DEFAULT_REMOTE_SIZE)  # (remote description, its size)

    @property
    def state(self) -> str:
        """``connecting``, ``connected`` or ``closed``."""
        if self._pc.signalingState == "closed":
            return "closed"
        state = self.aiortc.state
        return "connecting" if state == "new" else state

    @property
    def maxChannels(self) -> int | None:
        """How many channels may be open at once: ``None`` until SCTP has connected."""
        return self.aiortc.maxChannels if self.state == "connected" else None

    @property
    def maxMessageSize(self) -> int | float:
        """The largest message ``send()`` accepts: the far side's ``a=max-message-size``, capped at ours.

        Before the far side's description is known it is what a description without
        the attribute means (65536); ``0`` from the far side means no limit but ours.
        """
        remote = self._pc.descriptions.remote
        if remote is None:
            return min(DEFAULT_REMOTE_SIZE, CAN_SEND_SIZE)
        if self._size_of[0] is not remote:  # parsed once per description: send() reads it for every message
            size = DEFAULT_REMOTE_SIZE
            for section in media_sections(remote.sdp):
                if section.max_message_size is not None:
                    size = section.max_message_size
            self._size_of = (remote, CAN_SEND_SIZE if size == 0 else min(size, CAN_SEND_SIZE))
        return self._size_of[1]

    def __repr__(self) -> str:
        return f"<RTCSctpTransport {self.state}>"
