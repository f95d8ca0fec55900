"""Two notebook kernels at once against one ``peerlab serve``: one runs lesson 01's caller steps,
the other lesson 02's callee steps, each with ``signalling = await peerlab.join(...)`` instead of a
Loopback. Both reach ``connected`` and the caller gets the callee's echo.

The step cells are taken from the lessons themselves (their tags), so a change to a lesson's steps
is tested here too. The kernels run side by side (nbclient, asyncio) and are shut down at the end.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import peerlab
from peerlab.steps import CALLEE_STEPS, CALLER_STEPS

from .unix_kernels import AsyncUnixSocketKernelManager

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ROOM = "table-3"
CELL_TIMEOUT = 30


def tagged(lesson: str, tag: str) -> str:
    nb = nbformat.read(NOTEBOOKS / lesson, as_version=4)
    source = next(c.source for c in nb.cells if tag in c.metadata.get("tags", []))
    return source.replace("loopback.transcript", "signalling.transcript")  # the endpoint has it too


def setup(url: str, role: str) -> str:
    return (f"import peerlab\nfrom peerlab.display import show_states\n\n"
            f"signalling = await peerlab.join({url!r}, room={ROOM!r}, role={role!r})\n"
            f"print(signalling.name, signalling.room)")


def caller_cells(url: str) -> list[str]:
    steps = [tagged("01-caller.ipynb", f"caller-step-{s.number}") for s in CALLER_STEPS]
    steps.insert(1, 'channel = pc.createDataChannel("chat")')  # lesson 01's cell before step 2
    return [setup(url, "caller"), *steps]


def callee_cells(url: str) -> list[str]:
    steps = [tagged("02-callee.ipynb", f"callee-step-{s.number}") for s in CALLEE_STEPS]
    steps.insert(3, tagged("02-callee.ipynb", "callee-set-local-description"))
    return [setup(url, "callee"), *steps]


class Kernel:
    """A notebook kernel that runs cells one at a time and keeps what each printed."""

    def __init__(self, name: str) -> None:
        self.nb = new_notebook()
        self.client = NotebookClient(self.nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     kernel_manager_class=AsyncUnixSocketKernelManager,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
        self.name = name

    async def run(self, source: str) -> str:
        cell = new_code_cell(source)
        self.nb.cells.append(cell)
        await self.client.async_execute_cell(cell, len(self.nb.cells) - 1)
        return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)

    async def run_all(self, sources: list[str]) -> list[str]:
        return [await self.run(source) for source in sources]


@pytest.fixture
async def server():
    async with await peerlab.serve(port=0) as running:
        yield running


@pytest.mark.timeout(120)
async def test_a_caller_kernel_and_a_callee_kernel_connect_through_one_server(server):
    caller, callee = Kernel("caller"), Kernel("callee")
    async with caller.client.async_setup_kernel(), callee.client.async_setup_kernel():
        caller_out, callee_out = await asyncio.gather(caller.run_all(caller_cells(server.url)),
                                                      callee.run_all(callee_cells(server.url)))
        assert caller_out[0].strip() == "caller table-3" and callee_out[0].strip() == "callee table-3"
        assert "connectionState=connected" in caller_out[-1]  # caller step 8
        assert "connectionState=connected" in callee_out[-1]  # callee step 7
        assert "callee → caller  answer" in callee_out[5]     # callee step 4 printed what it sent
        # The callee echoes what arrives on the data channel (lesson 01's scripted callee did that).
        echo = await callee.run(
            'channel = await peerlab.wait_for_datachannel(pc, timeout=5)\n'
            'channel.on("message", lambda message: channel.send("echo: " + message))\n'
            'print(channel.label)')
        assert echo.strip() == "chat"
        reply = await caller.run('await peerlab.send_and_receive(channel, "hello from the caller", timeout=5)')
        assert reply.strip() == "'echo: hello from the caller'"
        room = server.status()["rooms"][0]
        assert room["name"] == ROOM and all(room["members"].values())  # both roles joined
        for kernel in (caller, callee):
            await kernel.run("await pc.close()\nawait signalling.close()")
