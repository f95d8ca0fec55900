"""The browser harness's rule for a reply that never reached the page (tests/browser/jupyterlab.py).

A cell still at ``[*]`` with every later code cell numbered was run by the kernel (it numbers cells in
order); only its reply was lost on the way to the page. Anything else is still running or was never run.
"""

from __future__ import annotations

from tests.browser.jupyterlab import CellState, lost_replies


def cell(index: int, prompt: str) -> CellState:
    return CellState(index=index, type="code", prompt=prompt, tags=[], errors=[], tracebacks=[])


def test_a_cell_stuck_at_star_with_every_later_cell_numbered_lost_only_its_reply():
    assert [c.index for c in lost_replies([cell(0, "[1]:"), cell(1, "[*]:"), cell(2, "[3]:")])] == [1]


def test_cells_still_running_or_queued_are_not_lost_replies():
    assert lost_replies([cell(0, "[1]:"), cell(1, "[*]:"), cell(2, "[*]:")]) == []  # running now
    assert lost_replies([cell(0, "[1]:"), cell(1, "[*]:"), cell(2, "[ ]:")]) == []  # queued behind it
    assert lost_replies([cell(0, "[1]:"), cell(1, "[*]:")]) == []  # the last cell: nothing shows it ran
    assert lost_replies([cell(0, "[1]:"), cell(1, "[2]:")]) == []
