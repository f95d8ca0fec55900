"""JupyterLab as a hub runs it: on a server of its own, which the learner's browser reaches only at its port.

Built in a peerlab.natlab lab (the lab ends with its keeper process, even when pytest is killed)::

    Chromium (Playwright)     left 192.168.1.2 ── nat-left (cone NAT) ──┐
                                                         "the Internet" 198.18.0.0/24
          JupyterLab and its kernels     signal 198.18.0.4 ─────────────┤
          coturn (use-auth-secret)       turn 198.18.0.3 ───────────────┘

- JupyterLab listens on 198.18.0.4 at a port of its own, over http, or over https with a
  self-signed certificate made here; its network accepts TCP at that port only (nftables), and
  has no route for multicast, as a server has none to the learner's network: the browser's
  ``.local`` names resolve nowhere, and the kernel's 127.0.0.1 is not the browser's.
- Chromium runs in ``left``, behind a NAT, started by Playwright through a wrapper that enters the
  lab (``chromium_wrapper``).
- ``block_udp("except-turn")`` drops the browser network's UDP except to coturn: only a TURN relay
  carries a connection, and the kernel's lessons find it in ``PEERLAB_ICE_SERVERS`` (``ice_servers``).
"""

from __future__ import annotations

import ctypes
import datetime
import ipaddress
import os
import shlex
import ssl
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from peerlab.errors import LabError
from peerlab.natlab import Lab
from peerlab.natlab.topology import SIGNAL_ADDRESS

from .jupyterlab import Where

HOST = SIGNAL_ADDRESS
BROWSER_HOST = "left"
SERVER_HOST = "signal"
PORTS = {"http": 8888, "https": 8443, "turn": 8444, "unlinked": 8889}

# The process under nsenter is its child: this makes it end when nsenter is ended (PR_SET_PDEATHSIG = 1),
# so that stopping what the tests started stops it, not only its nsenter.
DIE_WITH_PARENT = ("import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGTERM); "
                   "os.execvp(sys.argv[1], sys.argv[1:])")

FETCH = """import ssl, sys, urllib.request
request = urllib.request.Request(sys.argv[2], method=sys.argv[1], headers={"Authorization": "token " + sys.argv[3]})
with urllib.request.urlopen(request, timeout=5, context=ssl._create_unverified_context()) as reply:
    sys.stdout.write(reply.read().decode())
"""

CLONE_NEWNET = 0x40000000


def _enter_network(path: str) -> None:
    """Move the calling thread into the network namespace at ``path`` (libc's setns: Python 3.11 has no os.setns)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setns into {path}: {os.strerror(error)}")
    finally:
        os.close(fd)


def _request(method: str, url: str, token: str) -> bytes:
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5, context=ssl._create_unverified_context()) as reply:
        body: bytes = reply.read()
    return body


class NetworkThread:
    """One thread of this process in a network of the lab, making HTTP requests there.

    A request so costs no process: a Python started in the lab for each (FETCH) took 0.07 s of CPU (measured),
    and the hub makes about a hundred (JupyterLab's readiness, each test's kernel shutdown). Where this process
    may not enter the lab's network (an ordinary user's lab is in a user namespace of its own), ``usable`` is
    False and the requests go through FETCH.
    """

    def __init__(self, lab: Lab, host: str) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"lab-{host}")
        try:
            self._pool.submit(_enter_network, lab.namespace_path(host)).result(timeout=15)
            self.usable = True
        except OSError:
            self.usable = False
            self._pool.shutdown()

    def fetch(self, method: str, url: str, token: str) -> bytes:
        return self._pool.submit(_request, method, url, token).result(timeout=30)

    def close(self) -> None:
        self._pool.shutdown()


def firewall(ports: list[int]) -> str:
    """The server's nftables rules: TCP only to JupyterLab's ports; UDP (ICE) as the routers allow."""
    allowed = ", ".join(map(str, ports))
    return f"""table inet hub {{
    chain input {{
        type filter hook input priority filter; policy accept;
        iif lo accept
        ct state established,related accept
        meta l4proto tcp tcp dport != {{ {allowed} }} drop comment "only JupyterLab's port"
    }}
}}
"""


def self_signed(folder: Path, address: str) -> tuple[Path, Path]:
    """A certificate for ``address`` and its key, as a teacher's server might have: signed by nobody."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peerlab hub test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert, keyfile = folder / "hub.crt", folder / "hub.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, keyfile


class Hub:
    """The lab, the server's firewall and certificate, and how to start JupyterLab and Chromium in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lab = Lab(name="hub-test", lifetime=900)
        self.certificate: tuple[Path, Path] | None = None
        self._browser_network: NetworkThread | None = None

    def build(self) -> Hub:
        self.lab.build()
        self.lab.run(SERVER_HOST, ["nft", "-f", "-"], input=firewall(list(PORTS.values())))
        self.lab.run(SERVER_HOST, ["ip", "route", "add", "unreachable", "224.0.0.0/4"])
        self.certificate = self_signed(self.folder, HOST)
        self._browser_network = NetworkThread(self.lab, BROWSER_HOST)
        return self

    def teardown(self) -> None:
        if self._browser_network is not None:
            self._browser_network.close()
        self.lab.teardown()

    def block_udp(self, mode: str | None) -> None:
        """Drop the browser network's UDP (``"except-turn"``: all but to coturn), or let it through (None)."""
        self.lab.configure("cone", mode)

    def ice_servers(self) -> list[dict[str, Any]]:
        """coturn as STUN and TURN (UDP), with credentials it checks: what a hub puts in PEERLAB_ICE_SERVERS."""
        servers: list[dict[str, Any]] = self.lab.configuration("turn", name="hub")["iceServers"]
        return servers

    def inside(self, host: str, argv: list[str]) -> list[str]:
        """``argv`` on ``host`` of the lab, ended when the process that started it ends."""
        return self.lab.command(host, [sys.executable, "-c", DIE_WITH_PARENT, *argv])

    def where(self, setting: str, env: dict[str, str] | None = None, args: list[str] | None = None) -> Where:
        """JupyterLab on the server for ``setting`` (a key of PORTS; ``http`` and ``unlinked`` without TLS)."""
        return Where(host=HOST, port=PORTS[setting], wrap=lambda argv: self.inside(SERVER_HOST, argv),
                     certificate=None if setting in ("http", "unlinked") else self.certificate,
                     env=env or {}, args=args or [], fetch=self.fetch)

    def fetch(self, method: str, url: str, token: str) -> bytes:
        """JupyterLab's REST API as the browser's network reaches it (an OSError if it does not answer)."""
        if self._browser_network is not None and self._browser_network.usable:
            return self._browser_network.fetch(method, url, token)
        try:
            done = self.lab.run(BROWSER_HOST, [sys.executable, "-c", FETCH, method, url, token], timeout=15)
        except LabError as exc:
            raise OSError(str(exc)) from exc
        return done.stdout.encode()

    def chromium_wrapper(self, chromium: str) -> Path:
        """A script Playwright starts as Chromium: it runs ``chromium`` on the browser's host in the lab."""
        script = self.folder / "chromium-in-the-lab"
        command = shlex.join(self.inside(BROWSER_HOST, [chromium]))
        script.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        script.chmod(0o755)
        return script
