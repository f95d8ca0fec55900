"""What one attempt to connect across the lab came to, in words: the candidates each way, the pair ICE
selected and what each end of it is, or why no pair could work.

Lesson 10's cells print these after each experiment. The candidates are read from the signalling
transcript (what each side sent the other: exactly what ICE had to pair), the selected pair from
the connection (:func:`~peerlab.natlab._ice.selected_pair`), and the reason a pair could not work
from :func:`~peerlab.natlab.explain.why_no_pair`, worded for step 1's configuration. The learner's
side is ``left``, the far peer's ``right``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..signalling.transcript import TranscriptEntry
from ..webrtc.candidate import RTCIceCandidate
from ._ice import selected_pair
from .explain import why_no_pair
from .ice import ice_mode
from .lab import Lab
from .topology import LEFT, RIGHT

__all__ = ["sent_candidates", "gathered_text", "pair_text", "why_not_connected", "TYPE_ORDER"]

TYPE_ORDER = ("host", "srflx", "prflx", "relay")


def sent_candidates(transcript: Iterable[TranscriptEntry], sender: str) -> list[RTCIceCandidate]:
    """The candidates ``sender`` (``"caller"`` or ``"callee"``) sent, in order, from a signalling transcript
    (end-of-candidates left out)."""
    found = []
    for entry in transcript:
        if entry.sender == sender and entry.type == "candidate":
            candidate = RTCIceCandidate.from_json(entry.message.get("data"))
            if candidate is not None:
                found.append(candidate)
    return found


def _types(candidates: list[RTCIceCandidate]) -> list[str]:
    present = {c.type or "" for c in candidates}
    return [t for t in TYPE_ORDER if t in present] + sorted(present - set(TYPE_ORDER))


def _short(candidate: RTCIceCandidate | dict[str, Any]) -> str:
    if isinstance(candidate, dict):
        return f"{candidate['type']} {candidate['address']}:{candidate['port']}"
    return f"{candidate.type} {candidate.address}:{candidate.port}"


def _by_type(candidates: list[RTCIceCandidate]) -> list[RTCIceCandidate]:
    """``candidates`` host first, then srflx, prflx, relay (gathering sends srflx and relay in either order)."""
    rank = {kind: index for index, kind in enumerate(TYPE_ORDER)}
    return sorted(candidates, key=lambda c: rank.get(c.type or "", len(rank)))


def gathered_text(transcript: Iterable[TranscriptEntry], me: str = "caller", far: str = "callee") -> str:
    """Two lines: the candidates ``me`` sent (``type address:port``, host first) and those the far side sent."""
    entries = list(transcript)
    lines = []
    for who, sender in (("you sent:         ", me), ("the far peer sent:", far)):
        candidates = _by_type(sent_candidates(entries, sender))
        lines.append(f"{who} {', '.join(map(_short, candidates)) if candidates else 'no candidate'}")
    return "\n".join(lines)


def _ends(local: dict[str, Any], remote: dict[str, Any], mine: list[RTCIceCandidate], nat: str) -> list[str]:
    """What each end of the selected pair is, one line each."""
    lines = []
    if local["type"] == "relay":
        lines.append(f"your end: your relay candidate, an address of the TURN server's ({local['address']}) "
                     "that relays for you")
    elif local["type"] == "host":
        srflx = next((c for c in mine if c.type == "srflx" and c.relatedAddress == local["address"]
                      and c.relatedPort == local["port"]), None)
        public = LEFT.wan if LEFT.address == local["address"] else RIGHT.wan
        if nat == "cone" and srflx is not None and remote["type"] != "host":
            lines.append(f"your end: your host candidate, the socket the packets leave from; your NAT sends them "
                         f"on from {srflx.address}:{srflx.port}, your srflx candidate, so that is where the far "
                         "peer sees them come from")
        elif remote["type"] != "host":
            lines.append(f"your end: your host candidate, the socket the packets leave from; your NAT sends them on "
                         f"from {public} and a port of its own for this destination")
        else:
            lines.append("your end: your host candidate")
    else:
        lines.append(f"your end: your {local['type']} candidate")
    meaning = {
        "host": "the far peer's host candidate, its own private address",
        "srflx": "the far peer's srflx candidate: its NAT's public address and port, as STUN saw them",
        "relay": "the far peer's relay candidate, on the TURN server",
        "prflx": "a prflx candidate: the address the far peer's checks came from, which none of the candidates it "
                 "sent had (its NAT gave it a new port towards you)",
    }
    lines.append(f"the far end: {meaning.get(remote['type'], remote['type'])}")
    return lines


def pair_text(pc: Any, transcript: Iterable[TranscriptEntry], *, nat: str = "cone", me: str = "caller") -> str:
    """The pair ICE selected on ``pc`` (``local → remote``, as aioice has it) and what each end is."""
    pair = selected_pair(pc)
    if pair is None:
        return "selected pair: none (ICE has not selected one)"
    local, remote = pair["local"], pair["remote"]
    mine = sent_candidates(transcript, me)
    lines = [f"selected pair: {_short(local)} → {_short(remote)}"]
    lines += ["  " + line for line in _ends(local, remote, mine, nat)]
    return "\n".join(lines)


def why_not_connected(lab: Lab, configuration: Any, transcript: Iterable[TranscriptEntry], *, me: str = "caller",
                      far: str = "callee") -> str | None:
    """Why no candidate pair can connect this attempt, from the lab's NATs and the candidates each side sent,
    worded for step 1's configuration; ``None`` when the candidates do not say (a pair could work)."""
    entries = list(transcript)
    gathered = {LEFT.name: _types(sent_candidates(entries, me)), RIGHT.name: _types(sent_candidates(entries, far))}
    mode = ice_mode(configuration)
    reason = why_no_pair(lab.nat, mode, lab.block_udp, gathered, words="lesson")
    words = []
    if mode in ("turn", "turn-tcp", "relay") and "relay" not in gathered[LEFT.name]:
        words.append("You gathered no relay candidate although step 1 lists a TURN server, and aiortc says "
                     "nothing of why: ask the TURN server yourself (natlab.ask_turn_server).")
    if reason is not None:
        words.append(f"No pair can work: {reason}")
    return " ".join(words) or None
