"""WPT webrtc/RTCIceCandidate-constructor.html, ported to peerlab.

Source: Chromium's import of WPT (third_party/blink/web_tests/external/wpt/webrtc/
RTCIceCandidate-constructor.html, stored commit 10c24cbf); see tests/wpt/README.md.
``new RTCIceCandidate(init)`` is ``peerlab.RTCIceCandidate(init)``; JavaScript's null and
undefined members are None; ``assert_throws_js(TypeError, ...)`` is ``pytest.raises(TypeError)``.
"""

import pytest

from peerlab import RTCIceCandidate

from .wpt import subtest

candidateString = ("candidate:1905690388 1 udp 2113937151 192.168.0.1 58041 typ host generation 0 "
                   "ufrag thC8 network-cost 50")
candidateString2 = ("candidate:435653019 2 tcp 1845501695 192.168.0.196 4444 typ srflx raddr "
                    "www.example.com rport 22222 tcptype active")
arbitraryString = "<arbitrary string[0] content>;"


def assert_fields(candidate, text, mid, index, ufrag):
    assert candidate.candidate == text, "candidate"
    assert candidate.sdpMid == mid, "sdpMid"
    assert candidate.sdpMLineIndex == index, "sdpMLineIndex"
    assert candidate.usernameFragment == ufrag, "usernameFragment"


@subtest("new RTCIceCandidate()")
def test_no_argument():
    with pytest.raises(TypeError):
        RTCIceCandidate()


@subtest("new RTCIceCandidate({})")
def test_empty_dict():
    with pytest.raises(TypeError):
        RTCIceCandidate({})


@subtest("new RTCIceCandidate({ ... }) with manually filled default values")
def test_manually_filled_defaults():
    with pytest.raises(TypeError):
        RTCIceCandidate({"candidate": "", "sdpMid": None, "sdpMLineIndex": None, "usernameFragment": None})


@subtest("new RTCIceCandidate({ sdpMid: null, sdpMLineIndex: null })")
def test_both_null():
    with pytest.raises(TypeError):
        RTCIceCandidate({"sdpMid": None, "sdpMLineIndex": None})


@subtest("new RTCIceCandidate({ candidate: '' })")
def test_empty_candidate_only():
    with pytest.raises(TypeError):
        RTCIceCandidate({"candidate": ""})


@subtest("new RTCIceCandidate({ candidate: null })")
def test_null_candidate():
    # the candidate member is not nullable
    with pytest.raises(TypeError):
        RTCIceCandidate({"candidate": None})


@subtest("new RTCIceCandidate({ ... }) with valid candidate string only")
def test_valid_string_only():
    with pytest.raises(TypeError):
        RTCIceCandidate({"candidate": candidateString})


@subtest("new RTCIceCandidate({ sdpMid: 'audio' })")
def test_sdpmid_only():
    assert_fields(RTCIceCandidate({"sdpMid": "audio"}), "", "audio", None, None)


@subtest("new RTCIceCandidate({ sdpMLineIndex: 0 })")
def test_sdpmlineindex_only():
    assert_fields(RTCIceCandidate({"sdpMLineIndex": 0}), "", None, 0, None)


@subtest("new RTCIceCandidate({ sdpMid: 'audio', sdpMLineIndex: 0 })")
def test_sdpmid_and_index():
    assert_fields(RTCIceCandidate({"sdpMid": "audio", "sdpMLineIndex": 0}), "", "audio", 0, None)


@subtest("new RTCIceCandidate({ candidate: '', sdpMid: 'audio' }")
def test_empty_candidate_and_sdpmid():
    assert_fields(RTCIceCandidate({"candidate": "", "sdpMid": "audio"}), "", "audio", None, None)


@subtest("new RTCIceCandidate({ candidate: '', sdpMLineIndex: 0 }")
def test_empty_candidate_and_index():
    assert_fields(RTCIceCandidate({"candidate": "", "sdpMLineIndex": 0}), "", None, 0, None)


@subtest("new RTCIceCandidate({ ... }) with valid candidate string and sdpMid")
def test_valid_string_and_sdpmid():
    assert_fields(RTCIceCandidate({"candidate": candidateString, "sdpMid": "audio"}),
                  candidateString, "audio", None, None)


@subtest("new RTCIceCandidate({ ... }) with invalid candidate string and sdpMid")
def test_invalid_string_and_sdpmid():
    # the candidate string is not validated by the constructor
    assert_fields(RTCIceCandidate({"candidate": arbitraryString, "sdpMid": "audio"}),
                  arbitraryString, "audio", None, None)


@subtest("new RTCIceCandidate({ ... }) with nondefault values for all fields")
def test_all_fields():
    candidate = RTCIceCandidate({"candidate": candidateString, "sdpMid": "video", "sdpMLineIndex": 1,
                                 "usernameFragment": "test"})
    assert_fields(candidate, candidateString, "video", 1, "test")
    # The following fields should match those in the candidate field
    assert candidate.foundation == "1905690388", "foundation"
    assert candidate.component == "rtp", "component"
    assert candidate.priority == 2113937151, "priority"
    assert candidate.address == "192.168.0.1", "address"
    assert candidate.protocol == "udp", "protocol"
    assert candidate.port == 58041, "port"
    assert candidate.type == "host", "type"
    assert candidate.tcpType is None, "tcpType"
    assert candidate.relatedAddress is None, "relatedAddress"
    assert candidate.relatedPort is None, "relatedPort"


@subtest("new RTCIceCandidate({ ... }) with nondefault values for all fields, tcp candidate")
def test_all_fields_tcp():
    candidate = RTCIceCandidate({"candidate": candidateString2, "sdpMid": "video", "sdpMLineIndex": 1,
                                 "usernameFragment": "user1"})
    assert_fields(candidate, candidateString2, "video", 1, "user1")
    assert candidate.foundation == "435653019", "foundation"
    assert candidate.component == "rtcp", "component"
    assert candidate.priority == 1845501695, "priority"
    assert candidate.address == "192.168.0.196", "address"
    assert candidate.protocol == "tcp", "protocol"
    assert candidate.port == 4444, "port"
    assert candidate.type == "srflx", "type"
    assert candidate.tcpType == "active", "tcpType"
    assert candidate.relatedAddress == "www.example.com", "relatedAddress"
    assert candidate.relatedPort == 22222, "relatedPort"


@subtest("new RTCIceCandidate({ ... }) with invalid sdpMid")
def test_invalid_sdpmid():
    # sdpMid is not validated by the constructor
    assert_fields(RTCIceCandidate({"sdpMid": arbitraryString}), "", arbitraryString, None, None)


@subtest("new RTCIceCandidate({ ... }) with invalid sdpMLineIndex")
def test_invalid_sdpmlineindex():
    # an out-of-range index is not validated: the constructor knows no SDP
    assert_fields(RTCIceCandidate({"sdpMLineIndex": 65535}), "", None, 65535, None)
