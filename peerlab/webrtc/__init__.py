"""The browser's WebRTC API over aiortc: what a learner's cells call.

The layer above ``peerlab.errors`` and ``peerlab.defaults``: the peer connection and its data
channels, SCTP transport, candidates, descriptions and SDP, events, the JavaScript-style Promise,
trickle ICE, mDNS names and open-file limits. It decides what the spec allows
(:mod:`peerlab.webrtc.rules`) and imports nothing from signalling, teaching, display or browser;
the words a learner reads when a call is refused come through :mod:`peerlab.webrtc.wording`,
which speaks as a browser does until the teaching layer installs its own.

Inside it: :mod:`peerlab.webrtc.internals` is the only module that touches aiortc's and aioice's
undocumented parts, and :mod:`peerlab.webrtc.sdp` the only one that parses SDP.

What ``duplicates`` still pairs here is on purpose: the event handler attributes
(``onopen = EventHandler()``, ...) and the one-line read-only properties (``readyState``,
``foundation``, ...) are the browser's interface, one line per attribute as its IDL lists them.
"""
