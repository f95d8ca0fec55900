"""The browser's WebRTC API over aiortc: what a learner's cells call.

The layer above ``peerlab.errors`` and ``peerlab.defaults``: the peer connection and its data
channels, SCTP transport, candidates, descriptions and SDP, events, the JavaScript-style Promise,
trickle ICE, mDNS names and open-file limits. It decides what the spec allows and imports nothing
from signalling, teaching, display or browser; the words a learner reads when a call is refused
come through :mod:`peerlab.webrtc.wording`, which the teaching layer fills in.
"""
