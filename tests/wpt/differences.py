"""Where peerlab differs from a browser: every WPT subtest that fails here, and why.

Each entry becomes a strict xfail (tests/wpt/conftest.py), so a difference that
goes away fails the run until it is taken off this list; and the README's section
"Where peerlab differs from a browser" must list exactly these titles
(tests/test_readme_differences.py). A title that several WPT files share is prefixed
with its file ("RTCPeerConnection-iceGatheringState: ..."). Three kinds:

- ``AIORTC``: aiortc cannot do it, and a wrapper cannot add it without changing aiortc;
- ``CHOICE``: peerlab differs on purpose, for learners;
- ``NOT_YET``: a wrapper could honour it; not done yet.

``SIDE_BY_SIDE`` holds the differences no WPT subtest here catches but one negotiation against
Chromium shows (tests/browser/test_browser_vs_peerlab.py records both peers' events and states, and
each entry there is a rewrite of the browser's sequence into peerlab's that must be needed); the
README lists them under their own heading.
"""

from __future__ import annotations

AIORTC = "aiortc"
CHOICE = "peerlab's choice"
NOT_YET = "not yet in peerlab"

NO_ROLLBACK = ("aiortc has no rollback: its setLocalDescription/setRemoteDescription take only 'offer' and "
               "'answer', so there is no state to roll back to")
ICE_STATES = ("aiortc's ICE transport reports new/checking/completed/failed/closed, never 'connected', and "
              "starts its checks as soon as both descriptions are set")

DIFFERENCES: dict[str, tuple[str, str]] = {
    # aiortc
    "Responder ICE connection state behaves as expected": (AIORTC, ICE_STATES),
    "connectionState remains new when not adding remote ice candidates": (AIORTC, ICE_STATES),
    "Sctp transport has null maxChannels and 65536 maxMessageSize in have-local-offer after rollback": (
        AIORTC, NO_ROLLBACK),
    "Sctp transport has null maxChannels and 65536 maxMessageSize in have-remote-offer after rollback": (
        AIORTC, NO_ROLLBACK),
    "setLocalDescription and setRemoteDescription are not racy": (
        AIORTC, "setRemoteDescription(offer) in 'have-local-offer' is an implicit rollback in the browser "
                "(have-local-offer -> stable -> have-remote-offer); aiortc has no rollback"),
    "getStats() on track associated with RtpReceiver should return stats report containing inbound-rtp stats": (
        AIORTC, "aiortc knows a received RTP stream only once its first packet arrives, so inbound-rtp appears then "
                "(as in Chromium 156, measured); this 2017 subtest asks for it before any negotiation"),
    "getStats() with connected peer connections having tracks and data channel should return all mandatory to "
    "implement stats": (
        AIORTC, "aiortc exposes no codec or certificate statistics; the 'stream' and 'track' types this 2017 "
                "subtest also asks for have since left webrtc-stats, and browsers no longer report them"),
}

SIDE_BY_SIDE: dict[str, tuple[str, str]] = {
    "iceConnectionState goes new → checking → completed where Chromium's goes new → checking → connected": (
        AIORTC, ICE_STATES),
    "ICE checks have begun when the call that sets the second description returns": (
        AIORTC, ICE_STATES),
    "No negotiationneeded event when createOffer() follows the first createDataChannel at once": (
        CHOICE, "peerlab follows the spec: the check waits while createOffer() is on the operations chain, and "
                "once the chain is empty the offer is already set, so nothing is left to negotiate; Chromium runs "
                "its chain on another thread, done with createOffer() before the check, and fires it"),
}
