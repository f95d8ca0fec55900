"""What crosses the wire: the message model, its one set of rules, and JSON as a browser makes it.

A signalling message is ``{"type": "offer" | "answer" | "candidate", "data": ...}``, sent by the
``caller`` or the ``callee`` to the other role. A peer joined to ``peerlab serve`` also sends the
server a *report* it keeps for itself and never relays: ``{"type": "state", "data":
{"connectionState": ..., "iceConnectionState": ...}}``, its connection's states, for the status page.

:func:`check_message` is the one place that says whether a message can be carried; the Loopback,
the WebSocket and TCP endpoints and the server all ask it, and each
reports a :class:`Problem` its own way (an endpoint raises
:class:`~peerlab.errors.SignallingError` with :attr:`Problem.words`; the server answers with an
``error`` frame carrying :attr:`Problem.code` and :attr:`Problem.wire_words`, in JSON's terms for a
client that may not be Python).

A browser's signalling code calls ``JSON.stringify(message)``, which uses each
object's ``toJSON()``: an ``RTCSessionDescription`` becomes ``{"type", "sdp"}``,
an ``RTCIceCandidate`` becomes ``{"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}`` and
end-of-candidates is ``null``. :func:`to_json` does the same for Python objects,
and names the field that cannot be carried.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCSessionDescription

from ..errors import SignallingError
from ..webrtc.internals import candidate_to_sdp
from ..webrtc.waiting import STATE_VALUES

__all__ = [
    "Message", "ROLES", "MESSAGE_TYPES", "REPORT_TYPES", "CONNECTION_STATES", "ICE_CONNECTION_STATES", "OFFER_UFRAG",
    "other_role", "a_message", "Problem", "check_type", "check_message",
    "refuse", "encode", "to_json", "dumps", "summarize_value",
]

#: A message as it crosses the wire: plain JSON data, ``{"type": ..., "data": ...}``.
Message = dict[str, Any]
JSONValue = Any

#: The two sides of a call: the caller sends the offer, the callee the answer.
ROLES = ("caller", "callee")
#: The messages of the guide's steps; a Loopback or a server may allow more.
MESSAGE_TYPES = ("offer", "answer", "candidate")
#: What a peer tells the server itself, never relayed to the other role: ``state``, its connection's states.
REPORT_TYPES = ("state",)
#: A ``state`` report's ``connectionState`` and ``iceConnectionState``: the browser's values.
CONNECTION_STATES = STATE_VALUES["connectionState"]
ICE_CONNECTION_STATES = STATE_VALUES["iceConnectionState"]
#: The key a peerlab far callee adds to its answer and candidates over a network: the ICE username
#: fragment of the offer they belong to, so that the caller can set aside what belongs to an offer
#: of a connection it closed since (a learner who started over). Other peers need not send it.
OFFER_UFRAG = "offer_ufrag"


def other_role(role: str) -> str:
    """``"callee"`` for ``"caller"`` and the other way round."""
    return "callee" if role == "caller" else "caller"


def a_message(kind: str | None) -> str:
    """``an 'answer' message``, ``a 'candidate' message``, ``any message``."""
    if kind is None:
        return "any message"
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind!r} message"


# -- the rules -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """Why a message cannot be carried: which ``rule`` it breaks, and what it was.

    ``code`` is the server's error code for it (``"not-object"``, ``"unknown-type"``,
    ``"bad-message"``); :attr:`words` say it to someone calling ``send()`` in Python,
    :attr:`wire_words` to a client whose frame the server read.
    """

    rule: str  # "not-object", "no-type", "unknown-type", "no-description", "description-type", "no-candidate",
    #            "no-state"
    value: Any  # the message, or for the rules about data, its data
    types: tuple[str, ...] = MESSAGE_TYPES
    kind: str = ""  # the message's type, for the rules about data

    @property
    def code(self) -> str:
        """The server's ``error`` code for this problem."""
        return {"not-object": "not-object", "no-type": "unknown-type",
                "unknown-type": "unknown-type"}.get(self.rule, "bad-message")

    @property
    def words(self) -> str:
        """What was wrong, to a learner calling ``send()``: Python's names (dict, None, createOffer())."""
        return self._say(wire=False)

    @property
    def wire_words(self) -> str:
        """What was wrong with a frame, to any client: JSON's names (object, null)."""
        return self._say(wire=True)

    def _say(self, wire: bool) -> str:
        """Each rule, said both ways side by side."""
        value, kind = self.value, self.kind
        if self.rule == "not-object":
            return (f"a message is a JSON object {{\"type\": ..., \"data\": ...}}, not {_json_kind(value)}" if wire
                    else f"send() takes a dict like {{'type': 'offer', 'data': offer}}, not a {type(value).__name__}")
        if self.rule == "no-type":
            return (f"the message has no \"type\" string (its keys: {sorted(map(str, value))[:8]})" if wire
                    else f"the message has no 'type' (it has {sorted(map(str, value))}); "
                         "send {'type': 'offer' | 'answer' | 'candidate', 'data': ...}")
        if self.rule == "unknown-type":
            return (f"unknown message type {value[:40] if isinstance(value, str) else value!r}: the server relays "
                    f"{', '.join(self.types)}" if wire
                    else f"unknown message type {value!r}: expected one of {', '.join(self.types)}")
        if self.rule == "no-description":
            return (f"an {kind!r} message's data is a description {{\"type\": {kind!r}, \"sdp\": ...}}" if wire
                    else f"an {kind!r} message carries a description: {{'type': {kind!r}, 'data': {kind}}}, where "
                         f"{kind} came from create{kind.capitalize()}(); its data here is {summarize_value(value)}")
        if self.rule == "description-type":
            return (f"the message says {kind!r} but its description's type is {value.get('type')!r}" if wire
                    else f"the message says {kind!r} but carries a description of type {value.get('type')!r}")
        if self.rule == "no-state":
            shape = (f"{{\"connectionState\": one of {', '.join(CONNECTION_STATES)}; \"iceConnectionState\" "
                     f"(if there): one of {', '.join(ICE_CONNECTION_STATES)}}}")
            return (f"a 'state' message's data is {shape}" if wire
                    else f"a 'state' message carries {{'connectionState': pc.connectionState}} (and maybe "
                         f"'iceConnectionState'); its data here is {summarize_value(value)}")
        return ("a 'candidate' message's data is {\"candidate\": \"candidate:...\", \"sdpMid\": ..., "
                "\"sdpMLineIndex\": ...}, or null at the end" if wire
                else f"a 'candidate' message carries event.candidate (or None at the end); its data here is "
                     f"{summarize_value(value)}")


def check_type(kind: Any, types: tuple[str, ...] = MESSAGE_TYPES) -> Problem | None:
    """Why ``kind`` is not a message type of ``types``, or None if it is one."""
    if isinstance(kind, str) and kind in types:
        return None
    return Problem("unknown-type", kind, types)


def check_message(message: Any, types: tuple[str, ...] = MESSAGE_TYPES) -> Problem | None:
    """Why ``message`` cannot be carried, or None if it can: the one set of rules.

    An object with a known ``type``; an offer or an answer carries a description
    ``{"type": <the same>, "sdp": "..."}``; a candidate carries ``{"candidate": "...", ...}`` or
    null (end-of-candidates); a ``state`` report (when ``types`` has it: :data:`REPORT_TYPES`) carries
    ``{"connectionState": ...}`` with one of the browser's values, and maybe ``"iceConnectionState"``.
    ``message`` is JSON data (see :func:`encode` for a Python one).
    """
    if not isinstance(message, dict):
        return Problem("not-object", message, types)
    if "type" not in message:
        return Problem("no-type", message, types)
    kind = message["type"]
    problem = check_type(kind, types)
    if problem is not None:
        return problem
    data = message.get("data")
    if kind in ("offer", "answer"):
        if not isinstance(data, dict) or not isinstance(data.get("sdp"), str):
            return Problem("no-description", data, types, kind)
        if data.get("type") != kind:
            return Problem("description-type", data, types, kind)
    elif kind == "candidate" and data is not None:
        if not isinstance(data, dict) or not isinstance(data.get("candidate"), str):
            return Problem("no-candidate", data, types, kind)
    elif kind == "state":
        if (not isinstance(data, dict) or data.get("connectionState") not in CONNECTION_STATES
                or data.get("iceConnectionState", "new") not in ICE_CONNECTION_STATES
                or set(data) - {"connectionState", "iceConnectionState"}):
            return Problem("no-state", data, types, kind)
    return None


def refuse(problem: Problem) -> SignallingError:
    """How an endpoint reports a problem with a message it was given: a :class:`SignallingError`."""
    return SignallingError(problem.words)


def encode(message: Any, types: tuple[str, ...] = MESSAGE_TYPES,
           report: Callable[[Problem], Exception] = refuse) -> tuple[Message, str]:
    """A learner's message as it crosses the wire: (its JSON data, its JSON text).

    What every endpoint's ``send()`` does first. The envelope is checked before :func:`to_json`,
    so that ``send(offer)`` is named for what it is (a description, not a message).
    Raises ``report(problem)`` (by default a :class:`SignallingError` with :attr:`Problem.words`).
    """
    problem = check_message(message, types) if not isinstance(message, dict) or "type" not in message else None
    if problem is None:
        text = dumps(message)
        wire = json.loads(text)
        problem = check_message(wire, types)
        if problem is None:
            return wire, text
    raise report(problem)


def _json_kind(value: Any) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


# -- JSON, as a browser makes it -------------------------------------------------------------------

def to_json(value: Any, path: str = "message") -> JSONValue:
    """Return ``value`` as plain JSON data (dicts, lists, str, numbers, bool, None).

    Raises :class:`SignallingError` naming ``path`` (for example
    ``message['data']['sdp']``) for anything JSON cannot carry.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SignallingError(f"{path} is {value!r}, which JSON cannot carry: send a finite number.")
        return value
    if isinstance(value, RTCSessionDescription):
        own = getattr(value, "toJSON", None)  # one that checks itself (the browser peer's: is its page there?)
        return to_json(own(), path) if callable(own) else {"type": value.type, "sdp": value.sdp}
    if isinstance(value, AiortcCandidate):
        return {
            "candidate": "candidate:" + candidate_to_sdp(value),
            "sdpMid": value.sdpMid,
            "sdpMLineIndex": value.sdpMLineIndex,
            "usernameFragment": None,
        }
    to_json_method = getattr(value, "toJSON", None)
    if callable(to_json_method):
        return to_json(to_json_method(), path)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise SignallingError(
                    f"{path} has the key {key!r}, a {type(key).__name__}: JSON object keys must be strings."
                )
            out[key] = to_json(item, f"{path}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if inspect.isawaitable(value):
        raise SignallingError(
            f"{path} is a {type(value).__name__}, not a value: did you forget `await` "
            "(offer = await pc.createOffer())?")
    raise SignallingError(
        f"{path} is a {type(value).__name__}, which JSON cannot carry. "
        "Send strings, numbers, booleans, None, lists and dicts, or a description or candidate."
    )


def dumps(value: Any) -> str:
    """``JSON.stringify`` for a message: :func:`to_json`, then compact JSON text."""
    return json.dumps(to_json(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def summarize_value(value: Any) -> str:
    """``value`` as JSON text, cut to 60 characters: how an error shows what it got."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
