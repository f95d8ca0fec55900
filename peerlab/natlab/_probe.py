"""A UDP echo and a UDP ping, to measure a path through the lab (there is no ``ping`` binary to count on).

``python -I _probe.py echo ADDRESS PORT LIFETIME``: sends every datagram back to where it came
from; prints ``{"ready": true}`` once bound, stops at end-of-file on stdin or after LIFETIME s.

``python -I _probe.py ping ADDRESS PORT COUNT INTERVAL WAIT``: sends COUNT numbered datagrams,
INTERVAL seconds apart, collects the echoes until all came or WAIT seconds after the last one, and prints
``{"sent": COUNT, "received": N, "rtt_ms": [...]}``, one round-trip time per echo received.

Run as a script, importing nothing of peerlab, inside a namespace of the lab.
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import sys
import time


def echo(address: str, port: int, lifetime: float) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, port))
        print(json.dumps({"ready": True}), flush=True)
        end = time.monotonic() + lifetime
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([sock, sys.stdin], [], [], left)
            if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
                break
            if sock in ready:
                data, peer = sock.recvfrom(2048)
                sock.sendto(data, peer)
    return 0


def ping(address: str, port: int, count: int, interval: float, wait: float) -> int:
    rtts: list[float] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((address, port))
        start = time.monotonic()
        sent = 0
        end = start + interval * count + wait
        while (now := time.monotonic()) < end and len(rtts) < count:
            if sent < count and now >= start + sent * interval:
                sock.send(struct.pack("!Id", sent, now))
                sent += 1
                continue
            due = start + sent * interval if sent < count else end
            ready, _, _ = select.select([sock], [], [], max(0.0, min(due, end) - now))
            if ready:
                try:
                    data = sock.recv(2048)
                except ConnectionRefusedError:  # an ICMP error for an earlier datagram
                    continue
                _, sent_at = struct.unpack("!Id", data[:12])
                rtts.append(round((time.monotonic() - sent_at) * 1000, 2))
    print(json.dumps({"sent": count, "received": len(rtts), "rtt_ms": rtts}), flush=True)
    return 0


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "echo":
        sys.exit(echo(args[0], int(args[1]), float(args[2])))
    sys.exit(ping(args[0], int(args[1]), int(args[2]), float(args[3]), float(args[4])))
