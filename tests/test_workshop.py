"""Workshop exercises: made from their solutions, and each stops at its first check with a hint.

The wrong attempts below are what learners really do; each must end in a message that names
the step and the call, never in a traceback from aiortc or a hang.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .unix_kernels import AsyncUnixSocketKernelManager

ROOT = Path(__file__).resolve().parent.parent
WORKSHOP = ROOT / "notebooks" / "workshop"

_spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "tools" / "make_exercises.py")
make_exercises = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_exercises)

SOLUTIONS = sorted(WORKSHOP.glob("*-solution.ipynb"))


def run(nb: nbformat.NotebookNode) -> tuple[str, str, int]:
    """Run ``nb`` until it fails; return the error's name, message and the failing cell's index."""
    client = NotebookClient(nb, timeout=30, kernel_name="python3", kernel_manager_class=AsyncUnixSocketKernelManager,
                            resources={"metadata": {"path": str(WORKSHOP)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    failed = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                  and any(o.output_type == "error" for o in c.get("outputs", [])))
    error = next(o for o in nb.cells[failed].outputs if o.output_type == "error")
    return error.ename, error.evalue, failed


def test_there_are_solutions_for_lessons_01_to_03():
    assert [p.name[:2] for p in SOLUTIONS] == ["01", "02", "03"]


def test_every_exercise_is_exactly_what_its_solution_makes():
    assert make_exercises.main(["--check"]) == 0


def test_blanking_keeps_the_instructions_and_cuts_at_the_marker():
    assert make_exercises.blank_out("# Create the offer.\noffer = await pc.createOffer()", whole=True) == \
        "# Create the offer.\n# YOUR CODE HERE"
    assert make_exercises.blank_out("a = 1\n# solution\nb = 2", whole=False) == "a = 1\n# YOUR CODE HERE"
    assert make_exercises.blank_out("a = 1", whole=False) == "a = 1"


FIRST_HINT = {
    # workshop: (the first check's hint when nothing is written, how many cells are left blank)
    "01-caller-solution.ipynb": ("caller step 1: there is no open connection yet", 7),
    "02-callee-solution.ipynb": ("callee step 1: there is no open connection yet", 6),
    "03-then-vs-await-solution.ipynb": ("caller step 2: no offer has been created", 3),
}


def test_every_workshop_has_its_expected_first_hint():
    assert sorted(FIRST_HINT) == [p.name for p in SOLUTIONS]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_an_untouched_exercise_stops_at_its_first_check_with_the_hint_for_that_step(solution):
    exercise = nbformat.read(solution.with_name(solution.name.replace("-solution", "-exercise")), as_version=4)
    hint, blanks = FIRST_HINT[solution.name]
    ename, evalue, index = run(exercise)
    assert (ename, evalue[:len(hint)]) == ("StepCheckFailed", hint)
    assert exercise.cells[index].source.startswith("await peerlab.check(")
    assert len([c for c in exercise.cells if c.cell_type == "code" and "# YOUR CODE HERE" in c.source]) == blanks


def with_step(solution: Path, step_source_start: str, replacement: str) -> nbformat.NotebookNode:
    nb = nbformat.read(solution, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])
                and step_source_start in c.source)
    cell.source = replacement
    return nb


CALLER, CALLEE = WORKSHOP / "01-caller-solution.ipynb", WORKSHOP / "02-callee-solution.ipynb"
THEN = WORKSHOP / "03-then-vs-await-solution.ipynb"

WRONG_ATTEMPTS = [
    # (solution, the step's code starts with, what the learner wrote, error name, message starts with)
    (CALLER, "# Set the offer", "# (forgot setLocalDescription)", "StepCheckFailed",
     "caller step 3: the offer is created but not set as the local description"),
    (CALLER, "# Create the offer", "offer = pc.createOffer", "StepCheckFailed",
     "caller step 2: no offer has been created"),
    (CALLER, "# Send the offer", 'signalling.send({"type": "ofer", "data": offer})', "SignallingError",
     "unknown message type 'ofer'"),
    (CALLER, "# Send the offer", 'signalling.send(offer)', "SignallingError",
     "send() takes a dict like"),
    (CALLER, "# Define a listener",
     'def on_icecandidate(event):\n    if event.candidate:\n        signalling.send({"type": "candidate", "data": event.candidate})\n'
     'pc.addEventListener("icecandidate", on_icecandidate)', "StepCheckFailed",
     "caller step 6: the candidates went out but end-of-candidates did not"),
    (CALLER, "# Receive the answer", 'answer = await signalling.receive("answer", timeout=5)\nawait pc.setRemoteDescription(answer)',
     "DescriptionTypeError", "setRemoteDescription() got the whole signalling message"),
    (CALLER, "# Add each remote candidate", "pass", "StepCheckFailed", "caller step 8: no remote candidate was added"),
    (CALLER, "# Add each remote candidate",
     'message = await signalling.receive("candidate", timeout=5)\nawait pc.addIceCandidate(message)',
     "CandidateTypeError", "addIceCandidate() got the whole signalling message; pass the candidate inside it"),
    (CALLEE, "# Receive the offer", 'offer = await signalling.receive("answer", timeout=1)', "SignallingTimeout",
     "The callee waited 1 s for an 'answer' message and none came."),
    (CALLEE, "# Create the answer", "answer = await pc.createAnswer()", "StepCheckFailed",
     "callee step 3: the answer is created but not set as the local description"),
    (CALLEE, "# Receive the offer", "# (skipped)", "StepCheckFailed", "callee step 2: the offer is not set"),
    (THEN, "# Steps 2-4 as one", "await pc.createOffer().then(lambda offer: pc.setLocalDescription(offer))",
     "StepCheckFailed", "caller step 4: the offer has not been sent"),
    (THEN, "# Steps 2-4 as one", "pc.createOffer().then(lambda offer: signalling.send(offer))",
     "StepCheckFailed", "caller step 3: the offer is created but not set as the local description"),
    (THEN, "# Catch the error", 'message = await pc.setRemoteDescription({"type": "answer", "sdp": "not sdp"})',
     "DescriptionSyntaxError", "setRemoteDescription(): this is not SDP"),
    (THEN, "# Catch the error",
     'message = pc.setRemoteDescription({"type": "answer", "sdp": "not sdp"}).catch(lambda error: str(error))',
     "AssertionError", "message is a Promise: add await before pc.setRemoteDescription(...)"),
    (THEN, "# Catch the error",
     'message = await pc.setRemoteDescription({"type": "answer", "sdp": "not sdp"}).catch(lambda error: error)',
     "AssertionError", "message should be the error's text, but it is DescriptionSyntaxError("),
    (THEN, "# Catch the error", 'await pc.close()  # as after the clean-up cell\n'
     'message = await pc.setRemoteDescription({"type": "answer", "sdp": "not sdp"}).catch(lambda error: str(error))',
     "AssertionError", "the .catch() worked, but the error it caught is not the broken SDP's: "
     "setRemoteDescription(): the caller's connection is closed."),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("solution, start, wrong, ename, message", WRONG_ATTEMPTS,
                         ids=[f"{s.name[:9]}:{w.splitlines()[0][:40]}" for s, _, w, _, _ in WRONG_ATTEMPTS])
def test_a_wrong_attempt_gets_a_message_naming_the_step_and_the_call(solution, start, wrong, ename, message):
    got_name, got_message, _ = run(with_step(solution, start, wrong))
    assert (got_name, got_message[:len(message)]) == (ename, message)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_every_exercise_says_near_the_top_how_to_start_over(solution):
    exercise = nbformat.read(solution.with_name(solution.name.replace("-solution", "-exercise")), as_version=4)
    first_code = next(i for i, c in enumerate(exercise.cells) if c.cell_type == "code")
    text = " ".join(c.source for c in exercise.cells[:first_code] if c.cell_type == "markdown")
    assert "**To start over**" in text and "re-run the set-up cell" in text
    assert "Kernel → Restart Kernel, then run from the top." in text
