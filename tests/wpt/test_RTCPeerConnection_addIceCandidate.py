"""WPT webrtc/RTCPeerConnection-addIceCandidate.html, ported to peerlab.

Source: Chromium's import of WPT (external/wpt/webrtc/RTCPeerConnection-addIceCandidate.html,
stored commit 10f2ec8c); see tests/wpt/README.md. The remote SDP (JSEP example 7.1, audio +
video) is a string the test sets as the remote offer; no local media is used. WPT's misspelt
``usernameFragement`` member is kept: a browser ignores unknown dictionary members.
"""

import re

from peerlab import RTCIceCandidate

from .wpt import rejects_dom, rejects_js, subtest, within

# SDP copied from JSEP Example 7.1: two media streams with different ufrags,
# to test if a candidate is added to the correct stream (line ends "\n", as in the WPT file).
sdp = """v=0
o=- 4962303333179871722 1 IN IP4 0.0.0.0
s=-
t=0 0
a=ice-options:trickle
a=group:BUNDLE a1 v1
a=group:LS a1 v1
m=audio 10100 UDP/TLS/RTP/SAVPF 96 0 8 97 98
c=IN IP4 203.0.113.100
a=mid:a1
a=sendrecv
a=rtpmap:96 opus/48000/2
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:97 telephone-event/8000
a=rtpmap:98 telephone-event/48000
a=maxptime:120
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=msid:47017fee-b6c1-4162-929c-a25110252400 f83006c5-a0ff-4e0a-9ed9-d3e6747be7d9
a=ice-ufrag:ETEn
a=ice-pwd:OtSK0WpNtpUjkY4+86js7ZQl
a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2
a=setup:actpass
a=dtls-id:1
a=rtcp:10101 IN IP4 203.0.113.100
a=rtcp-mux
a=rtcp-rsize
m=video 10102 UDP/TLS/RTP/SAVPF 100 101
c=IN IP4 203.0.113.100
a=mid:v1
a=sendrecv
a=rtpmap:100 VP8/90000
a=rtpmap:101 rtx/90000
a=fmtp:101 apt=100
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=rtcp-fb:100 ccm fir
a=rtcp-fb:100 nack
a=rtcp-fb:100 nack pli
a=msid:47017fee-b6c1-4162-929c-a25110252400 f30bdb4a-5db8-49b5-bcdc-e0c9a23172e0
a=ice-ufrag:BGKk
a=ice-pwd:mqyWsAjvtKwTGnvhPztQ9mIf
a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2
a=setup:actpass
a=dtls-id:1
a=rtcp:10103 IN IP4 203.0.113.100
a=rtcp-mux
a=rtcp-rsize
"""

sessionDesc = {"type": "offer", "sdp": sdp}

# valid candidate attributes
sdpMid1 = "a1"
sdpMLineIndex1 = 0
usernameFragment1 = "ETEn"

sdpMid2 = "v1"
sdpMLineIndex2 = 1
usernameFragment2 = "BGKk"

mediaLine1 = "m=audio"
mediaLine2 = "m=video"

candidateStr1 = "candidate:1 1 udp 2113929471 203.0.113.100 10100 typ host"
candidateStr2 = "candidate:1 2 udp 2113929470 203.0.113.100 10101 typ host"
invalidCandidateStr = "(Invalid) candidate \r\n string"

candidateLine1 = f"a={candidateStr1}"
candidateLine2 = f"a={candidateStr2}"
endOfCandidateLine = "a=end-of-candidates"


def is_candidate_line_between(text, before_media_line, candidate_line, after_media_line):
    pattern = f"{re.escape(before_media_line)}.+{re.escape(candidate_line)}.+{re.escape(after_media_line)}"
    return re.search(pattern, text, re.S) is not None


def assert_candidate_line_between(text, before_media_line, candidate_line, after_media_line):
    assert is_candidate_line_between(text, before_media_line, candidate_line, after_media_line), (
        f"Expect candidate line to be found between media lines {before_media_line} and {after_media_line}"
        f" in:\n{text}")


def is_candidate_line_after(text, before_media_line, candidate_line):
    return re.search(f"{re.escape(before_media_line)}.+{re.escape(candidate_line)}", text, re.S) is not None


def assert_candidate_line_after(text, before_media_line, candidate_line):
    assert is_candidate_line_after(text, before_media_line, candidate_line), (
        f"Expect candidate line to be found after media line {before_media_line} in:\n{text}")


async def remote_offer_set(new_pc):
    pc = new_pc()
    await within(pc.setRemoteDescription(sessionDesc), what="setRemoteDescription(sessionDesc)")
    return pc


@subtest("Add ICE candidate before setting remote description should reject with InvalidStateError")
async def test_before_remote_description(new_pc):
    pc = new_pc()
    await rejects_dom(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1,
                                          "sdpMLineIndex": sdpMLineIndex1,
                                          "usernameFragment": usernameFragment1}), "InvalidStateError")


# All of these are the same thing: an end-of-candidates signal for all levels/mids/ufrags.
async def end_of_candidates_everywhere(new_pc, *args):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate(*args), what="addIceCandidate()")
    assert_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, endOfCandidateLine, mediaLine2)
    assert_candidate_line_after(pc.remoteDescription.sdp, mediaLine2, endOfCandidateLine)


@subtest('addIceCandidate({"candidate":"","sdpMid":null,"sdpMLineIndex":null}) should work, '
         'and add a=end-of-candidates to both m-sections')
async def test_end_of_candidates_defaults(new_pc):
    # This is just the default; usernameFragment: undefined is None here.
    await end_of_candidates_everywhere(
        new_pc, {"candidate": "", "sdpMid": None, "sdpMLineIndex": None, "usernameFragment": None})


@subtest("addIceCandidate(undefined) should work, and add a=end-of-candidates to both m-sections")
async def test_end_of_candidates_undefined(new_pc):
    # The argument is optional: leaving it out gives the default.
    await end_of_candidates_everywhere(new_pc)


@subtest("addIceCandidate(null) should work, and add a=end-of-candidates to both m-sections")
async def test_end_of_candidates_null(new_pc):
    await end_of_candidates_everywhere(new_pc, None)


@subtest("addIceCandidate({}) should work, and add a=end-of-candidates to both m-sections")
async def test_end_of_candidates_empty_dict(new_pc):
    await end_of_candidates_everywhere(new_pc, {})


@subtest("addIceCandidate({}) in stable should work, and add a=end-of-candidates to both m-sections")
async def test_end_of_candidates_in_stable(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.setLocalDescription(await within(pc.createAnswer())))
    await within(pc.addIceCandidate({}))
    assert_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, endOfCandidateLine, mediaLine2)
    assert_candidate_line_after(pc.remoteDescription.sdp, mediaLine2, endOfCandidateLine)


@subtest("addIceCandidate({usernameFragment: usernameFragment1, sdpMid: sdpMid1}) should work, "
         "and add a=end-of-candidates to the first m-section")
async def test_end_of_candidates_first_section(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"usernameFragment": usernameFragment1, "sdpMid": sdpMid1}))
    assert_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, endOfCandidateLine, mediaLine2)
    assert not is_candidate_line_after(pc.remoteDescription.sdp, mediaLine2, endOfCandidateLine)


@subtest("addIceCandidate({usernameFragment: usernameFragment2, sdpMLineIndex: 1}) should work, "
         "and add a=end-of-candidates to the first m-section")
async def test_end_of_candidates_second_section(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"usernameFragment": usernameFragment2, "sdpMLineIndex": 1}))
    assert not is_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, endOfCandidateLine, mediaLine2)
    assert is_candidate_line_after(pc.remoteDescription.sdp, mediaLine2, endOfCandidateLine)


@subtest('addIceCandidate({usernameFragment: "no such ufrag"}) should not work')
async def test_end_of_candidates_unknown_ufrag(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_dom(pc.addIceCandidate({"usernameFragment": "no such ufrag"}), "OperationError")


@subtest("Add ICE candidate after setting remote description should succeed")
async def test_after_remote_description(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1,
                                     "sdpMLineIndex": sdpMLineIndex1, "usernameFragement": usernameFragment1}))


@subtest("Add ICE candidate with RTCIceCandidate should succeed")
async def test_with_rtcicecandidate(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate(RTCIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1,
                                                     "sdpMLineIndex": sdpMLineIndex1,
                                                     "usernameFragement": usernameFragment1})))


@subtest("Add candidate with only valid sdpMid should succeed")
async def test_only_sdpmid(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1}))


@subtest("Add candidate with only valid sdpMLineIndex should succeed")
async def test_only_sdpmlineindex(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr1, "sdpMLineIndex": sdpMLineIndex1}))


@subtest("addIceCandidate with first sdpMid and sdpMLineIndex add candidate to first media stream")
async def test_first_stream(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1,
                                     "sdpMLineIndex": sdpMLineIndex1, "usernameFragement": usernameFragment1}))
    assert_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, candidateLine1, mediaLine2)


@subtest("addIceCandidate with second sdpMid and sdpMLineIndex should add candidate to second media stream")
async def test_second_stream(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr2, "sdpMid": sdpMid2,
                                     "sdpMLineIndex": sdpMLineIndex2, "usernameFragment": usernameFragment2}))
    assert_candidate_line_after(pc.remoteDescription.sdp, mediaLine2, candidateLine2)


@subtest("Add candidate for first media stream with null usernameFragment should add candidate to first media stream")
async def test_first_stream_null_ufrag(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1,
                                     "sdpMLineIndex": sdpMLineIndex1, "usernameFragment": None}))
    assert_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, candidateLine1, mediaLine2)


@subtest("Adding multiple candidates should add candidates to their corresponding media stream")
async def test_multiple(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1,
                                     "sdpMLineIndex": sdpMLineIndex1, "usernameFragement": usernameFragment1}))
    await within(pc.addIceCandidate({"candidate": candidateStr2, "sdpMid": sdpMid2,
                                     "sdpMLineIndex": sdpMLineIndex2, "usernameFragment": usernameFragment2}))
    assert_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, candidateLine1, mediaLine2)
    assert_candidate_line_after(pc.remoteDescription.sdp, mediaLine2, candidateLine2)


@subtest("Add with empty candidate string (end of candidate) should succeed")
async def test_empty_string_end_of_candidates(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1,
                                     "sdpMLineIndex": sdpMLineIndex1, "usernameFragement": usernameFragment1}))
    await within(pc.addIceCandidate({"candidate": "", "sdpMid": sdpMid1,
                                     "sdpMLineIndex": sdpMLineIndex1, "usernameFragement": usernameFragment1}))
    assert_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, candidateLine1, mediaLine2)
    assert_candidate_line_between(pc.remoteDescription.sdp, mediaLine1, endOfCandidateLine, mediaLine2)


@subtest("Add candidate with both sdpMid and sdpMLineIndex manually set to null should reject with TypeError")
async def test_both_null(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_js(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": None, "sdpMLineIndex": None}),
                     TypeError)


@subtest("Add candidate with only valid candidate string should reject with TypeError")
async def test_only_candidate_string(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_js(pc.addIceCandidate({"candidate": candidateStr1}), TypeError)


@subtest("Add candidate with invalid candidate string and both sdpMid and sdpMLineIndex null should reject "
         "with TypeError")
async def test_invalid_string_both_null(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_js(pc.addIceCandidate({"candidate": invalidCandidateStr, "sdpMid": None,
                                         "sdpMLineIndex": None}), TypeError)


@subtest("Add candidate with invalid sdpMid should reject with OperationError")
async def test_invalid_sdpmid(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_dom(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": "invalid",
                                          "sdpMLineIndex": sdpMLineIndex1,
                                          "usernameFragement": usernameFragment1}), "OperationError")


@subtest("Add candidate with invalid sdpMLineIndex should reject with OperationError")
async def test_invalid_sdpmlineindex(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_dom(pc.addIceCandidate({"candidate": candidateStr1, "sdpMLineIndex": 2,
                                          "usernameFragement": usernameFragment1}), "OperationError")


@subtest("Invalid sdpMLineIndex should be ignored if valid sdpMid is provided")
async def test_sdpmid_wins_over_index(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1, "sdpMLineIndex": 2,
                                     "usernameFragement": usernameFragment1}))


@subtest("Add candidate for media stream 2 with null usernameFragment should succeed")
async def test_second_stream_null_ufrag(new_pc):
    pc = await remote_offer_set(new_pc)
    await within(pc.addIceCandidate({"candidate": candidateStr2, "sdpMid": sdpMid2,
                                     "sdpMLineIndex": sdpMLineIndex2, "usernameFragment": None}))
    assert_candidate_line_after(pc.remoteDescription.sdp, mediaLine2, candidateLine2)


@subtest("Add candidate with invalid usernameFragment should reject with OperationError")
async def test_invalid_ufrag(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_dom(pc.addIceCandidate({"candidate": candidateStr1, "sdpMid": sdpMid1,
                                          "sdpMLineIndex": sdpMLineIndex1, "usernameFragment": "invalid"}),
                      "OperationError")


@subtest("Add candidate with invalid candidate string should reject with OperationError")
async def test_invalid_candidate_string(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_dom(pc.addIceCandidate({"candidate": invalidCandidateStr, "sdpMid": sdpMid1,
                                          "sdpMLineIndex": sdpMLineIndex1,
                                          "usernameFragement": usernameFragment1}), "OperationError")


@subtest("Add candidate with sdpMid belonging to different usernameFragment should reject with OperationError")
async def test_ufrag_of_other_section(new_pc):
    pc = await remote_offer_set(new_pc)
    await rejects_dom(pc.addIceCandidate({"candidate": candidateStr2, "sdpMid": sdpMid2,
                                          "sdpMLineIndex": sdpMLineIndex2, "usernameFragment": usernameFragment1}),
                      "OperationError")
