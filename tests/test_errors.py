"""The error tree: each error is also the standard error a caller would catch, and shows cleanly in IPython."""

from __future__ import annotations

from aiortc.exceptions import InvalidStateError

import peerlab
from peerlab import errors


def test_errors_are_also_the_standard_errors_code_already_catches():
    assert issubclass(errors.StepOrderError, InvalidStateError)
    assert issubclass(errors.InvalidDescriptionError, ValueError)
    assert issubclass(errors.InvalidCandidateError, ValueError)
    assert issubclass(errors.SignallingTimeout, TimeoutError)
    assert issubclass(errors.WaitTimeout, TimeoutError)
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert getattr(peerlab, name) is cls
        assert issubclass(cls, (errors.PeerlabError, errors.PeerlabNote))


def test_ipython_shows_the_message_and_its_cause_not_peerlabs_frames():
    try:
        try:
            raise InvalidStateError('Cannot create answer in signaling state "stable"')
        except InvalidStateError as cause:
            raise errors.StepOrderError("callee step 2 comes first") from cause
    except errors.StepOrderError as exc:
        shown = exc._render_traceback_()
    assert shown == [
        "\x1b[31mStepOrderError\x1b[0m: callee step 2 comes first",
        "(caused by InvalidStateError: Cannot create answer in signaling state \"stable\")",
    ]


def test_every_error_class_lives_in_errors_py_and_is_drawn_in_its_tree():
    """One home for errors: no module defines an exception class of its own, and the tree names them all."""
    import ast
    from pathlib import Path

    package = Path(peerlab.__file__).parent
    elsewhere = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "errors.py" and path.parent == package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b) for b in node.bases}
                if any(b.endswith(("Error", "Exception", "Failed", "Unavailable", "Refused", "Closed",
                                   "Timeout", "Unreachable", "Note", "Warning")) for b in bases):
                    elsewhere.append(f"{path.relative_to(package)}: class {node.name}({', '.join(sorted(bases))})")
    assert elsewhere == []
    tree = errors.__doc__ or ""
    classes = [name for name in errors.__all__ if isinstance(getattr(errors, name), type)]
    assert [name for name in classes if f" {name} " not in tree and f" {name}\n" not in tree
            and f"``{name}``" not in tree] == []
