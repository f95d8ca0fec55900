"""The lab's network on paper: hosts, addresses, and the commands and nftables rules that make it.

Pure text, no I/O: :mod:`peerlab.natlab.lab` runs what these functions return inside the lab's
own namespaces. The network::

     left 192.168.1.2                                             right 10.0.2.2
        │ lan 192.168.1.0/24                             lan 10.0.2.0/24 │
     nat-left  wan 198.18.0.11 ──┐                    ┌── 198.18.0.12 wan  nat-right
                                 │   "the Internet"   │
                          br0 in `internet`, 198.18.0.0/24
                                 │         │          │
                 turn 198.18.0.3 (coturn)  │   sink 198.18.0.254 (drops what it is sent)
                               signal 198.18.0.4 (peerlab serve)

Each name is a network namespace (``ip netns``). Every host on the public network routes
what is not on it to ``sink``, which drops it silently: on the Internet a packet for a private
address is lost somewhere, and the sender never hears. coturn needs that (the issue's fact 2: a
relayed send that fails *locally*, "Network is unreachable", makes coturn close the whole
allocation).

The two NAT routers masquerade their LAN behind their WAN address. What kind of NAT that is
decides which ICE candidate pairs can work:

- ``cone``: endpoint-independent mapping. Linux's masquerade keeps the LAN port when it can,
  so one socket gets one public address and port whoever it sends to, and STUN's answer
  (the srflx candidate) is the address the far peer can reach. One thing must be added (the
  issue's fact 1): the far peer's first check usually reaches this router before this side
  has sent anything to the far peer, and conntrack would record that unsolicited packet as a
  connection to the router itself; its reply tuple then clashes with the mapping this side's own
  check needs, masquerade picks another port, and the NAT behaves as a symmetric one. So the
  router's input chain drops unsolicited packets from the WAN: a connection conntrack has not yet
  confirmed is forgotten when its first packet is dropped, so nothing is recorded.
- ``symmetric``: ``masquerade fully-random``, a new random public port for every destination.
  The port STUN saw is not the port the far peer's checks must reach, so srflx candidates
  lead nowhere and only a TURN relay connects.

Both kinds filter alike (a reply must come from where the LAN host sent to); only the mapping
differs. ``block_udp`` adds a firewall on each router: ``"all"`` drops all UDP from the LAN,
``"except-turn"`` all UDP except to the TURN server's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "NAT_KINDS", "BLOCK_UDP", "NatKind", "BlockUdp", "Site", "LEFT", "RIGHT", "SITES", "HOSTS", "ADDRESSES",
    "PUBLIC_PREFIX", "TURN_ADDRESS", "SIGNAL_ADDRESS", "SINK_ADDRESS", "ROUTER_TABLE", "build_script", "router_rules",
    "check_nat", "check_block_udp",
]

NatKind = Literal["cone", "symmetric"]
BlockUdp = Literal["all", "except-turn"]
NAT_KINDS: tuple[NatKind, ...] = ("cone", "symmetric")
BLOCK_UDP: tuple[BlockUdp, ...] = ("all", "except-turn")

PUBLIC_PREFIX = 24
TURN_ADDRESS = "198.18.0.3"
SIGNAL_ADDRESS = "198.18.0.4"
SINK_ADDRESS = "198.18.0.254"
ROUTER_TABLE = "natlab"  # the nftables table each router's NAT and firewall live in


@dataclass(frozen=True)
class Site:
    """One private network: a peer host behind a NAT router."""

    name: str         # the peer host's namespace: "left" or "right"
    address: str      # the peer host's LAN address
    gateway: str      # the router's LAN address
    wan: str          # the router's public address: what STUN reports for this side
    lan_prefix: int = 24

    @property
    def router(self) -> str:
        """The router's namespace: ``nat-left``, ``nat-right``."""
        return f"nat-{self.name}"


LEFT = Site("left", address="192.168.1.2", gateway="192.168.1.1", wan="198.18.0.11")
RIGHT = Site("right", address="10.0.2.2", gateway="10.0.2.1", wan="198.18.0.12")
SITES = (LEFT, RIGHT)
PUBLIC_HOSTS = {"turn": TURN_ADDRESS, "signal": SIGNAL_ADDRESS, "sink": SINK_ADDRESS}
#: Every namespace of the lab, the switch first.
HOSTS = ("internet", *PUBLIC_HOSTS, *(s.router for s in SITES), *(s.name for s in SITES))
#: Each host's address (a router's: its public one).
ADDRESSES = {**PUBLIC_HOSTS, **{s.router: s.wan for s in SITES}, **{s.name: s.address for s in SITES}}


def check_nat(nat: str) -> NatKind:
    """``nat`` if it is a NAT kind the lab makes, else a ValueError naming them."""
    for kind in NAT_KINDS:
        if nat == kind:
            return kind
    raise ValueError(f"nat is one of {', '.join(map(repr, NAT_KINDS))}, not {nat!r}")


def check_block_udp(block_udp: str | None) -> BlockUdp | None:
    """``block_udp`` if it is ``None`` or a blocking mode the lab has, else a ValueError naming them."""
    if block_udp is None:
        return None
    for mode in BLOCK_UDP:
        if block_udp == mode:
            return mode
    raise ValueError(f"block_udp is None or one of {', '.join(map(repr, BLOCK_UDP))}, not {block_udp!r}")


def router_rules(nat: NatKind, block_udp: BlockUdp | None) -> str:
    """The nftables ruleset of a NAT router (both get the same), replacing its table atomically."""
    masquerade = "masquerade fully-random" if nat == "symmetric" else "masquerade"
    blocked = {
        None: "",
        "all": 'iifname "lan" meta l4proto udp drop comment "block-udp: all"',
        "except-turn": f'iifname "lan" meta l4proto udp ip daddr != {TURN_ADDRESS} drop '
                       'comment "block-udp: all but to the TURN server"',
    }[block_udp]
    return f"""\
table ip {ROUTER_TABLE}
delete table ip {ROUTER_TABLE}
table ip {ROUTER_TABLE} {{
    chain input {{
        type filter hook input priority filter; policy accept;
        iifname "wan" ct state established,related accept
        iifname "wan" drop comment "unsolicited from the WAN: dropped before conntrack records it"
    }}
    chain forward {{
        type filter hook forward priority filter; policy accept;
        iifname "wan" ct state established,related accept
        iifname "wan" drop
        {blocked}
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" {masquerade} comment "nat: {nat}"
    }}
}}
"""


SINK_RULES = f"""\
table ip sink {{
    chain prerouting {{
        type filter hook prerouting priority raw; policy accept;
        ip daddr != {SINK_ADDRESS} drop comment "the Internet loses what it cannot deliver, silently"
    }}
}}
"""


def _nft(host: str, rules: str) -> str:
    return f"ip netns exec {host} nft -f - <<'NFT'\n{rules}NFT\n"


def build_script(nat: NatKind, block_udp: BlockUdp | None) -> str:
    """The ``sh`` script that makes the whole network, run once inside the lab's mount namespace."""
    lines = ["set -e"]
    for host in HOSTS:
        lines += [f"ip netns add {host}",
                  f"ip netns exec {host} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                  "net.ipv6.conf.default.disable_ipv6=1",
                  f"ip -n {host} link set lo up"]
    lines += ["ip -n internet link add br0 type bridge", "ip -n internet link set br0 up"]

    def public_port(host: str, device: str, address: str) -> None:
        lines.extend([
            f"ip -n internet link add {host} type veth peer name {device} netns {host}",
            f"ip -n internet link set {host} master br0 up",
            f"ip -n {host} addr add {address}/{PUBLIC_PREFIX} dev {device}",
            f"ip -n {host} link set {device} up",
        ])
        if host != "sink":
            lines.append(f"ip -n {host} route add default via {SINK_ADDRESS}")

    for host, address in PUBLIC_HOSTS.items():
        public_port(host, "eth0", address)
    for site in SITES:
        public_port(site.router, "wan", site.wan)
        lines += [
            f"ip -n {site.router} link add lan type veth peer name eth0 netns {site.name}",
            f"ip -n {site.router} addr add {site.gateway}/{site.lan_prefix} dev lan",
            f"ip -n {site.router} link set lan up",
            f"ip -n {site.name} addr add {site.address}/{site.lan_prefix} dev eth0",
            f"ip -n {site.name} link set eth0 up",
            f"ip -n {site.name} route add default via {site.gateway}",
            f"ip netns exec {site.router} sysctl -qw net.ipv4.ip_forward=1",
            _nft(site.router, router_rules(nat, block_udp)),
        ]
    lines.append(_nft("sink", SINK_RULES))
    return "\n".join(lines) + "\n"
