"""WPT webrtc/RTCPeerConnection-setRemoteDescription.html, ported to peerlab.

Source: Chromium's import of WPT (stored commit 02690aef); see tests/wpt/README.md.
Adapted (a data-channel peer has no audio or video to offer):
- "Negotiation should fire signalingsstate events" and "Switching role from offerer to
  answerer ...": the first offer carries a data channel instead of receiving audio.
- "Calling setRemoteDescription() again ...": WPT's two remote offers receive audio, then
  video; here the first has no m-section and the second a data m-section.
"""



from .helpers import generate_data_channel_offer
from .wpt import (
    assert_session_desc_not_similar,
    assert_session_desc_similar,
    rejects_dom,
    rejects_js,
    subtest,
    within,
)


@subtest("setRemoteDescription with invalid type and invalid SDP should reject with TypeError")
async def test_invalid_type(new_pc):
    pc = new_pc()
    # SDP is validated after WebIDL validation
    await rejects_js(pc.setRemoteDescription({"type": "bogus", "sdp": "bogus"}), TypeError)


@subtest("setRemoteDescription() with invalid SDP and stable state should reject with InvalidStateError")
async def test_invalid_sdp_answer_in_stable(new_pc):
    pc = new_pc()
    # SDP is validated after validating type
    await rejects_dom(pc.setRemoteDescription({"type": "answer", "sdp": "invalid"}), "InvalidStateError")


@subtest("Negotiation should fire signalingsstate events")
async def test_signalingstate_events(new_pc):
    pc = new_pc()
    pc2 = new_pc()
    event_count = 0
    states = ["stable", "have-local-offer", "stable", "have-remote-offer"]
    errors = []

    def onsignalingstatechange(event):
        nonlocal event_count
        event_count += 1
        if event_count >= len(states) or pc.signalingState != states[event_count]:
            errors.append(f"event {event_count}: signalingState {pc.signalingState!r}")

    pc.onsignalingstatechange = onsignalingstatechange

    def assert_state(state):
        assert state == pc.signalingState
        assert state == states[event_count]
        assert errors == []

    offer = await generate_data_channel_offer(pc)  # WPT: generateAudioReceiveOnlyOffer(pc)
    assert_state("stable")
    await within(pc.setLocalDescription(offer))
    assert_state("have-local-offer")
    await within(pc2.setRemoteDescription(offer))
    await within(pc2.setLocalDescription(await within(pc2.createAnswer())))
    await within(pc.setRemoteDescription(pc2.localDescription))
    assert_state("stable")
    await within(pc.setRemoteDescription(await within(pc2.createOffer())))
    assert_state("have-remote-offer")


@subtest("Calling setRemoteDescription() again after one round of remote-offer/local-answer should succeed")
async def test_second_remote_offer(new_pc):
    pc = new_pc()
    pc2 = new_pc()
    offer1 = await within(pc2.createOffer())  # WPT: generateAudioReceiveOnlyOffer(pc2)
    await within(pc.setRemoteDescription(offer1))
    await within(pc.setLocalDescription(await within(pc.createAnswer())))
    offer2 = await generate_data_channel_offer(pc2)  # WPT: generateVideoReceiveOnlyOffer(pc2)
    await within(pc.setRemoteDescription(offer2))
    assert_session_desc_not_similar(offer1, offer2)
    assert_session_desc_similar(pc.remoteDescription, offer2)
    assert_session_desc_similar(pc.currentRemoteDescription, offer1)
    assert_session_desc_similar(pc.pendingRemoteDescription, offer2)


@subtest("Switching role from offerer to answerer after going back to stable state should succeed")
async def test_switch_role(new_pc):
    pc = new_pc()
    pc2 = new_pc()
    offer = await generate_data_channel_offer(pc)  # WPT: generateAudioReceiveOnlyOffer(pc)
    await within(pc.setLocalDescription(offer))
    await within(pc2.setRemoteDescription(offer))
    answer = await within(pc2.createAnswer())
    await within(pc2.setLocalDescription(answer))
    await within(pc.setRemoteDescription(answer))
    await within(pc.setRemoteDescription(await within(pc2.createOffer())))
    assert pc.remoteDescription.sdp == pc.pendingRemoteDescription.sdp
    assert_session_desc_similar(pc.remoteDescription, offer)
    assert_session_desc_similar(pc.currentRemoteDescription, answer)
