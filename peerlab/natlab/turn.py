"""coturn's configuration for the lab; the time-limited TURN credentials it checks come from the signalling layer.

The lab runs the real coturn (``turnserver``), started with a configuration file this module
writes; no part of STUN or TURN is peerlab's own. coturn listens on the public network for STUN
and TURN, over UDP and TCP, on port 3478, and checks TURN credentials with the shared-secret
scheme of its ``use-auth-secret`` option (the "TURN REST API" draft, as WebRTC services hand
out credentials): the username is ``EXPIRY:NAME`` (EXPIRY a Unix time), the password
``base64(HMAC-SHA1(secret, username))``. Anyone who has the secret can make credentials; a
learner only ever sees a pair that stops working at EXPIRY. :func:`credentials` lives in
:mod:`peerlab.signalling.turn`, since ``peerlab serve --turn-secret`` signs the same way.
"""

from __future__ import annotations

from ..signalling.turn import credentials
from .topology import TURN_ADDRESS

__all__ = ["TURN_PORT", "REALM", "DENIED_PEERS", "turnserver_conf", "credentials"]

TURN_PORT = 3478
REALM = "natlab.peerlab"
# Private ranges coturn refuses to relay to (``denied-peer-ip``, as coturn's own example
# configuration advises): a relayed send to them is refused at once instead of being tried.
DENIED_PEERS = ("10.0.0.0-10.255.255.255", "172.16.0.0-172.31.255.255", "192.168.0.0-192.168.255.255")


def turnserver_conf(secret: str, directory: str, *, deny_private_peers: bool = True) -> str:
    """coturn's configuration file: STUN and TURN on the lab's public address, UDP and TCP.

    ``directory`` holds coturn's log, PID file and user database (inside the lab's own ``/run``:
    they go with the lab). No TLS, no telnet CLI, no multicast or loopback peers.
    """
    lines = [
        f"listening-ip={TURN_ADDRESS}",
        f"relay-ip={TURN_ADDRESS}",
        f"listening-port={TURN_PORT}",
        "min-port=49152",
        "max-port=65535",
        f"realm={REALM}",
        "use-auth-secret",
        f"static-auth-secret={secret}",
        "fingerprint",
        "no-tls",
        "no-dtls",
        "no-cli",
        "no-multicast-peers",
        "no-software-attribute",
        f"userdb={directory}/turndb",
        f"pidfile={directory}/turnserver.pid",
        f"log-file={directory}/turnserver.log",
        "simple-log",
        "verbose",
    ]
    if deny_private_peers:
        lines += [f"denied-peer-ip={peers}" for peers in DENIED_PEERS]
    return "\n".join(lines) + "\n"
