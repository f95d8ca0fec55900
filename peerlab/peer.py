"""A far peer in a process of its own: ``python -m peerlab.peer --role callee URL --room ROOM``.

It joins ``ROOM`` on the ``peerlab serve`` at ``URL`` and plays the guide's steps there as
:func:`peerlab.play_callee` / :func:`peerlab.play_caller` do in a kernel: the callee answers every
offer, the caller offers to every callee that joins (or joins again); both trickle their
candidates and echo data-channel messages (``"echo: ..."``). It prints one line per step to
stdout, so the notebook that started it (or a teacher) can see what it did.

Step 1's configuration is ``{"iceServers": []}`` unless ``--configuration JSON`` gives another, in
the browser's shape (``iceServers``, ``iceTransportPolicy``, ``bundlePolicy``);
``--ice-servers-from-server`` takes its ``iceServers`` from the server's ``joined`` message instead
(``peerlab serve --turn-url ... --turn-secret ...`` hands out TURN credentials there).

It stops, closing its connection and leaving the room, on SIGTERM or SIGINT, after
``--lifetime`` seconds (15 minutes by default), with ``--stop-with-stdin`` when its stdin ends (the
process that started it, holding the other end of that pipe, ended), or when the server stops or
drops it before its connection is up, whichever comes first. A connection that is up goes on
without the server (the server is not on the data channel's path) until it ends or the peer is
stopped. Exit status: 0 when it stopped for one of those reasons, 1 when it could not join, 2 for
a configuration it cannot use.

From a notebook, :func:`start_far_peer` starts it (lesson 05) and returns a :class:`FarProcess`:
what it prints (``lines``, ``await says()``), its exit status, and ``await stop()``. Re-running the
cell gives the process its last run started, if it still runs in the same room: one callee per room.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ConfigurationError, FarPeerEnded, JoinRefused, PeerlabNote, SignallingError, WaitTimeout, note
from .natlab.ice import to_aiortc
from .signalling.messages import ROLES, other_role
from .signalling.websocket import join
from .teaching.explain import also_when_interrupted
from .teaching.rerun import Replacements
from .teaching.scripted import play_callee, play_caller
from .webrtc.interrupts import Wait, interruptible

__all__ = ["main", "run", "DEFAULT_LIFETIME", "FarProcess", "start_far_peer"]

DEFAULT_LIFETIME = 15 * 60.0


def _say(line: str) -> None:
    print(line, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m peerlab.peer",
        description="Join a room on `peerlab serve` and play the far peer of the guide's steps there.")
    parser.add_argument("url", help="the server's URL, as `peerlab serve` printed it (ws://HOST:PORT/...)")
    parser.add_argument("--room", required=True, help="the room to join, e.g. table-3")
    parser.add_argument("--role", choices=ROLES, default="callee", help="the role it plays (default: callee)")
    parser.add_argument("--token", default=None, help="the server's token, if its URL does not carry it")
    parser.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME,
                        help=f"stop after this many seconds (default {DEFAULT_LIFETIME:g})")
    parser.add_argument("--configuration", default=None, metavar="JSON",
                        help='step 1\'s configuration, as JSON in the browser\'s shape (default {"iceServers": []}), '
                             'e.g. \'{"iceServers": [{"urls": "stun:HOST:3478"}]}\'')
    parser.add_argument("--ice-servers-from-server", action="store_true",
                        help="use the iceServers the server hands out when it joins (peerlab serve --turn-url ... "
                             "--turn-secret ...) instead of the configuration's")
    parser.add_argument("--stop-with-stdin", action="store_true",
                        help="stop when stdin ends: the process that started it holds the other end of that pipe, "
                             "so it stops with that process (a notebook's kernel)")
    return parser


def _refused(role: str, room: str, exc: SignallingError) -> str:
    """Why the far peer could not join, and what to do: a far peer cannot take the other role."""
    if isinstance(exc, JoinRefused) and exc.reason == "role-taken":
        there = re.search(r"already has a \w+: (client .*? s)\.", str(exc))
        who = f" ({there.group(1)})" if there else ""
        return (f"room {room!r} already has a {role}{who}. Stop that {role} first (a far peer started before: "
                f"await far.stop()), or start this one in another room.")
    return str(exc)


def configuration_for(configuration: dict[str, Any] | None, ice_servers: list[dict[str, Any]] | None = None) -> Any:
    """What the far peer's connections are made with: ``configuration`` (the browser's dict), its
    ``iceServers`` replaced by ``ice_servers`` when given; ``None`` (host candidates only) for neither.

    Raises :class:`ConfigurationError` for one that cannot be used.
    """
    if configuration is None and ice_servers is None:
        return None
    merged = dict(configuration or {})
    if ice_servers is not None:
        merged["iceServers"] = ice_servers
    if not isinstance(merged.get("iceServers", []), list):
        raise ConfigurationError("'iceServers' is a list of {'urls': ...} dicts, e.g. []")
    return to_aiortc(merged) if "iceTransportPolicy" in merged else merged


def describe(configuration: dict[str, Any]) -> str:
    """A configuration in one line, credentials left out: what the peer says it uses."""
    urls = [url for server in configuration.get("iceServers", [])
            for url in ([server["urls"]] if isinstance(server["urls"], str) else server["urls"])]
    policy = configuration.get("iceTransportPolicy", "all")
    return (", ".join(urls) or "no ICE servers") + (" (relay candidates only)" if policy == "relay" else "")


def _short(why: BaseException) -> str:
    """Why signalling ended, without the advice meant for a notebook (join again, `peerlab serve`)."""
    return str(why).split(", so nothing more comes")[0].split(". ")[0]


async def run(url: str, room: str, role: str = "callee", token: str | None = None,
              lifetime: float = DEFAULT_LIFETIME, configuration: dict[str, Any] | None = None,
              ice_servers_from_server: bool = False, stop_with_stdin: bool = False) -> int:
    """Join, play until stopped, leave; returns the exit status."""
    try:
        endpoint = await join(url, room=room, role=role, token=token)
    except SignallingError as exc:
        _say(f"{role}: could not join room {room!r}: {_refused(role, room, exc)}")
        return 1
    served = endpoint.ice_servers if ice_servers_from_server else None
    try:
        made = configuration_for(configuration, served)
    except ConfigurationError as exc:
        await endpoint.close()
        _say(f"{role}: cannot use that configuration: {exc}")
        return 2
    stop = asyncio.Event()
    reason = [f"its lifetime of {lifetime:g} s is over"]
    loop = asyncio.get_running_loop()

    def stop_on(signum: signal.Signals) -> None:
        reason[0] = f"{signum.name} came"
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop_on, signum)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows, or not the main thread
            pass
    watching_stdin = stop_with_stdin and _watch_stdin(loop, reason, stop)
    far = other_role(role)
    present = f"the {far} is here" if endpoint.far_present else f"waiting for the {far}"
    _say(f"{role}: joined room {room!r} on {endpoint.url} ({present})")
    if made is not None:
        shown = {**(configuration or {}), **({"iceServers": served} if served is not None else {})}
        _say(f"{role}: step 1's configuration: {describe(shown)}")
    play = play_callee if role == "callee" else play_caller
    peer = play(endpoint, configuration=made, report=_say, outlive_signalling=True)
    closed = asyncio.ensure_future(endpoint.wait_closed())
    stopped = asyncio.ensure_future(stop.wait())
    gone = asyncio.Event()  # the connection that outlived signalling ended
    ended = asyncio.ensure_future(gone.wait())
    end = loop.time() + lifetime
    try:
        done, _ = await asyncio.wait({closed, stopped}, timeout=lifetime, return_when=asyncio.FIRST_COMPLETED)
        if closed in done and not stopped.done():
            why = _short(closed.result())
            pc = peer.pc
            if pc is None or pc.connectionState != "connected":
                reason[0] = "the signalling connection ended: " + why
            else:
                _say(f"{role}: the signalling connection ended ({why}); its connection is 'connected' and goes "
                     "on without it: the server is not on the data channel's path")

                def on_state(*_: Any) -> None:
                    if pc.connectionState in ("failed", "closed"):
                        gone.set()

                pc.on("connectionstatechange", on_state)
                on_state()
                done, _ = await asyncio.wait({stopped, ended}, timeout=max(0.0, end - loop.time()),
                                             return_when=asyncio.FIRST_COMPLETED)
                if ended in done and not stopped.done():
                    reason[0] = (f"its connection is {pc.connectionState!r}, and without signalling it cannot "
                                 "make another")
    finally:
        for job in (closed, stopped, ended):
            job.cancel()
        await asyncio.gather(closed, stopped, ended, return_exceptions=True)
        await peer.close()
        await endpoint.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(signum)
            except (NotImplementedError, RuntimeError):  # pragma: no cover
                pass
        if watching_stdin:
            loop.remove_reader(sys.stdin.fileno())
    _say(f"{role}: stopped ({reason[0]}); it left room {room!r}")
    return 0


def _watch_stdin(loop: asyncio.AbstractEventLoop, reason: list[str], stop: asyncio.Event) -> bool:
    """Set ``stop`` when stdin ends (the process holding its other end ended); False if it cannot be watched."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return False

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            if not stop.is_set():
                reason[0] = "its stdin ended: the process that started it ended"
                stop.set()

    try:
        loop.add_reader(fd, readable)
    except (NotImplementedError, OSError, ValueError):  # pragma: no cover - Windows, or not a pipe
        return False
    return True

# -- from a notebook: the far peer as a child process ------------------------------------------------

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

    def _name(self) -> str:
        return f"the far {self.role} (python -m peerlab.peer, pid {self.pid})"

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

    def _ended(self, waited_for: str) -> FarPeerEnded:
        said = " / ".join(self.lines[-3:]) or "nothing"
        return FarPeerEnded(
            f"{self._name()} has ended ({_status(self.returncode)}) before {waited_for}; it printed: {said}. "
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
            f"{self._name()} printed nothing more in {timeout:g} s; its last line: {self._last()}")),
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
            f"{self._name()} printed no line with {words!r} in {timeout:g} s; its last line: {self._last()}")),
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
            f"{self._name()} printed nothing in {timeout:g} s: it is still starting (importing aiortc takes "
            "a second or two), or stuck. Run the cell again to wait again.")),
            self._wait("its first line"))
        if not self.lines:
            raise self._ended(f"it joined room {self.room!r}")
        first = self.lines[0]
        if "could not join" in first or "cannot use" in first:
            await self._finish(0.0)
            raise FarPeerEnded(f"{self._name()} {first.split(': ', 1)[1]} ({_status(self.returncode)})",
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
        await self._finish(timeout)
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
            words.append(f"{far._name()[0].upper()}{far._name()[1:]} is still running: the stop button stops "
                         "this kernel's wait, not it.")
        else:
            _running.remove(far)
            words.append(f"{far._name()[0].upper()}{far._name()[1:]} has ended ({_status(far.returncode)}); its "
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
        note(f"{earlier._name()} that this cell started before, in room {earlier.room!r} on {earlier.url}, was "
             f"stopped first ({_status(earlier.returncode)}; its last line: {last!r}), since this run starts "
             "another.", PeerlabNote)
    if same is not None:
        _started.swap(place, same)
        note(f"{same._name()} that this notebook started before still runs in room {room!r} on {url}: here it "
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
                                                   stdout=asyncio.subprocess.PIPE, start_new_session=True)
    far = FarProcess(process, command, url, room, role, lifetime)
    _started.swap(place, far)
    _running.append(far)
    return far


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configuration = None
    if args.configuration is not None:
        try:
            configuration = json.loads(args.configuration)
            if not isinstance(configuration, dict):
                raise ValueError("it is not a JSON object")
            to_aiortc(configuration)  # checks it all, as step 1 would
        except (ValueError, ConfigurationError) as exc:
            parser.error(f"--configuration is step 1's configuration as a JSON object, "
                         f'like {{"iceServers": []}}: {exc}')
    try:
        return asyncio.run(run(args.url, args.room, args.role, args.token, args.lifetime, configuration,
                               args.ice_servers_from_server, args.stop_with_stdin))
    except KeyboardInterrupt:  # pragma: no cover - before the handlers were set
        return 130


if __name__ == "__main__":
    sys.exit(main())
