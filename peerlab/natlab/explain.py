"""Why no candidate pair can work, in words, from the lab's set-up and the candidates gathered.

Pure functions: the demo asks :func:`why_no_pair` once both peers have gathered, and if it has an
answer it stops after a short grace instead of waiting out ICE's own timeout (about a minute
with aioice). :func:`why_no_relay` reads a TURN server's answer (the peer asked it for an
allocation itself, since aiortc says nothing when TURN fails, the issue's fact 3).

What each answer suggests is worded for its reader: ``words="cli"`` names the demo's options
(``--ice turn``), ``words="lesson"`` what to put in step 1's configuration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .ice import uses_turn
from .topology import SITES

__all__ = ["why_no_pair", "why_no_relay", "SUGGESTIONS"]

_PRIVATE = " and ".join(site.address for site in SITES)

#: How each answer names a remedy, for the demo's command line and for a lesson's step 1.
SUGGESTIONS: dict[str, dict[str, str]] = {
    "cli": {"stun": "--ice stun", "turn": "--ice turn", "turn-tcp": "--ice turn-tcp",
            "turn-or-relay": "--ice turn, or --ice relay"},
    "lesson": {"stun": "a stun: URL in iceServers", "turn": "a turn: URL with its username and credential",
               "turn-tcp": "a turn: URL ending in ?transport=tcp",
               "turn-or-relay": "a turn: URL, with or without iceTransportPolicy 'relay'"},
}


def why_no_relay(sides: Sequence[str], ice: str, answer: str | None, *, words: str = "cli") -> str:
    """What it means that ``sides`` gathered no relay candidate although mode ``ice`` has a TURN server.

    ``answer`` is what the TURN server said to the peer's own allocation request, with the same
    credentials (``None``: it gave one, so gathering lost the relay for another reason).
    """
    who = f"the {sides[0]} peer" if len(sides) == 1 else "neither peer"
    got = "gathered no relay candidate" if len(sides) == 1 else "gathered a relay candidate"
    head = f"{who} {got} although a TURN server was configured"
    if answer is None:
        return f"{head}; asked again, coturn gave an allocation: gathering ran out of time before it answered."
    said = f"{head}. aiortc says nothing of it, but asked again with the same credentials, coturn answered: {answer}"
    if "401" in answer:
        return (f"{said}. 401 means the TURN username or password is wrong. With coturn's use-auth-secret the "
                "password is base64(HMAC-SHA1(secret, username)) and the username 'EXPIRY:NAME', EXPIRY a Unix "
                "time still to come: check the secret the credentials were made with, and the clock.")
    if "438" in answer:
        return f"{said} (a stale nonce: try again)."
    if "no answer" in answer:
        transport = (uses_turn(ice) or "udp").upper()
        return (f"{said}. Nothing reached the TURN server over {transport}: a firewall drops it (TURN over "
                f"TCP may get through: {SUGGESTIONS[words]['turn-tcp']}), or the address is wrong.")
    return f"{said}."


def why_no_pair(nat: str, ice: str, block_udp: str | None, gathered: Mapping[str, Sequence[str]], *,
                words: str = "cli") -> str | None:
    """Why no pair of these candidates can connect the two peers of this lab, or ``None`` if one can.

    ``gathered`` maps each side (``"left"``, ``"right"``) to the types of the candidates it gathered.
    """
    say = SUGGESTIONS[words]
    empty = [side for side, types in gathered.items() if not types]
    if empty:
        policy = " (iceTransportPolicy 'relay' keeps only relay candidates)" if ice == "relay" else ""
        who = f"the {empty[0]} peer" if len(empty) == 1 else "neither peer"
        gathered_none = "gathered no candidate" if len(empty) == 1 else "gathered any candidate"
        return f"{who} {gathered_none} at all{policy}: there is nothing to pair."
    relays = [side for side, types in gathered.items() if "relay" in types]
    if relays and (block_udp != "all" or len(relays) == len(gathered)):
        return None
    if block_udp is not None:
        allowed = "" if block_udp == "all" else " except to the TURN server"
        return (f"the routers drop all UDP from the private networks{allowed}, and ICE's checks between "
                "the peers are UDP: none gets through. Only a TURN relay can carry the connection "
                + (f"(TURN over TCP: {say['turn-tcp']})." if block_udp == "all" else f"({say['turn-or-relay']})."))
    if any("srflx" not in types for types in gathered.values()):
        return ("each peer has only its host candidates, private addresses (" + _PRIVATE + ") that the other "
                "network cannot reach, and each NAT drops packets it was not expecting. A STUN server would "
                f"give each peer its public address (srflx; {say['stun']}), which works through cone NATs; "
                f"a TURN relay ({say['turn']}) works through any.")
    if nat == "symmetric":
        return ("both NATs are symmetric: each gives a socket a new public port for every address it sends "
                "to, so the port STUN saw (the srflx candidate, the mapping towards coturn) is not the port "
                "the far peer's checks must reach, and a check sent to it is dropped, as is each check that "
                "comes from a port this side never sent to. No pair of host or srflx candidates can work; "
                f"a TURN relay can ({say['turn-or-relay']}).")
    return None
