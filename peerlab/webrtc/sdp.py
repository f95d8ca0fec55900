"""Session descriptions: the one place peerlab reads and rewrites SDP.

Every module that needs something of a description asks here: its media sections
(:func:`media_sections`: kind, mid, direction, the streams its ``a=msid`` lines name, ICE ufrag,
candidates, end-of-candidates, SCTP's message size), its ICE ufrag (:func:`ice_ufrag`), the lines
that stay the same whether or not candidates were gathered (:func:`without_gathering`). Descriptions
in and out of the connection are checked and rewritten here too: candidates stripped for trickle
ICE, added back as a browser's attributes carry them, ``.local`` candidates set aside for resolving,
and a description checked before aiortc sees it.

All of it uses aiortc's own SDP parser (``SessionDescription``, from
:mod:`peerlab.webrtc.internals`), so peerlab reads SDP exactly as the connection underneath will;
this is the only module that calls it.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCSessionDescription

from ..errors import DescriptionSyntaxError, DescriptionTypeError, InvalidDescriptionError
from .internals import SessionDescription, candidate_to_sdp, grouplines
from .mdns import is_mdns_name

if TYPE_CHECKING:
    from .candidate import RTCIceCandidate

__all__ = ["MediaSection", "media_sections", "ice_ufrag", "without_gathering", "strip_candidates",
           "with_candidates", "split_mdns_candidates", "to_description", "parse_description"]


@dataclass(frozen=True)
class MediaSection:
    """One media section (``m=``) of a description: what peerlab reads of it.

    ``ice_candidates`` are aiortc's candidates of its ``a=candidate`` lines, each with this
    section's ``sdpMid`` and ``sdpMLineIndex``; ``bundled`` is true for a section that a BUNDLE
    group puts on an earlier section's transport (its candidates are that section's);
    ``max_message_size`` is SCTP's ``a=max-message-size`` (``None`` but for data channels).
    ``direction`` is the section's ``a=sendrecv``/``sendonly``/``recvonly``/``inactive`` (``None`` for
    data); ``stream_ids`` the streams its ``a=msid:<stream> <track>`` lines name (``-`` names none),
    ``msid`` whether it has such a line at all; ``rejected`` is true for port 0.
    """

    index: int
    kind: str
    mid: str | None
    ufrag: str | None
    ice_candidates: tuple[AiortcCandidate, ...]
    ended: bool
    bundled: bool
    max_message_size: int | None
    direction: str | None = None
    stream_ids: tuple[str, ...] = ()
    msid: bool = False
    rejected: bool = False


def _msids(lines: list[str]) -> list[str]:
    """The values of a media section's ``a=msid:`` lines (aiortc's parser keeps only the last)."""
    return [line[len("a=msid:"):].strip() for line in lines if line.startswith("a=msid:")]


def _sections(parsed: SessionDescription, sdp: str) -> list[MediaSection]:
    bundled: set[str] = set()
    for group in parsed.group:
        if group.semantic == "BUNDLE":
            bundled.update(str(mid) for mid in group.items[1:])
    _, lines = grouplines(sdp)
    sections = []
    for index, media in enumerate(parsed.media):
        mid = media.rtp.muxId
        for candidate in media.ice_candidates:
            candidate.sdpMid, candidate.sdpMLineIndex = mid, index
        size = media.sctpCapabilities.maxMessageSize if (
            media.kind == "application" and media.sctpCapabilities is not None) else None
        msids = _msids(lines[index]) if index < len(lines) else []
        streams = tuple(dict.fromkeys(value.split()[0] for value in msids if value and value.split()[0] != "-"))
        direction = (media.direction or "sendrecv") if media.kind in ("audio", "video") else None
        sections.append(MediaSection(index, media.kind, mid, media.ice.usernameFragment if media.ice else None,
                                     tuple(media.ice_candidates), media.ice_candidates_complete,
                                     mid in bundled, size, direction, streams, bool(msids), media.port == 0))
    return sections


def media_sections(sdp: str) -> list[MediaSection]:
    """The media sections of ``sdp``, in order; raises what aiortc's parser raises on SDP it cannot read."""
    return _sections(SessionDescription.parse(sdp), sdp)


def ice_ufrag(sdp: Any) -> str | None:
    """The first ``a=ice-ufrag`` of a description: which connection (and ICE session) made it.

    Read line by line, so that it answers for any text (``None`` for what is not SDP).
    """
    if not isinstance(sdp, str):
        return None
    for line in sdp.splitlines():
        if line.startswith("a=ice-ufrag:"):
            return line.split(":", 1)[1].strip()
    return None


def without_gathering(sdp: str) -> list[str]:
    """A description's lines without what gathering changes: the same offer, with or without candidates.

    Once candidates are gathered, the local description carries them, and its ``m=`` port and
    ``c=`` address name the default candidate instead of ``9`` and ``0.0.0.0``.
    """
    lines = []
    for line in sdp.splitlines():
        if line.startswith(("a=candidate:", "a=end-of-candidates", "c=")):
            continue
        if line.startswith("m="):
            kind, _port, rest = line.split(" ", 2)
            line = f"{kind} * {rest}"
        lines.append(line)
    return lines


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


def parse_description(description: RTCSessionDescription, call: str) -> list[MediaSection]:
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
    return _sections(parsed, sdp)
