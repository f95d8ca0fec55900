"""A channel's far end found by its SCTP id, a wait that says what it waited for, and an id in use (issue 21).

Lesson 07 made the same channels again when a cell ran twice: the far end was looked up by label and
the earlier channel's came first, so the new channel's messages reached no listener, and the waits
ended in a bare ``TimeoutError:``; a negotiated id given twice was aiortc's ``ValueError``.
"""

from __future__ import annotations

import asyncio

import pytest

import peerlab
from peerlab import ChannelIdInUseError, StepOrderError, WaitTimeout
from peerlab.webrtc import wording

from .conftest import negotiate


async def connected_pair(loopback, caller, callee):
    """The caller's ``chat`` and the callee's end of it, both open."""
    chat = caller.createDataChannel("chat")
    await negotiate(loopback, caller, callee)
    await peerlab.wait_for_open(chat, timeout=5)
    return chat, await peerlab.far_end(callee, chat, timeout=5)


async def test_far_end_is_the_channel_with_the_same_id_not_an_earlier_one_with_the_same_label(pair):
    loopback, caller, callee = pair
    chat, far_chat = await connected_pair(*pair)
    assert far_chat.id == chat.id and far_chat.label == "chat" and far_chat in callee.datachannels
    files = caller.createDataChannel("files")
    first = await peerlab.far_end(callee, files, timeout=5)
    again = caller.createDataChannel("files")  # the cell run a second time
    second = await peerlab.far_end(callee, again, timeout=5)
    assert (first.id, second.id) == (files.id, again.id) and first.id != second.id
    assert second is not first and second is callee.datachannels[-1]
    assert await peerlab.far_end(callee, files, timeout=5) is first  # found again, after its event fired
    await peerlab.wait_for_open(again, timeout=5)
    received = asyncio.get_running_loop().create_future()
    second.onmessage = lambda event: received.set_result(event.data)
    again.send("to the new end")
    assert await asyncio.wait_for(received, 5) == "to the new end"


async def test_far_end_refuses_the_wrong_connection_and_a_negotiated_channel_with_words(pair):
    loopback, caller, callee = pair
    chat, _ = await connected_pair(*pair)
    with pytest.raises(StepOrderError) as raised:
        await peerlab.far_end(caller, chat, timeout=5)
    assert str(raised.value) == ("'chat' is the caller's own channel: pass the far side's connection, "
                                 "far_end(far_pc, channel), to find its end there")
    control = caller.createDataChannel("control", negotiated=True, id=100)
    with pytest.raises(StepOrderError, match=r"'control' is negotiated \(id 100\): no datachannel event announces it"):
        await peerlab.far_end(callee, control, timeout=5)


async def test_far_end_of_a_channel_on_a_connection_not_yet_up_says_what_it_waited_for(pair):
    loopback, caller, callee = pair
    chat = caller.createDataChannel("chat")  # no negotiation: it never opens, and has no id
    with pytest.raises(WaitTimeout) as raised:
        await peerlab.far_end(callee, chat, timeout=0.2)
    assert str(raised.value) == (
        "the open event of the caller's channel 'chat' (it has no id yet) did not come within 0.2 s: is the "
        "connection 'connected'? A channel opens once both peers' last steps are done")


async def test_wait_for_names_what_did_not_come_and_is_still_a_timeout_error():
    never = asyncio.get_running_loop().create_future()
    with pytest.raises(TimeoutError) as raised:  # code that caught asyncio's TimeoutError still catches it
        await peerlab.wait_for(never, 0.05, "the bufferedamountlow event on 'bulk'", "run the cell above first")
    assert isinstance(raised.value, WaitTimeout)
    assert str(raised.value) == ("the bufferedamountlow event on 'bulk' did not come within 0.05 s: "
                                 "run the cell above first")
    assert never.cancelled()
    done = asyncio.get_running_loop().create_future()
    done.set_result(42)
    assert await peerlab.wait_for(done, 1, "forty-two") == 42


async def test_a_negotiated_id_in_use_is_the_browsers_operation_error_naming_the_id_and_the_peer(pair):
    loopback, caller, callee = pair
    chat, _ = await connected_pair(*pair)
    control = caller.createDataChannel("control", negotiated=True, id=100)
    with pytest.raises(ChannelIdInUseError) as raised:
        caller.createDataChannel("control", negotiated=True, id=100)
    error = raised.value
    assert isinstance(error, ValueError) and error.name == "OperationError"  # aiortc raised a ValueError
    assert (error.id, error.existing) == (100, control)
    assert str(error) == ("the caller already has a data channel with id 100 ('control', open), made before this "
                          "call, and two channels of one connection cannot share an id (a browser throws "
                          "OperationError): choose an id that no channel of the caller has")
    assert str(error.__cause__) == "Data channel with ID 100 already registered"  # aiortc's, kept as the cause
    with pytest.raises(ChannelIdInUseError, match=r"^the callee already has a data channel with id 1 \('chat', open\)"):
        callee.createDataChannel("mine", negotiated=True, id=chat.id)  # an in-band channel's id is taken too
    callee.createDataChannel("control", negotiated=True, id=100)  # the far side's end: its own connection


async def test_without_the_teaching_layer_the_id_in_use_error_has_the_browsers_words(pair):
    loopback, caller, callee = pair
    caller.createDataChannel("control", negotiated=True, id=7)
    saved = wording.current()
    wording.reset()
    try:
        with pytest.raises(ChannelIdInUseError) as raised:
            caller.createDataChannel("control", negotiated=True, id=7)
    finally:
        wording.install(saved)
    assert str(raised.value) == ("Failed to execute 'createDataChannel' on 'RTCPeerConnection': RTCDataChannel "
                                 "creation failed")
