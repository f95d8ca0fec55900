"""How often a live view redraws: at most ``per_second`` times a second, on a fixed schedule."""

from __future__ import annotations


class Pacer:
    """Says yes at most ``per_second`` times a second; a frame a little early for its turn still gets it.

    The plain rule, "at least 1/15 s since the last picture", shows a 30 fps track 10 to 12 times a
    second, not 15: every other frame comes a hair before 1/15 s (jitter) and waits for the next one.
    Here the turns follow a schedule (one every ``1 / per_second`` s, counted from the last turn's due
    time), and a frame up to a quarter of a turn early takes it, so over time there are never more
    than ``per_second`` a second. After a pause (no frames) the schedule starts again from now.
    """

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError(f"a view redraws a positive number of times a second, not {per_second!r}")
        self.period = 1 / per_second
        self._due: float | None = None

    def ready(self, now: float) -> bool:
        """Whether a frame that comes at ``now`` (monotonic seconds) is drawn; if so, it takes the turn."""
        due = self._due
        if due is not None and now < due - self.period / 4:
            return False
        if due is None or now - due >= self.period:  # the first frame, or the first after a pause
            due = now
        self._due = due + self.period
        return True
