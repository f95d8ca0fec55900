"""The far peer from a notebook: ``python -m peerlab.peer`` as a child process this kernel owns (lesson 05).

:func:`start_far_peer` starts it and returns a :class:`FarProcess`: the command it runs, every line
it prints (read in the background, so its pipe never fills), the next line or the first with some
words (each wait with a timeout, and an error saying so once it has ended), and ``stop()``, which
can be called any number of times. The process runs in a session of its own, so Jupyter's stop
button (SIGINT to the kernel's process group) interrupts the kernel's waits and not the far peer;
an interrupted wait's line says whether it still runs. It stops with the kernel
(``--stop-with-stdin``) or after its lifetime. A cell run again while its far process still runs in
the same room gets that one back (a room has one callee); started with other arguments, the earlier
one is stopped first; a note says which.

It does not import :mod:`peerlab.peer` (``python -m`` would then warn that the module was imported
before it ran).
"""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import sys
from collections.abc import Callable
from typing import Any

from .errors import FarPeerEnded, PeerlabNote, WaitTimeout, note
from .teaching.explain import also_when_interrupted
from .teaching.rerun import Replacements
from .webrtc.interrupts import Wait, interruptible

__all__ = ["FarProcess", "start_far_peer", "LINE_WAIT"]

#: How long a far process's line is waited for, unless told otherwise.
LINE_WAIT = 10.0

_started: Replacements[FarProcess] = Replacements()  # the far process each cell's run started
_running: list[FarProcess] = []  # every far process this process started and has not stopped


def _status(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class FarProcess:
    """A ``python -m peerlab.peer`` this kernel started (:func:`start_far_peer`): what it prints, its end, its stop.

    ``command`` is what it runs, ``process`` the :class:`asyncio.subprocess.Process`, ``lines``
    every line it printed so far (read in the background, so its pipe never fills);
    ``await says()`` is the next line not read yet, ``await printed(words)`` the first line with
    ``words``, ``await stop()`` ends it (SIGTERM: it closes its connection, leaves the room and
    prints its last line). ``returncode`` is its exit status once it has ended.
    """

    def __init__(self, process: asyncio.subprocess.Process, command: list[str], url: str, room: str,
                 role: str, lifetime: float) -> None:
        self.process = process
        self.command = command
        self.url, self.room, self.role, self.lifetime = url, room, role, lifetime
        self.lines: list[str] = []
        self._read = 0  # how many lines says() has handed out
        self._eof = False
        self._stopping = False
        self._news: list[asyncio.Future[None]] = []
        self._reader = asyncio.ensure_future(self._read_lines())

    # -- what it is -------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """Its process id: not this kernel's."""
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """Its exit status once it has ended (negative: killed by that signal); None while it runs."""
        return self.process.returncode

    @property
    def running(self) -> bool:
        """Whether it still runs."""
        return self.process.returncode is None and not self._eof

    @property
    def command_line(self) -> str:
        """What it runs, as you would type it (``python -m peerlab.peer ...``)."""
        return shlex.join(["python", *self.command[1:]])

    def __repr__(self) -> str:
        state = "running" if self.running else _status(self.returncode)
        return f"<FarProcess {self.role} in room {self.room!r} on {self.url}, pid {self.pid}: {state}>"

    def _name(self, the: str = "the") -> str:
        return f"{the} far {self.role} (python -m peerlab.peer, pid {self.pid})"

    def _last(self) -> str:
        return repr(self.lines[-1]) if self.lines else "nothing"

    # -- its lines --------------------------------------------------------------------------

    async def _read_lines(self) -> None:
        assert self.process.stdout is not None
        while True:
            try:
                raw = await self.process.stdout.readline()
            except (ValueError, OSError):  # a line too long, or the pipe failed: the end of what can be read
                raw = b""
            if not raw:
                break
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._tell()
        try:
            await asyncio.wait_for(self.process.wait(), LINE_WAIT)  # its exit status, for the error that says so
        except TimeoutError:
            pass
        self._eof = True
        self._tell()

    def _tell(self) -> None:
        news, self._news = self._news, []
        for future in news:
            if not future.done():
                future.set_result(None)

    async def _until(self, ready: Callable[[], bool], timeout: float, ran_out: Callable[[], str]) -> None:
        """Wait until ``ready()`` or its output ended; WaitTimeout(``ran_out()``) after ``timeout`` s."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not ready() and not self._eof:
            left = end - loop.time()
            if left <= 0:
                raise WaitTimeout(ran_out())
            news = loop.create_future()
            self._news.append(news)
            try:
                await asyncio.wait_for(news, left)
            except TimeoutError:
                raise WaitTimeout(ran_out()) from None

    def _told(self) -> None:
        """The learner was told it ended (an error said so): later interrupts need not say it again."""
        if self in _running:
            _running.remove(self)

    def _ended(self, waited_for: str) -> FarPeerEnded:
        self._told()
        said = " / ".join(self.lines[-3:]) or "nothing"
        return FarPeerEnded(
            f"{self._name('The')} has ended ({_status(self.returncode)}) before {waited_for}; it printed: {said}. "
            "Start it again: re-run the cell that started it (peerlab.start_far_peer).",
            returncode=self.returncode, lines=list(self.lines))

    def _wait(self, what: str) -> Wait:
        return Wait("notebook", f"{what} of {self._name()}",
                    "the far process goes on, and what it prints is kept for the next read, so run the cell "
                    "again to wait again")

    async def says(self, timeout: float = LINE_WAIT) -> str:
        """The next line it printed that was not read yet, waiting at most ``timeout`` s for it.

        Raises :class:`FarPeerEnded` once it has ended and every line was read, and
        :class:`WaitTimeout` if it prints nothing within ``timeout``.
        """
        await interruptible(self._until(lambda: self._read < len(self.lines), timeout, lambda: (
            f"{self._name('The')} printed nothing more in {timeout:g} s; its last line: {self._last()}")),
            self._wait("the next line"))
        if self._read < len(self.lines):
            self._read += 1
            return self.lines[self._read - 1]
        raise self._ended("its next line")

    async def printed(self, words: str, timeout: float = LINE_WAIT) -> str:
        """The first line it printed (read or not) that contains ``words``, waiting at most ``timeout`` s."""

        def found() -> str | None:
            return next((line for line in self.lines if words in line), None)

        await interruptible(self._until(lambda: found() is not None, timeout, lambda: (
            f"{self._name('The')} printed no line with {words!r} in {timeout:g} s; its last line: {self._last()}")),
            self._wait(f"a line with {words!r}"))
        line = found()
        if line is None:
            raise self._ended(f"it printed a line with {words!r}")
        return line

    async def joined(self, timeout: float = LINE_WAIT) -> str:
        """Its first line, once it has joined its room (at once if it already has: a re-run cell).

        Raises :class:`FarPeerEnded` if it could not join (the line says why) or ended first.
        """
        await interruptible(self._until(lambda: bool(self.lines), timeout, lambda: (
            f"{self._name('The')} printed nothing in {timeout:g} s: it is still starting (importing aiortc takes "
            "a second or two), or stuck. Run the cell again to wait again.")),
            self._wait("its first line"))
        if not self.lines:
            raise self._ended(f"it joined room {self.room!r}")
        first = self.lines[0]
        if "could not join" in first or "cannot use" in first:
            await self._finish(LINE_WAIT)
            self._told()
            raise FarPeerEnded(f"{self._name('The')} {first.split(': ', 1)[1]} ({_status(self.returncode)})",
                               returncode=self.returncode, lines=list(self.lines))
        self._read = max(self._read, 1)
        return first

    # -- its end ----------------------------------------------------------------------------

    async def stop(self, timeout: float = LINE_WAIT) -> str:
        """End it: SIGTERM, then its exit (SIGKILL after ``timeout`` s). Returns its last line.

        Stopping one that has already ended (by itself, or stopped before) just returns its last line.
        """
        self._stopping = True
        if self in _running:
            _running.remove(self)
        _started.forget(self)
        if self.process.returncode is None:
            try:
                self.process.terminate()
            except ProcessLookupError:  # it ended just now
                pass
        await interruptible(self._finish(timeout), Wait(
            "notebook", f"{self._name()} to end", "it was sent SIGTERM and ends by itself (or with this kernel), "
            "so run the cell again to wait again"))
        return self.lines[-1] if self.lines else ""

    async def _finish(self, timeout: float) -> None:
        """Wait for its exit (SIGKILL after ``timeout`` s) and for the last of its lines."""
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            if self.process.returncode is None:
                try:
                    self.process.kill()
                except ProcessLookupError:
                    pass
            await self.process.wait()
        await asyncio.gather(self._reader, return_exceptions=True)
        if self.process.stdin is not None:
            self.process.stdin.close()

    async def close(self) -> None:
        """:meth:`stop`, under the name a connection and a signalling endpoint close by."""
        await self.stop()


def _on_interrupt() -> str:
    """What an interrupted wait's line says of the far processes this kernel started."""
    words = []
    for far in list(_running):
        if far.running:
            words.append(f"{far._name('The')} is still running: the stop button stops "
                         "this kernel's wait, not it.")
        else:
            _running.remove(far)
            words.append(f"{far._name('The')} has ended ({_status(far.returncode)}); its "
                         f"last line: {far._last()}. Re-run the cell that started it for a new one.")
    return " ".join(words)


also_when_interrupted(_on_interrupt)


async def start_far_peer(url: str, room: str, role: str = "callee", *, lifetime: float = 600.0,
                         token: str | None = None, configuration: dict[str, Any] | None = None) -> FarProcess:
    """Start ``python -m peerlab.peer --role ROLE URL --room ROOM`` as a child process: the far peer of lesson 05.

    It runs in a session of its own, so the stop button interrupts this kernel's waits and not it;
    it stops with this kernel (``--stop-with-stdin``) or after ``lifetime`` seconds. Run again (a
    re-run cell) while the far process it started runs in the same room, on the same server and in the
    same role, it gives that one back, as it is: a room has one callee. Started again with other
    arguments, it stops that one first. Either way it says so.
    """
    place = _started.place()
    earlier = _started.at(place)
    key = (url, room, role)
    same = next((far for far in _running if far.running and (far.url, far.room, far.role) == key), None)
    if earlier is not None and earlier.running and earlier is not same:
        last = await earlier.stop()
        note(f"{earlier._name('The')} that this cell started before, in room {earlier.room!r} on {earlier.url}, was "
             f"stopped first ({_status(earlier.returncode)}; its last line: {last!r}), since this run starts "
             "another.", PeerlabNote)
    if same is not None:
        _started.swap(place, same)
        note(f"{same._name('The')} that this notebook started before still runs in room {room!r} on {url}: here it "
             f"is again, rather than a second {role}, which the server would refuse (a room has one {role}). "
             "To start a new one, await far.stop() first.", PeerlabNote)
        return same
    command = [sys.executable, "-m", "peerlab.peer", "--role", role, url, "--room", room, "--lifetime", f"{lifetime:g}"]
    if token is not None:
        command += ["--token", token]
    if configuration is not None:
        command += ["--configuration", json.dumps(configuration)]
    command.append("--stop-with-stdin")
    process = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                   start_new_session=True)
    far = FarProcess(process, command, url, room, role, lifetime)
    _started.swap(place, far)
    _running.append(far)
    return far
