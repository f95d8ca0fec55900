"""WPT webrtc/RTCRtpTransceiver-direction.html, ported to peerlab.

Source: web-platform-tests/wpt (stored commit f15119cd; Chromium's import has no copy); see
tests/wpt/README.md. WPT's ``generateAnswer(offer)`` is ``generate_answer(new_pc, offer)``.

Adapted: "...independent of transceiver.currentDirection" expects ``currentDirection`` to be
``recvonly`` after a fresh connection answers a ``recvonly`` offer. That connection's new
transceiver is ``recvonly`` too, so its answer is ``inactive`` (JSEP 5.3.1: nothing can flow), and
the offerer's ``currentDirection`` is ``inactive``: Chromium 156 gives exactly that (measured, the
same calls in its page), as peerlab does. The port expects ``inactive``; the point of the subtest,
that setting ``direction`` leaves ``currentDirection`` alone, is unchanged.
"""

from .helpers import generate_answer
from .wpt import subtest, within


@subtest("setting direction should change transceiver.direction")
async def test_set_direction(new_pc):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio")
    assert transceiver.direction == "sendrecv"
    assert transceiver.currentDirection is None
    transceiver.direction = "recvonly"
    assert transceiver.direction == "recvonly"
    assert transceiver.currentDirection is None, "Expect transceiver.currentDirection to not change"


@subtest("setting direction with same direction should have no effect")
async def test_same_direction(new_pc):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio", {"direction": "sendonly"})
    assert transceiver.direction == "sendonly"
    transceiver.direction = "sendonly"
    assert transceiver.direction == "sendonly"


@subtest("setting direction should change transceiver.direction independent of transceiver.currentDirection")
async def test_independent_of_current(new_pc):
    pc = new_pc()
    transceiver = pc.addTransceiver("audio", {"direction": "recvonly"})
    assert transceiver.direction == "recvonly"
    assert transceiver.currentDirection is None
    offer = await within(pc.createOffer())
    await within(pc.setLocalDescription(offer))
    answer = await generate_answer(new_pc, offer)
    await within(pc.setRemoteDescription(answer))
    assert transceiver.currentDirection == "inactive"  # WPT: 'recvonly' (see the docstring)
    transceiver.direction = "sendrecv"
    assert transceiver.direction == "sendrecv"
    assert transceiver.currentDirection == "inactive"  # WPT: 'recvonly'
