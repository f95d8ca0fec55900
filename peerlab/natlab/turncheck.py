"""Ask a TURN server for an allocation yourself: what it answers is what aiortc does not tell.

When a TURN server refuses a peer (a wrong password, expired credentials, nothing getting
through), aiortc 1.16 gathers no relay candidate and says nothing at all: no error, no event, no
log line (the issue's fact 3). :func:`ask_turn_server` makes the same request with aioice's own
TURN client and returns the server's answer in words: ``None`` if it gave an allocation, else
aioice's error, which carries the STUN error code (``401 - Unauthorized``: the credentials), or a
timeout. The demo's peers ask it when no relay came; lesson 10's learner asks it in a cell.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aioice import turn

__all__ = ["ask_turn_server", "TIMEOUT"]

TIMEOUT = 5.0


async def ask_turn_server(server: dict[str, Any], timeout: float = TIMEOUT) -> str | None:
    """Ask the TURN server of ``server`` (an ``iceServers`` entry; its first ``turn:`` URL) for an allocation.

    Returns ``None`` if it gave one (released at once), else what went wrong: coturn's error code and
    reason (``"TransactionFailed: STUN transaction failed (401 - Unauthorized)"``) or the timeout.
    """
    urls = server["urls"] if isinstance(server["urls"], list) else [server["urls"]]
    url = next((str(u) for u in urls if str(u).startswith("turn:")), None)
    if url is None:
        raise ValueError(f"{server['urls']!r} has no turn: URL to ask")
    host_port, _, query = url.split(":", 1)[1].partition("?")
    host, _, port = host_port.rpartition(":")
    transport = "tcp" if "transport=tcp" in query else "udp"
    try:
        relay, _ = await asyncio.wait_for(
            turn.create_turn_endpoint(asyncio.DatagramProtocol, server_addr=(host, int(port or 3478)),
                                      username=server.get("username"), password=server.get("credential"),
                                      transport=transport), timeout)
    except TimeoutError:
        return f"no answer from {host}:{port} over {transport.upper()} in {timeout:g} s"
    except Exception as exc:  # aioice's TransactionFailed says the error code the server sent
        return f"{type(exc).__name__}: {exc}"
    relay.close()
    return None
