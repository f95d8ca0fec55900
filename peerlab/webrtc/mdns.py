"""Resolve a browser's mDNS host names (``<uuid>.local``) to addresses, reading only what is needed.

Browsers hide a host candidate's address behind a random ``<uuid>.local`` name
and answer multicast DNS queries for it (RFC 6762; the draft "mDNS ICE candidates").
aioice 0.13 asks too, but parses the whole answer with dnspython, and Chromium's
answer carries an NSEC record whose compressed name dnspython refuses
(``DecompressionForbidden``): aioice drops the packet and waits its 1 s out for
every ``.local`` candidate. This module has one job: send the question (built by
dnspython) and read the reply record by record, keeping the A and AAAA records
for the name asked and skipping every other record by its length. It reads the
additional section too: asked for an IPv6 name's A record, Chromium answers with
NSEC and puts the AAAA record there.

``resolver`` is the one :class:`RTCPeerConnection` uses; a test points a
:class:`Resolver` at a responder of its own (``Resolver(responder=("127.0.0.1", port))``).

:class:`Resolving` is a connection's side of it: the far side's ``.local`` candidates it is
resolving, each in a background task, as a browser's ``addIceCandidate()`` settles at once and
resolves the name afterwards (aiortc's would wait up to 1 s for aioice, which cannot read
Chromium's answer). What to do with each outcome is the connection's; whether end-of-candidates
may reach aiortc yet is :attr:`Resolving.pending`'s, and a name that did not resolve holds it
(a browser on another network: see there).
"""

from __future__ import annotations

import asyncio
import copy
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
from aiortc import RTCIceCandidate as AiortcCandidate

from .internals import is_mdns_hostname

__all__ = ["MDNS_GROUP", "is_mdns_name", "query", "read_addresses", "Resolver", "resolver", "Resolution",
           "Resolving"]

MDNS_GROUP = ("224.0.0.251", 5353)
_HEADER = struct.Struct("!HHHHHH")
_RECORD = struct.Struct("!HHIH")  # type, class, TTL, length of the data
_QR = 0x8000  # the header flag of a response
_A, _AAAA = dns.rdatatype.A, dns.rdatatype.AAAA


def is_mdns_name(host: str) -> bool:
    """True for a name such as ``1f0c....local``: the same test aioice applies."""
    return is_mdns_hostname(host)


def query(name: str, rdtype: dns.rdatatype.RdataType = _A) -> bytes:
    """The mDNS question for ``name`` (id 0, no flags, as RFC 6762 section 18 asks)."""
    message = dns.message.make_query(name, rdtype)
    message.id = 0
    message.flags = 0
    return message.to_wire()


def read_addresses(data: bytes, name: str) -> list[str]:
    """The addresses the response ``data`` gives for ``name`` (A and AAAA records), in order.

    Reads one record at a time and skips any other type (NSEC, TXT, ...) by its
    length without parsing it, so a record dnspython would refuse costs nothing.
    A query, or bytes that stop making sense, give what was read up to there.
    """
    wanted = dns.name.from_text(name)
    try:
        _, flags, questions, *counts = _HEADER.unpack_from(data)
    except struct.error:
        return []
    if not flags & _QR:
        return []
    found: list[str] = []
    offset = _HEADER.size
    try:
        for _ in range(questions):
            _, used = dns.name.from_wire(data, offset)
            offset += used + 4  # the name, then type and class
        for _ in range(sum(counts)):
            owner, used = dns.name.from_wire(data, offset)
            offset += used
            rdtype, _, _, length = _RECORD.unpack_from(data, offset)
            offset += _RECORD.size
            rdata = data[offset:offset + length]
            offset += length
            if len(rdata) != length:
                break
            if owner != wanted:
                continue
            if rdtype == _A and length == 4:
                found.append(socket.inet_ntop(socket.AF_INET, rdata))
            elif rdtype == _AAAA and length == 16:
                found.append(socket.inet_ntop(socket.AF_INET6, rdata))
    except (struct.error, dns.exception.DNSException, IndexError):
        pass
    return found


class _Reply(asyncio.DatagramProtocol):
    """Settles ``answer`` with the first address for ``name``; ``None`` if sending fails."""

    def __init__(self, name: str) -> None:
        loop = asyncio.get_running_loop()
        self.name = name
        self.answer: asyncio.Future[str | None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        addresses = read_addresses(data, self.name)
        if addresses and not self.answer.done():
            self.answer.set_result(addresses[0])

    def error_received(self, exc: Exception) -> None:  # no route to the responder, say
        if not self.answer.done():
            self.answer.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class Resolver:
    """Asks ``responder`` (the mDNS group by default) for a name; ``None`` if nothing answers in ``timeout`` s.

    Each :meth:`resolve` opens its own socket and closes it before returning. On
    the mDNS group it binds port 5353 (shared, as every mDNS reader does) and joins
    the group, since a responder multicasts its answer; anywhere else (a test's
    responder) it binds a free port and the answer comes back to it. The question
    goes out again every ``resend`` s, in case a packet was lost.
    """

    def __init__(self, responder: tuple[str, int] = MDNS_GROUP, *, timeout: float = 1.5,
                 resend: float = 0.5) -> None:
        self.responder = responder
        self.timeout = timeout
        self.resend = resend

    def __repr__(self) -> str:
        return f"Resolver(responder={self.responder!r}, timeout={self.timeout:g})"

    async def resolve(self, name: str) -> str | None:
        """The address ``name`` stands for, or ``None`` (no answer, or no way to ask)."""
        loop = asyncio.get_running_loop()
        try:
            sock = self._socket()
        except OSError:
            return None
        try:
            transport, reply = await loop.create_datagram_endpoint(lambda: _Reply(name), sock=sock)
        except BaseException:
            sock.close()
            raise
        try:
            questions = [query(name, _A), query(name, _AAAA)]
            deadline = loop.time() + self.timeout
            while not reply.answer.done():
                left = deadline - loop.time()
                if left <= 0:
                    return None
                for question in questions:
                    transport.sendto(question, self.responder)
                try:
                    return await asyncio.wait_for(asyncio.shield(reply.answer), min(self.resend, left))
                except TimeoutError:
                    continue
            return reply.answer.result()
        finally:
            transport.close()
            await asyncio.shield(reply.closed)

    def _socket(self) -> socket.socket:
        host, port = self.responder
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            if (host, port) != MDNS_GROUP:
                sock.bind(("", 0))
                return sock
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
            try:
                sock.bind(("", port))
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                                socket.inet_aton(host) + socket.inet_aton("0.0.0.0"))
            except OSError:  # port 5353 taken without sharing, or no multicast: a unicast answer may still come
                sock.close()
                sock = socket.socket(family, socket.SOCK_DGRAM)
                sock.setblocking(False)
                sock.bind(("", 0))
            return sock
        except BaseException:
            sock.close()
            raise


resolver = Resolver()


@dataclass(frozen=True)
class Resolution:
    """How resolving one ``.local`` candidate ended.

    ``candidate`` is the far side's candidate with ``address`` in place of its name (``None``:
    no answer came, and a browser ignores such a candidate); ``error`` says what a resolver that
    broke raised (and the name counts as unresolved).
    """

    name: str
    address: str | None
    candidate: AiortcCandidate | None
    error: str | None = None


class Resolving:
    """The far side's ``.local`` candidates one connection is resolving, each in a task of its own.

    ``then(resolution)`` runs in that task once the name resolved, or did not. It calls
    :meth:`settle` first (on the connection's operations chain, so that an end-of-candidates held
    until every name has settled sees the right :attr:`pending`); :meth:`cancel` stops them all.
    """

    def __init__(self, then: Callable[[Resolution], Awaitable[None]]) -> None:
        self._then = then
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsettled: list[str] = []
        self._unresolved: list[str] = []

    @property
    def names(self) -> tuple[str, ...]:
        """The names started and not settled yet, in order."""
        return tuple(self._unsettled)

    @property
    def pending(self) -> bool:
        """Whether end-of-candidates must wait: a name is still resolving, or one did not resolve.

        A name that did not resolve holds it until :meth:`cancel`. Its owner is usually a browser on
        another network (a JupyterHub's kernel, where multicast DNS does not reach): its checks still
        come, and ICE learns its address from them as a peer-reflexive candidate. aioice 0.13, told
        end-of-candidates before then with no candidate it can pair, prunes its only component and
        fails at once; without end-of-candidates it waits for those checks, as a browser does
        (Chromium, given end-of-candidates and no candidate at all, stays ``new`` until a check comes).
        """
        return bool(self._unsettled or self._unresolved)

    def start(self, candidate: AiortcCandidate) -> None:
        """Resolve ``candidate``'s host name (``<uuid>.local``) in the background."""
        self._unsettled.append(candidate.ip)
        task = asyncio.ensure_future(self._resolve(candidate))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)  # also when cancel() cancels it

    def settle(self, resolution: Resolution) -> None:
        """``resolution``'s name is done with: no longer resolving (still :attr:`pending` if it did not resolve)."""
        if resolution.name in self._unsettled:
            self._unsettled.remove(resolution.name)
            if resolution.candidate is None:
                self._unresolved.append(resolution.name)

    async def cancel(self) -> None:
        """Stop every resolution still running (their sockets close as they stop); nothing is pending after."""
        self._unsettled.clear()
        self._unresolved.clear()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _resolve(self, candidate: AiortcCandidate) -> None:
        name = candidate.ip
        error = None
        try:
            address = await resolver.resolve(name)
        except Exception as exc:  # a resolver that breaks must not leave the name pending
            address, error = None, f"resolving {name} raised {type(exc).__name__}: {exc}"
        resolved = None
        if address is not None:
            resolved = copy.copy(candidate)
            resolved.ip = address
        await self._then(Resolution(name, address, resolved, error))
