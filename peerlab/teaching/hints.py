"""The words a learner reads when a step goes wrong: which step comes first, and why.

Kept apart from the connection (as the spec's behaviour is), so the lesson's
voice can change without touching how the connection works. Each function reads
a connection's state and returns a sentence; none changes anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .far_side import far_failure
from .steps import step

if TYPE_CHECKING:
    from ..webrtc.connection import RTCPeerConnection

__all__ = ["side_of", "diagnose", "local_order", "remote_order", "no_remote_description"]


def side_of(pc: RTCPeerConnection) -> str:
    """``"caller"`` or ``"callee"``: which of the guide's lists this peer is following."""
    local = pc.aiortc.localDescription
    if local is not None:
        return "caller" if local.type == "offer" else "callee"
    return "callee" if pc.aiortc.remoteDescription is not None else "caller"


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


def local_order(pc: RTCPeerConnection, kind: str) -> str | None:
    """Why ``setLocalDescription(<kind>)`` cannot run now, or ``None`` if it can."""
    state = pc.signalingState
    if kind == "offer" and state == "have-remote-offer":
        return (f"the {pc.name} has a remote offer, so its local description must be an answer: "
                f"{step('callee', 3).label} createAnswer(), then setLocalDescription(answer)")
    current = pc.currentLocalDescription
    if kind == "answer" and state == "stable" and current is not None and current.type == "answer":
        return (f"the {pc.name}'s answer is already set (an earlier run of this cell set it), and the "
                f"connection is negotiated (signalingState 'stable'): go on to {step('callee', 4).label}")
    if kind == "answer" and state != "have-remote-offer":
        return (f"setLocalDescription(answer) needs the remote offer first (signalingState is {state!r}): "
                f"{step('callee', 2).label} setRemoteDescription(offer) comes first")
    return None


def remote_order(pc: RTCPeerConnection, kind: str) -> str | None:
    """Why ``setRemoteDescription(<kind>)`` cannot run now, or ``None`` if it can."""
    state = pc.signalingState
    if kind == "offer" and state == "have-local-offer":
        return (f"the {pc.name} made an offer itself, so it expects an answer, not an offer. "
                "Only one peer (the caller) makes the offer; the callee answers it.")
    if kind == "answer" and state != "have-local-offer":
        if state == "stable" and pc.aiortc.remoteDescription is not None:
            return (f"the {pc.name} already has an answer and is negotiated (signalingState 'stable'); "
                    f"this second answer was not applied. Receive the answer once, in {step('caller', 7).label}.")
        return (f"an answer only fits after this peer's own offer, and the {pc.name} has none "
                f"(signalingState is {state!r}): {step('caller', 3).label} setLocalDescription(offer) comes first")
    return None


def no_remote_description(pc: RTCPeerConnection) -> str:
    """Why ``addIceCandidate()`` cannot run before ``setRemoteDescription()``."""
    mine = "caller step 7" if pc.signalingState == "have-local-offer" else "callee step 2"
    return (f"addIceCandidate() needs the remote description first, and the {pc.name} has none. "
            f"{mine} comes first: setRemoteDescription() with the description the other peer sent. "
            "(A browser raises InvalidStateError here; aiortc alone would accept it silently.)")
