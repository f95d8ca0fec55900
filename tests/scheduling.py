"""How ``make test`` shares the tests among pytest-xdist's workers (``--dist loadfile``, with two changes).

- A worker takes its next file only when one test of the file before is left (pytest-xdist's own sends it
  while two are left, and at the start gives each worker two files): the next file does not wait behind a
  long test, such as the fresh install in test_pythons.py, while another worker sits idle.
- The tests of a file stay on one worker and in their order (a notebook's cells share a kernel, a browser
  module its JupyterLab and Chromium), except in the files of ``SPLIT``: there each group of tests that
  shares a module-scoped parametrized fixture (the hub's http, https and turn JupyterLabs) is a unit of
  its own, so that up to three workers run the hub's settings side by side. Module-scoped fixtures set up
  once per worker that runs a part (the hub's lab and Chromium: about 2 s of CPU each, measured).

The order of the units is the collection's (tests/conftest.py puts the longest first; the Makefile's
``--no-loadscope-reorder`` keeps it).
"""

from __future__ import annotations

import re

from xdist.scheduler import LoadFileScheduling

#: Files split into one unit per value of a parameter: {file: the pattern whose first group names the unit}.
#: A test the pattern does not match goes with the file's first unit.
SPLIT = {"tests/browser/test_hub_in_browser.py": re.compile(r"\[(https|http|turn)(?=[-\]])")}


def unit_of(nodeid: str, first: dict[str, str]) -> str:
    """The unit of work ``nodeid`` belongs to; ``first`` remembers each split file's first unit."""
    path = nodeid.split("::", 1)[0]
    pattern = SPLIT.get(path)
    if pattern is None:
        return path
    found = pattern.search(nodeid)
    unit = f"{path}[{found.group(1)}]" if found else first.get(path, f"{path}[]")
    first.setdefault(path, unit)
    return unit


class Scheduling(LoadFileScheduling):
    """``--dist loadfile`` with the two changes above."""

    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self._first: dict[str, str] = {}

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid, self._first)

    def _reschedule(self, node) -> None:
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        # One, not none: a worker runs a test only once it knows the next (for module fixtures' teardown).
        if self._pending_of(self.assigned_work[node]) > 1:
            return
        self._assign_work_unit(node)
