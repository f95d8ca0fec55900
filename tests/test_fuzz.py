"""Fuzzing the parsing paths a learner's input goes through: only peerlab's named errors come out."""

from __future__ import annotations

import asyncio

from aiortc import RTCSessionDescription
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerlab import InvalidDescriptionError, Loopback, RTCPeerConnection, SignallingError
from peerlab.webrtc.sdp import parse_description, to_description

# A real offer from aiortc (volatile values fixed), the shape learners pass around.
OFFER = (
    "v=0\r\no=- 3900000000 3900000000 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "a=msid-semantic:WMS *\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\na=sctp-port:5000\r\na=max-message-size:65536\r\na=ice-ufrag:abcd\r\n"
    "a=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 "
    + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\n"
)
LINES = OFFER.split("\r\n")[:-1]


def accepts_or_names_the_problem(sdp: str) -> None:
    try:
        parse_description(RTCSessionDescription(sdp=sdp, type="offer"), "setRemoteDescription()")
    except InvalidDescriptionError as exc:
        assert "setRemoteDescription()" in str(exc)


def test_the_real_offer_is_accepted():
    parsed = parse_description(RTCSessionDescription(sdp=OFFER, type="offer"), "x")
    assert [m.kind for m in parsed] == ["application"]


@given(st.text(max_size=300))
def test_any_text_as_sdp(text):
    accepts_or_names_the_problem(text)


@given(st.lists(st.sampled_from(LINES + ["m=audio 9 UDP/TLS/RTP/SAVPF 0", "a=rtpmap:0 PCMU/8000", "a=setup:bogus",
                                         "a=fingerprint:sha-256", "c=IN IP9 x", "m=video x RTP 1", "a=candidate:1"]),
                max_size=20))
def test_real_lines_shuffled_dropped_and_mangled(lines):
    accepts_or_names_the_problem("\r\n".join(lines) + "\r\n")


@given(st.integers(0, len(LINES) - 1), st.text(alphabet="abc:= 0123456789/-", max_size=30))
def test_one_line_of_the_real_offer_replaced(index, replacement):
    lines = list(LINES)
    lines[index] = replacement
    accepts_or_names_the_problem("\r\n".join(lines) + "\r\n")


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10) | st.binary(max_size=4)
    | st.sets(st.integers(), max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3),
    max_leaves=8,
)


@given(st.sampled_from(["offer", "answer", "candidate", "chat", None, 3]), json_like)
def test_signalling_accepts_or_refuses_with_a_signalling_error(kind, data):
    loopback = Loopback()
    message = {"data": data} if kind is None else {"type": kind, "data": data}
    try:
        loopback.caller.send(message)
    except SignallingError as exc:
        assert str(exc)
        assert len(loopback.transcript) == 0
    else:
        assert len(loopback.transcript) == 1
        assert loopback.callee.pending[0]["type"] == kind


@given(st.one_of(st.text(max_size=20), st.integers(), st.none(),
                 st.dictionaries(st.sampled_from(["type", "sdp", "data"]), st.text(max_size=8), max_size=3)))
def test_description_inputs_of_any_shape(value):
    try:
        to_description(value, "setRemoteDescription()")
    except InvalidDescriptionError:
        pass


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(LINES) - 1))
def test_a_connection_refusing_a_mangled_offer_stays_usable(index):
    async def run() -> None:
        pc = RTCPeerConnection()
        lines = list(LINES)
        del lines[index]
        try:
            try:
                await pc.setRemoteDescription({"type": "offer", "sdp": "\r\n".join(lines) + "\r\n"})
            except InvalidDescriptionError:
                assert pc.signalingState == "stable"
            else:
                assert pc.signalingState == "have-remote-offer"
                answer = await pc.createAnswer()
                assert answer.type == "answer"
        finally:
            await pc.close()

    asyncio.run(run())
