"""What a person looks at. Every view only reads events and transcripts; none drives a connection.

Each view has a stable ``text/plain`` form (what nbval compares, the same on every
run) and, where it helps, an HTML or widget form for JupyterLab.
"""

from __future__ import annotations

from .connection import STATES, RTCPeerConnection

__all__ = ["show_states", "states_text"]


def states_text(*pcs: RTCPeerConnection) -> str:
    """The four states of each connection, one line per connection, aligned."""
    width = max(len(pc.name) for pc in pcs)
    return "\n".join(
        f"{pc.name:<{width}}  " + "  ".join(f"{state}={getattr(pc, state)}" for state in STATES) for pc in pcs)


def show_states(*pcs: RTCPeerConnection) -> None:
    """Print the four states of each connection: what each lesson step moves."""
    print(states_text(*pcs))
