"""What ``peerlab serve`` and its clients say to each other, in one place for both sides.

The relayed messages are the Loopback's JSON (``{"type": ..., "data": ...}``), one per
WebSocket text frame. The server adds its own messages (:data:`SERVER_TYPES`) and closes
sockets with the codes below. README.md, "The signalling server's wire", describes it all
for someone writing a client in another language.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

__all__ = [
    "ROLES", "RELAYED_TYPES", "SERVER_TYPES", "ERROR_CODES", "UNDELIVERED_REASONS", "REFUSED_REASONS",
    "LEFT_REASONS", "CloseCode", "check_message", "check_name",
    "join_url", "split_url", "other_role",
]

ROLES = ("caller", "callee")
RELAYED_TYPES = ("offer", "answer", "candidate")
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


def other_role(role: str) -> str:
    """``"callee"`` for ``"caller"`` and the other way round."""
    return "callee" if role == "caller" else "caller"


def check_name(value: str | None, what: str) -> str | None:
    """Why ``value`` cannot be a room name or client id, or None if it can."""
    if value is None or value == "":
        return f"the URL has no {what}"
    if not NAME.fullmatch(value):
        return (f"the {what} {value[:70]!r} is not 1-64 letters, digits, '_', '.' or '-' "
                "(starting with a letter or digit)")
    return None


def check_message(message: Any, types: tuple[str, ...] = RELAYED_TYPES) -> tuple[str, str] | None:
    """Why a decoded frame cannot be relayed, as (error code, words), or None if it can.

    The same rules as the Loopback's: an object with a known ``type``; offers and answers
    carry a description ``{"type", "sdp"}``; a candidate carries ``{"candidate", ...}`` or null.
    """
    if not isinstance(message, dict):
        return "not-object", f"a message is a JSON object {{\"type\": ..., \"data\": ...}}, not {_kind(message)}"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "unknown-type", f"the message has no \"type\" string (its keys: {sorted(map(str, message))[:8]})"
    if kind not in types:
        return "unknown-type", f"unknown message type {kind[:40]!r}: the server relays {', '.join(types)}"
    data = message.get("data")
    if kind in ("offer", "answer"):
        if not isinstance(data, dict) or not isinstance(data.get("sdp"), str):
            return "bad-message", f"an {kind!r} message's data is a description {{\"type\": {kind!r}, \"sdp\": ...}}"
        if data.get("type") != kind:
            return "bad-message", f"the message says {kind!r} but its description's type is {data.get('type')!r}"
    elif kind == "candidate" and data is not None:
        if not isinstance(data, dict) or not isinstance(data.get("candidate"), str):
            return "bad-message", ("a 'candidate' message's data is {\"candidate\": \"candidate:...\", "
                                   "\"sdpMid\": ..., \"sdpMLineIndex\": ...}, or null at the end")
    return None


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


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
