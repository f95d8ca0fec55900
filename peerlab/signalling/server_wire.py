"""What ``peerlab serve`` and its clients say to each other, in one place for both sides.

The relayed messages are the Loopback's JSON (``{"type": ..., "data": ...}``, checked by the same
rules: :func:`peerlab.signalling.messages.check_message`), one per WebSocket text frame, between
the two :data:`~peerlab.signalling.messages.ROLES`. A client also sends the server reports it keeps and
never relays (:data:`~peerlab.signalling.messages.REPORT_TYPES`: ``state``, its connection's states, for the
status page). The server adds its own messages (:data:`SERVER_TYPES`) and closes sockets with the codes
below. README.md, "The signalling server's wire", describes it all for someone writing a client in another language.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

__all__ = [
    "SERVER_TYPES", "ERROR_CODES", "UNDELIVERED_REASONS", "REFUSED_REASONS",
    "LEFT_REASONS", "CloseCode", "check_name", "join_url", "split_url",
]

SERVER_TYPES = ("joined", "left", "replaced", "refused", "error")
#: ``error`` messages' ``data.code``: what was wrong with a frame, or that it was not delivered.
ERROR_CODES = ("binary", "too-big", "rate-limit", "not-json", "not-object", "unknown-type", "bad-message",
               "undelivered")
#: ``undelivered`` errors' ``data.reason``.
UNDELIVERED_REASONS = ("far-absent", "far-left", "far-not-reading")
#: ``refused`` messages' ``data.reason`` (a wrong token is refused earlier, with HTTP 403).
REFUSED_REASONS = ("bad-join", "role-taken", "full")
#: ``left`` messages' ``data.reason``.
LEFT_REASONS = ("closed", "lost", "idle", "policy", "error", "stopped")

# Room names and client ids: short and plain, so they can be shown anywhere (status page, logs).
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


class CloseCode:
    """WebSocket close codes the server uses (4000-4999 is the application's range)."""

    GOING_AWAY = 1001       # the server stopped (or restarts)
    POLICY = 1008           # the client kept sending while not reading its errors
    TOO_BIG = 1009          # a frame above the hard limit (websockets closes by itself)
    INTERNAL = 1011         # a bug in the server; the other rooms go on
    BAD_JOIN = 4000         # the room, role or client id in the URL is missing or malformed
    REPLACED = 4001         # the same client joined the same room and role again
    FULL = 4003             # the server has as many rooms or clients as it takes
    IDLE = 4008             # nothing came from this client for too long
    ROLE_TAKEN = 4009       # another client has this role in this room


def check_name(value: str | None, what: str) -> str | None:
    """Why ``value`` cannot be a room name or client id, or None if it can."""
    if value is None or value == "":
        return f"the URL has no {what}"
    if not NAME.fullmatch(value):
        return (f"the {what} {value[:70]!r} is not 1-64 letters, digits, '_', '.' or '-' "
                "(starting with a letter or digit)")
    return None


def join_url(url: str, *, room: str, role: str, client: str, token: str | None) -> str:
    """The WebSocket URL a client opens: the server's URL with room, role, client (and token) added."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    query.update(room=room, role=role, client=client)
    if token is not None:
        query["token"] = token
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


def split_url(url: str) -> tuple[str, str | None]:
    """The server's URL without its query string (for messages), and the token in it, if any."""
    parts = urlsplit(url)
    token = parse_qs(parts.query).get("token", [None])[-1]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", "")), token
