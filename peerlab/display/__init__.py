"""What a person looks at. Every view only reads events and transcripts; none drives a connection.

- :func:`state_panel`: the four state machines of one or more peers, updating live (a widget).
- :func:`timeline`: every call, event, state change (and signalling message) in time order
  (a widget: a picture and a table).
- :func:`sequence_diagram`: the signalling transcript as a Mermaid sequence diagram.
- :func:`sdp_anatomy`: a description section by section, each line explained.
- :func:`candidate_table`: ICE candidates, their type and their priority explained.
- :func:`video_view`, :func:`audio_level`: media tracks live, as pictures and as a level (widgets).
- :func:`stats`: ``getStats()`` as a live table and plot, the notebook's webrtc-internals (a widget).

Each view has a ``text/plain`` form that is the same on every run and every machine
(what nbval compares): no times, no addresses, no ports, no random ids, and alike
candidates counted ``(×N)`` (tests/sanitize.cfg normalises the count). The HTML forms
live in widgets (nbval does not compare widget views) or are masked the same way,
unless ``reveal=True`` asks for real values in live exploration.

The pure functions (state machines, rows, Mermaid source, line meanings, masks,
priority decoding) live in ``states``, ``timeline``, ``sequence``, ``sdp`` and
``candidates``; the view classes in ``views`` only hold and render.
"""

from .candidates import TYPE_MEANINGS, TYPE_PREFERENCES, collect_candidates, decode_priority, explain_priority
from .sdp import explain_line, mask_line, sdp_sections
from .sequence import ARROWS_PER_MESSAGE, fold_messages, mermaid_source, sequence_text
from .states import FOOTNOTES, STATE_MACHINES, state_panel_html, state_paths_text, states_text
from .stats import StatsView, stats
from .timeline import TimelineRow, timeline_rows, timeline_text
from .video import AudioLevel, VideoView, audio_level, video_view
from .views import (
    CandidateTable,
    SdpAnatomy,
    SequenceDiagram,
    StatePanel,
    Timeline,
    candidate_table,
    sdp_anatomy,
    sequence_diagram,
    show_states,
    state_panel,
    timeline,
)

__all__ = [
    "ARROWS_PER_MESSAGE",
    "FOOTNOTES",
    "STATE_MACHINES",
    "TYPE_MEANINGS",
    "TYPE_PREFERENCES",
    "CandidateTable",
    "SdpAnatomy",
    "SequenceDiagram",
    "StatePanel",
    "Timeline",
    "TimelineRow",
    "candidate_table",
    "collect_candidates",
    "decode_priority",
    "explain_line",
    "explain_priority",
    "fold_messages",
    "mask_line",
    "mermaid_source",
    "sdp_anatomy",
    "sdp_sections",
    "sequence_diagram",
    "sequence_text",
    "show_states",
    "state_panel",
    "state_panel_html",
    "state_paths_text",
    "states_text",
    "timeline",
    "timeline_rows",
    "timeline_text",
    "VideoView",
    "AudioLevel",
    "StatsView",
    "video_view",
    "audio_level",
    "stats",
]
