"""The impaired link's reader: holds each queued packet for DELAY seconds and drops LOSS of them.

This kernel has neither ``netem`` nor nftables' ``queue`` statement, but it has iptables'
``NFQUEUE`` target: the router sends every forwarded packet to a netfilter queue, and this
process, the queue's reader, gives each one its verdict. It answers "drop" at once for a
random LOSS fraction, and "accept" DELAY seconds after the packet came for the rest, so
packets keep their order (each waits the same time) and every packet crossing the router,
either way, is delayed once: a round trip through the router takes 2 x DELAY more. With
JITTER, each packet waits a time drawn from DELAY ± JITTER instead, so packets that came
close together may leave in another order.

It speaks nfnetlink_queue (``linux/netfilter/nfnetlink_queue.h``) itself, over a netlink
socket from the standard library, asking for packet metadata only (the packet id, never its
bytes). The rule that feeds it has ``--queue-bypass``: while no reader is bound, packets pass
unimpaired. It prints ``{"ready": true}`` once bound, and ``{"passed": N, "dropped": M}`` when
it stops: at end-of-file on its stdin, on SIGTERM, or after LIFETIME seconds.

Run as a script (``python -I _nfqueue.py QUEUE DELAY LOSS LIFETIME [JITTER]``), importing nothing of
peerlab, inside the router's network namespace.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
import signal
import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NF_DROP, NF_ACCEPT = 0, 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
QUEUE_MAXLEN = 4096


def _attribute(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def _message(kind: int, queue: int, attributes: bytes, flags: int = NLM_F_REQUEST, seq: int = 0) -> bytes:
    """One nfnetlink message: nlmsghdr, nfgenmsg (AF_UNSPEC, version 0, the queue number), attributes."""
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attributes
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, seq, 0) + body


def _attributes(data: bytes) -> dict[int, bytes]:
    found, offset = {}, 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        if length < 4:
            break
        found[kind & 0x7FFF] = data[offset + 4:offset + length]
        offset += (length + 3) & ~3
    return found


def _parse(data: bytes) -> tuple[dict[int, int], list[int]]:
    """One datagram from the kernel (it may carry several messages): acks by sequence number, packet ids."""
    acks, ids, offset = {}, [], 0
    while offset + 16 <= len(data):
        length, kind, _, seq = struct.unpack_from("=IHHI", data, offset)
        if length < 16:
            break
        if kind == NLMSG_ERROR:
            acks[seq] = -struct.unpack_from("=i", data, offset + 16)[0]
        elif kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            header = _attributes(data[offset + 20:offset + length]).get(NFQA_PACKET_HDR)
            if header is not None:
                ids.append(struct.unpack_from(">I", header)[0])
        offset += (length + 3) & ~3
    return acks, ids


def _configure(sock: socket.socket, queue: int) -> list[int]:
    """Bind the queue and ask for metadata only; returns the ids of packets that came meanwhile.

    Raises OSError with the kernel's errno if it refuses (no nfnetlink_queue, not permitted).
    """
    requests = [
        _attribute(NFQA_CFG_CMD, struct.pack("=BxH", NFQNL_CFG_CMD_BIND, 0)),
        _attribute(NFQA_CFG_PARAMS, struct.pack(">IB", 0, NFQNL_COPY_META)),
        _attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack(">I", QUEUE_MAXLEN)),
    ]
    early: list[int] = []
    for seq, attribute in enumerate(requests, 1):
        sock.send(_message(NFQNL_MSG_CONFIG, queue, attribute, NLM_F_REQUEST | NLM_F_ACK, seq))
        while True:
            acks, ids = _parse(sock.recv(65536))
            early += ids
            if seq in acks:
                break
        if acks[seq]:
            raise OSError(acks[seq], f"nfnetlink_queue refused the configuration: {os.strerror(acks[seq])}")
    return early


async def run(queue: int, delay: float, loss: float, lifetime: float, jitter: float = 0.0) -> dict[str, int]:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.bind((0, 0))
    early = _configure(sock, queue)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    counts = {"passed": 0, "dropped": 0}
    stop = asyncio.Event()

    def verdict(packet: int, accept: bool) -> None:
        header = _attribute(NFQA_VERDICT_HDR, struct.pack(">II", NF_ACCEPT if accept else NF_DROP, packet))
        try:
            sock.send(_message(NFQNL_MSG_VERDICT, queue, header))
        except OSError:  # the queue is going away with the lab: nothing to give a verdict to
            pass

    def readable() -> None:
        while True:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:  # the kernel dropped messages (the reader fell behind): go on
                    continue
                raise
            judge(_parse(data)[1])

    def judge(packets: list[int]) -> None:
        for packet in packets:
            if random.random() < loss:
                counts["dropped"] += 1
                verdict(packet, accept=False)
            else:
                counts["passed"] += 1
                wait = delay + random.uniform(-jitter, jitter) if jitter else delay
                loop.call_later(max(0.0, wait), verdict, packet, True)

    def stdin_closed() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            stop.set()

    judge(early)
    loop.add_reader(sock.fileno(), readable)
    loop.add_reader(sys.stdin.fileno(), stdin_closed)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(json.dumps({"ready": True}), flush=True)
    try:
        await asyncio.wait_for(stop.wait(), lifetime)
    except TimeoutError:
        pass
    loop.remove_reader(sock.fileno())
    loop.remove_reader(sys.stdin.fileno())
    sock.close()  # the kernel drops what still waits for a verdict, as a pulled cable would
    return counts


def main(argv: list[str]) -> int:
    queue, delay, loss, lifetime = int(argv[0]), float(argv[1]), float(argv[2]), float(argv[3])
    jitter = float(argv[4]) if len(argv) > 4 else 0.0
    try:
        counts = asyncio.run(run(queue, delay, loss, lifetime, jitter))
    except OSError as exc:
        print(json.dumps({"ready": False, "error": str(exc)}), flush=True)
        return 1
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
