"""Teaching aids: the guide's steps, hints in a learner's words, checks, and peers that play the far side.

Above the WebRTC and signalling layers: it imports them, never the other way round. It puts its
words into them through their hooks: importing this package installs :class:`~.hints.StepWording`
(:mod:`peerlab.webrtc.wording`), so the core decides what is allowed and this layer says which
step comes first, and :mod:`.explain`'s hooks (:mod:`peerlab.signalling.hooks`): why nothing came,
in the guide's steps, and which notebook cell made a Loopback, so that re-running it replaces it;
and :mod:`peerlab.webrtc.events` learns the notebook cells, so a listener a re-run cell adds again
replaces the one its earlier run added.

What ``duplicates`` still pairs here is on purpose: the guide's steps are data (one ``Step`` per
step, caller and callee alike), and :class:`~.hints.StepWording` is one sentence per refusal.
"""

from ..webrtc import wording
from ..webrtc.events import follow_cells
from .explain import install_hooks
from .hints import StepWording
from .rerun import current_cell

wording.install(StepWording())
install_hooks()
follow_cells(current_cell)
