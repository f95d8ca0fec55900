"""WPT webrtc/RTCPeerConnection-setLocalDescription.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 05a30e9d); see tests/wpt/README.md.
Adapted (a data-channel peer has no audio or video to offer):
- "Calling createOffer() and setLocalDescription() again ...": WPT's first offer has an
  audio m-section and its second audio+video+data; here the first offer has no m-section
  and the second one data (the offers still differ in their m= lines, which is what the
  test compares).
- "Switching role from answerer to offerer ...": WPT makes pc2 re-offer after adding an
  audio track; here pc2 re-offers without adding anything (a renegotiation all the same).
"""

import asyncio

from .helpers import generate_answer
from .wpt import assert_session_desc_not_similar, assert_session_desc_similar, subtest, within


@subtest("Calling createOffer() and setLocalDescription() again after one round of local-offer/remote-answer "
         "should succeed")
async def test_second_round(new_pc):
    pc = new_pc()
    states = []
    pc.addEventListener("signalingstatechange", lambda event: states.append(pc.signalingState))
    offer1 = await within(pc.createOffer())  # WPT: generateAudioReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription(offer1))
    answer = await generate_answer(new_pc, offer1)
    await within(pc.setRemoteDescription(answer))
    pc.createDataChannel("test")
    offer2 = await within(pc.createOffer())  # WPT: generateVideoReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription(offer2))
    assert pc.signalingState == "have-local-offer"
    assert_session_desc_not_similar(offer1, offer2)
    assert_session_desc_similar(pc.localDescription, offer2)
    assert_session_desc_similar(pc.currentLocalDescription, offer1)
    assert_session_desc_similar(pc.pendingLocalDescription, offer2)
    assert states == ["have-local-offer", "stable", "have-local-offer"]


@subtest("Switching role from answerer to offerer after going back to stable state should succeed")
async def test_switch_role(new_pc):
    pc1 = new_pc()
    pc2 = new_pc()
    states = []
    pc1.addEventListener("signalingstatechange", lambda event: states.append(pc1.signalingState))
    assert pc1.localDescription is None
    assert pc1.currentLocalDescription is None
    assert pc1.pendingLocalDescription is None

    pc1.createDataChannel("test")
    offer = await within(pc1.createOffer())
    assert pc1.localDescription is None
    assert pc1.currentLocalDescription is None
    assert pc1.pendingLocalDescription is None

    await within(pc1.setLocalDescription(offer))
    assert_session_desc_similar(pc1.localDescription, offer)
    assert pc1.currentLocalDescription is None
    assert_session_desc_similar(pc1.pendingLocalDescription, offer)

    await within(pc2.setRemoteDescription(offer))
    answer = await within(pc2.createAnswer())
    await within(pc2.setLocalDescription(answer))
    await within(pc1.setRemoteDescription(answer))
    assert pc1.signalingState == "stable"
    assert_session_desc_similar(pc1.localDescription, offer)
    assert_session_desc_similar(pc1.currentLocalDescription, offer)
    assert pc1.pendingLocalDescription is None

    # WPT: pc2.addTrack(audio track) first
    reoffer = await within(pc2.createOffer())
    await within(pc2.setLocalDescription(reoffer))
    await within(pc1.setRemoteDescription(reoffer))
    reanswer = await within(pc1.createAnswer())
    await within(pc1.setLocalDescription(reanswer))
    assert_session_desc_similar(pc1.localDescription, reanswer)
    assert_session_desc_similar(pc1.currentLocalDescription, reanswer)
    assert pc1.pendingLocalDescription is None


@subtest("onsignalingstatechange fires before setLocalDescription resolves")
async def test_event_before_resolve(new_pc):
    pc = new_pc()
    offer = await within(pc.createOffer())
    event_sequence = ""
    fired: asyncio.Future = asyncio.get_running_loop().create_future()

    def onsignalingstatechange(event):
        nonlocal event_sequence
        event_sequence += "onsignalingstatechange;"
        if not fired.done():
            fired.set_result(None)

    pc.onsignalingstatechange = onsignalingstatechange
    await within(pc.setLocalDescription(offer))
    event_sequence += "setLocalDescription;"
    await within(fired, what="the signalingstatechange event")
    assert event_sequence == "onsignalingstatechange;setLocalDescription;"
