"""A session description section by section, each line explained, volatile values masked (pure).

Lines come from aiortc's own ``grouplines`` and ``parse_attr``, candidates from its
``candidate_from_sdp``, and section names from :func:`peerlab.webrtc.sdp.media_sections`: peerlab
reads SDP exactly as the connection underneath does.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiortc import RTCSessionDescription

from ..webrtc.internals import candidate_from_sdp, grouplines, parse_attr
from ..webrtc.sdp import MediaSection, media_sections
from ._html import CELL_STYLE, NOTE_STYLE, TABLE_STYLE, esc
from .candidates import TYPE_MEANINGS

__all__ = ["LINE_MEANINGS", "ATTRIBUTE_MEANINGS", "SdpLine", "SdpSection", "explain_line", "mask_line",
           "description_parts", "sdp_sections", "sdp_text", "sdp_html"]

# What placeholders mean "nothing here yet": browsers and aiortc write them when candidates travel apart.
_PLACEHOLDER_PORTS = ("0", "9")
_PLACEHOLDER_ADDRESSES = ("0.0.0.0", "::", "127.0.0.1")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")

LINE_MEANINGS = {
    "v": "protocol version: always 0",
    "o": "origin: user, session id and version (random), network type, address type, address",
    "s": "session name (WebRTC does not use it: '-')",
    "i": "a title for the session or media section",
    "c": "connection address; 0.0.0.0 means: look at the ICE candidates instead",
    "b": "a bandwidth limit",
    "t": "when the session is active: 0 0 means always",
}
ATTRIBUTE_MEANINGS = {
    "group": "BUNDLE: these media sections share one transport (one set of candidates)",
    "msid-semantic": "how media streams are identified (WMS)",
    "extmap-allow-mixed": "one- and two-byte RTP header extensions may be mixed",
    "ice-lite": "this peer only answers connectivity checks, it never starts them",
    "mid": "this media section's id: what a candidate's sdpMid refers to",
    "sctp-port": "the SCTP port inside DTLS that carries data channels",
    "sctpmap": "the SCTP port and protocol, in the older syntax",
    "max-message-size": "the largest data-channel message this peer accepts, in bytes",
    "ice-ufrag": "ICE username fragment: identifies this peer in connectivity checks (random)",
    "ice-pwd": "ICE password: signs the connectivity checks (random)",
    "ice-options": "ICE extensions this peer supports (trickle: candidates may come later)",
    "fingerprint": "hash of this peer's DTLS certificate: the far side checks it to know who it talks to",
    "setup": "DTLS role: actpass (either), active (starts the handshake) or passive (waits for it)",
    "tls-id": "identifies this DTLS association (random)",
    "candidate": "an ICE candidate: an address where this peer may be reached",
    "end-of-candidates": "no more candidates will follow in this description",
    "sendrecv": "direction: send and receive",
    "sendonly": "direction: send only",
    "recvonly": "direction: receive only",
    "inactive": "direction: neither send nor receive",
    "rtcp": "where RTCP goes (9 and 0.0.0.0: with the media, see rtcp-mux)",
    "rtcp-mux": "RTP and RTCP share one port",
    "rtcp-rsize": "reduced-size RTCP packets are allowed",
    "rtpmap": "a payload type and its codec",
    "rtcp-fb": "feedback this codec understands (nack: resend, pli: send a key frame, ...)",
    "fmtp": "parameters of a payload type",
    "extmap": "an RTP header extension and its id",
    "msid": "which media stream and track this section carries (random ids)",
    "ssrc": "a synchronisation source id of an RTP stream, and one of its attributes (random)",
    "ssrc-group": "RTP streams that belong together (FID: a stream and its retransmissions)",
    "rid": "a restriction identifier (simulcast layer)",
    "simulcast": "the simulcast layers sent or received",
    "bundle-only": "usable only inside a BUNDLE group",
}
SETUP_MEANINGS = {
    "actpass": "DTLS role: actpass, the offerer lets the answerer choose",
    "active": "DTLS role: active, this peer starts the DTLS handshake (client)",
    "passive": "DTLS role: passive, this peer waits for the DTLS handshake (server)",
}


@dataclass(frozen=True)
class SdpLine:
    """A line as shown (masked unless revealed), its meaning, and how many alike lines it stands for."""

    text: str
    meaning: str
    key: str
    count: int = 1
    folded: bool = True

    @property
    def shown(self) -> str:
        """The line and its count; folded candidate lines always show one (their number varies by machine)."""
        counted = self.folded and (self.count > 1 or self.key == "a=candidate")
        return self.text + (f" (×{self.count})" if counted else "")


@dataclass(frozen=True)
class SdpSection:
    """``session`` or one media section, with its lines."""

    title: str
    lines: tuple[SdpLine, ...]


def line_key(line: str) -> str:
    """``v``, ``m``, ... for a line; ``a=name`` for an attribute line."""
    return f"a={parse_attr(line)[0]}" if line.startswith("a=") else line[:1]


def explain_line(line: str) -> str:
    """What one SDP line means, in a short note ("" for a line peerlab has no note for)."""
    if line.startswith("m="):
        kind = (line[2:].split() or ["?"])[0]
        if kind == "application":
            return "a data-channel section: port (9: none yet, candidates come apart), DTLS/SCTP transport"
        return f"an {kind} section: port (9: none yet, candidates come apart), RTP transport, payload types"
    if not line.startswith("a="):
        return LINE_MEANINGS.get(line[:1], "")
    name, value = parse_attr(line)
    if name == "setup" and value in SETUP_MEANINGS:
        return SETUP_MEANINGS[value]
    if name == "candidate" and value:
        try:
            kind = candidate_from_sdp(value).type
        except Exception:  # not a valid candidate: still say what the line is for
            return ATTRIBUTE_MEANINGS["candidate"]
        return f"{ATTRIBUTE_MEANINGS['candidate']} ({kind}: {TYPE_MEANINGS.get(kind, '?')})"
    return ATTRIBUTE_MEANINGS.get(name, "")


_CANDIDATE_EXTRAS = {"raddr": "<address>", "rport": "<port>", "ufrag": "<ufrag>"}


def _mask_candidate(value: str) -> str:
    bits = value.split()  # RFC 8839's candidate-attribute: fields separated by single spaces
    if len(bits) < 8:
        return value
    bits[0], bits[4], bits[5] = "<foundation>", "<address>", "<port>"
    for index in range(8, len(bits) - 1, 2):
        bits[index + 1] = _CANDIDATE_EXTRAS.get(bits[index], bits[index + 1])
    return " ".join(bits)


def _mask_attribute(name: str, value: str) -> str:
    bits = value.split()
    if name == "ice-ufrag":
        return "<ufrag>"
    if name == "ice-pwd":
        return "<pwd>"
    if name == "tls-id":
        return "<tls-id>"
    if name == "fingerprint":
        return f"{bits[0]} <fingerprint>" if bits else "<fingerprint>"
    if name == "candidate":
        return _mask_candidate(value)
    if name == "msid":
        names = ("<stream-id>", "<track-id>")
        return " ".join(bit if bit == "-" else names[min(i, 1)] for i, bit in enumerate(bits))
    if name == "ssrc" and bits:
        attribute = " ".join(bits[1:])
        if ":" in attribute:
            attribute = attribute.split(":", 1)[0] + ":<" + attribute.split(":", 1)[0] + ">"
        return " ".join(["<ssrc>", attribute]).strip()
    if name == "ssrc-group" and bits:
        return " ".join([bits[0]] + ["<ssrc>"] * (len(bits) - 1))
    if name == "rtcp" and bits:
        port = bits[0] if bits[0] in _PLACEHOLDER_PORTS else "<port>"
        tail = bits[1:3] + [a if a in _PLACEHOLDER_ADDRESSES else "<address>" for a in bits[3:4]]
        return " ".join([port] + tail)
    return value


def mask_line(line: str) -> str:
    """The line with values that change from run to run (or machine to machine) replaced by names."""
    bits = line.split()
    if line.startswith("o=") and len(bits) >= 6:
        address = bits[5] if bits[5] in _PLACEHOLDER_ADDRESSES else "<address>"
        line = " ".join([bits[0], "<session-id>", "<version>", bits[3], bits[4], address])
    elif line.startswith("m=") and len(bits) > 1 and bits[1] not in _PLACEHOLDER_PORTS:
        line = " ".join([bits[0], "<port>"] + bits[2:])
    elif line.startswith("c=") and len(bits) >= 3 and bits[2].split("/")[0] not in _PLACEHOLDER_ADDRESSES:
        line = " ".join(bits[:2] + ["<address>"])
    elif line.startswith("a="):
        name, value = parse_attr(line)
        if value is not None:
            line = f"a={name}:{_mask_attribute(name, value)}"
    return _UUID.sub("<uuid>", line)


def description_parts(description: Any) -> tuple[str, str]:
    """``(type, sdp)`` of an RTCSessionDescription, a ``{"type", "sdp"}`` dict or SDP text."""
    if isinstance(description, str):
        return "description", description
    if isinstance(description, RTCSessionDescription):
        return description.type, description.sdp
    if isinstance(description, dict) and isinstance(description.get("sdp"), str):
        return str(description.get("type", "description")), description["sdp"]
    if description is None:
        raise TypeError("sdp_anatomy() got None: is there a description yet? pc.localDescription is None "
                        "until setLocalDescription() has run")
    if inspect.isawaitable(description):
        raise TypeError("sdp_anatomy() got something to await, not a description: did you forget `await` "
                        "(offer = await pc.createOffer())?")
    if isinstance(getattr(description, "sdp", None), str):
        return str(getattr(description, "type", "description")), description.sdp
    raise TypeError("sdp_anatomy() takes a description (offer, answer, pc.localDescription), a dict with "
                    f"'type' and 'sdp', or SDP text; not a {type(description).__name__}")


def _lines(raw: Sequence[str], reveal: bool) -> tuple[SdpLine, ...]:
    """Explained lines; masked lines that read the same, one after the other, fold into one with a count."""
    out: list[SdpLine] = []
    for line in raw:
        if not line.strip():
            continue
        shown = line if reveal else mask_line(line)
        if out and not reveal and out[-1].text == shown:
            out[-1] = SdpLine(shown, out[-1].meaning, out[-1].key, out[-1].count + 1, folded=True)
        else:
            out.append(SdpLine(shown, explain_line(line), line_key(line), folded=not reveal))
    return tuple(out)


def sdp_sections(sdp: str, reveal: bool = False) -> tuple[list[SdpSection], str]:
    """The session section and each media section, plus aiortc's complaint if it cannot parse ``sdp``."""
    session, media = grouplines(sdp)
    try:
        parsed: list[MediaSection] = media_sections(sdp)
        problem = ""
    except Exception as exc:  # a broken description is still worth looking at, line by line
        parsed, problem = [], f"aiortc cannot parse this description ({type(exc).__name__}: {exc})"
    sections = [SdpSection("session", _lines(session, reveal))]
    for index, lines in enumerate(media):
        if index < len(parsed):
            kind, mid = parsed[index].kind, parsed[index].mid
        else:
            kind, mid = (lines[0][2:].split() or ["?"])[0], None
        title = f"media section {index} ({kind}" + (f", mid {mid})" if mid is not None else ")")
        sections.append(SdpSection(title, _lines(lines, reveal)))
    return sections, problem


def sdp_text(kind: str, sections: Sequence[SdpSection], problem: str = "") -> str:
    """Each section's lines with their meanings, aligned."""
    width = min(max((len(line.shown) for s in sections for line in s.lines), default=0), 52)
    out = [f"{kind}:"] + ([f"  ({problem})"] if problem else [])
    for section in sections:
        out.append(f"  {section.title}")
        out += [f"    {line.shown:<{width}}  {line.meaning}".rstrip() for line in section.lines]
    return "\n".join(out)


def sdp_html(kind: str, sections: Sequence[SdpSection], problem: str = "") -> str:
    """A table: a header row per section, then one ``<tr class="peerlab-sdp-line">`` per line."""
    body = []
    for section in sections:
        body.append(f'<tr class="peerlab-sdp-section"><th colspan="2" style="{CELL_STYLE}background:#eee">'
                    f"{esc(section.title)}</th></tr>")
        body += [f'<tr class="peerlab-sdp-line" data-line="{esc(line.key)}">'
                 f'<td style="{CELL_STYLE}white-space:nowrap"><code>{esc(line.shown)}</code></td>'
                 f'<td style="{CELL_STYLE}color:#444">{esc(line.meaning)}</td></tr>'
                 for line in section.lines]
    note = f'<div style="{NOTE_STYLE}">{esc(problem)}</div>' if problem else ""
    return (f'<div class="peerlab-sdp"><b>{esc(kind)}</b>{note}<table style="{TABLE_STYLE}">'
            f'<tbody>{"".join(body)}</tbody></table></div>')
