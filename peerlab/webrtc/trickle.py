"""The browser's trickle ICE on top of aiortc: gathered candidates become ``icecandidate`` events.

aiortc gathers every candidate inside ``setLocalDescription()`` and writes them
into the SDP. A browser instead fires events after that call's promise has
settled, in the order and the tasks the W3C spec gives (RTCIceTransport's gathering
steps, and "update the ICE gathering state"):

1. a task: ``icegatheringstatechange`` (``iceGatheringState`` is now ``"gathering"``);
2. a task per candidate: its ``icecandidate`` event;
3. a task: ``icegatheringstatechange`` (``"complete"``), then, in the same task, one
   ``icecandidate`` event whose ``candidate`` is ``None``: end-of-candidates.

:class:`Trickle` replays aiortc's candidates that way, each of those tasks queued through
:func:`peerlab.webrtc.promise.queue_task`, so code right after ``await
pc.setLocalDescription(offer)``, or at the end of a ``.then`` chain, registers its
listener before the first candidate. Candidates gathered before any listener
exists (a listener added in a later notebook cell) are held for the first one, with
a note: a browser would have dropped them.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import HeldCandidatesNote, note
from .candidate import RTCIceCandidate, candidates_of
from .events import Event
from .promise import microtask_checkpoint, queue_task
from .sdp import media_sections

if TYPE_CHECKING:
    from .connection import RTCPeerConnection

__all__ = ["RTCPeerConnectionIceEvent", "Trickle"]


class RTCPeerConnectionIceEvent(Event):
    """The browser's ``icecandidate`` event: ``event.candidate`` is a candidate or ``None`` (the end)."""

    def __init__(self, candidate: RTCIceCandidate | None) -> None:
        super().__init__("icecandidate")
        self.candidate = candidate

    @property
    def url(self) -> None:
        """The STUN/TURN server the candidate came from; peerlab's host candidates have none."""
        return None

    def __repr__(self) -> str:
        return f"<RTCPeerConnectionIceEvent candidate={self.candidate!r}>"


class Trickle:
    """One connection's gathering, as a browser shows it: the state, the events, the candidates so far."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.pc = pc
        self.state = "new"  # the iceGatheringState a learner sees
        self.surfaced: list[RTCIceCandidate] = []  # fired as events: what localDescription carries
        self.complete = False
        self.end_dispatched = False
        self.held: list[RTCPeerConnectionIceEvent] = []
        self._queued: set[str] = set()
        self._end_queued = False
        self._steps: deque[Callable[[], None]] = deque()

    def gathered(self, local_sdp: str, complete: bool) -> None:
        """aiortc's ``setLocalDescription()`` has run: queue the events for what it gathered."""
        if not media_sections(local_sdp):
            return  # no transport, nothing to gather: the state stays "new", as in a browser
        steps: list[Callable[[], None]] = []
        if self.state == "new" and not self._end_queued:
            steps.append(lambda: self._set_state("gathering"))
        for candidate in candidates_of(local_sdp, per_transport=True):
            if candidate.candidate not in self._queued:
                self._queued.add(candidate.candidate)
                steps.append(functools.partial(self._surface, candidate))
        if complete and not self._end_queued:
            self._end_queued = True
            steps.append(self._finish)
        if steps:
            start = not self._steps
            self._steps.extend(steps)
            if start:
                queue_task(self._pump)

    def _pump(self) -> None:
        """Fire the next queued event, then a microtask checkpoint; the one after it is a task of its own.

        As the spec queues them: one task per gathering-state change and per candidate, so code that
        ``await``-s one event (a coroutine resumes a few loop turns after the event, not as a
        microtask) is listening again before the next one, and the code after ``await
        pc.setLocalDescription()`` still runs before the first.
        """
        if not self._steps:
            return
        if self.pc.signalingState == "closed":
            self._steps.clear()
            return
        self._steps.popleft()()
        microtask_checkpoint()
        if self._steps:
            queue_task(self._pump)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.pc.events.add(self.pc.name, "state", "iceGatheringState", state)
        self.pc.dispatchEvent(Event("icegatheringstatechange"))

    def _finish(self) -> None:
        """Gathering is over: ``complete``, then end-of-candidates, in one task (as the spec has them)."""
        self._set_state("complete")
        microtask_checkpoint()  # as after any listener: its Promise handlers run before the next event
        self._end()

    def _surface(self, candidate: RTCIceCandidate) -> None:
        self.surfaced.append(candidate)
        self._fire(RTCPeerConnectionIceEvent(candidate))

    def _end(self) -> None:
        self.complete = True
        self._fire(RTCPeerConnectionIceEvent(None))

    def _fire(self, event: RTCPeerConnectionIceEvent) -> None:
        pc = self.pc
        if not pc.listeners("icecandidate"):
            self.held.append(event)
            pc.events.add(pc.name, "note", "icecandidate", "held: no listener yet")
            return
        pc.events.add(pc.name, "event", "icecandidate",
                      "end-of-candidates" if event.candidate is None else (event.candidate.type or ""))
        pc.dispatchEvent(event)
        if event.candidate is None:
            self.end_dispatched = True
            pc.events.add(pc.name, "note", "end-of-candidates dispatched")

    def listener_added(self) -> None:
        """The first ``icecandidate`` listener arrived after candidates were gathered: deliver them."""
        if not self.held:
            return
        held, self.held = self.held, []
        count = sum(1 for e in held if e.candidate is not None)
        end = " and the end-of-candidates event" if any(e.candidate is None for e in held) else ""
        note(f"{count} ICE candidate(s){end} were gathered before this listener existed. peerlab held "
             "them and delivers them now; a browser would have dropped them. Real code registers the "
             "icecandidate listener before it calls setLocalDescription(), although the guide lists that "
             "as step 5, after step 3.", HeldCandidatesNote)
        # Before anything still queued (the end-of-candidates, say), in the order they were gathered.
        self._steps.extendleft(reversed([functools.partial(self._fire, event) for event in held]))
        if len(self._steps) == len(held):  # the pump had stopped: start it again
            queue_task(self._pump)
