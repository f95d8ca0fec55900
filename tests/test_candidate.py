"""The browser-shaped candidate: parsing, JSON shape, and errors that name the field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerlab import CandidateTypeError, InvalidCandidateError, RTCIceCandidate
from peerlab.webrtc.candidate import candidates_of, parse_candidate, remote_candidate

HOST = "candidate:842163049 1 udp 1677729535 192.0.2.7 54400 typ srflx raddr 10.0.0.2 rport 54400"


def test_fields_are_parsed_from_the_candidate_string():
    c = RTCIceCandidate(HOST, "0", 0)
    assert (c.foundation, c.component, c.protocol, c.priority, c.address, c.port, c.type) == (
        "842163049", "rtp", "udp", 1677729535, "192.0.2.7", 54400, "srflx")
    assert (c.relatedAddress, c.relatedPort) == ("10.0.0.2", 54400)
    assert c.toJSON() == {"candidate": HOST, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": None}


def test_the_constructor_takes_the_browsers_dict_and_carries_the_ufrag():
    c = RTCIceCandidate({"candidate": HOST + " ufrag abcd", "sdpMLineIndex": 0})
    assert (c.sdpMid, c.sdpMLineIndex, c.usernameFragment, c.address) == (None, 0, None, "192.0.2.7")
    assert RTCIceCandidate({"candidate": HOST, "sdpMid": "0", "usernameFragment": "x"}).usernameFragment == "x"
    with pytest.raises(TypeError, match="needs 'sdpMid' or 'sdpMLineIndex'"):
        RTCIceCandidate({"candidate": HOST})
    unparsable = RTCIceCandidate({"candidate": "candidate:not a candidate", "sdpMid": "0"})
    assert (unparsable.address, unparsable.port, unparsable.type) == (None, None, None)


def test_the_constructor_takes_the_dicts_members_as_keywords_too():
    c = RTCIceCandidate(candidate=HOST, sdpMid="0")
    assert c == RTCIceCandidate({"candidate": HOST, "sdpMid": "0"})
    assert RTCIceCandidate(candidate=HOST, sdpMLineIndex=0, usernameFragment="x").toJSON() == {
        "candidate": HOST, "sdpMid": None, "sdpMLineIndex": 0, "usernameFragment": "x"}
    with pytest.raises(CandidateTypeError, match="needs 'sdpMid' or 'sdpMLineIndex'"):
        RTCIceCandidate(candidate=HOST)
    with pytest.raises(TypeError, match="takes the candidate once"):
        RTCIceCandidate(HOST, candidate=HOST, sdpMid="0")


def test_round_trip_through_aiortc_keeps_every_field():
    c = RTCIceCandidate(HOST, "0", 0)
    again = RTCIceCandidate.from_aiortc(c.to_aiortc())
    assert again == c


def test_from_json_accepts_what_a_far_side_sends():
    assert RTCIceCandidate.from_json(None) is None
    assert RTCIceCandidate.from_json({"candidate": "", "sdpMid": "0"}) is None
    assert RTCIceCandidate.from_json({}) is None  # WebIDL's defaults: end-of-candidates
    assert RTCIceCandidate.from_json({"sdpMid": "0"}) is None
    c = RTCIceCandidate.from_json({"candidate": HOST, "sdpMid": "0", "sdpMLineIndex": 0})
    assert c.address == "192.0.2.7"


@pytest.mark.parametrize("text, words", [
    ("candidate:1 1 udp 2130706431 192.0.2.1", "5 of its 8 fields; missing: port, 'typ', type"),
    ("candidate:1 x udp 1 192.0.2.1 5 typ host", "component must be a whole number"),
    ("candidate:1 1 sctp 1 192.0.2.1 5 typ host", "protocol must be udp or tcp"),
    ("candidate:1 1 udp 1 192.0.2.1 70000 typ host", "port 70000 is outside"),
    ("candidate:1 1 udp 1 192.0.2.1 5 type host", "must say 'typ'"),
    ("candidate:1 1 udp 1 192.0.2.1 5 typ house", "must say 'typ'"),
    ("candidate:1 1 udp 1 192.0.2.1 5 typ host raddr", "no value"),
])
def test_malformed_candidates_name_the_field(text, words):
    with pytest.raises(InvalidCandidateError, match=words.replace("(", r"\(")):
        RTCIceCandidate(text, "0", 0).to_aiortc()


@pytest.mark.parametrize("value, words", [
    ("candidate:1 1 udp 1 192.0.2.1 5 typ host", "takes a dict"),
    ({"type": "candidate", "data": {"candidate": HOST, "sdpMid": "0"}}, "got the whole signalling message"),
    ({"candidate": HOST}, "needs 'sdpMid' or 'sdpMLineIndex'"),
    ({"candidate": HOST, "sdpMLineIndex": -1}, "whole number >= 0"),
    ({"candidate": HOST, "sdpMid": 0}, "'sdpMid' must be a string"),
])
def test_from_json_rejects_wrong_shapes(value, words):
    with pytest.raises(InvalidCandidateError, match=words):
        RTCIceCandidate.from_json(value)


@given(st.text(max_size=120))
def test_any_text_either_parses_or_raises_the_named_error(text):
    try:
        parsed = parse_candidate(text)
    except InvalidCandidateError as exc:
        assert str(exc)
    else:
        assert parsed.type in ("host", "srflx", "prflx", "relay")


@given(st.lists(st.sampled_from(["1", "udp", "tcp", "typ", "host", "raddr", "rport", "x", "99999", "192.0.2.1"]),
                max_size=14))
def test_candidate_like_token_soup_never_escapes_as_another_error(tokens):
    try:
        parse_candidate("candidate:" + " ".join(tokens))
    except InvalidCandidateError:
        pass


@pytest.mark.parametrize("message", [
    {"type": "candidate", "data": {"candidate": HOST, "sdpMid": "0", "sdpMLineIndex": 0}},
    {"type": "candidate", "data": None},  # a browser would quietly take this for end-of-candidates
])
def test_a_whole_signalling_message_is_refused_with_the_receiving_sides_fix(message):
    with pytest.raises(InvalidCandidateError) as info:
        RTCIceCandidate.from_json(message)
    assert str(info.value) == ("addIceCandidate() got the whole signalling message; pass the candidate inside it: "
                               "pc.addIceCandidate(message['data'])")


REMOTE = ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
          "c=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
          "a=candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host\r\na=sctp-port:5000\r\n")


def test_a_remote_candidate_is_read_and_placed_in_one_pure_step():
    added = remote_candidate({"candidate": HOST, "sdpMid": "0", "usernameFragment": "abcd"}, REMOTE)
    assert added is not None and added.candidate == RTCIceCandidate(
        {"candidate": HOST, "sdpMid": "0", "usernameFragment": "abcd"})
    assert (added.index, added.mid, added.sections, added.aiortc.ip) == (0, "0", 1, "192.0.2.7")
    end = remote_candidate(None, REMOTE)
    assert end is not None and (end.candidate, end.index, end.aiortc, end.sections) == (None, None, None, 1)
    assert remote_candidate({"candidate": "", "sdpMLineIndex": 0}, REMOTE).index == 0


def test_a_remote_candidate_checks_its_shape_first_then_needs_a_description():
    with pytest.raises(CandidateTypeError):
        remote_candidate("candidate:1", None)  # the browser's WebIDL refuses it before the call runs
    assert remote_candidate({"candidate": HOST, "sdpMid": "0"}, None) is None
    with pytest.raises(InvalidCandidateError, match="sdpMid '1', but the remote description has '0'"):
        remote_candidate({"candidate": HOST, "sdpMid": "1"}, REMOTE)
    with pytest.raises(InvalidCandidateError, match="usernameFragment 'wxyz' is not the ICE ufrag"):
        remote_candidate({"candidate": HOST, "sdpMid": "0", "usernameFragment": "wxyz"}, REMOTE)


def test_candidates_of_a_description_carry_their_section_and_ufrag():
    [found] = candidates_of(REMOTE)
    assert (found.address, found.sdpMid, found.sdpMLineIndex, found.usernameFragment) == ("192.0.2.1", "0", 0, "abcd")
