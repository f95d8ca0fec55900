"""WPT webrtc/RTCSctpTransport-maxMessageSize.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 40919a09); see tests/wpt/README.md.
WPT shares ``canSendSize`` between subtests through a global set by the second subtest;
here each subtest that needs it measures it the same way first (``determine_can_send_size``),
so that every test runs alone. A JavaScript number written into SDP is ``Infinity`` when
infinite, as ``String(Infinity)`` is.
"""

import math
import re

from .wpt import attribute, subtest, within

remoteSize1 = 1
remoteSize2 = 2


class SDPAttributeHelper:
    """Reads an SDP attribute and makes SDPs with another value for it."""

    def __init__(self, attr_name, value_pattern):
        self.attr_name = attr_name
        self.re = re.compile(f"^a={attr_name}:({value_pattern})\r\n", re.M)

    def get_value(self, sdp):
        match = self.re.search(sdp)
        return match.group(1) if match else None

    def sdp_with_value(self, sdp, value):
        match = self.re.search(sdp)
        assert match is not None, f"no a={self.attr_name} line in:\n{sdp}"
        return sdp[:match.start()] + f"a={self.attr_name}:{js_number(value)}\r\n" + sdp[match.end():]

    def desc_with_value(self, desc, value):
        return {"type": desc.type, "sdp": self.sdp_with_value(desc.sdp, value)}


def js_number(value):
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


mmsAttributeHelper = SDPAttributeHelper("max-message-size", r"\d+")


async def offerer_with_local_offer(new_pc):
    offerer = new_pc()
    answerer = new_pc()
    offerer.createDataChannel("chat")
    assert offerer.sctp is None, "RTCSctpTransport must be null"
    await within(offerer.setLocalDescription())
    assert mmsAttributeHelper.get_value(offerer.localDescription.sdp) is not None, (
        "SDP should have max-message-size attribute")
    return offerer, answerer


async def determine_can_send_size(new_pc):
    """WPT's second subtest: offer a max-message-size of 0; the answerer's maxMessageSize is canSendSize."""
    offerer, answerer = await offerer_with_local_offer(new_pc)
    await within(answerer.setRemoteDescription(mmsAttributeHelper.desc_with_value(offerer.localDescription, 0)))
    await within(answerer.setLocalDescription())
    assert answerer.sctp is not None, "RTCSctpTransport must be available in the offerer"
    can_send_size = attribute(answerer.sctp, "maxMessageSize")
    assert can_send_size > 0, "maxMessageSize should be positive in the offerer"
    assert not can_send_size < remoteSize2, (
        'This test needs canSendSize to be at least 2 for further "below" and "above" tests')
    return can_send_size


@subtest("Verify that maxMessageSize is greater than zero")
async def test_greater_than_zero(new_pc):
    offerer = new_pc()
    answerer = new_pc()
    offerer.createDataChannel("chat")
    await within(offerer.setLocalDescription())
    await within(answerer.setRemoteDescription(offerer.localDescription))
    await within(answerer.setLocalDescription())
    assert answerer.sctp is not None, "RTCSctpTransport must be available"
    assert attribute(answerer.sctp, "maxMessageSize") > 0, "maxMessageSize should be greater than zero"
    await within(offerer.setRemoteDescription(answerer.localDescription))
    assert offerer.sctp is not None, "RTCSctpTransport must be available"
    assert attribute(offerer.sctp, "maxMessageSize") > 0, "maxMessageSize should be greater than zero"
    assert offerer.sctp.maxMessageSize == answerer.sctp.maxMessageSize, (
        "Offerer and answerer should have the same maxMessageSize")


@subtest("Determine the local side send limitation (canSendSize) by offering a max-message-size of 0")
async def test_determine_can_send_size(new_pc):
    await determine_can_send_size(new_pc)


@subtest("Remote offer SDP missing max-message-size attribute")
async def test_missing_attribute(new_pc):
    can_send_size = await determine_can_send_size(new_pc)
    offerer, answerer = await offerer_with_local_offer(new_pc)
    # Remove the max-message-size SDP attribute
    await within(answerer.setRemoteDescription({
        "type": offerer.localDescription.type,
        "sdp": offerer.localDescription.sdp.replace("a=max-message-size:", "a=something-else:")}))
    await within(answerer.setLocalDescription())
    assert answerer.sctp is not None, "RTCSctpTransport must be available"
    assert attribute(answerer.sctp, "maxMessageSize") > 0, "maxMessageSize should be positive"
    if can_send_size != 0:
        assert answerer.sctp.maxMessageSize == min(65536, can_send_size), (
            "Missing SDP attribute and a non-zero canSendSize should give an maxMessageSize of "
            "min(65536, canSendSize)")
    else:
        assert answerer.sctp.maxMessageSize == 65536, (
            "Missing SDP attribute and a canSendSize of 0 should give an maxMessageSize of 65536")


@subtest("max-message-size with a (non-zero) value provided by the remote peer")
async def test_remote_value(new_pc):
    await determine_can_send_size(new_pc)
    offerer, answerer = await offerer_with_local_offer(new_pc)
    await within(answerer.setRemoteDescription(
        mmsAttributeHelper.desc_with_value(offerer.localDescription, remoteSize1)))
    await within(answerer.setLocalDescription())
    assert answerer.sctp is not None, "RTCSctpTransport must be available"
    assert attribute(answerer.sctp, "maxMessageSize") > 0, "maxMessageSize should be positive"
    assert answerer.sctp.maxMessageSize == remoteSize1, (
        "maxMessageSize should be the value provided by the remote peer (as long as it is less than canSendSize)")


@subtest("Renegotiate max-message-size with various values provided by the remote peer")
async def test_renegotiate(new_pc):
    can_send_size = await determine_can_send_size(new_pc)
    offerer, answerer = await offerer_with_local_offer(new_pc)

    async def round_with(value):
        await within(answerer.setRemoteDescription(mmsAttributeHelper.desc_with_value(offerer.localDescription, value)))
        await within(answerer.setLocalDescription())
        await within(offerer.setRemoteDescription(answerer.localDescription))
        assert answerer.sctp is not None, "RTCSctpTransport must be available"

    async def new_offer():
        await within(offerer.setLocalDescription())
        assert mmsAttributeHelper.get_value(offerer.localDescription.sdp) is not None, (
            "SDP should have max-message-size attribute")

    await round_with(remoteSize1)
    assert attribute(answerer.sctp, "maxMessageSize") > 0, "maxMessageSize should be positive"
    assert answerer.sctp.maxMessageSize == remoteSize1, (
        "maxMessageSize should be the value provided by the remote peer (as long as it is less than canSendSize)")

    # New O/A exchange that updates max-message-size to remoteSize2
    await new_offer()
    await round_with(remoteSize2)
    assert answerer.sctp.maxMessageSize != 0, "maxMessageSize should never be 0"
    assert answerer.sctp.maxMessageSize == remoteSize2, (
        "maxMessageSize should be the new value provided by the remote peer (as long as it is less than "
        "canSendSize)")

    # New O/A exchange that updates max-message-size to zero
    await new_offer()
    await round_with(0)
    assert answerer.sctp.maxMessageSize > 0, "maxMessageSize should be positive"
    assert answerer.sctp.maxMessageSize == can_send_size, "maxMessageSize should be canSendSize"

    # New O/A exchange that updates max-message-size to remoteSize1 again
    await new_offer()
    await round_with(remoteSize1)
    assert answerer.sctp.maxMessageSize > 0, "maxMessageSize should be positive"
    assert answerer.sctp.maxMessageSize == remoteSize1, (
        "maxMessageSize should be the new value provided by the remote peer (as long as it is less than "
        "canSendSize)")


@subtest("max-message-size with a (non-zero) value larger than canSendSize provided by the remote peer")
async def test_larger_than_can_send_size(new_pc):
    can_send_size = await determine_can_send_size(new_pc)
    larger_than_can_send_size = 0 if can_send_size == 0 else can_send_size + 1
    offerer, answerer = await offerer_with_local_offer(new_pc)
    await within(answerer.setRemoteDescription(
        mmsAttributeHelper.desc_with_value(offerer.localDescription, larger_than_can_send_size)))
    await within(answerer.setLocalDescription())
    await within(offerer.setRemoteDescription(answerer.localDescription))
    assert answerer.sctp is not None, "RTCSctpTransport must be available"
    assert attribute(answerer.sctp, "maxMessageSize") > 0, "maxMessageSize should be positive"
    if can_send_size != 0:
        assert answerer.sctp.maxMessageSize == can_send_size, (
            "A remote value larger than a non-zero canSendSize should limit maxMessageSize to canSendSize")
    else:
        assert answerer.sctp.maxMessageSize == math.inf, (
            'A remote value of zero and canSendSize zero should result in "infinity"')
