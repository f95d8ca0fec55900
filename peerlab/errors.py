"""Every error peerlab raises, and the notes it shows a learner.

The tree (as websockets' ``exceptions.py`` draws its own)::

    PeerlabError
    ├── SignallingError             signalling was misused, or could not carry a message
    │   ├── SignallingClosed        send() or receive() after close()
    │   ├── SignallingTimeout       receive() waited and nothing came (also a TimeoutError)
    │   ├── SignallingUnreachable   nothing answers at the server's URL (also a ConnectionError)
    │   ├── JoinRefused             the server refused the join: role taken, full, bad URL, token
    │   ├── MessageRefused          the server did not deliver a message sent: too big, rate, absent
    │   └── UnreadableMessage       the far side sent a line that is not aiortc's signalling JSON
    ├── ServerStartError            peerlab serve could not listen (port taken, address not ours)
    ├── StepOrderError              a step was taken before the step it needs (also
    │                               aiortc's InvalidStateError, as a browser raises)
    ├── InvalidDescriptionError     an SDP description that cannot be used (also a ValueError)
    │   ├── DescriptionTypeError    not a description at all, or an unknown type (also a TypeError)
    │   ├── DescriptionSyntaxError  SDP that does not parse (also an RTCError: "sdp-syntax-error")
    │   └── DescriptionModifiedError  not the description createOffer/createAnswer made last
    ├── InvalidCandidateError       an ICE candidate that cannot be added (also a ValueError)
    │   └── CandidateTypeError      neither sdpMid nor sdpMLineIndex (also a TypeError)
    ├── RTCError                    the browser's RTCError, with ``errorDetail``
    ├── InvalidMessageError         data channel send() got data it cannot send (also a TypeError)
    ├── ChannelIdInUseError         createDataChannel() with an id another channel of the connection has
    │                               (the browser's OperationError; also aiortc's ValueError)
    ├── MediaTypeError              a media kind or direction the browser does not know, or a track of
    │                               another kind (also a TypeError)
    ├── MediaAccessError            a sender or track that is not this connection's, or not its only one
    │                               (the browser's InvalidAccessError; also aiortc's)
    ├── ConfigurationError          an ICE configuration that cannot be used (also a ValueError)
    ├── ConnectionFailed            the connection reached "failed" or "closed" while being waited for
    ├── WaitTimeout                 a peerlab wait ran out of time (also a TimeoutError)
    ├── TrackEnded                  a view waited for frames of a track that ended (its connection
    │                               closed, or it was stopped)
    ├── PromiseRejectedError        await on a Promise rejected with a value that is not an exception
    ├── PromiseNotAwaitedError      a Promise used as the value it will hold (also a TypeError)
    ├── FileLimitError              the process may open no more files (also an OSError)
    ├── ScriptedPeerError           the peer peerlab plays (play_callee, play_caller) cannot start or
    │                               failed; receive() on the learner's side raises it at once
    ├── FarPeerEnded                the far peer's process (python -m peerlab.peer) ended, or could not
    │                               join, before it printed the line waited for (``returncode``, ``lines``)
    ├── MessageHandlerError         an on("message") handler raised; the next receive() or send() raises it
    ├── StepCheckFailed             a step check (peerlab.check) found the step not done
    ├── BrowserUnavailable          no page holds the browser peer (also a TimeoutError)
    │   └── BrowserUnlinked         a page shows the peer but none of its ways to the kernel linked
    │                               (``failures``: what each way answered, by its name)
    ├── BrowserError                a browser error with no closer class; ``name`` is the DOMException's
    ├── LabUnavailable              peerlab.natlab cannot make its lab on this machine: a tool is missing
    │                               or network namespaces are not permitted (``missing``, ``install``)
    └── LabError                    a step of making or using the lab failed (``command``, ``output``)

And the notes (warnings, not errors): ``PeerlabNote``, with ``HeldCandidatesNote`` and
``LateCandidateNote`` below it.

Each error's message says what was wrong and what to do next; where peerlab
rewords an aiortc error, the original is kept as ``__cause__``.

Each error also has ``name``: the name a browser gives the same failure
(``DOMException.name``, or ``"TypeError"``), so code ported from JavaScript can
check ``error.name == "OperationError"`` as it would check ``e.name``.

The classes look alike on purpose (``duplicates`` pairs their shapes): a docstring, a ``name``, and
for those that carry details, the keyword arguments they keep as attributes.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

from aiortc.exceptions import InvalidAccessError, InvalidStateError

__all__ = [
    "PeerlabError",
    "SignallingError",
    "SignallingClosed",
    "SignallingTimeout",
    "StepOrderError",
    "InvalidDescriptionError",
    "DescriptionTypeError",
    "DescriptionSyntaxError",
    "DescriptionModifiedError",
    "InvalidCandidateError",
    "CandidateTypeError",
    "RTCError",
    "InvalidMessageError",
    "ChannelIdInUseError",
    "MediaTypeError",
    "MediaAccessError",
    "ConfigurationError",
    "ConnectionFailed",
    "WaitTimeout",
    "TrackEnded",
    "ScriptedPeerError",
    "FarPeerEnded",
    "MessageHandlerError",
    "ServerStartError",
    "SignallingUnreachable",
    "JoinRefused",
    "MessageRefused",
    "UnreadableMessage",
    "PromiseRejectedError",
    "PromiseNotAwaitedError",
    "FileLimitError",
    "StepCheckFailed",
    "BrowserUnavailable",
    "BrowserUnlinked",
    "BrowserError",
    "LabUnavailable",
    "LabError",
    "PeerlabNote",
    "HeldCandidatesNote",
    "LateCandidateNote",
]


class PeerlabError(Exception):
    """The root of every error peerlab raises."""

    #: What a browser calls the same failure (``DOMException.name``).
    name = "OperationError"

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the message a learner needs, not peerlab's and aiortc's frames.

        ``%tb`` in the next cell still prints the full traceback.
        """
        lines = [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]
        if self.__cause__ is not None:
            lines.append(f"(caused by {type(self.__cause__).__name__}: {self.__cause__})")
        return lines


class SignallingError(PeerlabError):
    """The loopback signalling service was given something it cannot carry."""


class SignallingClosed(SignallingError):
    """The signalling service (or one endpoint) was closed."""


class SignallingTimeout(SignallingError, TimeoutError):
    """``receive()`` waited for a message that did not come.

    ``endpoint`` is who waited, ``type`` what it waited for (``None``: anything), ``reason``
    why nothing came as far as the signalling service can tell: ``"own-step"`` (a step of the
    waiting side comes first), ``"consumed"`` (an earlier receive() took it), ``"far-waiting"``
    (the other side waits for this one), ``"not-sent"`` (the other side has not sent it), or
    ``"far-failed"``.
    """

    def __init__(self, message: str, *, endpoint: str, type: str | None, timeout: float, reason: str = ""):
        super().__init__(message)
        self.endpoint = endpoint
        self.type = type
        self.timeout = timeout
        self.reason = reason


class SignallingUnreachable(SignallingError, ConnectionError):
    """Nothing answers at the signalling server's URL: not started, a wrong address, or a firewall.

    ``url`` is the server's URL (without its token).
    """

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class JoinRefused(SignallingError):
    """The signalling server refused to let this endpoint join its room.

    ``reason`` is ``"role-taken"`` (another client has that role; ``present`` maps the roles in the
    room to their client ids), ``"full"``, ``"bad-join"`` (room, role or client id malformed) or
    ``"token"`` (the URL's token is missing or wrong).
    """

    name = "NotAllowedError"

    def __init__(self, message: str, *, url: str, room: str, role: str, reason: str,
                 present: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.room = room
        self.role = role
        self.reason = reason
        self.present = present or {}


class MessageRefused(SignallingError):
    """The signalling server did not deliver a message this endpoint sent, and said why.

    ``code`` is the server's: ``"too-big"``, ``"rate-limit"``, ``"undelivered"`` (then ``reason``:
    ``"far-absent"``, ``"far-left"``, ``"far-not-reading"``), ``"not-json"``, ``"binary"``,
    ``"unknown-type"``, ``"bad-message"``; ``seq`` is the message's number (the n-th this endpoint
    sent since it joined) and ``type`` its type. Raised by the next ``send()`` or ``receive()``.
    """

    def __init__(self, message: str, *, code: str, seq: int | None = None, type: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.seq = seq
        self.type = type
        self.reason = reason


# -- aiortc's own signalling (``peerlab.tcp_signalling()``) -----------------------------------
#
#    PeerlabError
#    └── SignallingError
#        └── UnreadableMessage       the far side sent a line that is not aiortc's signalling JSON


class UnreadableMessage(SignallingError):
    """The far side sent something that is not a message of aiortc's TCP signalling.

    ``line`` is what came (cut to 200 characters). Raised by the waiting ``receive()``, or by the
    next ``send()`` or ``receive()``; the lines after it are still read.
    """

    def __init__(self, message: str, *, line: str) -> None:
        super().__init__(message)
        self.line = line


class ServerStartError(PeerlabError):
    """``peerlab serve`` could not start listening: the port is in use, or the address is not this machine's."""


class StepOrderError(PeerlabError, InvalidStateError):
    """A call came before the step it depends on (the browser's ``InvalidStateError``)."""

    name = "InvalidStateError"


class RTCError(PeerlabError):
    """The browser's ``RTCError``: an ``OperationError`` with ``errorDetail`` saying which kind."""

    name = "OperationError"
    errorDetail = "data-channel-failure"
    sctpCauseCode: int | None = None

    def __init__(self, message: str, *, sdpLineNumber: int | None = None, errorDetail: str | None = None) -> None:
        super().__init__(message)
        self.sdpLineNumber = sdpLineNumber
        if errorDetail is not None:
            self.errorDetail = errorDetail


class InvalidMessageError(PeerlabError, TypeError, ValueError):
    """Data channel ``send()`` got a type it cannot send, or more bytes than ``pc.sctp.maxMessageSize``.

    The browser throws ``TypeError`` for both; a ``ValueError`` too, as aiortc raised one.
    """

    name = "TypeError"


class ChannelIdInUseError(PeerlabError, ValueError):
    """``createDataChannel()`` with an ``id`` that another open channel of the connection has.

    The browser throws ``OperationError``; a ``ValueError`` too, as aiortc raised one. ``id`` is the
    stream id asked for, ``existing`` the channel that has it.
    """

    name = "OperationError"

    def __init__(self, message: str, *, id: int | None = None, existing: Any = None) -> None:
        super().__init__(message)
        self.id = id
        self.existing = existing


class MediaTypeError(PeerlabError, TypeError):
    """``addTransceiver()`` got a kind or direction the browser does not know, or ``replaceTrack()`` a track
    of another kind than its transceiver's: the browser throws ``TypeError``."""

    name = "TypeError"


class MediaAccessError(PeerlabError, InvalidAccessError):
    """A sender or track that is not this connection's (``removeTrack``, ``getStats(track)``), a track that
    already has a sender (``addTrack``), or one that more than one sender or receiver has (``getStats``)."""

    name = "InvalidAccessError"


class InvalidDescriptionError(PeerlabError, ValueError):
    """A session description (SDP) that is malformed or of the wrong type."""


class DescriptionTypeError(InvalidDescriptionError, TypeError):
    """Not a description (a whole message, a forgotten ``await``), or a type other than offer/answer."""

    name = "TypeError"


class DescriptionSyntaxError(InvalidDescriptionError, RTCError):
    """SDP that does not parse: the browser's ``RTCError`` with ``errorDetail == "sdp-syntax-error"``."""

    errorDetail = "sdp-syntax-error"


class DescriptionModifiedError(InvalidDescriptionError):
    """``setLocalDescription()`` got SDP other than the one ``createOffer``/``createAnswer`` made last."""

    name = "InvalidModificationError"


class InvalidCandidateError(PeerlabError, ValueError):
    """An ICE candidate that is malformed or does not match any media section (``OperationError``)."""


class CandidateTypeError(InvalidCandidateError, TypeError):
    """A candidate with neither ``sdpMid`` nor ``sdpMLineIndex``: the browser throws ``TypeError``."""

    name = "TypeError"


class ConfigurationError(PeerlabError, ValueError):
    """A configuration that is neither ``{"iceServers": [...]}`` nor an ``RTCConfiguration``."""

    name = "SyntaxError"


class ConnectionFailed(PeerlabError):
    """The connection ended in ``failed`` or ``closed`` instead of the state waited for."""


class WaitTimeout(PeerlabError, TimeoutError):
    """A peerlab wait (for a state, for candidates) ran out of time."""

    name = "TimeoutError"


class TrackEnded(PeerlabError):
    """A view waited for frames of a track that ended: its connection closed, or it was stopped."""

    name = "InvalidStateError"


class ScriptedPeerError(PeerlabError):
    """A scripted peer (``play_callee``, ``play_caller``) could not start, or failed while playing.

    ``role`` is ``"caller"`` or ``"callee"``; ``error`` is what the scripted peer itself
    raised (``None`` when it could not start), also kept as ``__cause__`` for ``%tb``.
    """

    def __init__(self, message: str, *, role: str, error: BaseException | None = None) -> None:
        super().__init__(message)
        self.role = role
        self.error = error

    def _render_traceback_(self) -> list[str]:
        """The message already quotes the scripted peer's error: one line is enough."""
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


class FarPeerEnded(PeerlabError):
    """The far peer's process (``peerlab.start_far_peer``) ended before it printed what was waited for.

    ``returncode`` is its exit status (negative: the signal that killed it); ``lines`` what it printed.
    """

    def __init__(self, message: str, *, returncode: int | None, lines: list[str]) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.lines = lines


class MessageHandlerError(PeerlabError):
    """A handler given to ``endpoint.on("message", handler)`` raised.

    Handlers run on the event loop after the cell that sent the message, where an error would
    only reach the loop's log; peerlab keeps it and raises it here instead. ``handler`` is the
    function, ``error`` what it raised (also ``__cause__``).
    """

    def __init__(self, message: str, *, handler: object, error: BaseException) -> None:
        super().__init__(message)
        self.handler = handler
        self.error = error


class PromiseRejectedError(PeerlabError):
    """Raised by ``await`` for a promise rejected with something that is not an exception.

    JavaScript allows ``reject(42)``; Python can only raise exceptions, so ``await``
    raises this instead, with the original value in :attr:`reason`.
    """

    def __init__(self, reason: Any) -> None:
        super().__init__(f"the promise was rejected with {reason!r}")
        self.reason = reason


class PromiseNotAwaitedError(PeerlabError, TypeError):
    """A Promise was used as the value it will hold (a forgotten ``await``)."""

    name = "TypeError"


class FileLimitError(PeerlabError, OSError):
    """The process may open no more files (EMFILE): too many connections are open for its limit."""

    name = "OperationError"


class StepCheckFailed(PeerlabError):
    """A step check found the step not done; the message is the hint."""


class BrowserUnavailable(PeerlabError, TimeoutError):
    """No page holds the browser peer: not open in a browser (nbval, nbclient), or the tab closed."""

    name = "TimeoutError"


class BrowserUnlinked(BrowserUnavailable):
    """A page shows the browser peer but could not link up with the kernel; ``failures`` says why, by way.

    ``failures`` maps each way the page tried (``"comm"``, ``"proxy"``, ``"direct"``) to what it
    answered, in the page's own words (an HTTP status, a WebSocket close code, no answer in time).
    """

    def __init__(self, message: str, *, failures: dict[str, str]) -> None:
        super().__init__(message)
        self.failures = failures


class BrowserError(PeerlabError):
    """A browser error peerlab has no closer class for; ``name`` is the DOMException's."""


class LabUnavailable(PeerlabError):
    """:mod:`peerlab.natlab` cannot make its lab here: a tool is missing, or namespaces are not permitted.

    ``missing`` names what is missing (``"coturn"``, ``"nftables"``, ``"network namespaces"``...);
    ``install`` is the command that gets it (``"apt-get install coturn nftables"``), or ``""`` when no
    package will do (another operating system, user namespaces turned off).
    """

    name = "NotSupportedError"

    def __init__(self, message: str, *, missing: list[str], install: str = "") -> None:
        super().__init__(message)
        self.missing = missing
        self.install = install


class LabError(PeerlabError):
    """A step of making or using the lab failed; ``command`` is what ran, ``output`` what it said."""

    def __init__(self, message: str, *, command: str = "", output: str = "") -> None:
        super().__init__(message)
        self.command = command
        self.output = output


class PeerlabNote(UserWarning):
    """Something worth telling a learner that is not an error."""


class HeldCandidatesNote(PeerlabNote):
    """Candidates were gathered before any ``icecandidate`` listener existed."""


class LateCandidateNote(PeerlabNote):
    """A candidate arrived after end-of-candidates and was ignored."""


_HERE = str(Path(__file__).resolve().parent)


def note(message: str, category: type[PeerlabNote] = PeerlabNote) -> None:
    """Show ``message`` as a warning that points at the learner's own line.

    The frame is the first one outside peerlab and pyee, so a notebook shows the
    cell that caused it rather than peerlab's internals.
    """
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not (filename.startswith(_HERE) or "pyee" in filename or "asyncio" in filename):
            break
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        warnings.warn(message, category, stacklevel=2)
        return
    warnings.warn_explicit(
        message,
        category,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=frame.f_globals.get("__name__", "__main__"),
        registry=frame.f_globals.setdefault("__warningregistry__", {}),
    )
