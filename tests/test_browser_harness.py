"""The browser harness's rule for a reply that never reached the page (tests/browser/jupyterlab.py).

A cell still at ``[*]`` with every later code cell numbered was run by the kernel (it numbers cells in
order); only its reply was lost on the way to the page. Anything else is still running or was never run.
"""

from __future__ import annotations

from collections import deque

from tests.browser import jupyterlab
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


def test_a_lost_reply_is_traced_to_whether_the_page_s_websocket_got_it():
    page = object()
    jupyterlab._FRAMES[id(page)] = deque([
        ("out", "execute_request", ["req-1"], [], ["cell-a"]),
        ("in", "status", ["st-1", "req-1"], ["busy"], []),
        ("in", "execute_reply", ["rep-1", "req-1"], [], []),
    ])
    try:
        assert jupyterlab.reply_trace(page, "cell-a") == (
            "its execute_request req-1: the execute_reply reached the page's WebSocket, the idle status never "
            "reached it")
        assert jupyterlab.reply_trace(page, "cell-b") == "no execute_request for cell cell-b among the page's last frames"
    finally:
        del jupyterlab._FRAMES[id(page)]
