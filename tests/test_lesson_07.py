"""Lesson 07 (data channels): what a learner would check that nbval cannot.

The lesson's own ``send_all``, ``Receiver``, ``pieces``, ``inbox`` and ``next_message``,
taken from its cells, move files of other sizes intact; the progress bar ends full;
the backpressure holds; the far side's ``a=max-message-size`` sets the limit and the error
above it; and the throughput view's text and picture agree with the samples.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import json
import random
import re
from pathlib import Path

import ipywidgets
import nbformat
import pytest

import peerlab
from peerlab import InvalidMessageError
from peerlab.display.throughput import (
    ThroughputPlot,
    format_size,
    throughput_bins,
    throughput_plot,
    throughput_svg,
    throughput_text,
)

from .conftest import add_remote_candidates, negotiate

LESSON = Path(__file__).resolve().parent.parent / "notebooks" / "07-data-channels.ipynb"


def lesson_namespace(downloads: Path) -> dict:
    """The lesson's imports, constants, functions and classes, defined by its own cells."""
    ns: dict = {"downloads": downloads}
    kept = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for cell in nbformat.read(LESSON, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = compile(cell.source, str(LESSON), "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        tree.body = [node for node in tree.body if isinstance(node, kept)
                     or (isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper()
                                                              for t in node.targets))]
        exec(compile(tree, str(LESSON), "exec"), ns)
    for name in ("send_all", "Receiver", "pieces", "inbox", "next_message", "HIGH_WATER", "LOW_WATER"):
        assert name in ns, name
    return ns


async def open_files_channel(loopback, caller, callee):
    ours = caller.createDataChannel("files")
    await negotiate(loopback, caller, callee)
    theirs = await peerlab.wait_for_datachannel(callee, timeout=5)
    await peerlab.wait_for_open(ours, timeout=5)
    await peerlab.wait_for_open(theirs, timeout=5)
    return ours, theirs


async def transfer(ns: dict, ours, theirs, source: Path):
    """The lesson's send cell, for ``source``: returns the callee's answer and its progress bar."""
    progress = ipywidgets.IntProgress(value=0, max=source.stat().st_size, description="received")
    receiver = ns["Receiver"](theirs, progress)
    answers = ns["inbox"](ours)
    ours.send(json.dumps({"name": source.name, "size": source.stat().st_size}))
    count = await ns["send_all"](ours, ns["pieces"](source))
    answer = json.loads(await ns["next_message"](answers, timeout=30))
    return answer, progress, receiver, count


@pytest.mark.timeout(60)
@pytest.mark.parametrize("size", [1, 16 * 1024, 16 * 1024 + 1, 3 * 1024 * 1024 + 7])
async def test_the_lessons_transfer_moves_a_file_of_any_size_intact(pair, tmp_path, size):
    outbox, downloads = tmp_path / "outbox", tmp_path / "downloads"
    outbox.mkdir()
    downloads.mkdir()
    ns = lesson_namespace(downloads)
    source = outbox / "data.bin"
    source.write_bytes(random.Random(size).randbytes(size))
    ours, theirs = await open_files_channel(*pair)
    answer, progress, receiver, count = await transfer(ns, ours, theirs, source)
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    assert answer == {"sha256": expected}
    assert hashlib.sha256((downloads / "data.bin").read_bytes()).hexdigest() == expected
    assert count == -(-size // (16 * 1024))  # pieces of 16 KiB, the last one shorter
    assert progress.value == progress.max == size  # the bar ends full
    assert sum(n for _, n in receiver.arrivals) == size
    assert throughput_text(receiver.arrivals).startswith(format_size(size) + " in ")


async def test_send_all_never_queues_much_more_than_the_high_water_mark(pair, tmp_path):
    ns = lesson_namespace(tmp_path)
    ours, theirs = await open_files_channel(*pair)
    queued = []
    send = ours.send

    def watched_send(data):
        send(data)
        queued.append(ours.bufferedAmount)

    ours.send = watched_send
    piece = bytes(16 * 1024)
    count = await ns["send_all"](ours, [piece] * 192)  # 3 MiB: three times the high-water mark
    assert count == 192
    assert max(queued) <= ns["HIGH_WATER"] + len(piece)
    assert ours.bufferedAmountLowThreshold == ns["LOW_WATER"]


async def test_the_far_sides_max_message_size_is_the_limit_and_one_byte_more_is_refused(pair):
    loopback, caller, callee = pair
    for pc, endpoint in ((caller, loopback.caller), (callee, loopback.callee)):
        pc.addEventListener("icecandidate",
                            lambda event, ep=endpoint: ep.send({"type": "candidate", "data": event.candidate}))
    chat = caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    await callee.setRemoteDescription(caller.localDescription)
    await callee.setLocalDescription(await callee.createAnswer())
    answer = callee.localDescription
    assert "a=max-message-size:262144" in answer.sdp
    # A far side that accepts less, as some browsers and older peers say:
    smaller = {"type": "answer", "sdp": answer.sdp.replace("a=max-message-size:262144", "a=max-message-size:65536")}
    await caller.setRemoteDescription(smaller)
    assert caller.sctp.maxMessageSize == 65536
    await asyncio.gather(add_remote_candidates(caller, loopback.caller), add_remote_candidates(callee, loopback.callee))
    await caller.wait_for_state("connected", timeout=10)
    await peerlab.wait_for_open(chat, timeout=5)
    chat.send(bytes(65536))
    with pytest.raises(TypeError) as raised:
        chat.send(bytes(65537))
    assert isinstance(raised.value, InvalidMessageError)
    assert str(raised.value) == ("this message is 65537 bytes, more than the 65536 bytes the far side accepts in "
                                 "one message (pc.sctp.maxMessageSize): split it into smaller messages")
    with pytest.raises(InvalidMessageError, match="65537 bytes"):
        chat.send("é" * 32768 + "x")  # 65537 bytes of UTF-8 in 32769 characters


def test_the_throughput_bins_hold_every_byte_and_the_text_reads_the_same_when_masked():
    samples = [(10.0 + 0.01 * i, 16384) for i in range(1, 101)]  # 1.6 MB over one second from the start
    rates = throughput_bins(samples, start=10.0, bins=10)
    assert len(rates) == 10
    assert sum(rates) * 0.1 == pytest.approx(100 * 16384 / 1e6)
    text = throughput_text(samples, start=10.0)
    assert text == "1.6 MiB in 1000 ms: 1.6 MB/s"
    masked = re.sub(r"\b\d+(\.\d+)? MB/s\b", "N MB/s", re.sub(r"\b\d+(\.\d+)? ms\b", "N ms", text))
    assert masked == "1.6 MiB in N ms: N MB/s"  # what tests/sanitize.cfg makes of it for nbval
    assert throughput_text([]) == "nothing received"
    assert [format_size(n) for n in (0, 1023, 1024, 4 << 20)] == ["0 bytes", "1023 bytes", "1.0 KiB", "4.0 MiB"]


def test_the_throughput_plot_draws_a_bar_per_slice_and_the_average():
    samples = [(1.0, 1000), (1.5, 3000), (2.0, 2000)]
    svg = throughput_svg(samples, bins=4)
    assert svg.count('class="peerlab-throughput-bar"') == 4
    assert 'class="peerlab-throughput-average"' in svg and "average 0.0 MB/s" in svg
    one = throughput_svg([(5.0, 100)])  # a single arrival: no division by zero
    assert one.count("peerlab-throughput-bar") == 20
    assert "(nothing received)" in throughput_svg([])
    plot = throughput_plot(samples, start=0.5)
    assert isinstance(plot, ThroughputPlot) and isinstance(plot, ipywidgets.HTML)
    assert plot._repr_mimebundle_()["text/plain"] == repr(plot) == "5.9 KiB in 1500 ms: 0.0 MB/s"
    assert len(plot.rates) == 20
    plot.close()


def test_the_stored_lesson_shows_the_stable_texts_a_learner_reads():
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "")
                   for c in nbformat.read(LESSON, as_version=4).cells if c.cell_type == "code" for o in c.outputs)
    assert "sent 4.0 MiB, hashes match: True" in text
    assert "IntProgress(value=0, description='received', max=4194304)" in text
    assert re.search(r"4\.0 MiB in \d+ ms: \d+\.\d MB/s", text)
    assert "bufferedamountlow fired when bufferedAmount fell to 262144 bytes" in text
    assert "InvalidMessageError: this message is 262145 bytes" in text
    assert "connectionState=closed" in text and "callee's end closed" in text


def test_the_rate_axis_ends_at_a_round_number_at_or_above_the_fastest_bar():
    from peerlab.display.throughput import _nice_ceiling

    assert [_nice_ceiling(v) for v in (0.9, 1.0, 1.1, 3.7, 9.6, 10.5, 27.0)] == [1, 1, 1.5, 4, 10, 15, 30]
    assert _nice_ceiling(0.003) == pytest.approx(0.003)


@pytest.mark.timeout(90)
def test_the_backpressure_cell_works_when_a_learner_pauses_before_it():
    # A learner reads the prose between the cells: by then the first megabyte has drained, and a
    # listener set only after that waited its 5 s for nothing (a bare TimeoutError, every time).
    import time

    from .kernel import Kernel

    cells = [c for c in nbformat.read(LESSON, as_version=4).cells if c.cell_type == "code"]
    backpressure = next(i for i, c in enumerate(cells) if c.source.startswith("bulk.bufferedAmountLowThreshold"))
    kernel = Kernel()
    try:
        kernel.ok(f"import os\nos.chdir({str(LESSON.parent)!r})", "cd")
        for cell in cells[:backpressure]:
            kernel.ok(cell.source, cell.id)
        time.sleep(3)  # the learner reads the prose; then, however slow the machine, the megabyte drains
        deadline = time.monotonic() + 60
        while kernel.ok("bulk.bufferedAmount", "probe").result != "0":
            assert time.monotonic() < deadline, "the first megabyte never drained"
            time.sleep(0.2)
        out = kernel.ok(cells[backpressure].source, cells[backpressure].id)
        assert out.stdout == "bufferedamountlow fired when bufferedAmount fell to 262144 bytes\n"
        received = kernel.ok(cells[backpressure + 1].source, cells[backpressure + 1].id)
        assert received.stdout.startswith("the callee has all 128 messages, 2097152 bytes")
    finally:
        kernel.close()
