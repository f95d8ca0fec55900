"""peerlab.natlab: two private networks behind NATs, with real STUN and TURN (coturn) between them.

Everything a peer connection meets on the way across the Internet, on one Linux machine:

- :class:`Lab` builds the network of :mod:`peerlab.natlab.topology` in network namespaces (a bridge
  for "the Internet", two NAT routers of a chosen kind, coturn, ``peerlab serve``), runs processes
  in it, impairs a link (delay and loss), and tears it all down, even when its builder is killed
  (:mod:`peerlab.natlab.lab` says how);
- :func:`ice_configuration` is step 1's configuration for each experiment (:data:`ICE_MODES`);
- :func:`run_demo` (``python -m peerlab.natlab demo``) connects two peers across the lab and says
  which candidates they gathered, which pair ICE selected and how long it took, or why no pair
  could work;
- :func:`selected_pair` gives the pair ICE selected (read through peerlab.webrtc.internals), as a dict;
- :func:`udp_ping` measures a path through the lab (round trips, losses), the impaired one say;
- for lesson 10, where the learner's own kernel calls across the lab: :func:`enter` moves this
  kernel into a private network of the lab (:func:`leave`, :func:`where`), :func:`far_peer` starts
  ``python -m peerlab.peer`` behind the other NAT, :func:`gathered_text`, :func:`pair_text` and
  :func:`why_not_connected` say what an attempt came to, and :func:`ask_turn_server` asks coturn what
  aiortc does not tell (:func:`why_no_relay` reads its answer).

It needs Linux, ``ip`` (iproute2), ``nft`` (nftables) and ``turnserver`` (coturn), and root or
unprivileged user namespaces; :class:`~peerlab.errors.LabUnavailable` says what is missing.
"""

from ._ice import selected_pair
from .attempt import gathered_text, pair_text, sent_candidates, why_not_connected
from .demo import DemoResult, run_demo
from .explain import why_no_relay
from .farpeer import FarPeer, far_peer
from .ice import ICE_MODES, ice_configuration, ice_mode
from .lab import STUN_URLS, TURN_URLS, Lab
from .netns import enter, leave, where
from .probe import PingResult, udp_ping
from .requirements import check_requirements, missing_tools
from .topology import BLOCK_UDP, NAT_KINDS
from .turncheck import ask_turn_server

__all__ = ["Lab", "run_demo", "DemoResult", "ice_configuration", "selected_pair", "udp_ping", "PingResult",
           "ICE_MODES", "NAT_KINDS", "BLOCK_UDP", "check_requirements", "missing_tools",
           "enter", "leave", "where", "far_peer", "FarPeer", "gathered_text", "pair_text", "why_not_connected",
           "sent_candidates", "ask_turn_server", "why_no_relay", "ice_mode", "STUN_URLS", "TURN_URLS"]
