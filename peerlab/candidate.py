"""A browser-shaped ``RTCIceCandidate``: the candidate string plus ``sdpMid`` and ``sdpMLineIndex``.

aiortc's own ``RTCIceCandidate`` holds the parsed fields but no ``candidate``
string and no ``toJSON()``; a browser's holds both. This one keeps the browser's
shape (what a learner reads in ``event.candidate``), parses with aiortc's own
``candidate_from_sdp`` and converts to aiortc's class for ``addIceCandidate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc.sdp import candidate_from_sdp, candidate_to_sdp

from .errors import InvalidCandidateError

__all__ = ["RTCIceCandidate", "parse_candidate"]

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
    for name, value in zip(bits[8::2], bits[9::2]):
        if name == "rport" and not value.isdigit():
            raise InvalidCandidateError(f"the candidate's rport must be a whole number, not {value!r}")
    return candidate_from_sdp(body)


@dataclass(frozen=True)
class RTCIceCandidate:
    """An ICE candidate as the browser shows it in ``event.candidate``.

    ``candidate`` is the SDP attribute value (``"candidate:..."``); the other
    read-only fields (``address``, ``port``, ``type``, ...) are parsed from it.
    """

    candidate: str
    sdpMid: str | None = None
    sdpMLineIndex: int | None = None
    _parsed: AiortcCandidate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_parsed", parse_candidate(self.candidate))
        if not self.candidate.startswith("candidate:"):
            object.__setattr__(self, "candidate", "candidate:" + candidate_to_sdp(self._parsed))

    @property
    def foundation(self) -> str:
        return self._parsed.foundation

    @property
    def component(self) -> int:
        return self._parsed.component

    @property
    def protocol(self) -> str:
        return self._parsed.protocol.lower()

    @property
    def priority(self) -> int:
        return self._parsed.priority

    @property
    def address(self) -> str:
        return self._parsed.ip

    @property
    def port(self) -> int:
        return self._parsed.port

    @property
    def type(self) -> str:
        return self._parsed.type

    @property
    def relatedAddress(self) -> str | None:
        return self._parsed.relatedAddress

    @property
    def relatedPort(self) -> int | None:
        return self._parsed.relatedPort

    def toJSON(self) -> dict[str, Any]:
        """The browser's ``RTCIceCandidate.toJSON()``: what crosses the signalling wire."""
        return {"candidate": self.candidate, "sdpMid": self.sdpMid, "sdpMLineIndex": self.sdpMLineIndex}

    def to_aiortc(self) -> AiortcCandidate:
        """The same candidate as aiortc's ``RTCIceCandidate``, for aiortc's ``addIceCandidate``."""
        c = parse_candidate(self.candidate)
        c.sdpMid = self.sdpMid
        c.sdpMLineIndex = self.sdpMLineIndex
        return c

    @classmethod
    def from_aiortc(cls, c: AiortcCandidate) -> RTCIceCandidate:
        """Wrap aiortc's candidate in the browser's shape."""
        return cls("candidate:" + candidate_to_sdp(c), c.sdpMid, c.sdpMLineIndex)

    @classmethod
    def from_json(cls, value: Any) -> RTCIceCandidate | None:
        """Accept what a far side may send: a dict, this class, aiortc's class, or None.

        ``None`` and a dict whose ``candidate`` is ``""`` both mean end-of-candidates,
        as in the browser.
        """
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, AiortcCandidate):
            return cls.from_aiortc(value)
        if not isinstance(value, dict):
            raise InvalidCandidateError(
                f"addIceCandidate() takes a dict like {{'candidate': ..., 'sdpMid': '0', 'sdpMLineIndex': 0}}, "
                f"an RTCIceCandidate or None, not a {type(value).__name__}"
            )
        if "candidate" not in value:
            raise InvalidCandidateError(
                f"the candidate dict has no 'candidate' field (it has {sorted(value)}); "
                "send event.candidate from the icecandidate listener, unchanged"
            )
        if value["candidate"] == "":
            return None
        mid, index = value.get("sdpMid"), value.get("sdpMLineIndex")
        if mid is None and index is None:
            raise InvalidCandidateError("the candidate has neither 'sdpMid' nor 'sdpMLineIndex': it needs one of them")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
            raise InvalidCandidateError(f"'sdpMLineIndex' must be a whole number >= 0, not {index!r}")
        if mid is not None and not isinstance(mid, str):
            raise InvalidCandidateError(f"'sdpMid' must be a string, not {mid!r}")
        return cls(value["candidate"], mid, index)
