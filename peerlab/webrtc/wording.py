"""The words the connection says, through one hook: the browser's own, unless a teaching layer installs its.

The core decides (:mod:`peerlab.webrtc.rules`: which call is refused, and why); a
:class:`Wording` says it. The default speaks as Chromium does ("Failed to execute
'setLocalDescription' on 'RTCPeerConnection': Failed to set local answer sdp: Called in wrong
state: stable"), so the WebRTC layer works, and reads like a browser, with nothing above it.
The teaching layer (:mod:`peerlab.teaching.hints`, installed when ``peerlab.teaching`` is imported,
as ``import peerlab`` does) replaces it with words that name the guide's steps. The core never
imports the teaching layer: it calls :func:`current`.

A :class:`Wording` words four things: a refused call, the likely cause of a wait that ran out
(:meth:`Wording.diagnose`), the note shown when a new connection replaces an open one of the
same name (:meth:`Wording.replaced`), and a data channel id already in use
(:meth:`Wording.id_in_use`, with :meth:`Wording.made_where` to tell whether the same place made it).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from .rules import Refusal

if TYPE_CHECKING:
    from .connection import RTCPeerConnection
    from .datachannel import RTCDataChannel

__all__ = ["Wording", "current", "install", "reset"]


class Wording:
    """The browser's words (Chromium's error messages): what peerlab says with no teaching layer."""

    def refused(self, pc: RTCPeerConnection, refusal: Refusal) -> str:
        """The message of the ``InvalidStateError`` for ``refusal``."""
        call, state = refusal.call, refusal.state
        failed = f"Failed to execute '{call}' on '{_INTERFACES.get(call, 'RTCPeerConnection')}': "
        if refusal.reason == "closed":
            return failed + "The RTCPeerConnection's signalingState is 'closed'."
        if refusal.reason == "transceiver-stopped":
            return failed + "The transceiver is stopped."
        if call in ("setLocalDescription", "setRemoteDescription"):
            side = "local" if call == "setLocalDescription" else "remote"
            return failed + f"Failed to set {side} {refusal.kind} sdp: Called in wrong state: {state}"
        if call == "createAnswer":
            return failed + ("PeerConnection cannot create an answer in a state other than have-remote-offer or "
                             "have-local-pranswer.")
        if call == "addIceCandidate":
            return failed + "The remote description was null"
        if refusal.reason == "not-gathering":  # peerlab's own wait: no browser words for it
            return f"{call}(): the {pc.name} has not called setLocalDescription(), so it gathers no candidates"
        if refusal.reason == "no-icecandidate-listener":
            return (f"{call}(): no icecandidate listener is registered on the {pc.name}, so its candidates reach "
                    "nobody: pc.addEventListener('icecandidate', listener)")
        return failed + f"Called in wrong state: {state}"

    def diagnose(self, pc: RTCPeerConnection) -> str:
        """The likely cause when a wait on ``pc`` runs out or its connection fails; ``""``: nothing to add."""
        return ""

    def replaced(self, name: str) -> str:
        """The note shown when a new connection named ``name`` closed the open one it replaces."""
        return f"a connection named {name!r} was still open; peerlab closed it, since this new one replaces it."

    def made_where(self) -> Hashable | None:
        """Where the code running now is (a notebook cell, for the teaching layer); None: unknown."""
        return None

    def id_in_use(self, pc: RTCPeerConnection, channel_id: int | None, existing: RTCDataChannel | None,
                  made_here: bool) -> str:
        """The message of the ``OperationError`` for ``createDataChannel(id=channel_id)`` when ``existing`` has it.

        ``made_here``: ``existing`` was made where the code running now is (an earlier run of the same cell).
        """
        return "Failed to execute 'createDataChannel' on 'RTCPeerConnection': RTCDataChannel creation failed"


# The interface a call belongs to, where it is not the connection's (Chromium names it in its messages).
_INTERFACES = {"replaceTrack": "RTCRtpSender", "setStreams": "RTCRtpSender", "direction": "RTCRtpTransceiver",
               "stop": "RTCRtpTransceiver"}

_DEFAULT = Wording()
_installed: Wording = _DEFAULT


def current() -> Wording:
    """The wording the connection uses now."""
    return _installed


def install(wording: Wording) -> None:
    """Make ``wording`` the connection's words (the teaching layer installs its own on import)."""
    global _installed
    _installed = wording


def reset() -> None:
    """Back to the browser's own words."""
    install(_DEFAULT)
