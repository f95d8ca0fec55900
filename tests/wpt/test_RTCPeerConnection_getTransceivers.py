"""WPT webrtc/RTCPeerConnection-getTransceivers.html, ported to peerlab.

Source: web-platform-tests/wpt (stored commit 39ace59d; Chromium's import has no copy); see
tests/wpt/README.md.
"""

from .wpt import attribute, subtest


@subtest("Initial peer connection should have list of zero senders, receivers and transceivers")
async def test_initially_empty(new_pc):
    pc = new_pc()
    assert attribute(pc, "getSenders")() == [], "Expect senders to be empty array"
    assert attribute(pc, "getReceivers")() == [], "Expect receivers to be empty array"
    assert attribute(pc, "getTransceivers")() == [], "Expect transceivers to be empty array"
