"""The views a lesson displays: each holds what it shows and renders it with the pure functions.

Every view has a ``text()`` form that is the same on every run and every machine
(what nbval compares). ``StatePanel`` and ``Timeline`` are ipywidgets, whose views
nbval does not compare, so they may show times; the others return HTML that is
masked the same way as their text unless ``reveal=True`` asks for real values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets

from ..signalling.endpoint import SignallingEndpoint
from ..signalling.loopback import Loopback
from ..signalling.transcript import Transcript, TranscriptEntry
from ..webrtc.candidate import RTCIceCandidate
from ..webrtc.connection import RTCPeerConnection
from ..webrtc.events import LogEntry
from ._text import TextRepr, WidgetTextRepr
from .candidates import candidate_rows, candidates_html, candidates_text, collect_candidates, is_description
from .sdp import description_parts, sdp_html, sdp_sections, sdp_text
from .sequence import ARROWS_PER_MESSAGE, fold_messages, mermaid_source, sequence_text
from .states import state_panel_html, states_text
from .timeline import SIGNALLING_LANE, timeline_html, timeline_rows, timeline_text

__all__ = ["StatePanel", "Timeline", "SequenceDiagram", "SdpAnatomy", "CandidateTable", "state_panel",
           "show_states", "timeline", "sequence_diagram", "sdp_anatomy", "candidate_table"]


def show_states(*pcs: RTCPeerConnection) -> None:
    """Print the four states of each connection: what each lesson step moves."""
    print(states_text(*pcs))


class StatePanel(WidgetTextRepr, ipywidgets.HTML):  # type: ignore[misc]  # ipywidgets has no type hints
    """The four state machines of some connections, redrawn at every state change, also between cells.

    It follows the connections through ``pc.events.watch`` until :meth:`stop` or
    :meth:`close`, or until every connection it shows is closed.
    """

    def __init__(self, *pcs: RTCPeerConnection) -> None:
        if not pcs:
            raise ValueError("state_panel() needs at least one connection, e.g. state_panel(pc)")
        super().__init__(value=state_panel_html(*pcs))
        self.pcs = pcs
        self.updates = 0  # how many times the panel redrew itself
        self.error: Exception | None = None  # what stopped it, if drawing ever failed
        self._stops = [] if self._all_closed() else [pc.events.watch(self._on_entry) for pc in pcs]

    @property
    def following(self) -> bool:
        """Whether the panel still redraws itself when a state changes."""
        return bool(self._stops)

    def _all_closed(self) -> bool:
        return all(pc.connectionState == "closed" for pc in self.pcs)

    def _on_entry(self, entry: LogEntry) -> None:
        if entry.kind != "state":
            return
        try:
            self.refresh()
        except Exception as exc:  # a view must never break the connection it watches
            self.error = exc
            self.stop()
            return
        if self._all_closed():
            self.stop()  # nothing will change any more: let go of the event logs

    def refresh(self) -> None:
        """Redraw from the connections' current states."""
        self.value = state_panel_html(*self.pcs)
        self.updates += 1

    def stop(self) -> None:
        """Stop following the connections; the panel keeps showing the states it last drew."""
        for stop in getattr(self, "_stops", []):
            stop()
        self._stops = []

    def close(self) -> None:
        """Stop following the connections and close the widget (its view disappears)."""
        self.stop()
        super().close()

    def text(self) -> str:
        """``caller  signalingState=stable  iceGatheringState=new  ...``, one line per connection."""
        return states_text(*self.pcs) if getattr(self, "pcs", None) else "StatePanel()"


class Timeline(WidgetTextRepr, ipywidgets.HTML):  # type: ignore[misc]  # ipywidgets has no type hints
    """Every call, event and state change of the peers (and the signalling messages), in time order.

    A snapshot: display it again to see what came since. The widget shows a picture
    and a table with times; the text form has no times and keeps each lane in its
    own order, so it reads the same on every run.
    """

    def __init__(self, *pcs: RTCPeerConnection, loopback: Loopback | SignallingEndpoint | None = None) -> None:
        self.pcs = pcs
        self.loopback = loopback
        self.lanes = [pc.name for pc in pcs] + ([SIGNALLING_LANE] if loopback is not None else [])
        self.rows = timeline_rows(pcs, loopback)
        super().__init__(value=timeline_html(self.rows, self.lanes))

    def html(self) -> str:
        """The picture and the table, as HTML (the widget's value)."""
        return str(self.value)

    def text(self) -> str:
        return timeline_text(self.rows, self.lanes)


class SequenceDiagram(TextRepr):
    """The signalling transcript, drawn by JupyterLab's own Mermaid renderer, with a text twin.

    ``arrow_count`` is the number of message arrows: two per line of :meth:`text`.
    """

    def __init__(self, transcript: Iterable[TranscriptEntry], fold: bool = True) -> None:
        self.entries = list(transcript)
        self.fold = fold
        self.mermaid = mermaid_source(self.entries, fold)
        self.arrow_count = ARROWS_PER_MESSAGE * len(fold_messages(self.entries, fold))

    def text(self) -> str:
        return sequence_text(self.entries, self.fold)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/vnd.mermaid": self.mermaid, "text/plain": self.text()}


class SdpAnatomy(TextRepr):
    """A description section by section, each line with its meaning."""

    def __init__(self, description: Any, reveal: bool = False) -> None:
        self.type, self.sdp = description_parts(description)
        self.reveal = reveal
        self.sections, self.problem = sdp_sections(self.sdp, reveal)

    def text(self) -> str:
        return sdp_text(self.type, self.sections, self.problem)

    def html(self) -> str:
        return sdp_html(self.type, self.sections, self.problem)

    def _repr_html_(self) -> str:
        return self.html()


class CandidateTable(TextRepr):
    """ICE candidates: their fields, their type explained and their priority decoded."""

    def __init__(self, items: Any, reveal: bool = False) -> None:
        self.candidates: list[RTCIceCandidate] = collect_candidates(items)
        self.reveal = reveal
        self.rows = candidate_rows(self.candidates, reveal)
        self.empty = ("(no candidates: this description carries none; peerlab's descriptions never do, "
                      "candidates travel apart as icecandidate events)" if is_description(items)
                      else "(no candidates)")

    def text(self) -> str:
        return candidates_text(self.rows, self.empty)

    def html(self) -> str:
        return candidates_html(self.rows, self.empty)

    def _repr_html_(self) -> str:
        return self.html()


def state_panel(*pcs: RTCPeerConnection) -> StatePanel:
    """A live panel of the four state machines of ``pcs``, the current state of each highlighted."""
    return StatePanel(*pcs)


def timeline(*pcs: RTCPeerConnection, loopback: Loopback | SignallingEndpoint | None = None) -> Timeline:
    """The event timeline of ``pcs`` (and of ``loopback``'s messages, on a lane of their own)."""
    return Timeline(*pcs, loopback=loopback)


def sequence_diagram(transcript: Transcript | Loopback | SignallingEndpoint | Iterable[TranscriptEntry],
                     fold: bool = True) -> SequenceDiagram:
    """Draw ``loopback.transcript`` as Caller → Signalling → Callee, two arrows per message.

    With ``fold`` (the default), alike candidate messages sent one after the other share one pair of
    arrows, labelled ``(×N)``, so the diagram reads the same on machines with more network interfaces.
    """
    if isinstance(transcript, (Loopback, SignallingEndpoint)):
        transcript = transcript.transcript
    return SequenceDiagram(transcript, fold)


def sdp_anatomy(description: Any, reveal: bool = False) -> SdpAnatomy:
    """Explain a description line by line; random and machine-specific values are masked unless ``reveal``."""
    return SdpAnatomy(description, reveal)


def candidate_table(items: Any, reveal: bool = False) -> CandidateTable:
    """Candidates from events, dicts, a transcript or a description; addresses masked unless ``reveal``."""
    return CandidateTable(items, reveal)
