"""Step 1's "suitable ICE configuration", one per experiment of the lab: which servers, which policy.

Pure data: each mode of ``python -m peerlab.natlab demo --ice MODE`` is the browser's
``RTCConfiguration`` dict a learner would write, with the lab's coturn as STUN and TURN server.

========  ==========================================================  =============================
mode      iceServers                                                   candidates it can gather
========  ==========================================================  =============================
none      none                                                         host
stun      ``stun:198.18.0.3:3478``                                     host, srflx
turn      STUN, and ``turn:198.18.0.3:3478`` (UDP) with credentials   host, srflx, relay
turn-tcp  ``turn:198.18.0.3:3478?transport=tcp`` with credentials     host, relay (over TCP to coturn)
relay     TURN (UDP), with ``iceTransportPolicy: "relay"``            relay
========  ==========================================================  =============================

aiortc takes one STUN and one TURN server (it skips the rest), so each mode lists at most one
of each. ``turn-tcp`` lists no STUN server: with UDP blocked, a STUN request would only hold
gathering up for aioice's 5 s timeout before giving nothing.
"""

from __future__ import annotations

from typing import Any

from .topology import TURN_ADDRESS
from .turn import TURN_PORT

__all__ = ["ICE_MODES", "ice_configuration", "check_ice", "uses_turn", "ice_mode"]

ICE_MODES = ("none", "stun", "turn", "turn-tcp", "relay")


def check_ice(ice: str) -> str:
    """``ice`` if it is one of :data:`ICE_MODES`, else a ValueError naming them."""
    if ice not in ICE_MODES:
        raise ValueError(f"ice is one of {', '.join(map(repr, ICE_MODES))}, not {ice!r}")
    return ice


def uses_turn(ice: str) -> str | None:
    """The transport a mode reaches TURN by (``"udp"`` or ``"tcp"``), or ``None`` if it has no TURN server."""
    return {"turn": "udp", "relay": "udp", "turn-tcp": "tcp"}.get(check_ice(ice))


def ice_configuration(ice: str, *, username: str, password: str, server: str = TURN_ADDRESS,
                      port: int = TURN_PORT) -> dict[str, Any]:
    """The configuration dict for mode ``ice``, TURN credentials included where it uses TURN."""
    stun = {"urls": f"stun:{server}:{port}"}

    def turn(transport: str) -> dict[str, str]:
        return {"urls": f"turn:{server}:{port}?transport={transport}", "username": username, "credential": password}

    servers = {
        "none": [],
        "stun": [stun],
        "turn": [stun, turn("udp")],
        "turn-tcp": [turn("tcp")],
        "relay": [turn("udp")],
    }[check_ice(ice)]
    configuration: dict[str, Any] = {"iceServers": servers}
    if ice == "relay":
        configuration["iceTransportPolicy"] = "relay"
    return configuration


def _urls(server: Any) -> list[str]:
    urls = server.get("urls", []) if isinstance(server, dict) else []
    return [urls] if isinstance(urls, str) else [str(url) for url in urls]


def ice_mode(configuration: Any) -> str:
    """Which of :data:`ICE_MODES` a configuration dict amounts to, as aiortc reads it.

    aiortc uses the first STUN URL and the first TURN URL it finds: a TURN URL with
    ``transport=tcp`` first makes ``turn-tcp``; ``iceTransportPolicy: "relay"`` makes ``relay``.
    """
    if not isinstance(configuration, dict):
        return "none"
    urls = [url for server in configuration.get("iceServers", []) or [] for url in _urls(server)]
    turn = next((url for url in urls if url.startswith(("turn:", "turns:"))), None)
    if configuration.get("iceTransportPolicy") == "relay":
        return "relay"
    if turn is not None:
        return "turn-tcp" if "transport=tcp" in turn else "turn"
    return "stun" if any(url.startswith("stun:") for url in urls) else "none"
