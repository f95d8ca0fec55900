"""After Run All, every cell's idle status reaches its own cell while the page's comm messages come in.

JupyterLab leaves a cell at ``[*]`` until the kernel's ``idle`` status for that cell's request comes. On
ipykernel 7.4 a comm message handled while one cell ends and the next begins gave the next cell the
previous cell's parent, so its idle status went to the previous cell (``peerlab/browser/kernel_parent.py``).
Here a client sends six short cells at once, as Run All does, and a comm message every 2 ms meanwhile, as a
busy page does, then one more cell, and counts each cell's idle statuses: exactly one each, with peerlab's fix in the kernel.
The same flood without the fix shows the loss, so the test still provokes what it guards against; if a
newer ipykernel no longer loses any, it says so (the fix may then go).
"""

from __future__ import annotations

import time
import uuid

import pytest

from .kernel import Kernel

ROUNDS, CELLS = 5, 6


def idles_per_cell(kernel: Kernel, round_: int) -> list[int]:
    """Send CELLS cells at once with comm messages flooding in; how many idle statuses each cell got."""
    ids = [kernel.send(f"await asyncio.sleep(0.03)\nprint('round {round_} cell {i}')", f"cell-{i}")
           for i in range(CELLS)]
    client = kernel.client
    flood_until = time.monotonic() + 0.5
    while time.monotonic() < flood_until:
        client.shell_channel.send(client.session.msg("comm_msg", {"comm_id": uuid.uuid4().hex, "data": {}}))
        time.sleep(0.002)
    # then one more request, once the flood is over: its idle status comes after every cell's
    last = kernel.send("pass", "after")
    idles = dict.fromkeys(ids, 0)
    deadline = time.monotonic() + 20  # only a hang reaches it: the cells take a fraction of a second
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=0.2)
        except Exception:  # queue.Empty
            continue
        parent = message["parent_header"].get("msg_id")
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            if parent == last:
                break
            if parent in idles:
                idles[parent] += 1
    else:
        raise AssertionError("the kernel did not finish six short cells within 20 s")
    return [idles[i] for i in ids]


def flood(kernel: Kernel) -> list[list[int]]:
    kernel.ok("import asyncio", "set-up")
    return [idles_per_cell(kernel, r) for r in range(ROUNDS)]


@pytest.mark.timeout(180)
def test_each_cell_gets_its_own_idle_status_while_comm_messages_come_in():
    fixed, plain = Kernel(), Kernel()
    try:
        # a lesson's browser peer puts the fix in as it starts listening on its widget's comm
        said = fixed.ok("import peerlab.browser\n"
                        "pc = peerlab.browser.RTCPeerConnection()\n"
                        "print(getattr(get_ipython().kernel, '_peerlab_keeps_each_cells_parent', False))\n"
                        "await peerlab.browser.close_bridge()", "browser peer")
        assert said.stdout == "True\n", said
        with_fix, without = flood(fixed), flood(plain)
    finally:
        fixed.close()
        plain.close()
    assert with_fix == [[1] * CELLS] * ROUNDS, f"idle statuses per cell, round by round: {with_fix}"
    assert without != [[1] * CELLS] * ROUNDS, (
        "without peerlab's fix this kernel lost no idle status under the flood: ipykernel may have fixed its "
        "put-back of the shell's parent after a comm message; if so, peerlab/browser/kernel_parent.py can go")


def test_outside_a_kernel_the_fix_does_nothing_and_in_one_it_wraps_once():
    from peerlab.browser.kernel_parent import keep_each_cells_parent

    assert keep_each_cells_parent() is False
    kernel = Kernel()
    try:
        said = kernel.ok("from peerlab.browser.kernel_parent import keep_each_cells_parent as keep\n"
                         "k = get_ipython().kernel\n"
                         "print(keep(), keep(), k.set_parent.__name__)", "twice")
        assert said.stdout == "True True guarded_set_parent\n", said
    finally:
        kernel.close()
