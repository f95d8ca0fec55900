"""A browser-shaped ``RTCIceCandidate``: the candidate string plus ``sdpMid`` and ``sdpMLineIndex``.

aiortc's own ``RTCIceCandidate`` holds the parsed fields but no ``candidate``
string and no ``toJSON()``; a browser's holds both. This one keeps the browser's
shape (what a learner reads in ``event.candidate``), parses with aiortc's own
``candidate_from_sdp`` and converts to aiortc's class for ``addIceCandidate``.

What ``addIceCandidate()`` was given is read and checked against the remote description in
one pure step, :func:`remote_candidate`: it returns all the connection needs (the candidate or
end-of-candidates, the media section it belongs to, aiortc's candidate) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiortc import RTCIceCandidate as AiortcCandidate

from ..errors import CandidateTypeError, InvalidCandidateError
from .internals import candidate_from_sdp, candidate_to_sdp
from .sdp import MediaSection, media_sections

__all__ = ["EndOfCandidates", "RTCIceCandidate", "RemoteCandidate", "parse_candidate", "candidates_of",
           "remote_candidate"]

_FIELDS = ("foundation", "component", "protocol", "priority", "address", "port", "'typ'", "type")
_TYPES = ("host", "srflx", "prflx", "relay")
_EXAMPLE = "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host"


def parse_candidate(text: str) -> AiortcCandidate:
    """Parse an ``a=candidate`` value (with or without ``candidate:``) into aiortc's class.

    Checks each field first so that a bad string says which field is wrong,
    rather than failing inside aiortc.
    """
    if not isinstance(text, str):
        raise InvalidCandidateError(f"a candidate string must be a str, not {type(text).__name__}")
    body = text.strip()
    if body.startswith("a="):
        body = body[2:]
    if body.startswith("candidate:"):
        body = body[len("candidate:"):]
    bits = body.split()
    if len(bits) < 8:
        missing = ", ".join(_FIELDS[len(bits):])
        raise InvalidCandidateError(
            f"the candidate {text!r} has {len(bits)} of its 8 fields; missing: {missing}. "
            f"A candidate looks like {_EXAMPLE!r}."
        )
    for name, index in (("component", 1), ("priority", 3), ("port", 5)):
        if not bits[index].isdigit():
            raise InvalidCandidateError(f"the candidate's {name} must be a whole number, not {bits[index]!r}")
    if not 0 <= int(bits[5]) <= 65535:
        raise InvalidCandidateError(f"the candidate's port {bits[5]} is outside 0-65535")
    if bits[2].lower() not in ("udp", "tcp"):
        raise InvalidCandidateError(f"the candidate's protocol must be udp or tcp, not {bits[2]!r}")
    if bits[6] != "typ" or bits[7] not in _TYPES:
        raise InvalidCandidateError(
            f"the candidate must say 'typ' and one of {', '.join(_TYPES)} after the port; "
            f"it says {' '.join(bits[6:8])!r}"
        )
    if len(bits) % 2:
        raise InvalidCandidateError(f"the candidate {text!r} ends with a name that has no value")
    for name, value in zip(bits[8::2], bits[9::2], strict=False):
        if name == "rport" and not value.isdigit():
            raise InvalidCandidateError(f"the candidate's rport must be a whole number, not {value!r}")
    return candidate_from_sdp(body)


_NOT_GIVEN: Any = object()


class RTCIceCandidate:
    """An ICE candidate as the browser shows it in ``event.candidate``.

    ``RTCIceCandidate({"candidate": ..., "sdpMid": "0"})`` is JavaScript's
    ``new RTCIceCandidate({...})``; the same members as keyword arguments,
    ``RTCIceCandidate(candidate=..., sdpMid="0")``, the form Python reaches for first, and
    ``RTCIceCandidate(text, sdpMid, sdpMLineIndex)`` work too. As in the browser, the constructor needs ``sdpMid`` or
    ``sdpMLineIndex`` (``TypeError`` otherwise) and does not judge the candidate
    string: fields it cannot parse are ``None``, and ``addIceCandidate`` is what
    refuses a bad one (saying which field is wrong).
    """

    __slots__ = ("_parsed", "candidate", "sdpMLineIndex", "sdpMid", "usernameFragment")
    candidate: str
    sdpMid: str | None
    sdpMLineIndex: int | None
    usernameFragment: str | None
    _parsed: AiortcCandidate | None

    def __init__(self, candidateInitDict: dict[str, Any] | str | None = None, sdpMid: Any = _NOT_GIVEN,
                 sdpMLineIndex: Any = _NOT_GIVEN, usernameFragment: str | None = None, *,
                 candidate: str | None = _NOT_GIVEN) -> None:
        if candidate is not _NOT_GIVEN:  # the dictionary's members as keywords: candidate=..., sdpMid=...
            if candidateInitDict is not None:
                raise TypeError("RTCIceCandidate() takes the candidate once: as candidate=... or first, not both")
            candidateInitDict = candidate
        if isinstance(candidateInitDict, dict):
            init = candidateInitDict
            if sdpMid is not _NOT_GIVEN or sdpMLineIndex is not _NOT_GIVEN:
                raise TypeError("RTCIceCandidate() takes one dict, or a string with sdpMid and sdpMLineIndex")
        elif candidateInitDict is None or isinstance(candidateInitDict, str):
            init = {"candidate": candidateInitDict or "", "usernameFragment": usernameFragment,
                    "sdpMid": None if sdpMid is _NOT_GIVEN else sdpMid,
                    "sdpMLineIndex": None if sdpMLineIndex is _NOT_GIVEN else sdpMLineIndex}
        else:
            raise TypeError(f"RTCIceCandidate() takes a dict like {{'candidate': ..., 'sdpMid': '0'}}, "
                            f"not a {type(candidateInitDict).__name__}")
        candidate = init.get("candidate")
        candidate = "" if candidate is None else str(candidate)
        mid, index = init.get("sdpMid"), init.get("sdpMLineIndex")
        if mid is None and index is None:
            raise CandidateTypeError(
                "an RTCIceCandidate needs 'sdpMid' or 'sdpMLineIndex' (both are None): pass the candidate "
                "exactly as the other peer sent it")
        try:
            parsed: AiortcCandidate | None = parse_candidate(candidate) if candidate else None
        except InvalidCandidateError:
            parsed = None
        if parsed is not None and not candidate.startswith("candidate:"):
            candidate = "candidate:" + candidate_to_sdp(parsed)
        ufrag = init.get("usernameFragment")  # only as given: the browser does not read it from the string
        set_ = object.__setattr__
        set_(self, "candidate", candidate)
        set_(self, "sdpMid", None if mid is None else str(mid))
        set_(self, "sdpMLineIndex", None if index is None else int(index))
        set_(self, "usernameFragment", ufrag)
        set_(self, "_parsed", parsed)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"RTCIceCandidate.{name} is read-only, as in the browser")

    def _key(self) -> tuple[Any, ...]:
        return (self.candidate, self.sdpMid, self.sdpMLineIndex, self.usernameFragment)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RTCIceCandidate) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"RTCIceCandidate(candidate={self.candidate!r}, sdpMid={self.sdpMid!r}, "
                f"sdpMLineIndex={self.sdpMLineIndex!r})")

    def _field(self, name: str) -> Any:
        return None if self._parsed is None else getattr(self._parsed, name)

    def _text(self, name: str) -> str | None:
        value = self._field(name)
        return None if value is None else str(value)

    def _number(self, name: str) -> int | None:
        value = self._field(name)
        return None if value is None else int(value)

    @property
    def foundation(self) -> str | None:
        return self._text("foundation")

    @property
    def component(self) -> str | None:
        """``"rtp"`` (component 1) or ``"rtcp"`` (2), as the browser names them."""
        number = self._number("component")
        return None if number is None else {1: "rtp", 2: "rtcp"}.get(number, str(number))

    @property
    def protocol(self) -> str | None:
        protocol = self._text("protocol")
        return None if protocol is None else protocol.lower()

    @property
    def priority(self) -> int | None:
        return self._number("priority")

    @property
    def address(self) -> str | None:
        return self._text("ip")

    @property
    def port(self) -> int | None:
        return self._number("port")

    @property
    def type(self) -> str | None:
        return self._text("type")

    @property
    def tcpType(self) -> str | None:
        return self._text("tcpType")

    @property
    def relatedAddress(self) -> str | None:
        return self._text("relatedAddress")

    @property
    def relatedPort(self) -> int | None:
        return self._number("relatedPort")

    def toJSON(self) -> dict[str, Any]:
        """The browser's ``RTCIceCandidate.toJSON()``: what crosses the signalling wire."""
        return {"candidate": self.candidate, "sdpMid": self.sdpMid, "sdpMLineIndex": self.sdpMLineIndex,
                "usernameFragment": self.usernameFragment}

    def to_aiortc(self) -> AiortcCandidate:
        """The same candidate as aiortc's ``RTCIceCandidate``, for aiortc's ``addIceCandidate``.

        Parses strictly, so a bad candidate string says which field is wrong.
        """
        c = parse_candidate(self.candidate)
        c.sdpMid = self.sdpMid
        c.sdpMLineIndex = self.sdpMLineIndex
        return c

    @classmethod
    def from_aiortc(cls, c: AiortcCandidate, usernameFragment: str | None = None) -> RTCIceCandidate:
        """Wrap aiortc's candidate in the browser's shape.

        ICE's own candidates (a peer-reflexive one, say) belong to no media section:
        unlike the constructor, this accepts both ``sdpMid`` and ``sdpMLineIndex`` as ``None``.
        """
        made = cls.__new__(cls)
        set_ = object.__setattr__
        set_(made, "candidate", "candidate:" + candidate_to_sdp(c))
        set_(made, "sdpMid", c.sdpMid)
        set_(made, "sdpMLineIndex", c.sdpMLineIndex)
        set_(made, "usernameFragment", usernameFragment)
        set_(made, "_parsed", c)
        return made

    @classmethod
    def from_json(cls, value: Any) -> RTCIceCandidate | None:
        """What ``addIceCandidate`` accepts: a dict, this class, aiortc's class, or None.

        As WebIDL fills in a browser's dictionary, ``None``, ``{}``, a dict without
        ``candidate`` and one whose ``candidate`` is ``""`` all mean end-of-candidates
        (returned as ``None``); other keys are ignored, as a browser ignores unknown
        dictionary members. A dict that is a whole signalling message is refused, where a
        browser would quietly take it for end-of-candidates.
        """
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, AiortcCandidate):
            return cls.from_aiortc(value)
        if not isinstance(value, dict):
            raise CandidateTypeError(
                f"addIceCandidate() takes a dict like {{'candidate': ..., 'sdpMid': '0', 'sdpMLineIndex': 0}}, "
                f"an RTCIceCandidate or None, not a {type(value).__name__}"
            )
        if "candidate" not in value and ("data" in value or "type" in value):
            raise CandidateTypeError(
                "addIceCandidate() got the whole signalling message; pass the candidate inside it: "
                "pc.addIceCandidate(message['data'])")
        text = value.get("candidate")
        if text is None or text == "":
            return None
        if not isinstance(text, str):
            raise CandidateTypeError(f"'candidate' must be a string, not {type(text).__name__}")
        mid, index = value.get("sdpMid"), value.get("sdpMLineIndex")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise CandidateTypeError(f"'sdpMLineIndex' must be a whole number >= 0, not {index!r}")
        if mid is not None and not isinstance(mid, str):
            raise CandidateTypeError(f"'sdpMid' must be a string, not {mid!r}")
        return cls(value)



@dataclass(frozen=True)
class EndOfCandidates:
    """An end-of-candidates signal and the media section it names: ``addIceCandidate(None)`` names none.

    As the browser's ``addIceCandidate``: with neither ``sdpMid`` nor ``sdpMLineIndex`` it
    ends every media section; a ``usernameFragment`` must be that of the section it ends.
    """

    sdpMid: str | None = None
    sdpMLineIndex: int | None = None
    usernameFragment: str | None = None

    @classmethod
    def from_json(cls, value: Any) -> EndOfCandidates:
        """Read what ``RTCIceCandidate.from_json`` took for end-of-candidates (``None``, ``{}``, ``""``)."""
        if value is None:
            return cls()
        if isinstance(value, RTCIceCandidate):
            return cls(value.sdpMid, value.sdpMLineIndex, value.usernameFragment)
        mid, index = value.get("sdpMid"), value.get("sdpMLineIndex")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise CandidateTypeError(f"'sdpMLineIndex' must be a whole number >= 0, not {index!r}")
        if mid is not None and not isinstance(mid, str):
            raise CandidateTypeError(f"'sdpMid' must be a string, not {mid!r}")
        return cls(mid, index, value.get("usernameFragment"))


def candidates_of(sdp: str, *, per_transport: bool = False) -> list[RTCIceCandidate]:
    """The ``a=candidate`` lines of a description, in the browser's shape, in order.

    Each has its section's ``sdpMid`` and ``sdpMLineIndex``, and its ICE ufrag as
    ``usernameFragment``. With ``per_transport``, a section a BUNDLE group puts on an earlier
    section's transport gives none: one set per transport, as a browser gathers them.
    """
    return [RTCIceCandidate.from_aiortc(c, section.ufrag) for section in media_sections(sdp)
            if not (per_transport and section.bundled) for c in section.ice_candidates]


@dataclass(frozen=True)
class RemoteCandidate:
    """What ``addIceCandidate()`` adds, once checked against the remote description.

    ``candidate`` is the far side's candidate (``None``: end-of-candidates) and ``aiortc`` the
    same as aiortc's class (``None`` for end-of-candidates); ``index`` is the remote media section
    it belongs to, with its ``mid`` (``None``: an end-of-candidates naming no section ends all
    ``sections`` of the description).
    """

    candidate: RTCIceCandidate | None
    index: int | None
    mid: str | None
    sections: int
    aiortc: AiortcCandidate | None = None


def remote_candidate(value: Any, remote_sdp: str | None) -> RemoteCandidate | None:
    """Read what ``addIceCandidate(value)`` was given and check it against the remote description.

    The value's shape is checked first, as the browser's WebIDL does before the call runs
    (:class:`CandidateTypeError`); then ``None`` if there is no remote description (``remote_sdp``
    is ``None``: the rules refuse the call). Otherwise the candidate must name one of the
    description's media sections, with that section's ICE ufrag, and parse strictly
    (:class:`InvalidCandidateError` saying which field is wrong), as the browser checks.
    """
    parsed = RTCIceCandidate.from_json(value)
    if parsed is not None and not parsed.candidate:  # an RTCIceCandidate with "" is end-of-candidates too
        parsed = None
    given: RTCIceCandidate | EndOfCandidates = parsed if parsed is not None else EndOfCandidates.from_json(value)
    if remote_sdp is None:
        return None
    sections = media_sections(remote_sdp)
    index = _section_of(given, sections)
    mid = None if index is None else sections[index].mid
    if parsed is None:
        return RemoteCandidate(None, index, mid, len(sections))
    return RemoteCandidate(parsed, index, mid, len(sections), parsed.to_aiortc())


def _section_of(candidate: RTCIceCandidate | EndOfCandidates, sections: list[MediaSection]) -> int | None:
    """The index of the remote media section ``candidate`` names (``None``: it names none, so all).

    ``OperationError`` if there is no such section, or if its ``usernameFragment`` is not
    that section's ICE ufrag (with no section named: not any section's), as the browser checks.
    """
    mids = [s.mid for s in sections]
    if candidate.sdpMid is not None:
        if candidate.sdpMid not in mids:
            raise InvalidCandidateError(
                f"the candidate is for sdpMid {candidate.sdpMid!r}, but the remote description has "
                f"{', '.join(map(repr, mids)) or 'no media section'}: pass the candidate exactly as the "
                "other peer sent it")
        index: int | None = mids.index(candidate.sdpMid)
    elif candidate.sdpMLineIndex is not None:
        index = candidate.sdpMLineIndex
        if not 0 <= index < len(sections):
            raise InvalidCandidateError(
                f"the candidate's sdpMLineIndex {index} is not one of the remote "
                f"description's {len(sections)} media sections")
    else:
        index = None
    ufrag = candidate.usernameFragment
    named = sections if index is None else [sections[index]]
    if ufrag is not None and ufrag not in {s.ufrag for s in named if s.ufrag is not None}:
        where = ("the remote description" if index is None
                 else f"the remote media section {index} (mid {mids[index]!r})")
        raise InvalidCandidateError(
            f"the candidate's usernameFragment {ufrag!r} is not the ICE ufrag of {where}: it belongs to "
            "another negotiation (an earlier run of the other peer?) or to another media section")
    return index
