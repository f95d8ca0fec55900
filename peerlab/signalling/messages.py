"""What crosses the wire: turn peerlab and aiortc objects into JSON, as a browser would.

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
from typing import Any

from aiortc import RTCIceCandidate as AiortcCandidate
from aiortc import RTCSessionDescription
from aiortc.sdp import candidate_to_sdp

from ..errors import SignallingError

__all__ = ["to_json", "dumps"]

JSONValue = Any


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
        return {"type": value.type, "sdp": value.sdp}
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
