"""Defaults every layer shares, in one place so that they agree.

``DEFAULT_WAIT`` is how long a wait waits before it says why nothing came: a receive(), a
state, a data channel opening, a join or a connect. Long enough for a slow laptop to finish
what it was doing, short enough for a learner not to wonder whether the kernel hangs.
"""

from __future__ import annotations

__all__ = ["DEFAULT_WAIT"]

DEFAULT_WAIT = 10.0
