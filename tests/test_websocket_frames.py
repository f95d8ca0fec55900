"""What ``peerlab.join``'s endpoint makes of each frame, without a socket: the decisions are pure functions.

``tests/test_server.py`` runs the same endpoint against a real server; here each frame, close code and
server message is fed in directly, as websockets tests its protocol apart from its connection.
"""

from __future__ import annotations

from peerlab import MessageRefused, SignallingClosed
from peerlab.signalling.server_wire import CloseCode
from peerlab.signalling.websocket import closed_error, far_presence, read_frame, refusal

URL = "ws://127.0.0.1:8765/"


def test_a_frame_is_the_servers_own_message_a_relayed_one_or_nothing_for_the_learner():
    assert read_frame('{"type": "joined", "data": {"you": true}}') == ("server", {"type": "joined",
                                                                                  "data": {"you": True}})
    assert read_frame('{"type": "offer", "data": {}}') == ("relayed", {"type": "offer", "data": {}})
    assert read_frame(b'{"type": "candidate", "data": null}') == ("relayed", {"type": "candidate", "data": None})
    for frame in ("not json", "[1, 2]", '{"data": 1}', '{"type": 7}'):
        assert read_frame(frame) is None, frame


def test_the_servers_messages_say_when_the_far_side_comes_and_goes():
    assert far_presence({"type": "joined", "data": {"you": True, "peer": None}}, "caller") is None
    assert far_presence({"type": "joined", "data": {"role": "callee"}}, "caller") is True
    assert far_presence({"type": "replaced", "data": {"role": "callee"}}, "caller") is True  # it joined again
    assert far_presence({"type": "replaced", "data": {"role": "caller"}}, "caller") is None
    assert far_presence({"type": "left", "data": {"role": "callee", "reason": "closed"}}, "caller") is False
    assert far_presence({"type": "error", "data": {}}, "caller") is None


def test_an_error_from_the_server_becomes_the_error_the_next_call_raises():
    refused = refusal({"code": "unknown-type", "seq": 4, "type": "hello",
                       "message": "unknown message type 'hello': the server relays offer, answer, candidate"}, URL)
    assert isinstance(refused, MessageRefused)
    assert str(refused) == (f"The server at {URL} says: your message #4 ('hello') was refused: unknown message "
                            "type 'hello': the server relays offer, answer, candidate")
    assert (refused.code, refused.seq, refused.type, refused.reason) == ("unknown-type", 4, "hello", None)
    undelivered = refusal({"code": "undelivered", "reason": "far-absent", "seq": 2, "type": "candidate",
                           "message": "your message #2 ('candidate') was not delivered: the callee has not joined"},
                          URL)
    assert str(undelivered).endswith("says: your message #2 ('candidate') was not delivered: the callee has not joined")
    assert undelivered.reason == "far-absent"


def test_each_close_code_says_what_to_do():
    words = {code: str(closed_error(code, "idle: nothing came", URL, "t", "caller"))
             for code in (CloseCode.REPLACED, CloseCode.IDLE, CloseCode.POLICY, CloseCode.GOING_AWAY, None)}
    assert "was replaced: this process joined the room as the caller again" in words[CloseCode.REPLACED]
    assert words[CloseCode.IDLE] == (f"the server closed this connection to room 't' on {URL}: idle: nothing came. "
                                     f"Join again: await peerlab.join('{URL}', room='t', role='caller').")
    assert "Read what it sends (receive())" in words[CloseCode.POLICY]
    assert words[None].startswith(f"the signalling server at {URL} stopped or the connection to it was lost "
                                  "(close code None, 'idle: nothing came')")
    assert isinstance(closed_error(None, "", URL, "t", "caller"), SignallingClosed)
