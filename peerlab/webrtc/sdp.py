"""Session descriptions in and out: strip candidates for trickle ICE, validate before use.

Both use aiortc's own SDP parser (``aiortc.sdp.SessionDescription``), so peerlab
reads SDP exactly as the connection underneath will.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from typing import Any

from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCSessionDescription

from ..errors import DescriptionSyntaxError, DescriptionTypeError, InvalidDescriptionError
from .candidate import RTCIceCandidate
from .internals import SessionDescription, candidate_to_sdp
from .mdns import is_mdns_name

__all__ = ["strip_candidates", "with_candidates", "split_mdns_candidates", "to_description", "parse_description"]

# What browsers (and aiortc) write when a description carries no candidates.
_DISCARD_HOST = "0.0.0.0"
_DISCARD_PORT = 9


def strip_candidates(description: RTCSessionDescription) -> RTCSessionDescription:
    """The same description without ``a=candidate`` and ``a=end-of-candidates`` lines.

    Candidates then travel one by one (trickle ICE), as the guide's steps 5-8 teach.
    The media port and address become the browser's "no candidate yet" values.
    """
    parsed = SessionDescription.parse(description.sdp)
    for media in parsed.media:
        media.ice_candidates = []
        media.ice_candidates_complete = False
        media.host = _DISCARD_HOST
        media.port = _DISCARD_PORT
    return RTCSessionDescription(sdp=str(parsed), type=description.type)


def with_candidates(description: RTCSessionDescription, candidates: list[RTCIceCandidate],
                    complete: bool | Collection[int]) -> RTCSessionDescription:
    """``description`` with ``candidates`` added to their media sections, as a browser's
    ``localDescription`` and ``remoteDescription`` carry the candidates known so far;
    ``complete`` adds ``a=end-of-candidates`` to every section (``True``) or to those of these indexes."""
    parsed = SessionDescription.parse(description.sdp)
    for index, media in enumerate(parsed.media):
        ended = complete if isinstance(complete, bool) else index in complete
        known = {"candidate:" + candidate_to_sdp(c) for c in media.ice_candidates}
        for candidate in candidates:
            if candidate.sdpMid == media.rtp.muxId or (candidate.sdpMid is None
                                                       and candidate.sdpMLineIndex == index):
                if candidate.candidate not in known:
                    known.add(candidate.candidate)
                    media.ice_candidates.append(candidate.to_aiortc())
        media.ice_candidates_complete = media.ice_candidates_complete or ended
    return RTCSessionDescription(sdp=str(parsed), type=description.type)


def split_mdns_candidates(description: RTCSessionDescription) -> tuple[RTCSessionDescription,
                                                                       list[AiortcCandidate], bool]:
    """``description`` without its ``<uuid>.local`` candidates, those candidates, and whether
    an ``a=end-of-candidates`` left with them (from each section that lost one).

    aiortc would resolve each name inside ``setRemoteDescription()``, a 1 s wait
    apiece for Chromium's names; peerlab resolves them afterwards instead, as it does
    for trickled ones. A description without any comes back unchanged.
    """
    parsed = SessionDescription.parse(description.sdp)
    taken: list[AiortcCandidate] = []
    ended = False
    for index, media in enumerate(parsed.media):
        names = [c for c in media.ice_candidates if is_mdns_name(c.ip)]
        if not names:
            continue
        media.ice_candidates = [c for c in media.ice_candidates if c not in names]
        for candidate in names:
            candidate.sdpMid, candidate.sdpMLineIndex = media.rtp.muxId, index
        taken += names
        ended = ended or media.ice_candidates_complete
        media.ice_candidates_complete = False
    if not taken:
        return description, [], False
    return RTCSessionDescription(sdp=str(parsed), type=description.type), taken, ended


def to_description(value: Any, call: str) -> RTCSessionDescription:
    """Accept ``{"type", "sdp"}`` or an ``RTCSessionDescription``; say clearly what else was given.

    A missing ``sdp`` is ``""``, as in a browser; a missing or unknown ``type`` is a
    ``TypeError`` (:class:`DescriptionTypeError`), as the browser's WebIDL makes it.
    """
    if isinstance(value, RTCSessionDescription):
        kind, sdp = value.type, value.sdp
    elif isinstance(value, dict):
        if "data" in value and "sdp" not in value:
            raise DescriptionTypeError(
                f"{call} got the whole signalling message; pass its description: message['data']"
            )
        if "type" not in value:
            raise DescriptionTypeError(
                f"{call} needs a dict with 'type' ('offer' or 'answer') and 'sdp'; this one has no 'type'")
        kind, sdp = value["type"], value.get("sdp", "")
    elif inspect.isawaitable(value):
        raise DescriptionTypeError(
            f"{call} got a {type(value).__name__}, not a description: did you forget `await` "
            "(offer = await pc.createOffer())?")
    elif hasattr(value, "type") and hasattr(value, "sdp"):
        kind, sdp = value.type, value.sdp
    else:
        raise DescriptionTypeError(
            f"{call} takes a description ({{'type': 'offer', 'sdp': ...}} or RTCSessionDescription), "
            f"not a {type(value).__name__}"
        )
    if kind in ("pranswer", "rollback"):
        raise InvalidDescriptionError(
            f"{call}: aiortc supports neither 'pranswer' nor 'rollback'; a description here is an "
            f"'offer' or an 'answer', not {kind!r}")
    if kind not in ("offer", "answer"):
        raise DescriptionTypeError(f"{call}: a description's type is 'offer' or 'answer', not {kind!r}")
    if sdp is None:
        sdp = ""
    if not isinstance(sdp, str):
        raise DescriptionTypeError(f"{call}: the description's 'sdp' must be text, not {type(sdp).__name__}")
    return RTCSessionDescription(sdp=sdp, type=kind)


def parse_description(description: RTCSessionDescription, call: str) -> SessionDescription:
    """Parse and check an SDP before aiortc sees it, so that a bad one changes nothing.

    aiortc accepts any text (even "this is not sdp") and moves its signalling
    state; peerlab refuses it here instead, with the browser's ``RTCError``
    (``errorDetail == "sdp-syntax-error"``). A description with no media section is
    valid SDP, and the browser accepts it: so does peerlab (nothing will connect).
    """
    sdp = description.sdp
    first = sdp.lstrip().splitlines()[0] if sdp.strip() else ""
    if first != "v=0":
        shown = first if len(first) <= 40 else first[:37] + "..."
        raise DescriptionSyntaxError(
            f"{call}: this is not SDP: it should start with the line 'v=0', but starts with {shown!r}. "
            "Pass the description exactly as the other peer sent it.", sdpLineNumber=1
        )
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:
        raise DescriptionSyntaxError(
            f"{call}: the SDP could not be parsed ({type(exc).__name__}: {exc or 'a line is malformed'}). "
            "Pass the description exactly as the other peer sent it."
        ) from exc
    for index, media in enumerate(parsed.media):
        where = f"media section {index} ({media.kind})"
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise InvalidDescriptionError(f"{call}: {where} has no a=ice-ufrag / a=ice-pwd lines")
        if media.dtls is None or not media.dtls.fingerprints:
            raise InvalidDescriptionError(f"{call}: {where} has no a=fingerprint line")
    return parsed
