"""The guide's numbered steps, as ``peerlab.steps``: see :mod:`peerlab.teaching.steps`."""

from .teaching.steps import *  # noqa: F403  (the public names, as lessons import them)
from .teaching.steps import __all__ as __all__
