"""``peerlab.tcp_signalling()``: signal over aiortc's own TCP wire, to talk to aiortc's example programs.

aiortc's examples (``examples/datachannel-cli/cli.py`` and others, run with ``--signaling tcp-socket``)
use ``aiortc.contrib.signaling.TcpSocketSignaling``: one TCP connection, one JSON object per line::

    {"sdp": "v=0...", "type": "offer"}                                   (or "answer")
    {"candidate": "candidate:...", "id": "0", "label": 0, "type": "candidate"}
    {"type": "bye"}

The endpoint made here has the Loopback endpoint's interface (:class:`peerlab.signalling.endpoint.SignallingEndpoint`)
and translates both ways between that wire and peerlab's messages (``{"type": ..., "data": ...}``):

- peerlab's offer or answer (``data`` is ``{"type", "sdp"}``) goes out as ``{"type", "sdp"}``, and an
  incoming one arrives as ``{"type": "offer", "data": {"type": "offer", "sdp": ...}}``;
- a candidate goes out as aiortc's candidate line (``sdpMid`` is ``id``, ``sdpMLineIndex`` is ``label``);
- peerlab's end-of-candidates (``data`` None) is not sent: aiortc's wire has no such message, and its
  reader stops on one (``assert message["type"] == "bye"``). The transcript shows it as not sent;
- aiortc's peers never trickle: their SDP carries the candidates and ``a=end-of-candidates``. After an
  incoming description with candidates inside, the endpoint delivers one ``candidate`` message per
  ``a=candidate`` line and then the end-of-candidates (``None``), so the guide's candidate loop ends;
- ``bye`` from the far side closes the endpoint; its ``close()`` says ``bye`` to the far side.
"""

from __future__ import annotations

import asyncio
import json

from ..defaults import DEFAULT_WAIT
from ..errors import (
    InvalidCandidateError,
    PeerlabNote,
    ServerStartError,
    SignallingClosed,
    SignallingError,
    SignallingUnreachable,
    UnreadableMessage,
    note,
)
from ..webrtc.candidate import RTCIceCandidate, parse_candidate
from ..webrtc.internals import candidate_to_sdp
from ..webrtc.sdp import media_sections
from .facts import FarSide
from .messages import MESSAGE_TYPES, ROLES, Message, check_message, other_role, to_json
from .network import Frame, NetworkEndpoint

__all__ = ["TcpEndpoint", "from_line", "tcp_signalling", "to_line"]

_RETRY_EVERY = 0.05
_BYE = b'{"type": "bye"}\n'  # what aiortc's close() sends
_BYE_NOTE = "aiortc's end of signalling"
_LINE_LIMIT = 2**20  # SDP is a few KiB; aiortc's reader takes up to 64 KiB per line


def _cli(role: str, host: str, port: int) -> str:
    """The command that starts aiortc's datachannel-cli example as the far side of a peerlab ``role``."""
    far = "answer" if role == "caller" else "offer"
    return f"python cli.py {far} --signaling tcp-socket --signaling-host {host} --signaling-port {port}"


# -- the translation -------------------------------------------------------------------------

def to_line(message: Message) -> str | None:
    """peerlab's message as the line aiortc's ``TcpSocketSignaling`` reads (no newline); None if not sent.

    ``message`` is plain JSON data (as :func:`peerlab.signalling.messages.dumps` makes it). End-of-candidates
    (``data`` None, ``{}`` or an empty candidate) gives None: aiortc's wire has no such message.
    Raises :class:`SignallingError` for what aiortc's reader cannot take.
    """
    kind, data = message.get("type"), message.get("data")
    if kind not in MESSAGE_TYPES:
        raise SignallingError(f"aiortc's signalling carries only offer, answer and candidate messages (and bye), "
                              f"not {kind!r}: this message was not sent")
    if kind == "candidate" and isinstance(data, dict) and not data.get("candidate"):
        return None  # an end-of-candidates as some browsers send it: {"candidate": ""}
    problem = check_message(message)
    if problem is not None:
        raise SignallingError(problem.words)
    if data is None:
        return None
    if kind in ("offer", "answer"):
        return json.dumps({"sdp": data["sdp"], "type": kind}, sort_keys=True)
    try:
        parsed = parse_candidate(data["candidate"])
    except InvalidCandidateError as exc:
        raise SignallingError(f"the candidate was not sent: aiortc's reader would fail on it: {exc}") from exc
    mid, index = data.get("sdpMid"), data.get("sdpMLineIndex")
    if mid is None and index is None:
        raise SignallingError("the candidate was not sent: it has neither 'sdpMid' nor 'sdpMLineIndex', "
                              "and aiortc's reader needs them (as 'id' and 'label')")
    parsed.sdpMid, parsed.sdpMLineIndex = mid, index
    line = {"candidate": "candidate:" + candidate_to_sdp(parsed), "id": mid, "label": index, "type": "candidate"}
    return json.dumps(line, sort_keys=True)


def _not_ours(line: str, why: str) -> UnreadableMessage:
    shown = line if len(line) <= 200 else line[:197] + "..."
    return UnreadableMessage(f"{why}: {shown!r}. aiortc's signalling sends one JSON object per line, "
                             "{\"type\": \"offer\" | \"answer\" | \"candidate\" | \"bye\", ...}: is the program on "
                             "the other end an aiortc example started with --signaling tcp-socket?", line=shown)


def from_line(line: str) -> list[Message] | None:
    """One line of aiortc's wire as peerlab messages, in the order to deliver them; None for ``bye``.

    A description comes first, followed by one ``candidate`` message per ``a=candidate`` line of its
    SDP and, if its SDP says ``a=end-of-candidates``, the end-of-candidates (``data`` None).
    Raises :class:`UnreadableMessage` for a line that is not aiortc's JSON.
    """
    try:
        wire = json.loads(line)
    except ValueError as exc:
        raise _not_ours(line, f"the far side sent a line that is not JSON ({exc})") from None
    if not isinstance(wire, dict):
        raise _not_ours(line, f"the far side sent JSON that is not an object but a {type(wire).__name__}")
    kind = wire.get("type")
    if kind == "bye":
        return None
    if kind in ("offer", "answer"):
        sdp = wire.get("sdp")
        if not isinstance(sdp, str):
            raise _not_ours(line, f"the far side sent an {kind!r} without an 'sdp' string")
        return [{"type": kind, "data": {"type": kind, "sdp": sdp}}, *_candidates_inside(sdp)]
    if kind == "candidate":
        text = wire.get("candidate")
        if not text:
            return [{"type": "candidate", "data": None}]
        if not isinstance(text, str):
            raise _not_ours(line, "the far side sent a candidate whose 'candidate' is not a string")
        return [{"type": "candidate", "data": {"candidate": text if text.startswith("candidate:") else
                                               f"candidate:{text}", "sdpMid": wire.get("id"),
                                               "sdpMLineIndex": wire.get("label"), "usernameFragment": None}}]
    raise _not_ours(line, f"the far side sent a message of type {kind!r}, which aiortc's signalling does not have")


def _candidates_inside(sdp: str) -> list[Message]:
    """The candidates of an SDP as peerlab candidate messages, then None if every section ended them."""
    try:
        media = media_sections(sdp)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):  # setRemoteDescription says why
        return []
    # aiortc's wire carries no ufrag with a candidate, so none is added here (usernameFragment None)
    found: list[Message] = [{"type": "candidate", "data": to_json(RTCIceCandidate.from_aiortc(candidate))}
                            for section in media for candidate in section.ice_candidates]
    if media and all(section.ended for section in media):
        found.append({"type": "candidate", "data": None})
    return found


# -- the endpoint ----------------------------------------------------------------------------

_open: dict[tuple[str, int], TcpEndpoint] = {}  # the open endpoint of each host:port, closed by a re-run


async def tcp_signalling(host: str, port: int, role: str = "caller", *,
                         timeout: float = DEFAULT_WAIT) -> TcpEndpoint:
    """An endpoint on aiortc's TCP signalling at ``host:port``, playing ``role``: ``await`` it.

    In aiortc's ``TcpSocketSignaling`` the side that sends first listens and the other connects:

    - ``role="caller"`` (it sends the offer) **listens** on ``host:port`` and returns at once; start
      the far side after it, e.g. ``python cli.py answer --signaling tcp-socket --signaling-host HOST
      --signaling-port PORT``. What is sent before it connects waits and goes out when it does.
      Raises :class:`ServerStartError` if it cannot listen there (the port is taken).
    - ``role="callee"`` **connects** to ``host:port``, where the far side must listen: start it first,
      e.g. ``python cli.py offer --signaling tcp-socket ...``. Tries again until it listens, for up to
      ``timeout`` seconds, then raises :class:`SignallingUnreachable` naming ``host:port``.

    The endpoint's messages are peerlab's (``{"type": ..., "data": ...}``); it translates them to and from
    aiortc's lines (see :mod:`peerlab.signalling.tcp`). Making a new one for the same ``host:port``
    closes the one made before (a re-run cell).
    """
    if role not in ROLES:
        raise SignallingError(f"role must be 'caller' (listens, sends the offer) or 'callee' (connects), "
                              f"not {role!r}")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise SignallingError(f"port must be a whole number 0-65535, not {port!r}")
    old = _open.pop((host, port), None)
    if old is not None and not old.closed:
        await old._close_replaced()
    endpoint = TcpEndpoint(host, port, role)
    try:
        if role == "caller":
            endpoint._server = await _listen(endpoint, host, port)
            if port == 0:
                endpoint.port = endpoint._server.sockets[0].getsockname()[1]
        else:
            reader, writer = await _connect(host, port, timeout)
            endpoint._connected(reader, writer)
    except Exception:
        await endpoint.close()  # its reader and writer end: nothing will connect
        raise
    _open[(host, endpoint.port)] = endpoint
    return endpoint


async def _listen(endpoint: TcpEndpoint, host: str, port: int) -> asyncio.Server:
    try:
        return await asyncio.start_server(endpoint._accept, host, port, limit=_LINE_LIMIT)
    except OSError as exc:
        raise ServerStartError(
            f"The caller cannot listen on {host}:{port} ({exc.strerror or exc}): another program uses that "
            "port (a far peer started first? In aiortc's signalling the caller listens and the far side "
            "connects), or the address is not this machine's. Pick another port, or stop that program."
        ) from exc


async def _connect(host: str, port: int, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await asyncio.wait_for(asyncio.open_connection(host, port, limit=_LINE_LIMIT),
                                          max(deadline - loop.time(), 0.01))
        except (TimeoutError, OSError) as exc:
            if loop.time() + _RETRY_EVERY >= deadline:
                why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                raise SignallingUnreachable(
                    f"Nothing listens on {host}:{port} after {timeout:g} s of trying ({why}). In aiortc's "
                    "signalling the side that sends first (the caller, with the offer) listens and the "
                    f"callee connects: start the far side first, e.g. `{_cli('callee', host, port)}`, "
                    "then run this cell again.", url=f"tcp://{host}:{port}") from exc
        await asyncio.sleep(_RETRY_EVERY)


class TcpEndpoint(NetworkEndpoint):
    """One side of aiortc's TCP signalling: ``send``, ``await receive``, ``on("message")``, ``close()``.

    Made by :func:`tcp_signalling`. ``name`` is the role (``"caller"`` or ``"callee"``);
    ``transcript`` holds what this endpoint sent (or did not: end-of-candidates) and received;
    ``far_connected`` says whether the far side is on the line.
    """

    def __init__(self, host: str, port: int, role: str) -> None:
        self.host = host
        self.port = port
        self.far_address: str | None = None
        self.far_said_bye = False
        self._server: asyncio.Server | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        super().__init__(role, MESSAGE_TYPES, on_line=False)

    @property
    def address(self) -> str:
        """``host:port``, where the caller listens and the callee connects."""
        return f"{self.host}:{self.port}"

    @property
    def far(self) -> str:
        """The far side's role."""
        return other_role(self.name)

    @property
    def far_connected(self) -> bool:
        """Whether the far side is on the line now."""
        return self._writer is not None and self._closed is None

    def close(self) -> asyncio.Task[None]:
        """Say ``bye`` to the far side and close the connection; ``await`` the result to wait until closed."""
        if self._closing is None and self._writer is not None and not self.far_said_bye:
            self.transcript.record(self.name, self.far, {"type": "bye", "data": None}, len(_BYE), _BYE_NOTE)
            self._outgoing.put_nowait(_BYE)
        return super().close()

    def __repr__(self) -> str:
        if self._closed is not None:
            state = "closed"
        elif self.far_address is not None:
            state = f"the {self.far} is connected from {self.far_address}"
        else:
            state = f"listening for the {self.far}" if self.name == "caller" else "connecting"
        return f"<TcpEndpoint {self.name} on {self.address} (aiortc's signalling): {state}, {len(self._inbox)} waiting>"

    # -- the connection ---------------------------------------------------------------

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The listening caller's side: the first connection is the far side; any other is closed."""
        if self._writer is not None or self._closed is not None:
            writer.close()
            return
        if self._server is not None:
            self._server.close()  # one far side per endpoint: a second program gets "connection refused"
        self._connected(reader, writer)

    def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        peer = writer.get_extra_info("peername")
        self.far_address = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self._on_line.set()
        self._far_joined()

    async def _close_replaced(self) -> None:
        """Close this endpoint because a new one for the same host:port takes its place, and say so."""
        bye = f" and said bye to the {self.far}" if self._writer is not None and not self.far_said_bye else ""
        await self.close()
        note(f"The signalling endpoint on {self.address} made earlier was still open; peerlab closed it{bye}, "
             "since the new one replaces it (re-running the cell starts over).", PeerlabNote)

    def _far_words(self) -> str:
        return f"the far peer {'connected to' if self.name == 'caller' else 'listening on'} {self.address}"

    # -- how bytes move ---------------------------------------------------------------

    def _framed(self, wire: Message, text: str) -> tuple[Frame | None, int, str]:
        """aiortc's line; end-of-candidates is not sent (aiortc's wire has none: its SDP says it)."""
        line = to_line(wire)
        if line is None:
            return None, 0, "not sent: aiortc's signalling has no end-of-candidates message (its SDP says it)"
        data = (line + "\n").encode()
        return data, len(data), ""

    async def _read_frames(self) -> SignallingClosed:
        reader = self._reader
        assert reader is not None
        why = f"the {self.far} ({self._far_words()}) closed the connection without saying bye: it stopped"
        while True:
            try:
                raw = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError:
                break
            except asyncio.LimitOverrunError:
                self._problem(UnreadableMessage(f"the {self.far} ({self._far_words()}) sent a line longer than "
                                                f"{_LINE_LIMIT} bytes: it is not aiortc's signalling; the "
                                                "connection was closed", line=""))
                why = f"the {self.far} ({self._far_words()}) sent a line too long to read"
                break
            except ConnectionError as exc:
                why = f"the connection to the {self.far} ({self._far_words()}) was lost ({exc})"
                break
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                messages = from_line(line)
            except UnreadableMessage as exc:
                self._problem(exc)
                continue
            if messages is None:
                self.far_said_bye = True
                self.transcript.record(self.far, self.name, {"type": "bye", "data": None}, len(raw), _BYE_NOTE)
                why = (f"the {self.far} ({self._far_words()}) said bye: it has ended the call, and nothing more "
                       "comes from it")
                break
            for index, message in enumerate(messages):
                derived = f"from the {messages[0]['type']}'s SDP" if index else ""
                self._arrived(message, 0 if index else len(raw), derived)
        return SignallingClosed(f"{why}. To call again, start it again and make a new endpoint: "
                                f"await peerlab.tcp_signalling({self.host!r}, {self.port}, role={self.name!r}).")

    async def _write_frame(self, frame: Frame) -> bool:
        writer = self._writer
        assert writer is not None and isinstance(frame, bytes)
        try:
            writer.write(frame)
            await writer.drain()
        except ConnectionError:
            return False
        return True

    async def _shut(self) -> None:
        if self._server is not None:
            self._server.close()
        writer = self._writer
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass
        if self._server is not None:
            await self._server.wait_closed()
        if _open.get((self.host, self.port)) is self:
            del _open[(self.host, self.port)]

    def _closed_by_us(self) -> SignallingClosed:
        return SignallingClosed(f"this endpoint on {self.address} was closed (close() was called): make a new one "
                                f"with await peerlab.tcp_signalling({self.host!r}, {self.port}, role={self.name!r})")

    def _far_side(self, kind: str | None) -> FarSide:
        if self._writer is None:
            return FarSide(present=False, words=(
                f"Nothing has connected to {self.address} yet, where the {self.name} listens: in aiortc's "
                f"signalling the side that sends first listens and the other connects. Start the far side, "
                f"e.g. `{_cli(self.name, self.host, self.port)}`."))
        return FarSide(words=f"The {self.far} ({self._far_words()}) is connected.", trickles=False)
