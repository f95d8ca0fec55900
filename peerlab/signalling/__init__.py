"""Signalling: how the two peers' messages travel, whoever carries them.

The modules, from the message up:

- :mod:`.messages`: the message model (roles, types, the one set of rules every transport and
  the server apply, JSON as a browser makes it); :mod:`.transcript`: what a service carried.
- :mod:`.endpoint`: the one interface of an endpoint (and of a scripted peer playing one).
- :mod:`.mailbox`: the receiving half every endpoint shares: ``receive()``, its waits, and why
  nothing came, decided from :mod:`.facts` and worded through :mod:`.hooks`.
- :mod:`.loopback`: both endpoints in one kernel. :mod:`.network`: one endpoint over a connection,
  with a reader and a writer task; :mod:`.websocket` (``peerlab.join``) and :mod:`.tcp`
  (``peerlab.tcp_signalling``) only say how its bytes move.
- :mod:`.server` (``peerlab serve``), with :mod:`.server_wire` and :mod:`.status_page`.

It uses the WebRTC layer only to turn descriptions and candidates into JSON, and imports nothing
from teaching, display or browser: the words of the guide's steps, and which notebook cell is
running, come through :mod:`.hooks`, which the teaching layer fills.

Left alike on purpose (``duplicates`` lists them): :class:`~.transcript.Transcript` is a read-only
sequence, as a connection's event log is; :mod:`.handlers` runs a learner's ``on("message")``
handlers as :mod:`peerlab.webrtc.events` runs event listeners, each keeping what they raise where
its own layer reports it; a Loopback endpoint's one-line properties look like a data channel's.
"""
