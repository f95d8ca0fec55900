"""Session descriptions in and out: strip candidates for trickle ICE, validate before use.

Both use aiortc's own SDP parser (``aiortc.sdp.SessionDescription``), so peerlab
reads SDP exactly as the connection underneath will.
"""

from __future__ import annotations

import inspect
from typing import Any

from aiortc import RTCSessionDescription
from aiortc.sdp import SessionDescription

from .errors import InvalidDescriptionError

__all__ = ["strip_candidates", "to_description", "parse_description"]

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


def to_description(value: Any, call: str) -> RTCSessionDescription:
    """Accept ``{"type", "sdp"}`` or an ``RTCSessionDescription``; say clearly what else was given."""
    if isinstance(value, RTCSessionDescription):
        kind, sdp = value.type, value.sdp
    elif isinstance(value, dict):
        if "data" in value and "sdp" not in value:
            raise InvalidDescriptionError(
                f"{call} got the whole signalling message; pass its description: message['data']"
            )
        missing = [k for k in ("type", "sdp") if k not in value]
        if missing:
            raise InvalidDescriptionError(
                f"{call} needs a dict with 'type' and 'sdp'; this one lacks {', '.join(map(repr, missing))}"
            )
        kind, sdp = value["type"], value["sdp"]
    elif inspect.isawaitable(value):
        raise InvalidDescriptionError(
            f"{call} got a {type(value).__name__}, not a description: did you forget `await` "
            "(offer = await pc.createOffer())?")
    elif hasattr(value, "type") and hasattr(value, "sdp"):
        kind, sdp = value.type, value.sdp
    else:
        raise InvalidDescriptionError(
            f"{call} takes a description ({{'type': 'offer', 'sdp': ...}} or RTCSessionDescription), "
            f"not a {type(value).__name__}"
        )
    if kind not in ("offer", "answer"):
        raise InvalidDescriptionError(
            f"{call}: a description's type is 'offer' or 'answer' here, not {kind!r}"
            + (" (aiortc supports neither 'pranswer' nor 'rollback')" if kind in ("pranswer", "rollback") else "")
        )
    if not isinstance(sdp, str):
        raise InvalidDescriptionError(f"{call}: the description's 'sdp' must be text, not {type(sdp).__name__}")
    return RTCSessionDescription(sdp=sdp, type=kind)


def parse_description(description: RTCSessionDescription, call: str) -> SessionDescription:
    """Parse and check an SDP before aiortc sees it, so that a bad one changes nothing.

    aiortc accepts text with no media section (even "this is not sdp") and moves
    its signalling state; peerlab refuses it here instead.
    """
    sdp = description.sdp
    first = sdp.lstrip().splitlines()[0] if sdp.strip() else ""
    if first != "v=0":
        shown = first if len(first) <= 40 else first[:37] + "..."
        raise InvalidDescriptionError(
            f"{call}: this is not SDP: it should start with the line 'v=0', but starts with {shown!r}. "
            "Pass the description exactly as the other peer sent it."
        )
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:
        raise InvalidDescriptionError(
            f"{call}: the SDP could not be parsed ({type(exc).__name__}: {exc or 'a line is malformed'}). "
            "Pass the description exactly as the other peer sent it."
        ) from exc
    if not parsed.media:
        raise InvalidDescriptionError(
            f"{call}: the SDP has no media section (no 'm=' line), so there is nothing to connect. "
            "Did the offering peer create a data channel before createOffer()?"
        )
    for index, media in enumerate(parsed.media):
        where = f"media section {index} ({media.kind})"
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise InvalidDescriptionError(f"{call}: {where} has no a=ice-ufrag / a=ice-pwd lines")
        if media.dtls is None or not media.dtls.fingerprints:
            raise InvalidDescriptionError(f"{call}: {where} has no a=fingerprint line")
    return parsed
