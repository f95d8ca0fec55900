"""Two peers connected in one process, for tests and benchmarks (as aioice's ``invite_accept``).

The same steps as the lessons, in one call: offer/answer over a :class:`Loopback`,
then trickle ICE, where each side may skip adding the other's candidates (to show
what really happens then).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import uuid
from typing import Any

import dns.exception
import dns.message
import dns.rdatatype

from .candidate import RTCIceCandidate
from .connection import RTCPeerConnection
from .mdns import MDNS_GROUP
from .signalling import DEFAULT_TIMEOUT, Endpoint, Loopback

__all__ = ["add_queued_candidates", "add_remote_candidates", "negotiate", "MdnsResponder", "chromium_answer"]


async def add_remote_candidates(pc: RTCPeerConnection, endpoint: Endpoint, timeout: float = DEFAULT_TIMEOUT) -> int:
    """The guide's last step: add the far side's candidates until end-of-candidates; returns how many."""
    count = 0
    while True:
        message = await endpoint.receive("candidate", timeout=timeout)
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            return count
        count += 1


async def add_queued_candidates(pc: RTCPeerConnection, endpoint: Endpoint) -> bool:
    """Add the far side's candidates that have already arrived, without waiting for more.

    Returns True if end-of-candidates was among them. A callee that does this right after
    ``setRemoteDescription(offer)``, before it answers, starts its ICE checks with pairs to
    try: aioice's first check round otherwise runs on an empty list, and the next comes
    20 ms later.
    """
    while any(message["type"] == "candidate" for message in endpoint.pending):
        message = await endpoint.receive("candidate", timeout=0)  # already here: returns at once
        await pc.addIceCandidate(message["data"])
        if message["data"] is None:
            return True
    return False


async def negotiate(loopback: Loopback, caller: RTCPeerConnection, callee: RTCPeerConnection,
                    *, caller_adds: bool = True, callee_adds: bool = True) -> None:
    """Offer/answer plus trickle over ``loopback``; each side adds candidates only if told to.

    Listeners are registered first, as real code does. A data channel is created on the
    caller if it has none, so the offer has something to carry. The callee adds the caller's
    candidates that came with the offer before it answers (see :func:`add_queued_candidates`),
    then both add the rest as they come.
    """
    for pc, endpoint in ((caller, loopback.caller), (callee, loopback.callee)):
        pc.addEventListener("icecandidate",
                            lambda event, ep=endpoint: ep.send({"type": "candidate", "data": event.candidate}))
    if not caller.aiortc.sctp:
        caller.createDataChannel("chat")
    offer = await caller.createOffer()
    await caller.setLocalDescription(offer)
    loopback.caller.send({"type": "offer", "data": offer})
    await callee.setRemoteDescription((await loopback.callee.receive("offer"))["data"])
    callee_done = callee_adds and await add_queued_candidates(callee, loopback.callee)
    answer = await callee.createAnswer()
    await callee.setLocalDescription(answer)
    loopback.callee.send({"type": "answer", "data": answer})
    await caller.setRemoteDescription((await loopback.caller.receive("answer"))["data"])
    jobs = []
    if caller_adds:
        jobs.append(add_remote_candidates(caller, loopback.caller))
    if callee_adds and not callee_done:
        jobs.append(add_remote_candidates(callee, loopback.callee))
    await asyncio.gather(*jobs)


def _labels(name: str) -> bytes:
    return b"".join(bytes([len(label)]) + label.encode() for label in name.rstrip(".").split(".")) + b"\0"


def chromium_answer(name: str, address: str | None) -> bytes:
    """The bytes Chromium's mDNS responder sends for ``name``: its A/AAAA record, then an NSEC record.

    The NSEC record (RFC 6762 section 6.1: "this name has no other type") names
    its owner and its next name by a compression pointer to the answer's name,
    which dnspython refuses (``DecompressionForbidden``), so aioice drops the whole
    answer. With ``address`` ``None``, only the NSEC record: the "no such type" answer
    to a question of the other address family.
    """
    cache_flush_in = 0x8001
    records = []
    types = 0
    if address is not None:
        family, rdtype = (socket.AF_INET6, 28) if ":" in address else (socket.AF_INET, 1)
        data = socket.inet_pton(family, address)
        records.append(_labels(name) + struct.pack("!HHIH", rdtype, cache_flush_in, 120, len(data)) + data)
        types = rdtype
    owner = b"\xc0\x0c" if records else _labels(name)  # the name, at offset 12, once written
    if types == 28:
        bitmap = b"\x00\x04" + bytes([0, 0, 0, 0x08])  # window 0: bit 28 (AAAA)
    else:
        bitmap = b"\x00\x01\x40"  # window 0: bit 1 (A)
    nsec = b"\xc0\x0c" + bitmap  # the next name, compressed: what dnspython refuses
    records.append(owner + struct.pack("!HHIH", 47, cache_flush_in, 120, len(nsec)) + nsec)
    header = struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, len(records) - 1)
    return header + b"".join(records)


class _Responder(asyncio.DatagramProtocol):
    def __init__(self, owner: MdnsResponder) -> None:
        self.owner = owner
        self.transport: asyncio.DatagramTransport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message = dns.message.from_wire(data)
        except dns.exception.DNSException:  # an answer, ours or anyone's: not a question
            return
        if message.flags & 0x8000 or self.transport is None:
            return
        for question in message.question:
            name = question.name.to_text(omit_final_dot=True)
            if name not in self.owner.names:
                continue
            self.owner.questions.append((name, dns.rdatatype.to_text(question.rdtype)))
            address = self.owner.names[name]
            if self.owner.silent:
                continue
            family_type = dns.rdatatype.AAAA if ":" in address else dns.rdatatype.A
            answer = chromium_answer(name, address if question.rdtype == family_type else None)
            self.transport.sendto(answer, MDNS_GROUP if self.owner.multicast else addr)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class MdnsResponder:
    """A stand-in for Chromium's mDNS responder, for tests and benchmarks: answers as Chromium does.

    :meth:`hide` rewrites a candidate's address to a new ``<uuid>.local`` name, as
    Chromium does with its host candidates, and remembers which address it stands
    for. By default it listens on a free port of 127.0.0.1 and answers the asker
    directly (point a :class:`peerlab.mdns.Resolver` at :attr:`address`);
    ``multicast=True`` listens on the real mDNS group and answers there, as
    Chromium does, for aioice's own resolver. ``silent=True`` never answers.
    """

    def __init__(self, *, multicast: bool = False, silent: bool = False) -> None:
        self.multicast = multicast
        self.silent = silent
        self.names: dict[str, str] = {}
        self.questions: list[tuple[str, str]] = []  # (name, "A" or "AAAA"), each time one was asked
        self.address: tuple[str, int] = MDNS_GROUP
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Responder | None = None

    async def start(self) -> MdnsResponder:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            if self.multicast:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                sock.bind(("", MDNS_GROUP[1]))
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                                socket.inet_aton(MDNS_GROUP[0]) + socket.inet_aton("0.0.0.0"))
            else:
                sock.bind(("127.0.0.1", 0))
                self.address = sock.getsockname()
            transport, self._protocol = await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: _Responder(self), sock=sock)
        except BaseException:
            sock.close()
            raise
        self._transport = transport
        return self

    def publish(self, address: str) -> str:
        """A new ``<uuid>.local`` name that this responder answers with ``address``."""
        name = f"{uuid.uuid4()}.local"
        self.names[name] = address
        return name

    def hide(self, candidate: Any) -> Any:
        """The candidate (a dict or an ``RTCIceCandidate``) with its host address behind a new mDNS name.

        Other candidates, and ``None``, come back as they are, as dicts.
        """
        if candidate is None:
            return None
        data = candidate.toJSON() if isinstance(candidate, RTCIceCandidate) else dict(candidate)
        bits = data["candidate"].split()
        if len(bits) > 7 and bits[7] == "host" and not bits[4].endswith(".local"):
            bits[4] = self.publish(bits[4])
            data["candidate"] = " ".join(bits)
        return data

    async def close(self) -> None:
        if self._transport is not None and self._protocol is not None:
            self._transport.close()
            await self._protocol.closed
            self._transport = None

    async def __aenter__(self) -> MdnsResponder:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
