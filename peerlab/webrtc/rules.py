"""Which call the spec allows in which state: the core's rules, as pure functions with no words.

W3C webrtc-pc section 4.4.1.5 ("set the session description") allows a local offer in
``stable`` or ``have-local-offer``, a local answer in ``have-remote-offer`` (or
``have-local-pranswer``), a remote offer in ``stable`` or ``have-remote-offer`` and a remote
answer in ``have-local-offer`` (or ``have-remote-pranswer``); ``createAnswer()`` needs
``have-remote-offer``; ``addIceCandidate()`` needs a remote description; nothing runs on a closed
connection (``InvalidStateError`` each time). A stopped transceiver takes no new track
(``replaceTrack``) and no new direction (section 5.4). peerlab also refuses ``createOffer()`` once an
offer was received (aiortc has no rollback to make it useful), and its own wait for end-of-candidates
when nothing can end.

Each function takes the states it needs and returns ``None`` (allowed) or a :class:`Refusal`:
what was refused and why, in the spec's terms. The connection raises it as a
``StepOrderError`` (the browser's ``InvalidStateError``) with the words
:mod:`peerlab.webrtc.wording` gives it: the browser's own, or the teaching layer's steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Reason", "Refusal", "REASONS", "require_open", "create_offer", "create_answer",
           "set_local_description", "set_remote_description", "add_ice_candidate",
           "wait_for_end_of_candidates", "require_live_transceiver"]

Reason = Literal["closed", "offer-received", "already-answered", "no-remote-offer", "offer-made",
                 "answer-applied", "no-local-offer", "no-remote-description", "not-gathering",
                 "no-icecandidate-listener", "transceiver-stopped"]

#: What each reason means, in the spec's terms.
REASONS: dict[Reason, str] = {
    "closed": "the connection is closed: nothing runs on it any more",
    "offer-received": "an offer was received (have-remote-offer): the local description must be an answer",
    "already-answered": "the answer is already set and the negotiation done (stable): there is no offer to answer",
    "no-remote-offer": "an answer needs a remote offer (have-remote-offer), and there is none",
    "offer-made": "this side made the offer (have-local-offer): it expects an answer, not an offer",
    "answer-applied": "the remote answer is already set and the negotiation done (stable)",
    "no-local-offer": "a remote answer needs a local offer (have-local-offer), and there is none",
    "no-remote-description": "candidates belong to a remote description, and there is none",
    "not-gathering": "gathering starts in setLocalDescription(), which has not run",
    "no-icecandidate-listener": "candidates were gathered and no icecandidate listener takes them",
    "transceiver-stopped": "the transceiver is stopped: it sends and receives nothing any more",
}


@dataclass(frozen=True)
class Refusal:
    """A call the rules refuse: ``call`` (the browser's method name), ``reason`` and the state it met.

    ``kind`` is the description's type (``"offer"``, ``"answer"``) for the description calls.
    """

    call: str
    reason: Reason
    state: str
    kind: str | None = None

    def __str__(self) -> str:
        return f"{self.call}: {REASONS[self.reason]} (signalingState {self.state!r})"


def require_open(call: str, state: str) -> Refusal | None:
    """Any call: refused once the connection is closed (its ``signalingState`` is ``closed``)."""
    return Refusal(call, "closed", state) if state == "closed" else None


def create_offer(state: str) -> Refusal | None:
    """``createOffer()``: not on a closed connection, nor once an offer was received."""
    if state == "have-remote-offer":
        return Refusal("createOffer", "offer-received", state)
    return require_open("createOffer", state)


def create_answer(state: str, current_local: str | None) -> Refusal | None:
    """``createAnswer()``: only in ``have-remote-offer``; ``current_local`` is the current local description's type."""
    if state == "stable" and current_local == "answer":
        return Refusal("createAnswer", "already-answered", state)
    if state != "have-remote-offer":
        return require_open("createAnswer", state) or Refusal("createAnswer", "no-remote-offer", state)
    return None


def set_local_description(kind: str, state: str, current_local: str | None) -> Refusal | None:
    """``setLocalDescription(<kind>)``; ``current_local`` is the current local description's type."""
    call = "setLocalDescription"
    if state == "closed":
        return require_open(call, state)
    if kind == "offer" and state == "have-remote-offer":
        return Refusal(call, "offer-received", state, kind)
    if kind == "answer" and state == "stable" and current_local == "answer":
        return Refusal(call, "already-answered", state, kind)
    if kind == "answer" and state != "have-remote-offer":
        return Refusal(call, "no-remote-offer", state, kind)
    return None


def set_remote_description(kind: str, state: str, has_remote: bool) -> Refusal | None:
    """``setRemoteDescription(<kind>)``; ``has_remote``: a remote description is already set."""
    call = "setRemoteDescription"
    if state == "closed":
        return require_open(call, state)
    if kind == "offer" and state == "have-local-offer":
        return Refusal(call, "offer-made", state, kind)
    if kind == "answer" and state != "have-local-offer":
        return Refusal(call, "answer-applied" if state == "stable" and has_remote else "no-local-offer", state, kind)
    return None


def add_ice_candidate(state: str, has_remote: bool) -> Refusal | None:
    """``addIceCandidate()``: only once a remote description is set."""
    if state == "closed":
        return require_open("addIceCandidate", state)
    return None if has_remote else Refusal("addIceCandidate", "no-remote-description", state)


def wait_for_end_of_candidates(state: str, has_local: bool, held_for_nobody: bool) -> Refusal | None:
    """peerlab's ``wait_for_end_of_candidates()``: refused when no end can come.

    ``has_local``: ``setLocalDescription()`` has run (gathering started); ``held_for_nobody``:
    candidates are held because no ``icecandidate`` listener exists.
    """
    if not has_local:
        return Refusal("wait_for_end_of_candidates", "not-gathering", state)
    if held_for_nobody:
        return Refusal("wait_for_end_of_candidates", "no-icecandidate-listener", state)
    return None


def require_live_transceiver(call: str, state: str, stopped: bool) -> Refusal | None:
    """``replaceTrack()``, ``transceiver.direction = ...``: not on a closed connection, nor a stopped transceiver."""
    return require_open(call, state) or (Refusal(call, "transceiver-stopped", state) if stopped else None)
