"""Which connection in this kernel is the far side of a connection, and whether it has failed.

A wait that runs out on one side often has its cause on the other: the far connection failed
or was closed. The learner's own connections are known by name; scripted peers register here.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from ..webrtc.sdp import ice_ufrag

if TYPE_CHECKING:
    from ..webrtc.connection import RTCPeerConnection

__all__ = ["register", "far_failure"]

# Objects with a ``pc`` attribute (scripted peers) whose connection may be the far side of the learner's.
_players: weakref.WeakSet[Any] = weakref.WeakSet()


def register(player: Any) -> None:
    """Let :func:`far_failure` look at ``player.pc`` (a scripted peer's current connection)."""
    _players.add(player)


def _ufrag(description: Any) -> str | None:
    return None if description is None else ice_ufrag(description.sdp)


def _candidates() -> list[tuple[RTCPeerConnection, Any]]:
    from ..webrtc.connection import open_connections  # until the connection stops importing hints

    found: list[tuple[RTCPeerConnection, Any]] = [(pc, None) for pc in list(open_connections().values())]
    found += [(player.pc, player) for player in list(_players) if player.pc is not None]
    return found


def far_failure(pc: RTCPeerConnection) -> str | None:
    """A sentence saying that ``pc``'s far side failed (its state and error), or None if it has not."""
    wanted = _ufrag(pc.aiortc.remoteDescription)
    if wanted is None:
        return None
    for far, player in _candidates():
        if far is pc or _ufrag(far.aiortc.localDescription) != wanted:
            continue
        who = f"the scripted {player.role}" if player is not None else f"the {far.name}"
        error = getattr(player, "error", None)
        if far.connectionState not in ("failed", "closed") and error is None:
            return None
        said = f" (its error: {type(error).__name__}: {error})" if error is not None else ""
        again = ("start over from step 1 on your side: the scripted peer answers the new offer" if player is not None
                 else "start over from step 1 on both sides")
        return (f"The far side failed: {who}'s connection is {far.connectionState!r}{said}, so this side "
                f"cannot finish connecting to it. To try again, {again}.")
    return None
