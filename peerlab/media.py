"""Lesson 08's media, as ``peerlab.media``: see :mod:`peerlab.webrtc.media`."""

from .webrtc.media import *  # noqa: F403  (the public names, as lessons import them)
from .webrtc.media import __all__ as __all__
