"""The lab itself: build the network of :mod:`peerlab.natlab.topology`, run things in it, tear it down.

How it lives and dies (why nothing is left behind, even when the builder is killed):

- :meth:`Lab.build` starts one *keeper* process (:mod:`peerlab.natlab._keeper`) with ``unshare``
  in new mount and PID namespaces (and, for an ordinary user, a new user namespace mapping the
  user to root, as ``unshare -rnm`` does). The keeper is PID 1 there and mounts a tmpfs on ``/run``
  (and the PID namespace's own ``/proc``).
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

The lab's ``peerlab serve`` hands every client step 1's ``iceServers`` in its ``joined`` message
(``--stun-url``, ``--turn-url`` over UDP and TCP, ``--turn-secret``: the lab's coturn secret), as
a classroom's would. A process moves into one of the lab's networks with
:func:`peerlab.natlab.enter` (:mod:`peerlab.natlab.netns`); tearing the lab down moves it back.

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
import subprocess
import sys
import time
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import LabError, PeerlabNote
from . import netns, topology
from .ice import ice_configuration
from .impair import ImpairedLink
from .processes import finish, read_line
from .requirements import check_requirements, namespaces_refused, search_path, tool
from .topology import SIGNAL_ADDRESS, SITES, TURN_ADDRESS, BlockUdp, NatKind, build_script, router_rules
from .turn import TURN_PORT, credentials, turnserver_conf

#: What the lab's ``peerlab serve`` hands out in each ``joined`` message: its coturn, for STUN and for TURN
#: over UDP and over TCP (aiortc takes the first TURN URL of a server entry: a learner picks one).
STUN_URLS = (f"stun:{TURN_ADDRESS}:{TURN_PORT}",)
TURN_URLS = (f"turn:{TURN_ADDRESS}:{TURN_PORT}?transport=udp", f"turn:{TURN_ADDRESS}:{TURN_PORT}?transport=tcp")

__all__ = ["Lab", "DEFAULT_LIFETIME", "SIGNAL_PORT", "STUN_URLS", "TURN_URLS"]

HERE = Path(__file__).resolve().parent
KEEPER = HERE / "_keeper.py"
RUN = "/run/natlab"  # the lab's own directory, in its private /run
SIGNAL_PORT = 8765
DEFAULT_LIFETIME = 4 * 3600.0
START_TIMEOUT = 15.0      # the keeper's start, the build script, coturn and peerlab serve listening
COMMAND_TIMEOUT = 20.0

_built: dict[str, Lab] = {}
_alive: weakref.WeakSet[Lab] = weakref.WeakSet()


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
        self._impaired: ImpairedLink | None = None
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
            self._services.append(self._service("turn", [tool("turnserver"), "-c", f"{RUN}/turnserver.conf"],
                                                "turnserver.out"))
            ice = [arg for url in STUN_URLS for arg in ("--stun-url", url)] + [
                arg for url in TURN_URLS for arg in ("--turn-url", url)]
            self._services.append(self._service(
                "signal", [sys.executable, "-m", "peerlab", "serve", "--host", SIGNAL_ADDRESS, "--port",
                           str(SIGNAL_PORT), "--token", self.token, *ice, "--turn-ttl", repr(self.lifetime)],
                "signal.log", {"PEERLAB_TURN_SECRET": self.secret}))
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
        """End the lab: its keeper, and with it every namespace and process of the lab. Twice is fine.

        A thread of this process that entered one of its networks (:func:`peerlab.natlab.enter`) goes
        back first, or a note says it cannot.
        """
        stranded = netns.left_behind(self)
        if stranded is not None:
            warnings.warn(stranded, PeerlabNote, stacklevel=2)
        keeper, self._keeper = self._keeper, None
        if _built.get(self.name) is self:
            del _built[self.name]
        processes: list[subprocess.Popen[Any]] = [*self._services]
        impaired, self._impaired = self._impaired, None
        self._services, self._pid = [], None
        if keeper is not None:
            processes.insert(0, keeper)
            assert keeper.stdin is not None
            keeper.stdin.close()  # end-of-file: the keeper exits, and the kernel does the rest
        for process in processes:
            finish(process)
        if impaired is not None:
            impaired.stop()  # its reader ended with the lab: this only collects it

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
        enter = [tool("nsenter"), f"--target={self._pid}", *user, "--mount", "--pid", "--net", "--"]
        inside = [tool("ip"), "netns", "exec", host] if host is not None else []
        return enter + inside + list(argv)

    def namespace_path(self, host: str) -> str:
        """The file that is ``host``'s network namespace, as this process can open it (for ``setns``).

        The lab's named namespaces live in its private ``/run``; the keeper's root directory, seen
        through ``/proc``, shows them.
        """
        if self._pid is None:
            raise LabError(f"the lab {self.name!r} is not built: call build() first")
        if host not in topology.HOSTS:
            raise ValueError(f"host is one of {', '.join(topology.HOSTS)}, not {host!r}")
        return f"/proc/{self._pid}/root/run/netns/{host}"

    @property
    def environment(self) -> dict[str, str]:
        """The environment of the lab's processes: this one's, with the sbin directories on PATH."""
        return {**os.environ, "PATH": search_path()}

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

    def impair(self, delay: float = 0.05, loss: float = 0.01, *, jitter: float = 0.0, site: str = "left") -> None:
        """Delay (seconds) and lose (a fraction) every packet ``site``'s router forwards, either way.

        A round trip across that router takes ``2 * delay`` more (:mod:`peerlab.natlab.impair` says
        how, without netem). With ``jitter`` each packet's delay is drawn from ``delay ± jitter``, so
        packets sent closer together than that overtake each other. ``impair(0, 0)`` (or
        :meth:`repair`) gives the plain link back.
        """
        router = {s.name: s.router for s in SITES}.get(site)
        if router is None:
            raise ValueError(f"site is 'left' or 'right', not {site!r}")
        self.repair()
        if delay or loss or jitter:
            self._impaired = ImpairedLink(self, router, delay, loss, jitter)

    @property
    def impairment(self) -> dict[str, float] | None:
        """``{"delay": seconds, "loss": fraction, "jitter": seconds}`` while :meth:`impair` is in effect."""
        link = self._impaired
        return None if link is None else {"delay": link.delay, "loss": link.loss, "jitter": link.jitter}

    def repair(self) -> dict[str, int] | None:
        """Take the impairment away; returns how many packets its reader passed and dropped."""
        link, self._impaired = self._impaired, None
        return None if link is None else link.stop()

    # -- the pieces ------------------------------------------------------------------------------

    def _start_keeper(self) -> None:
        flags = ["--user", "--map-root-user"] if self.unprivileged else []
        argv = [tool("unshare"), *flags, "--net", "--mount", "--pid", "--fork", "--kill-child",
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
                raise namespaces_refused(error)
            raise LabError(f"the lab's keeper did not start: {error.strip() or 'no answer'}",
                           command=" ".join(argv), output=stderr)
        keeper.stdout.close()
        keeper.stderr.close()
        self._keeper, self._pid = keeper, int(answer["pid"])

    def _service(self, host: str, argv: list[str], log: str,
                 environment: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start a process of the lab that lives as long as the lab, its output in ``/run/natlab/log``."""
        wrapped = ["sh", "-c", f'exec "$@" >{RUN}/{log} 2>&1', "sh", *argv]
        return subprocess.Popen(self.command(host, wrapped), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env={**self.environment, **(environment or {})})

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


@atexit.register
def _teardown_all() -> None:
    """Labs still up when Python exits normally end now rather than at their keeper's EOF."""
    for lab in list(_alive):
        lab.teardown()

