"""Time-limited TURN credentials, as coturn's ``use-auth-secret`` checks them, and the ``iceServers`` that carry them.

A TURN server must not relay for anyone who finds it, so it asks for a username and password.
Handing every learner one fixed password would give it away for good; WebRTC services instead
share one secret with their TURN server and hand each client a pair that stops working after a
while (the "TURN REST API" draft, which coturn implements as ``use-auth-secret`` with
``static-auth-secret=SECRET``): the username is ``EXPIRY:NAME`` (EXPIRY a Unix time), the password
``base64(HMAC-SHA1(SECRET, username))``. coturn recomputes the password from the username and
refuses it once EXPIRY has passed; it never needs a list of users.

``peerlab serve --turn-secret`` (:mod:`peerlab.signalling.server`) puts such a pair in each
client's ``joined`` message, and :mod:`peerlab.natlab` signs its own with its coturn's secret.
Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..webrtc.ice_servers import turn_credentials

__all__ = ["DEFAULT_TTL", "credentials", "ice_servers", "check_ice_urls"]

#: How long credentials stay valid, in seconds: a teaching day.
DEFAULT_TTL = 12 * 3600.0


def credentials(secret: str, name: str, ttl: float = DEFAULT_TTL, *, now: float | None = None) -> tuple[str, str]:
    """A TURN ``(username, password)`` for ``name``, valid ``ttl`` seconds (a teaching day unless told): the
    scheme is :func:`peerlab.webrtc.ice_servers.turn_credentials`'s, written once there."""
    return turn_credentials(secret, name, ttl, now)


def check_ice_urls(urls: Sequence[str], scheme: str) -> list[str]:
    """``urls`` if each is a ``scheme:`` URL (``stun`` takes ``stun:``; ``turn`` takes ``turn:`` and ``turns:``).

    Raises ValueError naming the first that is not, with an example.
    """
    schemes = ("turn:", "turns:") if scheme == "turn" else (f"{scheme}:",)
    for url in urls:
        if not url.startswith(schemes) or len(url) <= len(url.split(":", 1)[0]) + 1:
            example = "turn:HOST:3478, or turn:HOST:3478?transport=tcp" if scheme == "turn" else "stun:HOST:3478"
            raise ValueError(f"{url!r} is not a {scheme.upper()} URL: it looks like {example}")
    return list(urls)


def ice_servers(*, stun_urls: Sequence[str] = (), turn_urls: Sequence[str] = (), secret: str | None = None,
                name: str = "peer", ttl: float = DEFAULT_TTL, now: float | None = None) -> list[dict[str, Any]]:
    """The ``iceServers`` list of a browser's ``RTCConfiguration``: STUN servers, then TURN servers with
    credentials for ``name`` signed with ``secret`` (no TURN entry without a secret)."""
    servers: list[dict[str, Any]] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if turn_urls and secret is not None:
        username, password = credentials(secret, name, ttl, now=now)
        servers.append({"urls": list(turn_urls), "username": username, "credential": password})
    return servers
