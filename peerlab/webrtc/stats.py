"""``getStats()`` in the browser's shape: an ``RTCStatsReport``, a mapping from id to stats.

aiortc's ``getStats()`` gathers what its senders and receivers count, with ``datetime`` timestamps and
no ``peer-connection``, candidate or data-channel entries. A browser's report (W3C webrtc-stats) has
one entry per object, each with ``id``, ``type`` and ``timestamp`` (milliseconds since 1970), linked
by ids (``transportId``, ``localId``...). This module builds that report from what aiortc and aioice
know:

- ``peer-connection``: ``dataChannelsOpened``, ``dataChannelsClosed``;
- ``data-channel``: ``label``, ``protocol``, ``dataChannelIdentifier``, ``state``, messages and bytes
  each way (peerlab's channel counts them);
- ``transport``: packets and bytes each way, ``dtlsState``, ``iceState``, ``iceRole``,
  ``selectedCandidatePairId``;
- ``candidate-pair``: ``localCandidateId``, ``remoteCandidateId``, ``state``, ``nominated``,
  ``priority`` (aioice's check list, and the pair it selected);
- ``local-candidate``, ``remote-candidate``: ``address``, ``port``, ``protocol``, ``candidateType``...;
- ``outbound-rtp`` (each sender with a track), ``remote-inbound-rtp`` (what the far side's receiver
  reports say: ``roundTripTime``, ``packetsLost``, ``jitter`` in seconds), ``inbound-rtp`` (once RTP
  arrives, as browsers report it: ``packetsReceived``, ``bytesReceived``, ``packetsLost``, ``jitter``)
  and ``remote-outbound-rtp`` (what the far side's sender reports say it sent).

Not there, because aiortc does not know them: ``codec``, ``certificate``, ``media-source`` and
frame counts (:mod:`peerlab.webrtc.media` counts the frames of peerlab's own tracks instead).

``getStats(track)`` selects a sender's or receiver's stats and every entry they lead to by id.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiortc import RTCDtlsTransport as AiortcDtlsTransport

from ..errors import MediaAccessError
from .candidate import RTCIceCandidate
from .internals import candidate_pairs, clock_rate, transport_counters
from .rtp import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver

if TYPE_CHECKING:
    from .connection import RTCPeerConnection
    from .datachannel import RTCDataChannel

__all__ = ["RTCStats", "RTCStatsReport", "StatsIds", "collect_stats", "selector_of"]

DEFAULT_CLOCK = {"audio": 48_000, "video": 90_000}


class RTCStats(dict[str, Any]):
    """One entry of a report, as the browser's dictionary: ``stats["type"]`` and ``stats.type`` alike."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"this {self.get('type')} stats entry has no {name!r}") from None


class RTCStatsReport(Mapping[str, RTCStats]):
    """The browser's ``RTCStatsReport``: a read-only mapping from each entry's ``id`` to the entry."""

    def __init__(self, entries: Mapping[str, RTCStats]) -> None:
        self._entries = dict(entries)

    def __getitem__(self, id: str) -> RTCStats:
        return self._entries[id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return len(self._entries)

    def has(self, id: str) -> bool:
        return id in self._entries

    def entries(self) -> list[tuple[str, RTCStats]]:
        return list(self._entries.items())

    def of_type(self, type: str) -> list[RTCStats]:
        """The entries of one ``type`` (peerlab's helper: ``report.of_type("outbound-rtp")``)."""
        return [stats for stats in self._entries.values() if stats["type"] == type]

    def __repr__(self) -> str:
        kinds: dict[str, int] = {}
        for stats in self._entries.values():
            kinds[stats["type"]] = kinds.get(stats["type"], 0) + 1
        return "<RTCStatsReport " + ", ".join(f"{n} {t}" for t, n in kinds.items()) + ">"


class StatsIds:
    """Stable ids for one connection's objects, numbered in the order first seen (``T1``, ``IL2``...)."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, Any], str] = {}

    def of(self, prefix: str, key: Any) -> str:
        found = self._ids.get((prefix, key))
        if found is None:
            found = self._ids[prefix, key] = f"{prefix}{sum(1 for p, _ in self._ids if p == prefix) + 1}"
        return found


def _seconds(jitter: Any, rate: int) -> float:
    return float(jitter or 0) / rate


def selector_of(pc: RTCPeerConnection, selector: Any) -> RTCRtpSender | RTCRtpReceiver | None:
    """What ``getStats(selector)`` selects: ``None`` (everything), a sender or a receiver.

    A track selects the one sender or receiver that has it; none, or more than one, is the browser's
    ``InvalidAccessError``.
    """
    if selector is None or isinstance(selector, (RTCRtpSender, RTCRtpReceiver)):
        return selector
    holders: list[RTCRtpSender | RTCRtpReceiver] = [t.sender for t in pc.getTransceivers()
                                                     if t.sender.track is selector]
    holders += [t.receiver for t in pc.getTransceivers() if t.receiver.track is selector]
    if len(holders) != 1:
        how = "no sender or receiver of this connection has" if not holders else "more than one sender or receiver has"
        raise MediaAccessError(f"Failed to execute 'getStats' on 'RTCPeerConnection': {how} this track.")
    return holders[0]


async def collect_stats(pc: RTCPeerConnection, ids: StatsIds, selector: RTCRtpSender | RTCRtpReceiver | None, *,
                        channels: Sequence[RTCDataChannel], received_bytes: Mapping[RTCRtpReceiver, int],
                        ) -> RTCStatsReport:
    """The connection's statistics now; with a ``selector``, only what its RTP entry leads to.

    ``channels`` are all its data channels (its own and the far side's), ``received_bytes`` the RTP
    payload bytes each receiver counted.
    """
    now = time.time() * 1000
    entries: dict[str, RTCStats] = {}

    def add(type: str, id: str, **fields: Any) -> RTCStats:
        stats = entries[id] = RTCStats(id=id, type=type, timestamp=now, **fields)
        return stats

    add("peer-connection", "P", dataChannelsOpened=sum(c.was_open for c in channels),
        dataChannelsClosed=sum(c.was_open and c.readyState == "closed" for c in channels))
    for channel in channels:
        add("data-channel", ids.of("D", channel), label=channel.label, protocol=channel.protocol,
            dataChannelIdentifier=channel.id, state=channel.readyState, **channel.counts)
    transports: dict[AiortcDtlsTransport, str] = {}
    for dtls in _transports(pc):
        transports[dtls] = _transport_stats(pc, dtls, ids, add)
    roots: list[str] = []
    for transceiver in pc.getTransceivers():
        roots += await _rtp_stats(transceiver, transports, received_bytes, add, selector)
    if selector is not None:
        entries = _reachable(entries, roots)
    return RTCStatsReport(entries)


def _transports(pc: RTCPeerConnection) -> list[AiortcDtlsTransport]:
    found: list[AiortcDtlsTransport] = []
    for transceiver in pc.getTransceivers():
        if transceiver.receiver.aiortc.transport not in found:
            found.append(transceiver.receiver.aiortc.transport)
    sctp = pc.sctp
    if sctp is not None and sctp.transport.aiortc not in found:
        found.append(sctp.transport.aiortc)
    return found


def _transport_stats(pc: RTCPeerConnection, dtls: AiortcDtlsTransport, ids: StatsIds, add: Any) -> str:
    """The ``transport`` entry of ``dtls``, and its candidates and candidate pairs; returns its id."""
    ice = dtls.transport
    transport_id = ids.of("T", dtls)
    selected = None
    for pair in candidate_pairs(ice):
        local_id = _candidate_stats("local-candidate", "IL", pair.local, transport_id, ids, add)
        remote_id = _candidate_stats("remote-candidate", "IR", pair.remote, transport_id, ids, add)
        pair_id = f"CP{local_id}_{remote_id}"
        add("candidate-pair", pair_id, transportId=transport_id, localCandidateId=local_id,
            remoteCandidateId=remote_id, state=pair.state, nominated=pair.nominated, priority=pair.priority)
        if pair.selected:
            selected = pair_id
    for candidate in ice.iceGatherer.getLocalCandidates():
        _candidate_stats("local-candidate", "IL", candidate, transport_id, ids, add)
    for candidate in ice.getRemoteCandidates():
        _candidate_stats("remote-candidate", "IR", candidate, transport_id, ids, add)
    closed = pc.signalingState == "closed"
    fields: dict[str, Any] = dict(transport_counters(dtls), dtlsState="closed" if closed else dtls.state,
                                  iceState="closed" if closed else ice.state, iceRole=ice.role,
                                  iceLocalUsernameFragment=ice.iceGatherer.getLocalParameters().usernameFragment)
    if selected is not None:
        fields["selectedCandidatePairId"] = selected
    add("transport", transport_id, **fields)
    return transport_id


def _candidate_stats(type: str, prefix: str, candidate: Any, transport_id: str, ids: StatsIds, add: Any) -> str:
    shown = RTCIceCandidate.from_aiortc(candidate)
    candidate_id = ids.of(prefix, (transport_id, shown.candidate))
    fields = {"transportId": transport_id, "address": shown.address, "port": shown.port,
              "protocol": shown.protocol, "candidateType": shown.type, "priority": shown.priority,
              "foundation": shown.foundation}
    if shown.relatedAddress is not None:
        fields.update(relatedAddress=shown.relatedAddress, relatedPort=shown.relatedPort)
    add(type, candidate_id, **fields)
    return candidate_id


async def _rtp_stats(transceiver: RTCRtpTransceiver, transports: dict[AiortcDtlsTransport, str],
                     received_bytes: Mapping[RTCRtpReceiver, int], add: Any,
                     selector: RTCRtpSender | RTCRtpReceiver | None) -> list[str]:
    """The RTP entries of one transceiver; returns the ids a selector of it starts from."""
    kind, mid, roots = transceiver.kind, transceiver.mid, []
    rate = clock_rate(transceiver.aiortc) or DEFAULT_CLOCK[kind]
    sender, receiver = transceiver.sender, transceiver.receiver
    transport_id = transports.get(sender.aiortc.transport) or transports.get(receiver.aiortc.transport)
    if sender.track is not None:
        report = await sender.aiortc.getStats()
        out = next(s for s in report.values() if s.type == "outbound-rtp")
        out_id = f"OT{out.ssrc}"
        fields: dict[str, Any] = {"ssrc": out.ssrc, "kind": kind, "mid": mid, "transportId": transport_id,
                                  "packetsSent": out.packetsSent, "bytesSent": out.bytesSent}
        back = next((s for s in report.values() if s.type == "remote-inbound-rtp"), None)
        if back is not None:
            fields["remoteId"] = f"RI{out.ssrc}"
            add("remote-inbound-rtp", f"RI{out.ssrc}", ssrc=out.ssrc, kind=kind, transportId=transport_id,
                localId=out_id, packetsLost=back.packetsLost, jitter=_seconds(back.jitter, rate),
                fractionLost=float(back.fractionLost or 0) / 256, roundTripTime=back.roundTripTime,
                packetsReceived=back.packetsReceived)
        add("outbound-rtp", out_id, **fields)
        if selector is sender:
            roots.append(out_id)
    report = await receiver.aiortc.getStats()
    inbound = next((s for s in report.values() if s.type == "inbound-rtp"), None)
    if inbound is not None:
        in_id = f"IT{inbound.ssrc}"
        fields = {"ssrc": inbound.ssrc, "kind": kind, "mid": mid, "transportId": transport_id,
                  "trackIdentifier": receiver.track.id, "packetsReceived": inbound.packetsReceived,
                  "bytesReceived": received_bytes.get(receiver, 0), "packetsLost": inbound.packetsLost,
                  "jitter": _seconds(inbound.jitter, rate)}
        sent = next((s for s in report.values() if s.type == "remote-outbound-rtp"), None)
        if sent is not None:
            fields["remoteId"] = f"RO{sent.ssrc}"
            add("remote-outbound-rtp", f"RO{sent.ssrc}", ssrc=sent.ssrc, kind=kind, transportId=transport_id,
                localId=in_id, packetsSent=sent.packetsSent, bytesSent=sent.bytesSent,
                remoteTimestamp=sent.remoteTimestamp.timestamp() * 1000 if sent.remoteTimestamp else None)
        add("inbound-rtp", in_id, **fields)
        if selector is receiver:
            roots.append(in_id)
    return roots


def _reachable(entries: dict[str, RTCStats], roots: list[str]) -> dict[str, RTCStats]:
    """The entries ``roots`` lead to through their ``...Id`` fields (the spec's stats selection algorithm)."""
    keep: dict[str, RTCStats] = {}
    todo = list(roots)
    while todo:
        id = todo.pop()
        if id in keep or id not in entries:
            continue
        keep[id] = entries[id]
        todo += [value for name, value in entries[id].items()
                 if name.endswith("Id") and name != "id" and isinstance(value, str)]
    return {id: stats for id, stats in entries.items() if id in keep}
