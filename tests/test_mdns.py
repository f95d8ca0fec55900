"""mDNS host candidates (issue 13 part 3): ``<uuid>.local`` names resolved in the background.

A fake responder on the loopback answers as Chromium does (the A record, then an NSEC
record dnspython refuses); the resolver is pointed at it, since multicast may be
missing where the tests run. No assertion here is about speed: promptness is checked
by the order of events (the call settles while the name is still unresolved).
"""

from __future__ import annotations

import asyncio
import uuid

import dns.message
import dns.name
import pytest

from peerlab import Loopback, RTCPeerConnection
from peerlab.teaching import hints
from peerlab.testing import MdnsResponder, add_remote_candidates, chromium_answer
from peerlab.webrtc import mdns
from peerlab.webrtc.mdns import Resolver, read_addresses

BOUND = 10.0  # every wait ends by then, whatever happens


async def exchange_descriptions(loopback, caller, callee) -> None:
    """Caller steps 2-4 and 7, callee steps 2-4, with a data channel: the descriptions, not the candidates."""
    caller.createDataChannel("chat")
    await caller.setLocalDescription(await caller.createOffer())
    loopback.caller.send({"type": "offer", "data": caller.localDescription})
    await callee.setRemoteDescription((await loopback.callee.receive("offer"))["data"])
    await callee.setLocalDescription(await callee.createAnswer())
    loopback.callee.send({"type": "answer", "data": callee.localDescription})
    await caller.setRemoteDescription((await loopback.caller.receive("answer"))["data"])


@pytest.fixture
async def responder(monkeypatch):
    """A Chromium-like responder on 127.0.0.1, and peerlab's resolver pointed at it."""
    async with MdnsResponder() as fake:
        monkeypatch.setattr(mdns, "resolver", Resolver(fake.address, timeout=BOUND / 2))
        yield fake


class GatedResolver:
    """Resolves names only when the test says so: the order of events is the test's."""

    def __init__(self, answers: dict[str, str | None]) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.release = asyncio.Event()

    async def resolve(self, name: str) -> str | None:
        self.asked.append(name)
        await self.release.wait()
        return self.answers.get(name)


def host_candidate(address: str = "192.0.2.2", port: int = 50000, mid: str = "0") -> dict:
    return {"candidate": f"candidate:1 1 udp 2122260223 {address} {port} typ host generation 0 network-cost 999",
            "sdpMid": mid, "sdpMLineIndex": 0}


async def with_remote_offer(pc: RTCPeerConnection) -> None:
    """Give ``pc`` a remote description (an offer from a throwaway caller), so candidates can be added."""
    caller = RTCPeerConnection(name="offerer", replace_same_name=False)
    try:
        caller.createDataChannel("chat")
        await pc.setRemoteDescription(await caller.createOffer())
    finally:
        await caller.close()


def spy_on_aiortc(pc: RTCPeerConnection) -> list:
    """Record what reaches aiortc's addIceCandidate, in order."""
    seen: list = []
    real = pc.aiortc.addIceCandidate

    async def add(candidate):
        seen.append(candidate)
        await real(candidate)

    pc.aiortc.addIceCandidate = add  # type: ignore[method-assign]
    return seen


# -- the reader and the resolver ------------------------------------------------


def test_the_fake_answer_is_one_dnspython_and_so_aioice_refuse():
    name = "0b3b1c2d-1111-4222-8333-444455556666.local"
    with pytest.raises(dns.name.DecompressionForbidden):
        dns.message.from_wire(chromium_answer(name, "192.0.2.7"))


# Chromium 156's answers, captured on this machine: to an A question for an IPv4 name (the A
# record, then NSEC), and to an A question for an IPv6 name (NSEC, then the AAAA record).
CHROMIUM_A = bytes.fromhex(
    "0000840000000001000000012432353535613436642d353837312d343161312d393734372d3830383061336636"
    "6438363805" "6c6f63616c0000018001000000780004c00002022432353535613436642d353837312d343161312d"
    "393734372d383038306133663664383638056c6f63616c00002f8001000000780005c046000140")
CHROMIUM_AAAA = bytes.fromhex(
    "0000840000000001000000012438353637386236332d626537352d343239362d386561392d636638653266646439"
    "61633305" "6c6f63616c00002f8001000000780008c00c0004000000082438353637386236332d626537352d3432"
    "39362d386561392d636638653266646439616333056c6f63616c00001c8001000000780010fd0000000000000000"
    "00000000000002")


def test_the_reader_takes_the_address_from_chromiums_own_answers():
    a_name, aaaa_name = "2555a46d-5871-41a1-9747-8080a3f6d868.local", "85678b63-be75-4296-8ea9-cf8e2fdd9ac3.local"
    assert read_addresses(CHROMIUM_A, a_name) == ["192.0.2.2"]
    assert read_addresses(CHROMIUM_AAAA, aaaa_name) == ["fd00::2"]
    for captured in (CHROMIUM_A, CHROMIUM_AAAA):
        with pytest.raises(dns.name.DecompressionForbidden):
            dns.message.from_wire(captured)
    assert chromium_answer(a_name, "192.0.2.2") == CHROMIUM_A  # the fake responder sends the same bytes
    assert chromium_answer(aaaa_name, "fd00::2", "A") == CHROMIUM_AAAA


def test_the_reader_takes_the_address_and_skips_the_nsec_record():
    name = "0b3b1c2d-1111-4222-8333-444455556666.local"
    assert read_addresses(chromium_answer(name, "192.0.2.7"), name) == ["192.0.2.7"]
    assert read_addresses(chromium_answer(name, "fd00::7"), name) == ["fd00::7"]
    assert read_addresses(chromium_answer(name, "192.0.2.7", "AAAA"), name) == ["192.0.2.7"]  # NSEC first
    assert read_addresses(chromium_answer(name, "192.0.2.7"), "other.local") == []
    assert read_addresses(mdns.query(name), name) == []  # a question, not an answer
    assert read_addresses(chromium_answer(name, "192.0.2.7")[:20], name) == []  # cut short
    assert read_addresses(b"", name) == []


async def test_the_resolver_reads_a_chromium_answer(responder):
    name = responder.publish("192.0.2.7")
    assert await asyncio.wait_for(mdns.resolver.resolve(name), BOUND) == "192.0.2.7"
    assert (name, "A") in responder.questions


async def test_a_name_nobody_answers_gives_none_after_the_timeout():
    async with MdnsResponder(silent=True) as fake:
        name = fake.publish("192.0.2.7")
        resolver = Resolver(fake.address, timeout=0.3, resend=0.1)
        assert await asyncio.wait_for(resolver.resolve(name), BOUND) is None
        assert len(fake.questions) >= 2 * 2  # asked again (A and AAAA each time)


# -- addIceCandidate --------------------------------------------------------------


async def test_add_ice_candidate_settles_before_the_name_resolves(monkeypatch):
    gate = GatedResolver({"a.local": "192.0.2.2"})
    monkeypatch.setattr(mdns, "resolver", gate)
    pc = RTCPeerConnection(name="callee")
    try:
        await with_remote_offer(pc)
        seen = spy_on_aiortc(pc)
        await asyncio.wait_for(pc.addIceCandidate(host_candidate("a.local")), BOUND)
        assert gate.asked == ["a.local"] and not gate.release.is_set()  # settled while still resolving
        assert seen == []
        assert pc.events.of("call")[-1].name == "addIceCandidate"
        gate.release.set()
        await asyncio.wait_for(_until(lambda: seen), BOUND)
        assert [c.ip for c in seen] == ["192.0.2.2"]
        assert any(e.name == "mDNS" and "192.0.2.2" in e.value for e in pc.events.of("note"))
    finally:
        await pc.close()


async def test_end_of_candidates_waits_for_the_names_still_resolving(monkeypatch):
    gate = GatedResolver({"a.local": "192.0.2.2", "b.local": "192.0.2.3"})
    monkeypatch.setattr(mdns, "resolver", gate)
    pc = RTCPeerConnection(name="callee")
    try:
        await with_remote_offer(pc)
        seen = spy_on_aiortc(pc)
        # Not awaited one by one: all three are queued on the operations chain at once.
        calls = [pc.addIceCandidate(host_candidate("a.local", 50000)),
                 pc.addIceCandidate(host_candidate("192.0.2.9", 50002)),
                 pc.addIceCandidate(host_candidate("b.local", 50001)),
                 pc.addIceCandidate(None)]
        await asyncio.wait_for(asyncio.gather(*calls), BOUND)
        assert [c and c.ip for c in seen] == ["192.0.2.9"]  # end-of-candidates held back
        gate.release.set()
        await asyncio.wait_for(_until(lambda: seen and seen[-1] is None), BOUND)
        assert sorted(c.ip for c in seen[1:-1]) == ["192.0.2.2", "192.0.2.3"]
        assert seen[-1] is None and len(seen) == 4
        ice = pc.aiortc.sctp.transport.transport
        assert {c.ip for c in ice.getRemoteCandidates()} == {"192.0.2.2", "192.0.2.3", "192.0.2.9"}
    finally:
        await pc.close()


async def test_a_description_carrying_mdns_candidates_settles_before_they_resolve(monkeypatch):
    gate = GatedResolver({})
    monkeypatch.setattr(mdns, "resolver", gate)
    caller = RTCPeerConnection(name="caller")
    callee = RTCPeerConnection(name="callee")
    try:
        caller.createDataChannel("chat")
        caller.addEventListener("icecandidate", lambda event: None)
        await caller.setLocalDescription(await caller.createOffer())
        await caller.wait_for_end_of_candidates(timeout=BOUND)
        sdp = caller.localDescription.sdp  # its candidates and a=end-of-candidates, as a browser's after gathering
        address = sdp.split("a=candidate:")[1].split()[4]
        gate.answers["a.local"] = address
        offer = {"type": "offer", "sdp": sdp.replace(f" {address} ", " a.local ")}
        assert "a.local" in offer["sdp"] and "a=end-of-candidates" in offer["sdp"]
        seen = spy_on_aiortc(callee)
        await asyncio.wait_for(callee.setRemoteDescription(offer), BOUND)
        assert gate.asked == ["a.local"] and seen == []  # settled while the name is still resolving
        assert callee.remoteDescription.sdp == offer["sdp"]  # the description as it was given
        ice = callee.aiortc.sctp.transport.transport
        assert address not in {c.ip for c in ice.getRemoteCandidates()}
        gate.release.set()
        await asyncio.wait_for(_until(lambda: len(seen) == 2), BOUND)
        assert seen[0].ip == address and seen[1] is None  # end-of-candidates after it
        assert address in {c.ip for c in ice.getRemoteCandidates()}
    finally:
        await caller.close()
        await callee.close()


async def test_an_unresolved_name_is_ignored_and_holds_end_of_candidates(monkeypatch):
    """Its owner's checks may still come (a browser on another network): aiortc keeps waiting for them."""
    async with MdnsResponder(silent=True) as fake:
        monkeypatch.setattr(mdns, "resolver", Resolver(fake.address, timeout=0.2, resend=0.1))
        pc = RTCPeerConnection(name="callee")
        try:
            await with_remote_offer(pc)
            await pc.setLocalDescription(await pc.createAnswer())  # ICE starts, with nothing to check yet
            seen = spy_on_aiortc(pc)
            name = fake.publish("192.0.2.2")
            with _no_warnings():  # a browser ignores it silently; the event log says so
                await asyncio.wait_for(pc.addIceCandidate(host_candidate(name)), BOUND)
                await asyncio.wait_for(pc.addIceCandidate(None), BOUND)
            await asyncio.wait_for(_until(lambda: pc.mdns_unresolved), BOUND)
            await asyncio.sleep(0.1)
            assert seen == [] and not pc.mdns_resolving  # settled, and end-of-candidates held
            assert pc.mdns_unresolved == [name]
            assert any("did not resolve" in e.value for e in pc.events.of("note"))
            assert name in hints.diagnose(pc)
        finally:
            await pc.close()


async def test_close_while_resolving_stops_the_resolution(monkeypatch):
    async with MdnsResponder(silent=True) as fake:
        monkeypatch.setattr(mdns, "resolver", Resolver(fake.address, timeout=BOUND * 10))
        pc = RTCPeerConnection(name="callee")
        await with_remote_offer(pc)
        await asyncio.wait_for(pc.addIceCandidate(host_candidate(fake.publish("192.0.2.2"))), BOUND)
        await asyncio.wait_for(pc.addIceCandidate(None), BOUND)
        assert pc.mdns_resolving
        await asyncio.wait_for(pc.close(), BOUND)
        assert not pc.mdns_resolving


# -- a pair where one side's host candidates are mDNS names --------------------


async def _connect_hidden(responder: MdnsResponder, *, callee_adds: bool) -> tuple:
    """Caller and callee over a loopback; the callee's host candidates reach the caller as ``.local`` names."""
    loopback = Loopback()
    caller = RTCPeerConnection(name="caller")
    callee = RTCPeerConnection(name="callee")
    caller.addEventListener("icecandidate",
                            lambda e: loopback.caller.send({"type": "candidate", "data": e.candidate}))
    callee.addEventListener("icecandidate",
                            lambda e: loopback.callee.send({"type": "candidate", "data": responder.hide(e.candidate)}))
    await exchange_descriptions(loopback, caller, callee)
    added = []
    while True:  # caller step 8, as the guide writes it
        message = await loopback.caller.receive("candidate")
        await caller.addIceCandidate(message["data"])
        if message["data"] is None:
            break
        added.append(message["data"]["candidate"])
    while callee_adds:
        message = await loopback.callee.receive("candidate")
        await callee.addIceCandidate(message["data"])
        if message["data"] is None:
            break
    return loopback, caller, callee, added


async def test_a_pair_connects_through_the_resolved_candidate(responder):
    # The callee adds nothing, so the caller's only way to the callee is a resolved .local name.
    loopback, caller, callee, added = await _connect_hidden(responder, callee_adds=False)
    try:
        assert added and all(".local" in c for c in added if " typ host" in c)
        await asyncio.gather(caller.wait_for_state("connected", timeout=BOUND),
                             callee.wait_for_state("connected", timeout=BOUND))
        connection = caller.aiortc.sctp.transport.transport._connection
        selected = connection._nominated[1].remote_candidate
        assert selected.type == "host" and selected.host in responder.names.values()
        assert all(c.type == "host" for c in caller.remote_candidates())  # nothing peer-reflexive
        assert {n for n, _ in responder.questions} <= set(responder.names)
    finally:
        await caller.close()
        await callee.close()
        loopback.close()


async def test_both_sides_adding_connect_as_before(responder):
    loopback, caller, callee, _ = await _connect_hidden(responder, callee_adds=True)
    try:
        await asyncio.gather(caller.wait_for_state("connected", timeout=BOUND),
                             callee.wait_for_state("connected", timeout=BOUND))
        await asyncio.wait_for(_until(lambda: not caller.mdns_resolving), BOUND)
        resolved = {e.value.split(" is ")[1] for e in caller.events.of("note") if e.name == "mDNS"}
        assert resolved == set(responder.names.values())
    finally:
        await caller.close()
        await callee.close()
        loopback.close()


# -- helpers --------------------------------------------------------------------


async def _until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


class _no_warnings:
    def __enter__(self):
        import warnings
        self._catch = warnings.catch_warnings(record=True)
        self.caught = self._catch.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)
        assert not self.caught, [str(w.message) for w in self.caught]


# -- a far side whose names resolve nowhere (a browser on another network) ------------------


class NoMulticast:
    """A resolver where no multicast route exists: every name fails at once (sendto: network unreachable)."""

    async def resolve(self, name: str) -> str | None:
        return None


@pytest.mark.parametrize("hidden", ["caller", "callee"])
async def test_a_side_whose_names_do_not_resolve_connects_through_its_checks(monkeypatch, hidden):
    """The hub's case: the browser's ``.local`` names reach a kernel with no multicast route.

    Every candidate of the ``hidden`` side arrives as a ``<uuid>.local`` name, then end-of-candidates,
    and the names fail at once: the far side's ICE has no remote candidate at all, and is told so
    before the hidden side has even begun its checks (a learner runs the next cells later). It waits,
    as a browser does, and connects through the peer-reflexive candidate those checks make, whichever
    side controls (aioice, given end-of-candidates then, failed: mdns.Resolving.pending says why it is held).
    """
    monkeypatch.setattr(mdns, "resolver", NoMulticast())
    loopback = Loopback()
    caller, callee = RTCPeerConnection(name="caller"), RTCPeerConnection(name="callee")
    seeing, unseen = (callee, caller) if hidden == "caller" else (caller, callee)
    endpoints = {"caller": loopback.caller, "callee": loopback.callee}
    try:
        for pc in (caller, callee):
            def send(event, pc=pc):
                candidate = event.candidate
                if candidate is not None and pc is unseen:
                    candidate = host_candidate(f"{uuid.uuid4()}.local", candidate.port)
                endpoints[pc.name].send({"type": "candidate", "data": candidate})
            pc.addEventListener("icecandidate", send)
        await exchange_descriptions(loopback, caller, callee)
        await asyncio.wait_for(add_remote_candidates(seeing, endpoints[seeing.name]), BOUND)
        await asyncio.wait_for(_until(lambda: not seeing.mdns_resolving), BOUND)
        await asyncio.sleep(0.2)  # aioice has had end-of-candidates, with no remote candidate
        assert seeing.mdns_unresolved and seeing.remote_candidates() == []
        await asyncio.wait_for(add_remote_candidates(unseen, endpoints[unseen.name]), BOUND)
        await asyncio.gather(caller.wait_for_state("connected", timeout=BOUND),
                             callee.wait_for_state("connected", timeout=BOUND))
        assert {c.type for c in seeing.remote_candidates()} == {"prflx"}
    finally:
        await caller.close()
        await callee.close()
        loopback.close()
