"""The far peer behind the other NAT: ``python -m peerlab.peer`` run in one of the lab's networks.

Lesson 10's learner calls from the ``left`` network; :func:`far_peer` starts lesson 05's far peer
(``python -m peerlab.peer --role callee``) in ``right``, joined to a room of the lab's
``peerlab serve``, with step 1's configuration of the experiment (an app gives both its peers the
same ICE servers). :class:`FarPeer` reads every line it prints in the background (so that its
output never fills the pipe and stops it), hands them out with a timeout, and stops it.

Stopping needs care: the process this one starts is ``nsenter``, which forks the peer inside the
lab's PID namespace and does not pass signals on. :meth:`FarPeer.stop` finds the peer (the child
of that ``nsenter``) and sends it SIGTERM itself, as lesson 05 does to its far peer; the peer then
closes its connection, leaves the room and prints its last line.

One far peer runs on a host at a time: asking for one with the configuration of the one running
there gives that one (it answers every new offer with a new connection, so the caller may call
again, in the same room, after the lab's NATs changed kind); asking with another configuration
stops it and starts a new one (about a second: a Python process importing aiortc). Tearing the
lab down ends any.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

from ..errors import LabError, WaitTimeout
from .lab import Lab

__all__ = ["FarPeer", "far_peer", "own_credentials", "DEFAULT_LIFETIME"]

DEFAULT_LIFETIME = 600.0
WAIT = 10.0

_running: dict[tuple[str, str], FarPeer] = {}  # (lab id, host): the far peer running there
_rooms = itertools.count(1)


def _same(configuration: Mapping[str, Any] | None) -> str:
    """What two configurations must share for one far peer to serve both: all but TURN credentials."""
    if configuration is None:
        return "null"
    servers = [{k: v for k, v in server.items() if k not in ("username", "credential")}
               for server in configuration.get("iceServers", [])]
    return json.dumps({**configuration, "iceServers": servers}, sort_keys=True)


def own_credentials(lab: Lab, configuration: Mapping[str, Any], name: str) -> dict[str, Any]:
    """``configuration`` with every TURN server's username and password replaced by ones made for ``name``,
    signed with the lab's coturn secret, as ``peerlab serve`` would hand the far peer its own."""
    username, password = lab.credentials(name)
    servers = [{**server, "username": username, "credential": password} if "username" in server else dict(server)
               for server in configuration.get("iceServers", [])]
    return {**configuration, "iceServers": servers}


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from ``/proc``; the order is the kernel's)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


class FarPeer:
    """A far peer running in the lab: ``await says()`` for its next line, ``lines`` for all, ``await stop()``."""

    def __init__(self, process: asyncio.subprocess.Process, lab: Lab, host: str, room: str, role: str,
                 configuration: Mapping[str, Any] | None) -> None:
        self.process = process
        self.lab, self.host, self.room, self.role = lab, host, room, role
        #: Step 1's configuration it was given (before its own TURN credentials went in).
        self.configuration = configuration
        #: Every line it printed so far, in order.
        self.lines: list[str] = []
        self._unread: asyncio.Queue[str] = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read())

    def __repr__(self) -> str:
        state = "running" if self.process.returncode is None else f"ended ({self.process.returncode})"
        return f"<FarPeer {self.role} in {self.host!r}, room {self.room!r}: {state}>"

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            text = line.decode(errors="replace").rstrip("\n")
            self.lines.append(text)
            self._unread.put_nowait(text)
        self._unread.put_nowait("")  # it ended

    async def says(self, timeout: float = WAIT) -> str:
        """The next line it printed that was not read yet (``""`` once it has ended); waits at most ``timeout`` s."""
        if self._reader.done() and self._unread.empty():
            return ""
        try:
            return await asyncio.wait_for(self._unread.get(), timeout)
        except TimeoutError:
            raise WaitTimeout(f"the far {self.role} in {self.host!r} printed nothing more in {timeout:g} s; "
                              f"its last line: {self.lines[-1] if self.lines else '(none yet)'!r}") from None

    async def joined(self, timeout: float = WAIT) -> str:
        """What it said as it joined its room: its first line, and the next one naming its configuration if it
        has one. Waits at most ``timeout`` s for them; asked again (a re-run cell), it says the same at once."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        wanted = 1 if self.configuration is None else 2
        while len(self.lines) < wanted and not self._reader.done():
            if loop.time() > end:
                raise WaitTimeout(f"the far {self.role} in {self.host!r} did not join in {timeout:g} s; it said: "
                                  f"{' / '.join(self.lines) or 'nothing'}")
            await asyncio.sleep(0.02)
        return "\n".join(self.lines[:wanted])

    async def until(self, words: str, timeout: float = WAIT) -> str:
        """Its next line that contains ``words`` (the lines before it are read too)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            line = await self.says(max(0.0, end - loop.time()))
            if not line:
                raise LabError(f"the far {self.role} ended before it said {words!r}; it said: "
                               + " / ".join(self.lines[-3:]))
            if words in line:
                return line

    async def stop(self, timeout: float = WAIT) -> str:
        """SIGTERM to the peer (it leaves its room and says so); returns its last line. Twice is fine.

        A peer still starting is given until its first line (it has joined, and handles SIGTERM) first.
        """
        if _running.get((self.lab.id, self.host)) is self:
            del _running[(self.lab.id, self.host)]
        process = self.process
        loop = asyncio.get_running_loop()
        started = loop.time() + timeout
        while not self.lines and not self._reader.done() and loop.time() < started:
            await asyncio.sleep(0.02)  # a peer still starting has no handler for SIGTERM yet: it would die mute
        if process.returncode is None:
            for pid in _children(process.pid):  # the peer itself, in the lab's PID namespace
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                for pid in _children(process.pid):
                    os.kill(pid, signal.SIGKILL)
                await process.wait()
        await asyncio.gather(self._reader, return_exceptions=True)
        return self.lines[-1] if self.lines else ""

    async def close(self) -> None:
        """:meth:`stop`, under the name a connection and a signalling endpoint close by."""
        await self.stop()


async def far_peer(lab: Lab, configuration: Mapping[str, Any] | None = None, *, room: str | None = None,
                   role: str = "callee", host: str = "right", lifetime: float = DEFAULT_LIFETIME) -> FarPeer:
    """A ``python -m peerlab.peer --role ROLE`` on ``host`` of ``lab``, in ``room`` of the lab's server.

    ``configuration`` is its step 1's configuration (the browser's dict; ``None``: host candidates
    only); TURN servers in it get credentials of the far peer's own (:func:`own_credentials`).
    The far peer already running on ``host`` with the same configuration (credentials aside) and
    role is returned as it is, in its own room (``room`` then does not matter); another one is
    stopped first. A new one returns as soon as its process starts: ``await far.says()`` reads what
    it prints, the first line once it has joined (``far.room``). It stops by itself after
    ``lifetime`` seconds, and with the lab.
    """
    running = _running.get((lab.id, host))
    if running is not None:
        if (running.process.returncode is None and running.role == role
                and _same(running.configuration) == _same(configuration) and room in (None, running.room)):
            return running
        await running.stop()
    room = room or f"{lab.name}-{next(_rooms)}"
    argv = [sys.executable, "-m", "peerlab.peer", "--role", role, lab.signalling_url, "--room", room,
            "--lifetime", repr(lifetime)]
    if configuration is not None:
        argv += ["--configuration", json.dumps(own_credentials(lab, configuration, f"{room}.far-{role}"))]
    process = await asyncio.create_subprocess_exec(*lab.command(host, argv), stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                   env=lab.environment)
    far = FarPeer(process, lab, host, room, role, configuration)
    _running[(lab.id, host)] = far
    return far
