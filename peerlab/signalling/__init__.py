"""Signalling: how the two peers' messages travel, whoever carries them.

One message model (:mod:`.messages`, :mod:`.transcript`), one endpoint interface
(:mod:`.endpoint`), the in-kernel :class:`Loopback`, the network endpoints (a WebSocket to
``peerlab serve`` and aiortc's TCP wire) and the server itself. It uses the WebRTC layer only
to turn descriptions and candidates into JSON, and imports nothing from teaching, display or
browser: why nothing came, in a learner's words, comes through a hook the teaching layer fills.
"""
