"""The ICE servers a teacher or a hub gives the lessons, from the environment: ``peerlab.ice_servers()``.

On a laptop the lessons need none: both peers are on one machine, and host candidates connect.
Where JupyterLab runs elsewhere (a JupyterHub, Binder, a container, a teacher's server), the
learner's browser and the kernel's aiortc are on different networks, and where UDP between them is
blocked only a TURN relay carries the connection. Whoever runs the server sets, for every kernel:

``PEERLAB_ICE_SERVERS``
    The browser's ``iceServers`` list as JSON, e.g.
    ``[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]``
    (or ``{"iceServers": [...]}``, a whole configuration).
``PEERLAB_TURN_URLS`` and ``PEERLAB_TURN_SECRET``
    A TURN server that checks time-limited credentials (coturn's ``use-auth-secret``, the "TURN
    REST API" scheme): the URLs, comma-separated, and the shared secret. Each call makes a
    username (the expiry time, a day ahead, ``:peerlab``) and its password (base64 of the
    HMAC-SHA1 of the username, keyed with the secret). Anyone who can read a kernel's environment
    can make credentials: give the lessons' TURN server no other use.

Both may be set; the list is ``PEERLAB_ICE_SERVERS``'s servers, then the TURN one. Unset: ``[]``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError

__all__ = ["ice_servers", "turn_credentials", "ICE_SERVERS_VARIABLE", "TURN_URLS_VARIABLE", "TURN_SECRET_VARIABLE"]

ICE_SERVERS_VARIABLE = "PEERLAB_ICE_SERVERS"
TURN_URLS_VARIABLE = "PEERLAB_TURN_URLS"
TURN_SECRET_VARIABLE = "PEERLAB_TURN_SECRET"
CREDENTIAL_TTL = 24 * 3600.0


def turn_credentials(secret: str, name: str = "peerlab", ttl: float = CREDENTIAL_TTL,
                     now: float | None = None) -> tuple[str, str]:
    """A TURN ``(username, password)`` valid for ``ttl`` seconds, signed with ``secret`` (coturn's use-auth-secret)."""
    username = f"{int((time.time() if now is None else now) + ttl)}:{name}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def _check(servers: Any, source: str) -> list[dict[str, Any]]:
    if isinstance(servers, dict) and "iceServers" in servers:
        servers = servers["iceServers"]
    if not isinstance(servers, list):
        raise ConfigurationError(f"{source} is a JSON list of ICE servers, like "
                                 '[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]')
    for index, server in enumerate(servers):
        urls = server.get("urls") if isinstance(server, dict) else None
        if not (isinstance(urls, str) or (isinstance(urls, list) and urls and all(isinstance(u, str) for u in urls))):
            raise ConfigurationError(f"{source}: server {index} needs 'urls', a URL or a list of URLs "
                                     "('stun:...', 'turn:...', 'turns:...')")
        extra = {key: value for key, value in server.items() if key in ("username", "credential")}
        if any(not isinstance(value, str) for value in extra.values()):
            raise ConfigurationError(f"{source}: server {index}'s username and credential are strings")
    return [dict(server) for server in servers]


def ice_servers(environ: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The ``iceServers`` the environment gives (``[]`` if none): what step 1 passes to both peers."""
    env = os.environ if environ is None else environ
    found: list[dict[str, Any]] = []
    text = env.get(ICE_SERVERS_VARIABLE, "").strip()
    if text:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"{ICE_SERVERS_VARIABLE} is not JSON ({exc}): {text[:80]!r}") from None
        found = _check(data, ICE_SERVERS_VARIABLE)
    urls = [url.strip() for url in env.get(TURN_URLS_VARIABLE, "").split(",") if url.strip()]
    secret = env.get(TURN_SECRET_VARIABLE, "")
    if urls or secret:
        if not (urls and secret):
            raise ConfigurationError(f"{TURN_URLS_VARIABLE} and {TURN_SECRET_VARIABLE} go together: the TURN "
                                     "server's URLs and the secret it checks credentials with")
        username, password = turn_credentials(secret)
        found.append({"urls": urls, "username": username, "credential": password})
    return found
