"""One negotiation's script, played by Chromium's own RTCPeerConnection or by peerlab's, and what each saw.

Both kinds of peer follow the same script and record the same things, so their records compare:

- caller: ``createDataChannel("chat")``, ``createOffer()``, ``setLocalDescription(offer)``; later
  ``setRemoteDescription(answer)``; sends "ping" once the channel is open and waits for its echo;
- callee: ``setRemoteDescription(offer)``, ``createAnswer()``, ``setLocalDescription(answer)``; echoes
  what the channel brings;
- both: every ``icecandidate`` goes to the far side (end-of-candidates too); a candidate that arrives
  before the remote description waits for it (the signalling's job, not the peer's).

A record is a list of ``{"kind": "call" | "event", "name", "detail", "states"}``: every event the
connection or its channel fired (a state change's detail is the new state; an ``icecandidate``'s is
"candidate" or "end") and every call of the script once it returned, each with the four states
``[signalingState, iceGatheringState, iceConnectionState, connectionState]`` at that moment.

The browser side is a plain Playwright page (async API: the peerlab side runs on the same asyncio
loop), reached by ``page.evaluate`` one way and one exposed function the other way; the peerlab side
is ``peerlab.RTCPeerConnection`` with listeners for the same events. Used by
tests/browser/test_browser_vs_peerlab.py and benchmarks/browser.py. Host candidates only (no ICE
servers): the traffic stays on this machine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import peerlab

#: The four states, in the order a record lists them.
STATES = ("signalingState", "iceGatheringState", "iceConnectionState", "connectionState")
#: Every event of the connection that the script listens to, on both sides.
EVENTS = ("negotiationneeded", "signalingstatechange", "icegatheringstatechange", "iceconnectionstatechange",
          "connectionstatechange", "icecandidate", "icecandidateerror", "datachannel")
REPORT = "__peerlabReport"  # the page's way back to Python: (peer id, what, payload)

PAGE_JS = """
(() => {
  const EVENTS = __EVENTS__;
  const STATE_OF = {signalingstatechange: 'signalingState', icegatheringstatechange: 'iceGatheringState',
                    iceconnectionstatechange: 'iceConnectionState', connectionstatechange: 'connectionState'};
  window.peers = {};
  // report: function (what, payload) the peer calls back with ('candidate', json|null), ('connected'), ('echo')
  window.makePeer = (id, role, report) => {
    const pc = new RTCPeerConnection({iceServers: []});
    const log = [];
    const states = () => [pc.signalingState, pc.iceGatheringState, pc.iceConnectionState, pc.connectionState];
    const record = (kind, name, detail) => log.push({kind, name, detail: detail || '', states: states()});
    let pending = [];
    const watchChannel = channel => {
      channel.addEventListener('open', () => {
        record('event', 'open');
        if (role === 'caller') channel.send('ping');
      });
      channel.addEventListener('message', e => {
        record('event', 'message', e.data);
        if (role === 'callee') channel.send(e.data); else report('echo');
      });
    };
    for (const type of EVENTS) pc.addEventListener(type, e => {
      let detail = '';
      if (STATE_OF[type]) detail = pc[STATE_OF[type]];
      if (type === 'icecandidate') {
        detail = e.candidate && e.candidate.candidate ? 'candidate' : 'end';
        report('candidate', e.candidate && e.candidate.candidate ? e.candidate.toJSON() : null);
      }
      if (type === 'datachannel') watchChannel(e.channel);
      record('event', type, detail);
      if (type === 'connectionstatechange' && pc.connectionState === 'connected') report('connected');
    });
    const peer = {
      pc, log, role,
      async offer() {
        peer.channel = pc.createDataChannel('chat');
        record('call', 'createDataChannel');
        watchChannel(peer.channel);
        const offer = await pc.createOffer();
        record('call', 'createOffer');
        await pc.setLocalDescription(offer);
        record('call', 'setLocalDescription', 'offer');
        return {type: offer.type, sdp: offer.sdp};
      },
      async answer(offer) {
        await peer.accept(offer);
        const answer = await pc.createAnswer();
        record('call', 'createAnswer');
        await pc.setLocalDescription(answer);
        record('call', 'setLocalDescription', 'answer');
        return {type: answer.type, sdp: answer.sdp};
      },
      async accept(description) {
        await pc.setRemoteDescription(description);
        record('call', 'setRemoteDescription', description.type);
        const held = pending; pending = [];
        for (const c of held) await pc.addIceCandidate(c);
      },
      async addRemote(candidate) {
        if (!pc.remoteDescription) { pending.push(candidate); return; }
        await pc.addIceCandidate(candidate);
      },
      close() { pc.close(); },
    };
    window.peers[id] = peer;
    return id;
  };
})();
""".replace("__EVENTS__", json.dumps(list(EVENTS)))


class _Peer:
    """What both kinds of peer share: the far side's candidates, and the connected/echo milestones."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.far: _Peer | None = None
        loop = asyncio.get_running_loop()
        self.connected = loop.create_future()
        self.echoed = loop.create_future()
        self._forwarding: set[asyncio.Task[None]] = set()
        self.sent: list[dict[str, Any] | None] = []  # the candidates it gave the far side, in order

    def _report(self, what: str, payload: Any = None) -> None:
        if what == "candidate":
            self.sent.append(payload)
        if what == "candidate" and self.far is not None:
            task = asyncio.ensure_future(self.far.add_remote(payload))
            self._forwarding.add(task)
            task.add_done_callback(self._forwarding.discard)
        elif what == "connected" and not self.connected.done():
            self.connected.set_result(time.perf_counter())
        elif what == "echo" and not self.echoed.done():
            self.echoed.set_result(time.perf_counter())

    async def settle(self) -> None:
        """Wait for the candidates this peer sent to be added on the far side."""
        while self._forwarding:
            await asyncio.gather(*list(self._forwarding))

    async def offer(self) -> dict[str, str]: raise NotImplementedError
    async def answer(self, offer: dict[str, str]) -> dict[str, str]: raise NotImplementedError
    async def accept(self, description: dict[str, str]) -> None: raise NotImplementedError
    async def add_remote(self, candidate: dict[str, Any] | None) -> None: raise NotImplementedError
    async def log(self) -> list[dict[str, Any]]: raise NotImplementedError
    async def close(self) -> None: raise NotImplementedError


class BrowserPeer(_Peer):
    """Chromium's own RTCPeerConnection in ``page`` (which ran :func:`prepare_page`)."""

    _ids = itertools.count()

    def __init__(self, page: Any, role: str) -> None:
        super().__init__(role)
        self.page = page
        self.id = f"{role}-{next(self._ids)}"

    async def start(self) -> BrowserPeer:
        _routes[self.id] = self._report
        await self.page.evaluate(
            "([id, role, report]) => makePeer(id, role, (what, payload) => window[report](id, what, payload || null))",
            [self.id, self.role, REPORT])
        return self

    async def offer(self) -> dict[str, str]:
        return await self.page.evaluate("id => peers[id].offer()", self.id)

    async def answer(self, offer: dict[str, str]) -> dict[str, str]:
        return await self.page.evaluate("([id, offer]) => peers[id].answer(offer)", [self.id, offer])

    async def accept(self, description: dict[str, str]) -> None:
        await self.page.evaluate("([id, d]) => peers[id].accept(d)", [self.id, description])

    async def add_remote(self, candidate: dict[str, Any] | None) -> None:
        await self.page.evaluate("([id, c]) => peers[id].addRemote(c)", [self.id, candidate])

    async def log(self) -> list[dict[str, Any]]:
        return await self.page.evaluate("id => JSON.parse(JSON.stringify(peers[id].log))", self.id)

    async def close(self) -> None:
        _routes.pop(self.id, None)
        await self.page.evaluate("id => { peers[id] && peers[id].close(); delete peers[id]; }", self.id)


class PeerlabPeer(_Peer):
    """``peerlab.RTCPeerConnection`` with listeners for the events the page's peer listens to."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.pc = peerlab.RTCPeerConnection(name=role, replace_same_name=False)
        self._log: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any] | None] = []
        for type_ in EVENTS:
            self.pc.addEventListener(type_, lambda event, type_=type_: self._on_event(type_, event))

    async def start(self) -> PeerlabPeer:
        return self

    def _record(self, kind: str, name: str, detail: str = "") -> None:
        self._log.append({"kind": kind, "name": name, "detail": detail,
                          "states": [getattr(self.pc, state) for state in STATES]})

    def _on_event(self, type_: str, event: Any) -> None:
        detail = ""
        state = {"signalingstatechange": "signalingState", "icegatheringstatechange": "iceGatheringState",
                 "iceconnectionstatechange": "iceConnectionState",
                 "connectionstatechange": "connectionState"}.get(type_)
        if state:
            detail = getattr(self.pc, state)
        if type_ == "icecandidate":
            detail = "candidate" if event.candidate else "end"
            self._report("candidate", event.candidate.toJSON() if event.candidate else None)
        if type_ == "datachannel":
            self._watch_channel(event.channel)
        self._record("event", type_, detail)
        if type_ == "connectionstatechange" and self.pc.connectionState == "connected":
            self._report("connected")

    def _watch_channel(self, channel: Any) -> None:
        def opened(_: Any) -> None:
            self._record("event", "open")
            if self.role == "caller":
                channel.send("ping")

        def message(event: Any) -> None:
            self._record("event", "message", event.data)
            if self.role == "callee":
                channel.send(event.data)
            else:
                self._report("echo")

        channel.addEventListener("open", opened)
        channel.addEventListener("message", message)

    async def offer(self) -> dict[str, str]:
        channel = self.pc.createDataChannel("chat")
        self._record("call", "createDataChannel")
        self._watch_channel(channel)
        offer = await self.pc.createOffer()
        self._record("call", "createOffer")
        await self.pc.setLocalDescription(offer)
        self._record("call", "setLocalDescription", "offer")
        return {"type": offer.type, "sdp": offer.sdp}

    async def answer(self, offer: dict[str, str]) -> dict[str, str]:
        await self.accept(offer)
        answer = await self.pc.createAnswer()
        self._record("call", "createAnswer")
        await self.pc.setLocalDescription(answer)
        self._record("call", "setLocalDescription", "answer")
        return {"type": answer.type, "sdp": answer.sdp}

    async def accept(self, description: dict[str, str]) -> None:
        await self.pc.setRemoteDescription(description)
        self._record("call", "setRemoteDescription", description["type"])
        held, self._pending = self._pending, []
        for candidate in held:
            await self.pc.addIceCandidate(candidate)

    async def add_remote(self, candidate: dict[str, Any] | None) -> None:
        if self.pc.remoteDescription is None:
            self._pending.append(candidate)
            return
        await self.pc.addIceCandidate(candidate)

    async def log(self) -> list[dict[str, Any]]:
        return list(self._log)

    async def close(self) -> None:
        await self.pc.close()


_routes: dict[str, Any] = {}  # browser peer id -> its _report


async def prepare_page(page: Any) -> None:
    """Give ``page`` the peers' JavaScript and the way back to Python (once per page)."""
    await page.expose_function(REPORT, lambda id_, what, payload: _routes[id_](what, payload)
                               if id_ in _routes else None)
    await page.goto("about:blank")
    await page.evaluate(PAGE_JS)


async def negotiate(caller: _Peer, callee: _Peer, timeout: float = 10.0) -> tuple[float, float]:
    """Play the script between two started peers; (ms to both connected, ms to the caller's echo)."""
    caller.far, callee.far = callee, caller
    start = time.perf_counter()

    async def play() -> None:
        offer = await caller.offer()
        answer = await callee.answer(offer)
        await caller.accept(answer)
        await asyncio.gather(caller.connected, callee.connected, caller.echoed)
        await caller.settle()
        await callee.settle()

    await asyncio.wait_for(play(), timeout)
    connected = max(caller.connected.result(), callee.connected.result())
    return (connected - start) * 1000, (caller.echoed.result() - start) * 1000


IN_PAGE = """async () => {
  // Chromium <-> Chromium in one page: the same script, the signalling a function call.
  const t0 = performance.now();
  let t_connected = null, t_echo = null, connected = 0;
  const done = new Promise((resolve, reject) => {
    const ids = ['c' + Math.random(), 'd' + Math.random()];
    const report = (self, other) => (what, payload) => {
      if (what === 'candidate') peers[other].addRemote(payload).catch(reject);
      if (what === 'connected' && ++connected === 2) t_connected = performance.now();
      if (what === 'echo') { t_echo = performance.now(); resolve(ids); }
    };
    makePeer(ids[0], 'caller', report(ids[0], ids[1]));
    makePeer(ids[1], 'callee', report(ids[1], ids[0]));
    (async () => {
      const offer = await peers[ids[0]].offer();
      const answer = await peers[ids[1]].answer(offer);
      await peers[ids[0]].accept(answer);
    })().catch(reject);
  });
  const ids = await done;
  while (t_connected === null) await new Promise(r => setTimeout(r, 1));
  for (const id of ids) { peers[id].close(); delete peers[id]; }
  return [t_connected - t0, t_echo - t0];
}"""


async def in_page(page: Any, timeout: float = 10.0) -> tuple[float, float]:
    """Chromium ↔ Chromium, both peers in ``page``, timed by the page: (ms to connected, ms to echo)."""
    result = await asyncio.wait_for(page.evaluate(IN_PAGE), timeout)
    return result[0], result[1]
