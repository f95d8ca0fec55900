"""Teaching aids: the guide's steps, hints in a learner's words, checks, and peers that play the far side.

Above the WebRTC and signalling layers: it imports them, never the other way round. It puts its
words into them through their hooks: importing this package installs :class:`~.hints.StepWording`
(:mod:`peerlab.webrtc.wording`), so the core decides what is allowed and this layer says which
step comes first, and :mod:`.explain`'s hooks (:mod:`peerlab.signalling.hooks`): why nothing came,
in the guide's steps, and which notebook cell made a Loopback, so that re-running it replaces it;
and :mod:`.rerun`'s places into :mod:`peerlab.webrtc.events`, so that a listener a re-run cell adds
replaces the one its previous run added.

What ``duplicates`` still pairs here is on purpose: the guide's steps are data (one ``Step`` per
step, caller and callee alike), and :class:`~.hints.StepWording` is one sentence per refusal.
"""

from ..webrtc import events, wording
from .explain import install_hooks
from .hints import StepWording
from .rerun import Replacements

wording.install(StepWording())
install_hooks()
events.install_listener_places(Replacements)
