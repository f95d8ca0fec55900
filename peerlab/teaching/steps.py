"""The guide's numbered steps, for the caller and the callee, in English and Korean.

Lessons quote them, and errors name them ("caller step 4 sends the offer"), so a
learner always knows which step comes first. The text follows
``shared/seeds/peer-connections.ko.txt``; the Korean is the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Step", "CALLER_STEPS", "CALLEE_STEPS", "step", "sender_of"]

Side = Literal["caller", "callee"]


@dataclass(frozen=True)
class Step:
    """One numbered step of the guide."""

    side: Side
    number: int
    call: str
    en: str
    ko: str

    @property
    def label(self) -> str:
        """``"caller step 3"``: how errors and lessons name a step."""
        return f"{self.side} step {self.number}"

    def __str__(self) -> str:
        return f"{self.label}: {self.en}"


CALLER_STEPS: tuple[Step, ...] = (
    Step("caller", 1, "RTCPeerConnection(configuration)",
         "Create a new RTCPeerConnection with a suitable ICE configuration.",
         "적절한 ICE 구성을 사용하여 새 RTCPeerConnection 인스턴스를 만듭니다."),
    Step("caller", 2, "createOffer()",
         "Create a local SDP description with RTCPeerConnection.createOffer().",
         "RTCPeerConnection.createOffer()를 사용하여 로컬 SDP 설명을 만듭니다."),
    Step("caller", 3, "setLocalDescription(offer)",
         "Set the local SDP description with RTCPeerConnection.setLocalDescription().",
         "RTCPeerConnection.setLocalDescription()를 사용하여 로컬 SDP 설명을 설정합니다."),
    Step("caller", 4, 'send({"type": "offer", "data": offer})',
         "Send the local SDP description to the remote peer through the signalling service.",
         "신호 서비스를 사용하여 로컬 SDP 설명을 원격 피어에 전송합니다."),
    Step("caller", 5, 'addEventListener("icecandidate", listener)',
         "Register a listener for the icecandidate event on the RTCPeerConnection.",
         "RTCPeerConnection에서 icecandidate 이벤트의 리스너를 등록합니다."),
    Step("caller", 6, 'send({"type": "candidate", "data": event.candidate})',
         "For each icecandidate event, send the candidate to the remote peer through the signalling service.",
         "icecandidate 이벤트마다 (신호 서비스 사용) 원격 피어에 이벤트를 전송합니다."),
    Step("caller", 7, 'setRemoteDescription(await receive("answer"))',
         "Wait for the remote SDP description from the signalling service and set it with "
         "RTCPeerConnection.setRemoteDescription().",
         "신호 서비스로부터 수신되는 원격 SDP 설명을 기다린 후 "
         "RTCPeerConnection.setRemoteDescription()를 사용하여 설정합니다."),
    Step("caller", 8, 'addIceCandidate(await receive("candidate"))',
         "Wait for remote ICE candidates from the signalling service and add them with "
         "RTCPeerConnection.addIceCandidate().",
         "신호 서비스에서 수신 원격 ICE 후보를 대기하고 RTCPeerConnection.addIceCandidate()를 사용하여 추가합니다."),
)

CALLEE_STEPS: tuple[Step, ...] = (
    Step("callee", 1, "RTCPeerConnection(configuration)",
         "Create a new RTCPeerConnection with a suitable ICE configuration.",
         "적절한 ICE 구성을 사용하여 새 RTCPeerConnection 인스턴스를 만듭니다."),
    Step("callee", 2, 'setRemoteDescription(await receive("offer"))',
         "Wait for the remote SDP description from the signalling service and set it with "
         "RTCPeerConnection.setRemoteDescription().",
         "신호 서비스로부터 수신되는 원격 SDP 설명을 기다린 후 "
         "RTCPeerConnection.setRemoteDescription()를 사용하여 설정합니다."),
    Step("callee", 3, "createAnswer()",
         "Create an answer to the remote SDP description with RTCPeerConnection.createAnswer().",
         "RTCPeerConnection.createAnswer()를 호출하여 원격 SDP 설명의 답변을 만듭니다."),
    Step("callee", 4, 'send({"type": "answer", "data": answer})',
         "Send the answer to the remote peer through the signalling service.",
         "신호를 신호 피어를 사용하여 원격 피어에 전달합니다."),
    Step("callee", 5, 'addEventListener("icecandidate", listener)',
         "Register a listener for the icecandidate event on the RTCPeerConnection.",
         "RTCPeerConnection에서 icecandidate 이벤트의 리스너를 등록합니다."),
    Step("callee", 6, 'send({"type": "candidate", "data": event.candidate})',
         "For each icecandidate event, send the candidate to the remote peer through the signalling service.",
         "icecandidate 이벤트마다 (신호 서비스 사용) 원격 피어에 이벤트를 전송합니다."),
    Step("callee", 7, 'addIceCandidate(await receive("candidate"))',
         "Wait for remote ICE candidates from the signalling service and add them with "
         "RTCPeerConnection.addIceCandidate().",
         "신호 서비스에서 수신 원격 ICE 후보를 대기하고 RTCPeerConnection.addIceCandidate()를 사용하여 추가합니다."),
)


def step(side: Side, number: int) -> Step:
    """The step ``number`` of ``side`` ("caller" or "callee")."""
    steps = CALLER_STEPS if side == "caller" else CALLEE_STEPS
    if side not in ("caller", "callee") or not 1 <= number <= len(steps):
        raise ValueError(f"there is no {side} step {number}: the caller has steps 1-8, the callee 1-7")
    return steps[number - 1]


# Which step of the other side usually sends a message of each type.
_SENDERS: dict[str, tuple[Step, ...]] = {
    "offer": (CALLER_STEPS[3],),
    "answer": (CALLEE_STEPS[3],),
    "candidate": (CALLER_STEPS[5], CALLEE_STEPS[5]),
}


def sender_of(type: str | None, receiver: str) -> str:
    """A sentence naming the step that sends a ``type`` message to ``receiver``."""
    if type is None:
        return f"Nothing has been sent to the {receiver} yet."
    senders = [s for s in _SENDERS.get(type, ()) if s.side != receiver]
    if not senders:
        return f"No step of the guide sends a {type!r} message to the {receiver}."
    s = senders[0]
    article = "An" if type[:1].lower() in "aeiou" else "A"
    return f"{article} {type!r} message is sent by {s.label} ({s.call}). Has the {s.side} run it?"
