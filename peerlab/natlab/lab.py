"""The lab itself: build the network of :mod:`peerlab.natlab.topology`, run things in it, tear it down.

How it lives and dies (why nothing is left behind, even when the builder is killed):

- :meth:`Lab.build` starts one *keeper* process (:mod:`peerlab.natlab._keeper`) with ``unshare``
  in new mount and PID namespaces (and, for an ordinary user, a new user namespace mapping the
  user to root, as ``unshare -rnm`` does). The keeper is PID 1 there and mounts a tmpfs on ``/run``.
  The lab's named network namespaces (``ip netns add``), coturn's configuration and log, and
  every process of the lab (started with ``nsenter`` into those namespaces, then ``ip netns exec``)
  live there: none of it is visible in the machine's ``ip netns list`` or under its ``/run``.
- The keeper's stdin is a pipe whose other end only the builder holds. :meth:`Lab.teardown` closes
  it; if the builder dies instead (an exception, a crashed kernel, SIGKILL), the kernel closes it.
  Either way the keeper ends, and with PID 1 gone the kernel kills every process of its PID
  namespace and frees the mount namespace, so every network namespace goes too, with its veths,
  bridge and nftables rules. ``unshare --kill-child`` covers ``unshare`` itself being killed.
  A keeper nobody tears down still ends after ``lifetime`` seconds.

So tearing down is closing one pipe: ``teardown()`` twice is fine, and a lab torn down or
killed leaves nothing to clean up later. ``build()`` twice builds once; building a second lab
with the same ``name`` in one process tears the first down (re-running a notebook cell gives
one lab, not two), as peerlab's connections do.

As root the lab needs no user namespace; as an ordinary user it needs unprivileged user
namespaces (``unshare -r``), which most Linux distributions allow. Either way it needs
``ip`` (iproute2), ``nft`` (nftables), ``turnserver`` (coturn), and ``iptables`` for
:meth:`Lab.impair` only; what is missing is raised as :class:`~peerlab.errors.LabUnavailable`.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import select
import shutil
import subprocess
import sys
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import LabError, LabUnavailable
from . import topology
from .ice import ice_configuration
from .topology import SIGNAL_ADDRESS, SITES, BlockUdp, NatKind, build_script, router_rules
from .turn import TURN_PORT, credentials, turnserver_conf

__all__ = ["Lab", "DEFAULT_LIFETIME", "SIGNAL_PORT", "TOOLS", "missing_tools", "check_requirements"]

HERE = Path(__file__).resolve().parent
KEEPER = HERE / "_keeper.py"
NFQUEUE_READER = HERE / "_nfqueue.py"
RUN = "/run/natlab"  # the lab's own directory, in its private /run
SIGNAL_PORT = 8765
DEFAULT_LIFETIME = 4 * 3600.0
START_TIMEOUT = 15.0      # the keeper's start, the build script, coturn and peerlab serve listening
COMMAND_TIMEOUT = 20.0
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"  # where ip and nft live, often not on an ordinary user's PATH
#: The tools the lab runs, and the Debian package of each.
TOOLS = {"ip": "iproute2", "ss": "iproute2", "nft": "nftables", "turnserver": "coturn",
         "unshare": "util-linux", "nsenter": "util-linux", "mount": "mount"}
IMPAIR_TOOLS = {"iptables": "iptables"}
IMPAIR_QUEUE = 0

_built: dict[str, Lab] = {}
_alive: weakref.WeakSet[Lab] = weakref.WeakSet()


def _path() -> str:
    return os.environ.get("PATH", "/usr/bin:/bin") + ":" + SBIN


def missing_tools(tools: dict[str, str] = TOOLS) -> dict[str, str]:
    """The tools of ``tools`` not found (on PATH or in the sbin directories), each with its package."""
    return {tool: package for tool, package in tools.items() if shutil.which(tool, path=_path()) is None}


def check_requirements(tools: dict[str, str] = TOOLS) -> None:
    """Raise :class:`LabUnavailable` saying what is missing and how to get it; return if nothing is."""
    if not sys.platform.startswith("linux"):
        raise LabUnavailable(
            f"peerlab.natlab builds its networks with Linux network namespaces, and this is {sys.platform}. "
            "Run it on Linux (a virtual machine will do; a container only if it may create namespaces), "
            "or read the lesson's stored outputs.", missing=["Linux network namespaces"])
    missing = missing_tools(tools)
    if missing:
        packages = sorted(set(missing.values()))
        install = "apt-get install " + " ".join(packages)
        raise LabUnavailable(
            f"peerlab.natlab needs {', '.join(f'`{tool}` ({missing[tool]})' for tool in missing)}, not found on "
            f"this machine. On Debian or Ubuntu: `sudo {install}` (coturn's package may start a system service; "
            "the lab needs none: `sudo systemctl disable --now coturn`).", missing=packages, install=install)


def _namespaces_refused(stderr: str) -> LabUnavailable:
    return LabUnavailable(
        "peerlab.natlab could not create its namespaces as this user: "
        f"{stderr.strip() or 'unshare failed'}. Unprivileged user namespaces are turned off here (Debian: "
        "`sudo sysctl kernel.unprivileged_userns_clone=1`; Ubuntu 24.04: "
        "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`), or this is a container that may "
        "not create them. Run it as root, or read the lesson's stored outputs.",
        missing=["network namespaces"])


class Lab:
    """Two private networks behind NATs, coturn and ``peerlab serve`` on a public network between them.

    ``nat`` is ``"cone"`` or ``"symmetric"`` (both routers), ``block_udp`` ``None``, ``"all"`` or
    ``"except-turn"`` (see :mod:`peerlab.natlab.topology`); :meth:`configure` changes both on a
    built lab. Use it as a context manager, or call :meth:`build` and :meth:`teardown`.
    """

    def __init__(self, nat: str = "cone", block_udp: str | None = None, *, name: str = "natlab",
                 lifetime: float = DEFAULT_LIFETIME) -> None:
        self.nat: NatKind = topology.check_nat(nat)
        self.block_udp: BlockUdp | None = topology.check_block_udp(block_udp)
        self.name = name
        self.lifetime = lifetime
        self.id = secrets.token_hex(4)
        #: coturn's ``static-auth-secret``: what :meth:`credentials` signs with.
        self.secret = secrets.token_urlsafe(18)
        #: The token ``peerlab serve`` asks for (it runs on an address other than 127.0.0.1).
        self.token = f"natlab-{self.id}"
        self.unprivileged = os.geteuid() != 0
        self._keeper: subprocess.Popen[str] | None = None
        self._pid: int | None = None
        self._services: list[subprocess.Popen[bytes]] = []
        self._impairment: subprocess.Popen[str] | None = None
        self._impaired_router = ""
        #: ``{"delay": seconds, "loss": fraction}`` while :meth:`impair` is in effect.
        self.impairment: dict[str, float] | None = None
        self.build_seconds: float | None = None

    # -- what learners and the demo use -------------------------------------------------------

    @property
    def built(self) -> bool:
        """Whether the lab is up: its keeper runs."""
        return self._keeper is not None and self._keeper.poll() is None

    @property
    def signalling_url(self) -> str:
        """``peerlab serve``'s URL on the public network, with its token: what ``peerlab.join`` takes."""
        return f"ws://{SIGNAL_ADDRESS}:{SIGNAL_PORT}/?token={self.token}"

    def credentials(self, name: str, ttl: float = 3600.0) -> tuple[str, str]:
        """TURN ``(username, password)`` for ``name``, signed with this lab's coturn secret."""
        return credentials(self.secret, name, ttl)

    def configuration(self, ice: str, *, name: str = "peer", password: str | None = None) -> dict[str, Any]:
        """The ICE configuration for ``ice`` (one of :data:`~peerlab.natlab.ice.ICE_MODES`) in this lab.

        TURN credentials are made for ``name``; ``password`` replaces the right password (to
        see what a wrong one does).
        """
        username, right = self.credentials(name)
        return ice_configuration(ice, username=username, password=right if password is None else password)

    # -- building and tearing down -------------------------------------------------------------

    def build(self) -> Lab:
        """Make the lab (about a second); nothing if it is up already. Returns the lab."""
        if self.built:
            return self
        if self._keeper is not None:  # its lifetime ran out: clear what is left of it first
            self.teardown()
        check_requirements()
        previous = _built.get(self.name)
        if previous is not None and previous is not self:
            previous.teardown()
        started = time.monotonic()
        self._start_keeper()
        _built[self.name] = self
        _alive.add(self)
        try:
            self.script(build_script(self.nat, self.block_udp))
            self.script(f"cat > {RUN}/turnserver.conf", input=turnserver_conf(self.secret, RUN))
            self._services.append(self._service("turn", [self._tool("turnserver"), "-c", f"{RUN}/turnserver.conf"],
                                                "turnserver.out"))
            self._services.append(self._service("signal", [sys.executable, "-m", "peerlab", "serve", "--host",
                                                           SIGNAL_ADDRESS, "--port", str(SIGNAL_PORT),
                                                           "--token", self.token], "signal.log"))
            self._wait_listening({"turn": TURN_PORT, "signal": SIGNAL_PORT})
        except BaseException:
            self.teardown()
            raise
        self.build_seconds = time.monotonic() - started
        return self

    def configure(self, nat: str, block_udp: str | None = None) -> None:
        """Make both routers NATs of kind ``nat``, with ``block_udp``; applied at once if the lab is up.

        Connections the routers already track keep the mapping they had; new ones (a new
        ``RTCPeerConnection`` binds new ports) get the new kind.
        """
        self.nat, self.block_udp = topology.check_nat(nat), topology.check_block_udp(block_udp)
        if self.built:
            rules = router_rules(self.nat, self.block_udp)
            self.script("".join(f"ip netns exec {site.router} nft -f - <<'NFT'\n{rules}NFT\n" for site in SITES))

    def teardown(self) -> None:
        """End the lab: its keeper, and with it every namespace and process of the lab. Twice is fine."""
        keeper, self._keeper = self._keeper, None
        if _built.get(self.name) is self:
            del _built[self.name]
        processes: list[subprocess.Popen[Any]] = [*self._services]
        if self._impairment is not None:
            processes.append(self._impairment)
        self._services, self._impairment, self.impairment, self._pid = [], None, None, None
        if keeper is not None:
            processes.insert(0, keeper)
            assert keeper.stdin is not None
            keeper.stdin.close()  # end-of-file: the keeper exits, and the kernel does the rest
        for process in processes:
            finish(process)

    def __enter__(self) -> Lab:
        return self.build()

    def __exit__(self, *exc: object) -> None:
        self.teardown()

    def __repr__(self) -> str:
        state = "up" if self.built else "down"
        blocked = f", block_udp={self.block_udp!r}" if self.block_udp else ""
        return f"<natlab.Lab {self.name!r} {state}: nat={self.nat!r}{blocked}>"

    # -- running things inside -----------------------------------------------------------------

    def command(self, host: str | None, argv: Sequence[str]) -> list[str]:
        """The command line that runs ``argv`` on ``host`` (a namespace of :data:`topology.HOSTS`).

        ``host=None`` runs it in the lab's mount namespace, outside any of its networks. The
        process is in the lab's PID namespace: it ends with the lab at the latest.
        """
        if self._pid is None:
            raise LabError(f"the lab {self.name!r} is not built: call build() first")
        if host is not None and host not in topology.HOSTS:
            raise ValueError(f"host is one of {', '.join(topology.HOSTS)}, not {host!r}")
        # The user namespace (an ordinary user's lab: keeping the uid, root in there, as setgroups is denied),
        # the mount namespace (the lab's /run), the PID namespace (so it ends with the lab) and the keeper's
        # own network namespace, which the lab's user namespace owns (`ip netns add` goes back to it).
        user = ["--user", "--preserve-credentials"] if self.unprivileged else []
        enter = [self._tool("nsenter"), f"--target={self._pid}", *user, "--mount", "--pid", "--net", "--"]
        inside = [self._tool("ip"), "netns", "exec", host] if host is not None else []
        return enter + inside + list(argv)

    @property
    def environment(self) -> dict[str, str]:
        """The environment of the lab's processes: this one's, with the sbin directories on PATH."""
        return {**os.environ, "PATH": _path()}

    def run(self, host: str | None, argv: Sequence[str], *, input: str | None = None,
            timeout: float = COMMAND_TIMEOUT, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` on ``host`` and wait for it; raises :class:`LabError` if it fails and ``check``."""
        command = self.command(host, argv)
        try:
            result = subprocess.run(command, input=input, capture_output=True, text=True, timeout=timeout,
                                    env=self.environment)
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{' '.join(argv)[:200]} on {host or 'the lab'} took more than {timeout:g} s",
                           command=" ".join(argv)) from exc
        if check and result.returncode != 0:
            raise LabError(f"{' '.join(argv)[:200]} failed on {host or 'the lab'} (exit status "
                           f"{result.returncode}): {(result.stderr or result.stdout).strip()[-1000:]}",
                           command=" ".join(argv), output=result.stdout + result.stderr)
        return result

    def script(self, text: str, *, input: str | None = None, timeout: float = COMMAND_TIMEOUT) -> str:
        """Run ``sh -c text`` in the lab's mount namespace; returns its output."""
        return self.run(None, ["sh", "-c", text], input=input, timeout=timeout).stdout

    def read(self, name: str) -> str:
        """A file of the lab's own directory (``/run/natlab``): coturn's log is ``turnserver.log``."""
        return self.run(None, ["cat", f"{RUN}/{name}"], check=False).stdout

    # -- the impaired link ----------------------------------------------------------------------

    def impair(self, delay: float = 0.05, loss: float = 0.01, *, site: str = "left") -> None:
        """Delay (seconds) and lose (a fraction) every packet ``site``'s router forwards, either way.

        A round trip across that router takes ``2 * delay`` more. Without netem, this is an
        iptables ``NFQUEUE`` rule on the router and a reader (:mod:`peerlab.natlab._nfqueue`) that
        holds each packet ``delay`` seconds and drops a random ``loss`` of them.
        ``impair(0, 0)`` (or :meth:`repair`) gives the plain link back.
        """
        if not 0 <= loss <= 1 or delay < 0:
            raise ValueError(f"delay is >= 0 seconds and loss a fraction in [0, 1], not {delay!r} and {loss!r}")
        router = {s.name: s.router for s in SITES}.get(site)
        if router is None:
            raise ValueError(f"site is 'left' or 'right', not {site!r}")
        self.repair()
        if delay == 0 and loss == 0:
            return
        check_requirements(IMPAIR_TOOLS)
        rule = ["-t", "mangle", "-A", "FORWARD", "-j", "NFQUEUE", "--queue-num", str(IMPAIR_QUEUE),
                "--queue-bypass"]
        reader = subprocess.Popen(
            self.command(router, [sys.executable, "-I", str(NFQUEUE_READER), str(IMPAIR_QUEUE), repr(delay),
                                  repr(loss), repr(self.lifetime)]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env=self.environment)
        assert reader.stdout is not None
        line = read_line(reader.stdout, START_TIMEOUT)
        if not json.loads(line or "{}").get("ready"):
            finish(reader)
            raise LabError(f"the impaired link's reader did not start on {router}: {line.strip() or 'no answer'}",
                           output=line)
        self._impairment = reader
        self.run(router, [self._tool("iptables"), *rule])
        self.impairment = {"delay": delay, "loss": loss}
        self._impaired_router = router

    def repair(self) -> dict[str, int] | None:
        """Take the impairment away; returns how many packets its reader passed and dropped."""
        reader, self._impairment = self._impairment, None
        if reader is None:
            return None
        self.impairment = None
        self.run(self._impaired_router, [self._tool("iptables"), "-t", "mangle", "-F", "FORWARD"], check=False)
        assert reader.stdin is not None and reader.stdout is not None
        reader.stdin.close()
        counts: dict[str, int] = json.loads(read_line(reader.stdout, START_TIMEOUT) or "{}")
        finish(reader)
        return counts

    # -- the pieces ------------------------------------------------------------------------------

    def _tool(self, name: str) -> str:
        return shutil.which(name, path=_path()) or name

    def _start_keeper(self) -> None:
        flags = ["--user", "--map-root-user"] if self.unprivileged else []
        argv = [self._tool("unshare"), *flags, "--net", "--mount", "--pid", "--fork", "--kill-child",
                sys.executable, "-I", str(KEEPER), self.id, repr(self.lifetime)]
        keeper = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=self.environment)
        assert keeper.stdout is not None and keeper.stderr is not None
        line = read_line(keeper.stdout, START_TIMEOUT)
        answer = json.loads(line) if line.startswith("{") else {}
        if not answer.get("ok"):
            try:  # closes its stdin: a keeper still starting ends at once
                _, stderr = keeper.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                keeper.kill()
                _, stderr = keeper.communicate()
            error = answer.get("error") or stderr
            if any(word in error.lower() for word in ("not permitted", "permission denied", "uid_map")):
                raise _namespaces_refused(error)
            raise LabError(f"the lab's keeper did not start: {error.strip() or 'no answer'}",
                           command=" ".join(argv), output=stderr)
        keeper.stdout.close()
        keeper.stderr.close()
        self._keeper, self._pid = keeper, int(answer["pid"])

    def _service(self, host: str, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        """Start a process of the lab that lives as long as the lab, its output in ``/run/natlab/log``."""
        wrapped = ["sh", "-c", f'exec "$@" >{RUN}/{log} 2>&1', "sh", *argv]
        return subprocess.Popen(self.command(host, wrapped), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.environment)

    def _wait_listening(self, ports: dict[str, int]) -> None:
        """Wait until each host listens on its TCP port (coturn listens on UDP at the same time)."""
        tries = int(START_TIMEOUT / 0.05)
        checks = " && ".join(f"ss -N {host} -Hltn 'sport = :{port}' | grep -q ." for host, port in ports.items())
        script = f"for i in $(seq {tries}); do {checks} && exit 0; sleep 0.05; done; exit 1"
        try:
            self.script(script, timeout=START_TIMEOUT + 5)
        except LabError as exc:
            logs = {name: self.read(name)[-600:] for name in ("turnserver.out", "turnserver.log", "signal.log")}
            raise LabError("coturn or peerlab serve did not start listening in the lab: " +
                           "; ".join(f"{name}: {text.strip()}" for name, text in logs.items() if text.strip()),
                           output=json.dumps(logs)) from exc


def read_line(stream: Any, timeout: float) -> str:
    """The next line of a child's pipe, or ``""`` if it ends or says nothing for ``timeout`` seconds."""
    ready, _, _ = select.select([stream], [], [], timeout)
    return str(stream.readline()) if ready else ""


def finish(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Wait for ``process`` (kill it if it takes more than ``timeout`` s) and close its pipes."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


@atexit.register
def _teardown_all() -> None:
    """Labs still up when Python exits normally end now rather than at their keeper's EOF."""
    for lab in list(_alive):
        lab.teardown()

