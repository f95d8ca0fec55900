"""RTCStats-helper.js in Python: ``validateStatsReport``, ``assert_stats_report_has_stats``, ``findStatsFromReport``.

Source: Chromium's import of WPT (stored commit 02690aef), written against webrtc-stats of 2017.
Adapted to the fields as webrtc-stats names them today, which is what browsers report:
``mediaType`` is ``kind``, a candidate's ``ip`` is ``address``; the ``stream`` and ``track`` types and
the ``trackId`` links to them are gone from the spec (and from Chromium's reports), so they are not
asked for. A link (``transportId``, ``remoteId``, ``localId``...) is checked when it is there: it must
lead to an entry of the right type. Left optional, because aiortc does not measure them:
``codecId`` (no ``codec`` entries), a candidate pair's bytes and round-trip times, the certificate
ids; an ``inbound-rtp``'s ``framesDecoded``, an ``outbound-rtp``'s ``framesEncoded``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

KINDS = ("audio", "video")


def _field(stats: Any, name: str, kinds: tuple[type, ...], optional: bool) -> None:
    if name not in stats or stats[name] is None:
        assert optional, f"Expect {stats['type']} stats {stats['id']!r} to have {name}"
        return
    value = stats[name]
    assert isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds), (
        f"Expect {stats['type']}.{name} to be {'/'.join(k.__name__ for k in kinds)}, got {value!r}")


def number(stats: Any, name: str, optional: bool = False) -> None:
    _field(stats, name, (int, float), optional)


def unsigned(stats: Any, name: str, optional: bool = False) -> None:
    _field(stats, name, (int,), optional)
    if stats.get(name) is not None:
        assert stats[name] >= 0, f"Expect {stats['type']}.{name} to be >= 0, got {stats[name]!r}"


def integer(stats: Any, name: str, optional: bool = False) -> None:
    _field(stats, name, (int,), optional)


def string(stats: Any, name: str, optional: bool = False) -> None:
    _field(stats, name, (str,), optional)


def boolean(stats: Any, name: str, optional: bool = False) -> None:
    _field(stats, name, (bool,), optional)


def enum(stats: Any, name: str, values: tuple[str, ...], optional: bool = False) -> None:
    string(stats, name, optional)
    if stats.get(name) is not None:
        assert stats[name] in values, f"Expect {stats['type']}.{name} to be one of {values}, got {stats[name]!r}"


def link(report: Any, stats: Any, name: str, type: str, optional: bool = False) -> None:
    """``validateIdField`` / ``validateOptionalIdField``: the id leads to an entry of ``type``."""
    string(stats, name, optional)
    if stats.get(name) is not None:
        assert report.has(stats[name]), f"Expect stats report to have stats object with id {stats[name]}"
        assert report.get(stats[name])["type"] == type, f"Expect linked stats object to have type {type}"


def _rtp_stream(report: Any, stats: Any) -> None:
    unsigned(stats, "ssrc")
    enum(stats, "kind", KINDS)
    link(report, stats, "transportId", "transport")
    link(report, stats, "codecId", "codec", optional=True)


def _received(report: Any, stats: Any) -> None:
    _rtp_stream(report, stats)
    integer(stats, "packetsLost")
    number(stats, "jitter")


def _sent(report: Any, stats: Any) -> None:
    _rtp_stream(report, stats)
    unsigned(stats, "packetsSent")
    unsigned(stats, "bytesSent")


def _codec(report: Any, stats: Any) -> None:
    unsigned(stats, "payloadType")
    string(stats, "mimeType")
    unsigned(stats, "clockRate")
    link(report, stats, "transportId", "transport")


def _inbound(report: Any, stats: Any) -> None:
    _received(report, stats)
    unsigned(stats, "packetsReceived")
    unsigned(stats, "bytesReceived")
    string(stats, "trackIdentifier")
    link(report, stats, "remoteId", "remote-outbound-rtp", optional=True)


def _remote_inbound(report: Any, stats: Any) -> None:
    _received(report, stats)
    link(report, stats, "localId", "outbound-rtp")
    number(stats, "roundTripTime", optional=True)  # once a receiver report answered a sender report
    number(stats, "fractionLost", optional=True)


def _outbound(report: Any, stats: Any) -> None:
    _sent(report, stats)
    link(report, stats, "remoteId", "remote-inbound-rtp", optional=True)


def _remote_outbound(report: Any, stats: Any) -> None:
    _sent(report, stats)
    link(report, stats, "localId", "inbound-rtp")
    number(stats, "remoteTimestamp")


def _peer_connection(report: Any, stats: Any) -> None:
    unsigned(stats, "dataChannelsOpened")
    unsigned(stats, "dataChannelsClosed")


def _data_channel(report: Any, stats: Any) -> None:
    string(stats, "label")
    string(stats, "protocol")
    integer(stats, "dataChannelIdentifier")
    link(report, stats, "transportId", "transport", optional=True)
    enum(stats, "state", ("connecting", "open", "closing", "closed"))
    for name in ("messagesSent", "bytesSent", "messagesReceived", "bytesReceived"):
        unsigned(stats, name)


def _transport(report: Any, stats: Any) -> None:
    unsigned(stats, "packetsSent", optional=True)
    unsigned(stats, "packetsReceived", optional=True)
    unsigned(stats, "bytesSent")
    unsigned(stats, "bytesReceived")
    enum(stats, "iceRole", ("controlling", "controlled"), optional=True)
    enum(stats, "dtlsState", ("new", "connecting", "connected", "closed", "failed"))
    link(report, stats, "selectedCandidatePairId", "candidate-pair", optional=True)
    link(report, stats, "localCertificateId", "certificate", optional=True)
    link(report, stats, "remoteCertificateId", "certificate", optional=True)


def _candidate(report: Any, stats: Any) -> None:
    link(report, stats, "transportId", "transport")
    string(stats, "address")
    integer(stats, "port")
    string(stats, "protocol")
    enum(stats, "candidateType", ("host", "srflx", "prflx", "relay"))
    integer(stats, "priority")
    string(stats, "url", optional=True)


def _candidate_pair(report: Any, stats: Any) -> None:
    link(report, stats, "transportId", "transport")
    link(report, stats, "localCandidateId", "local-candidate")
    link(report, stats, "remoteCandidateId", "remote-candidate")
    enum(stats, "state", ("frozen", "waiting", "in-progress", "failed", "succeeded"))
    unsigned(stats, "priority")
    boolean(stats, "nominated")
    for name in ("bytesSent", "bytesReceived"):
        unsigned(stats, name, optional=True)
    for name in ("totalRoundTripTime", "currentRoundTripTime"):
        number(stats, name, optional=True)


def _certificate(report: Any, stats: Any) -> None:
    for name in ("fingerprint", "fingerprintAlgorithm", "base64Certificate"):
        string(stats, name)


VALIDATORS: dict[str, Callable[[Any, Any], None]] = {
    "codec": _codec, "inbound-rtp": _inbound, "outbound-rtp": _outbound, "remote-inbound-rtp": _remote_inbound,
    "remote-outbound-rtp": _remote_outbound, "peer-connection": _peer_connection, "data-channel": _data_channel,
    "transport": _transport, "candidate-pair": _candidate_pair, "local-candidate": _candidate,
    "remote-candidate": _candidate, "certificate": _certificate,
}


def validate_stats_report(report: Any) -> None:
    """``validateStatsReport``: each entry under its own id, with the fields its type has."""
    for id, stats in report.entries():
        assert stats["id"] == id, "expect stats.id to be the same as the key in statsReport"
        number(stats, "timestamp")
        string(stats, "type")
        string(stats, "id")
        validator = VALIDATORS.get(stats["type"])
        if validator is not None:
            validator(report, stats)


def assert_stats_report_has_stats(report: Any, types: list[str]) -> None:
    has = {stats["type"] for stats in report.values()}
    for type in types:
        assert type in has, f"Expect statsReport to contain stats object of type {type}"


def find_stats_from_report(report: Any, predicate: Callable[[Any], bool], message: str | None = None) -> Any:
    for stats in report.values():
        if predicate(stats):
            return stats
    pytest.fail(message or "none of stats in statsReport satisfy given condition")
