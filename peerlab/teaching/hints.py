"""The words a learner reads when a step goes wrong: which step comes first, and why.

The WebRTC core decides what is refused (:mod:`peerlab.webrtc.rules`) and speaks as a browser
does; :class:`StepWording` is what it says instead once the teaching layer is imported
(``peerlab.teaching`` installs it through :mod:`peerlab.webrtc.wording`). So the lesson's voice
can change without touching how the connection works. Each function reads a connection's state
and returns a sentence; none changes anything.

A wait that runs out on one side often has its cause on the other: the far connection failed or
was closed. :func:`far_failure` finds the far side among the open named connections and the
peers that play the far side in this kernel (the scripted peers register with
:func:`register_far_peer`), by the ICE ufrag of the descriptions they exchanged.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import TYPE_CHECKING, Protocol

from ..webrtc.connection import RTCPeerConnection, open_connections
from ..webrtc.datachannel import RTCDataChannel
from ..webrtc.rules import Refusal
from ..webrtc.sdp import ice_ufrag
from ..webrtc.wording import Wording
from .rerun import cell_key
from .steps import Side, step

if TYPE_CHECKING:
    from aiortc import RTCSessionDescription

__all__ = ["FarPeer", "StepWording", "register_far_peer", "far_failure", "side_of", "diagnose"]


class FarPeer(Protocol):
    """A peer that plays the far side in this kernel (a scripted peer): its role, connection and error."""

    role: str
    pc: RTCPeerConnection | None
    error: BaseException | None


# The far peers playing now: weakly, so a peer nobody holds any more is forgotten.
_far_peers: weakref.WeakSet[FarPeer] = weakref.WeakSet()


def register_far_peer(peer: FarPeer) -> None:
    """Let :func:`far_failure` look at ``peer.pc`` (the far peer's current connection)."""
    _far_peers.add(peer)


def side_of(pc: RTCPeerConnection) -> Side:
    """``"caller"`` or ``"callee"``: which of the guide's lists this peer is following."""
    local = pc.aiortc.localDescription
    if local is not None:
        return "caller" if local.type == "offer" else "callee"
    return "callee" if pc.aiortc.remoteDescription is not None else "caller"


def _ufrag(description: RTCSessionDescription | None) -> str | None:
    return None if description is None else ice_ufrag(description.sdp)


def far_failure(pc: RTCPeerConnection) -> str | None:
    """A sentence saying that ``pc``'s far side failed (its state and error), or None if it has not."""
    wanted = _ufrag(pc.aiortc.remoteDescription)
    if wanted is None:
        return None
    found: list[tuple[RTCPeerConnection, FarPeer | None]] = [(far, None) for far in list(open_connections().values())]
    found += [(peer.pc, peer) for peer in list(_far_peers) if peer.pc is not None]
    for far, peer in found:
        if far is pc or _ufrag(far.aiortc.localDescription) != wanted:
            continue
        who = f"the scripted {peer.role}" if peer is not None else f"the {far.name}"
        error = peer.error if peer is not None else None
        if far.connectionState not in ("failed", "closed") and error is None:
            return None
        said = f" (its error: {type(error).__name__}: {error})" if error is not None else ""
        again = ("start over from step 1 on your side: the scripted peer answers the new offer" if peer is not None
                 else "start over from step 1 on both sides")
        return (f"The far side failed: {who}'s connection is {far.connectionState!r}{said}, so this side "
                f"cannot finish connecting to it. To try again, {again}.")
    return None


def diagnose(pc: RTCPeerConnection) -> str:
    """A hint naming the step most likely missing, from the connection's state."""
    side = side_of(pc)
    local = pc.aiortc.localDescription
    if local is not None and "a=candidate:" not in local.sdp and pc.aiortc.iceGatheringState == "complete":
        return ("This peer gathered no ICE candidates: the machine has no network address ICE can use "
                "(aioice never uses 127.0.0.1). Turn wifi on or plug in a cable; no internet is needed.")
    if local is None:
        if side == "caller":
            return f"It has no local description yet: {step(side, 3).label} setLocalDescription(offer) is next."
        return ("It has no local description yet: after callee step 3 (createAnswer), "
                "setLocalDescription(answer) is next.")
    if pc.aiortc.remoteDescription is None:
        return (f"It has no remote description yet: {step(side, 7 if side == 'caller' else 2).label} "
                "sets the description the other peer sent.")
    far = far_failure(pc)
    if far is not None:
        return far
    if pc.iceConnectionState in ("new", "checking", "failed") and pc.mdns_unresolved and not pc.remote_candidates():
        names = ", ".join(pc.mdns_unresolved)
        return (f"The other peer's host candidates hide their addresses behind mDNS names ({names}), and "
                "no answer came when this peer asked the local network for them, so they were ignored, "
                "as a browser ignores them. mDNS only reaches peers on the same local network; across "
                "networks, give both peers a STUN server ({'iceServers': [{'urls': 'stun:...'}]}).")
    if pc.iceConnectionState in ("new", "checking"):
        if not pc.remote_candidates() and not pc.ended_sections:
            other = "callee" if side == "caller" else "caller"
            return (f"The {other} has given this peer no candidate, and none of its checks arrived either. "
                    f"Has the {other} set its local description (which gathers its candidates) and registered "
                    "its icecandidate listener? And has each side added the other's candidates "
                    "(caller step 8, callee step 7)? If neither does, no check can ever succeed.")
        return ("ICE found no working pair of candidates yet. Has each peer sent its candidates (step 6) "
                "and has the other added them (caller step 8, callee step 7)? If neither side adds the "
                "other's candidates, no check can ever succeed.")
    if pc.iceConnectionState == "failed":
        return ("ICE tried every pair of candidates and none worked: was end-of-candidates (None) "
                "added before any real candidate arrived?")
    if pc.connectionState == "failed":
        return (f"ICE is {pc.iceConnectionState!r}, but DTLS (the encryption handshake that follows ICE) "
                "failed. Start over from step 1 on both sides.")
    return f"ICE is {pc.iceConnectionState!r}; DTLS and SCTP are still setting up."


class StepWording(Wording):
    """The teaching layer's words: each refusal names the step of the guide that comes first."""

    def refused(self, pc: RTCPeerConnection, refusal: Refusal) -> str:
        name, state, reason = pc.name, refusal.state, refusal.reason
        creating = refusal.call in ("createOffer", "createAnswer")
        if reason == "closed":
            return (f"{refusal.call}(): the {name}'s connection is closed. Start again from step 1 with a new "
                    "RTCPeerConnection().")
        if reason == "offer-received" and creating:
            return (f"the {name} has received an offer, so it answers instead: createAnswer() "
                    f"({step('callee', 3).label}), not createOffer()")
        if reason == "offer-received":
            return (f"the {name} has a remote offer, so its local description must be an answer: "
                    f"{step('callee', 3).label} createAnswer(), then setLocalDescription(answer)")
        if reason == "already-answered" and creating:
            return (f"the {name} has already answered the offer it received (an earlier run of this cell set its "
                    "answer), and the connection is negotiated (signalingState 'stable'): go on to "
                    f"{step('callee', 4).label}. To answer again, receive a new offer first "
                    f"({step('callee', 2).label}).")
        if reason == "already-answered":
            return (f"the {name}'s answer is already set (an earlier run of this cell set it), and the "
                    f"connection is negotiated (signalingState 'stable'): go on to {step('callee', 4).label}")
        if reason == "no-remote-offer" and creating:
            return (f"createAnswer() needs a remote offer first, and the {name} has none (signalingState is "
                    f"{state!r}). {step('callee', 2).label} comes first: setRemoteDescription(offer) with the offer "
                    "received from the signalling service.")
        if reason == "no-remote-offer":
            return (f"setLocalDescription(answer) needs the remote offer first (signalingState is {state!r}): "
                    f"{step('callee', 2).label} setRemoteDescription(offer) comes first")
        if reason == "offer-made":
            return (f"the {name} made an offer itself, so it expects an answer, not an offer. "
                    "Only one peer (the caller) makes the offer; the callee answers it.")
        if reason == "answer-applied":
            return (f"the {name} already has an answer and is negotiated (signalingState 'stable'); "
                    f"this second answer was not applied. Receive the answer once, in {step('caller', 7).label}.")
        if reason == "no-local-offer":
            return (f"an answer only fits after this peer's own offer, and the {name} has none "
                    f"(signalingState is {state!r}): {step('caller', 3).label} setLocalDescription(offer) comes first")
        if reason == "no-remote-description":
            mine = "caller step 7" if state == "have-local-offer" else "callee step 2"
            return (f"addIceCandidate() needs the remote description first, and the {name} has none. "
                    f"{mine} comes first: setRemoteDescription() with the description the other peer sent. "
                    "(A browser raises InvalidStateError here; aiortc alone would accept it silently.)")
        side = side_of(pc)
        if reason == "not-gathering":
            return (f"the {name} gathers candidates in setLocalDescription(), which has not run yet "
                    f"({step(side, 3).label if side == 'caller' else 'after callee step 3'})")
        if reason == "no-icecandidate-listener":
            return (f"no icecandidate listener is registered on the {name}, so no candidate is sent: "
                    f"{step(side, 5).label} comes first: pc.addEventListener('icecandidate', listener)")
        return super().refused(pc, refusal)

    def diagnose(self, pc: RTCPeerConnection) -> str:
        return diagnose(pc)

    def replaced(self, name: str) -> str:
        return (f"a connection named {name!r} was still open; peerlab closed it, since this new one replaces it "
                "(re-running step 1 starts over).")

    def made_where(self) -> Hashable | None:
        return cell_key()

    def id_in_use(self, pc: RTCPeerConnection, channel_id: int | None, existing: RTCDataChannel | None,
                  made_here: bool) -> str:
        shared = "two channels of one connection cannot share an id (a browser throws OperationError)"
        if existing is None:
            return (f"the {pc.name}'s data channel id {channel_id} is still in use (a channel with it is closing): "
                    f"{shared}; choose another id")
        has = (f"the {pc.name} already has a data channel with id {channel_id} "
               f"({existing.label!r}, {existing.readyState})")
        if made_here:
            return (f"{has}: an earlier run of this cell made it, and {shared}. The channels that run made are still "
                    "there: go on to the next cell. To start over, re-run the set-up cell.")
        return f"{has}, made before this call, and {shared}: choose an id that no channel of the {pc.name} has"
