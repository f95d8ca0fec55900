"""WPT webrtc/RTCSctpTransport-constructor.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 156ff2fe); see tests/wpt/README.md.
``instanceof RTCSctpTransport`` / ``RTCDtlsTransport`` are DOM-only; the port checks that
``sctp.transport`` exists. WPT's ``Promise.all([SLD, SRD])`` runs the two calls
concurrently, as here.
Left out (an audio-only negotiation is the subject): "setRemoteDescription() with answer
not containing data media should not initialize pc.sctp" and "setLocalDescription() with
answer not containing data media should not initialize pc.sctp".
"""

import asyncio
import numbers

from .helpers import generate_data_channel_offer
from .wpt import attribute, subtest, within


def validate_sctp_transport(sctp):
    assert sctp is not None, "RTCSctpTransport must be available"
    assert attribute(sctp, "transport") is not None, "Expect sctp.transport to be an RTCDtlsTransport"
    assert sctp.state == "connecting", "RTCSctpTransport should be in the connecting state"
    # Note: positive infinity is also a number
    assert isinstance(attribute(sctp, "maxMessageSize"), numbers.Real), "Expect sctp.maxMessageSize to be a number"


async def both(a, b):
    async def run(p):
        return await p
    return await within(asyncio.gather(run(a), run(b)), what="setLocalDescription() and setRemoteDescription()")


@subtest("setRemoteDescription() with answer containing data media should initialize pc.sctp")
async def test_remote_answer_initializes_sctp(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    assert pc1.sctp is None, "RTCSctpTransport must be null"
    offer = await generate_data_channel_offer(pc1)
    await both(pc1.setLocalDescription(offer), pc2.setRemoteDescription(offer))
    answer = await within(pc2.createAnswer())
    await within(pc1.setRemoteDescription(answer))
    validate_sctp_transport(pc1.sctp)


@subtest("setLocalDescription() with answer containing data media should initialize pc.sctp")
async def test_local_answer_initializes_sctp(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    assert pc1.sctp is None, "RTCSctpTransport must be null"
    offer = await generate_data_channel_offer(pc2)
    await both(pc2.setLocalDescription(offer), pc1.setRemoteDescription(offer))
    answer = await within(pc1.createAnswer())
    await within(pc1.setLocalDescription(answer))
    validate_sctp_transport(pc1.sctp)
