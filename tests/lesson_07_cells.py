"""Lesson 07's cells in a real kernel, for the tests of its second try (issue 21).

A cell that cannot do its work twice (two negotiated channels with one id) says at once that an earlier
run of this cell did it and to go on, and the tests go on; every other cell just runs again.

The tests run the lesson's cells many times, so what they send is smaller here (SMALLER), and nbval runs the
lesson as written: the 4 MiB file is 256 KiB, and the bulk cells send 64 blocks of 4 KiB each (not 16 KiB)
with a bufferedAmountLowThreshold of 64 KiB (not 256 KiB). No size changes what a re-run does: a second run of a
bulk cell queues its 64 blocks on the channel after what is queued already, and what it waits for (the queue
falling to the threshold, and 128 messages at the callee) comes as it does at full size, as each cell's 64 blocks
are four times the threshold, as there; a second file transfer is a new channel and a new file, whatever size.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .kernel import ANSI, Kernel, Output, code_cells

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "07-data-channels.ipynb"
#: (text in the lesson, what it is here): each must be found exactly once.
SMALLER = [
    ("randbytes(4 * 1024 * 1024)", "randbytes(256 * 1024)"),  # the file sent
    ("block = bytes(16 * 1024)\n", "block = bytes(4 * 1024)\n"),  # the bulk cells' messages
    ("bulk.bufferedAmountLowThreshold = 256 * 1024\n", "bulk.bufferedAmountLowThreshold = 64 * 1024\n"),
]

#: Cells whose second run is refused with words, and the words: then the learner goes on.
REFUSED_TWICE = {
    "l07-10": ("ChannelIdInUseError", "the caller already has a data channel with id 100 ('control', open): an "
               "earlier run of this cell made it, and two channels of one connection cannot share an id (a browser "
               "throws OperationError). The channels that run made are still there: go on to the next cell. To "
               "start over, re-run the set-up cell."),
}

#: What a learner checks in the outputs of the cells after a second try: the lesson went on.
WENT_ON = {
    "l07-14": "50 of 50 arrived; in the order sent: True",
    "l07-20": "the callee has all 128 messages, 524288 bytes",  # 128 of 4 KiB here (SMALLER)
    "l07-28": "the callee has 262144 bytes",
    "l07-30": "hashes match: True",
    "l07-38": "files      caller's end closed, callee's end closed",
}
OPEN_CONNECTIONS = "from peerlab.webrtc.connection import open_connections\nprint(len(open_connections()))"


def lesson_cells() -> list[nbformat.NotebookNode]:
    """The lesson's code cells, what they send made smaller (SMALLER)."""
    return code_cells(LESSON, SMALLER, "SMALLER")


def said(out: Output) -> str:
    return ANSI.sub("", out.traceback[-1]) if out.traceback else ""


class Lesson07:
    """Runs lesson 07's cells in a kernel and collects what the checked cells printed."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel, self.cells = kernel, lesson_cells()
        self.index = {c.id: i for i, c in enumerate(self.cells)}
        self.printed: dict[str, str] = {}

    def run(self, cells: range | list[int], during: str) -> None:
        """Run these cells in order: each must work, and a cell of WENT_ON must say what it lists."""
        for i in cells:
            cell = self.cells[i]
            out = self.kernel.run(cell.source, cell.id, timeout=60)
            assert out.error is None, f"{during}: cell {cell.id} ({cell.source[:50]!r}) failed: {said(out)}"
            self._said(cell.id, out, during)

    def again(self, i: int, during: str) -> None:
        """Cell ``i`` run a second time: it works, or says why not in the words REFUSED_TWICE gives."""
        cell = self.cells[i]
        out = self.kernel.run(cell.source, cell.id, timeout=60)
        if cell.id in REFUSED_TWICE:
            name, words = REFUSED_TWICE[cell.id]
            assert out.error == name and ANSI.sub("", out.traceback[0]) == f"{name}: {words}", out.traceback
            # and aiortc's words, kept as the cause, in one line: none of aiortc's frames
            assert [ANSI.sub("", line) for line in out.traceback[1:]] == [
                "(caused by ValueError: Data channel with ID 100 already registered)"]
        else:
            assert out.error is None, f"{during}: cell {cell.id} ({cell.source[:50]!r}) run twice failed: {said(out)}"
            self._said(cell.id, out, f"{during}, its second run")

    def _said(self, cell_id: str, out: Output, during: str) -> None:
        self.printed[cell_id] = printed = out.stdout + out.result
        if cell_id in WENT_ON:
            assert WENT_ON[cell_id] in printed, f"{during}: cell {cell_id} did not say {WENT_ON[cell_id]!r}: {printed}"

    def went_on(self, during: str) -> None:
        """Every cell of WENT_ON ran (and said its words) since the last call, and no connection is left open."""
        for cell_id, text in WENT_ON.items():
            assert text in self.printed.pop(cell_id, ""), f"{during}: cell {cell_id} did not say {text!r}"
        assert self.kernel.ok(OPEN_CONNECTIONS, "probe").stdout == "0\n", f"{during}: connections left open"
