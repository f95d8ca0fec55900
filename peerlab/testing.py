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

from .defaults import DEFAULT_WAIT
from .signalling.loopback import Endpoint, Loopback
from .webrtc.candidate import RTCIceCandidate
from .webrtc.connection import RTCPeerConnection
from .webrtc.mdns import MDNS_GROUP

__all__ = ["add_queued_candidates", "add_remote_candidates", "negotiate", "MdnsResponder", "chromium_answer"]


async def add_remote_candidates(pc: RTCPeerConnection, endpoint: Endpoint, timeout: float = DEFAULT_WAIT) -> int:
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


def chromium_answer(name: str, address: str, question: str | None = None) -> bytes:
    """The bytes Chromium's mDNS responder sends for ``name`` (captured from Chromium 156 and rebuilt).

    Two records: the address (A or AAAA) and an NSEC record saying the name has no
    other type (RFC 6762 section 6.1). Asked for the address's own type (the default),
    the address is the answer and NSEC the additional record; asked for the other
    type, NSEC is the answer and the address the additional record. The NSEC record's
    "next name" is a compression pointer to its own name, which dnspython refuses
    (``DecompressionForbidden``), so aioice drops the whole answer.
    """
    cache_flush_in = 0x8001
    rdtype = 28 if ":" in address else 1
    data = socket.inet_pton(socket.AF_INET6 if rdtype == 28 else socket.AF_INET, address)
    record = _labels(name) + struct.pack("!HHIH", rdtype, cache_flush_in, 120, len(data)) + data
    window = rdtype // 8 + 1
    bitmap = bytes([0, window]) + bytes(window - 1) + bytes([0x80 >> (rdtype % 8)])

    def nsec(offset: int) -> bytes:  # its name is written at ``offset``; its next name points there
        rdata = struct.pack("!H", 0xC000 | offset) + bitmap
        return _labels(name) + struct.pack("!HHIH", 47, cache_flush_in, 120, len(rdata)) + rdata

    header = struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, 1)
    if question in (None, "A" if rdtype == 1 else "AAAA"):
        return header + record + nsec(len(header) + len(record))
    return header + nsec(len(header)) + record


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
            answer = chromium_answer(name, address, dns.rdatatype.to_text(question.rdtype))
            self.transport.sendto(answer, MDNS_GROUP if self.owner.multicast else addr)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class MdnsResponder:
    """A stand-in for Chromium's mDNS responder, for tests and benchmarks: answers as Chromium does.

    :meth:`hide` rewrites a candidate's address to a new ``<uuid>.local`` name, as
    Chromium does with its host candidates, and remembers which address it stands
    for. By default it listens on a free port of 127.0.0.1 and answers the asker
    directly (point a :class:`peerlab.webrtc.mdns.Resolver` at :attr:`address`);
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
