"""How many ported WPT subtests pass, per file: against this peerlab, another checkout of it, or bare aiortc.

    python tools/wpt_counts.py [--peerlab DIR | --aiortc] [tests/wpt/test_X.py ...]

Runs the port with pytest's ``--runxfail`` (a known difference counts as the failure it is) and prints
one line per WPT file: passed of ported. ``--peerlab DIR`` puts another peerlab first on the path
(``git archive <commit> | tar -x -C DIR`` gives one), to count before a change. ``--aiortc`` runs the
subtests against aiortc's own ``RTCPeerConnection`` through the thinnest shim that lets the JavaScript
idioms reach it (listeners through pyee's ``on``; ``addTransceiver(kind, {direction})`` as
``addTransceiver(kind, direction)``; ``addTrack(track, ...streams)`` as ``addTrack(track)``): whatever
aiortc lacks fails, as it would for code written against the browser's API.

This module is also the pytest plugin that does it (``-p wpt_counts``), acting only when the
environment says so.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AGAINST = "PEERLAB_WPT_AGAINST"  # "aiortc", or unset


def _stand_ins() -> None:
    """What an older peerlab or bare aiortc lacks for the port to run at all (the fixtures use it)."""
    import peerlab

    if not hasattr(peerlab, "MediaStream"):
        class MediaStream:
            def __init__(self, tracks: Any = ()) -> None:
                self.id, self._tracks = str(id(self)), list(tracks)

            def getTracks(self) -> list[Any]:
                return list(self._tracks)

            def getAudioTracks(self) -> list[Any]:
                return [t for t in self._tracks if t.kind == "audio"]

            def getVideoTracks(self) -> list[Any]:
                return [t for t in self._tracks if t.kind == "video"]

        peerlab.MediaStream = MediaStream  # type: ignore[attr-defined]
    if os.environ.get(AGAINST) == "aiortc":
        peerlab.RTCPeerConnection = _bare_aiortc()  # type: ignore[misc]


def _bare_aiortc() -> type:
    from aiortc import RTCConfiguration
    from aiortc import RTCPeerConnection as AiortcPeerConnection

    class BareAiortc(AiortcPeerConnection):  # type: ignore[misc]
        """aiortc's connection; only JavaScript's spelling of what it has is translated."""

        def __init__(self, configuration: Any = None) -> None:
            super().__init__(RTCConfiguration(iceServers=[]))
            self._handlers: dict[str, Any] = {}

        def addEventListener(self, type: str, listener: Any) -> None:
            self.on(type, listener)

        def removeEventListener(self, type: str, listener: Any) -> None:
            if listener in self.listeners(type):
                self.remove_listener(type, listener)

        def __setattr__(self, name: str, value: Any) -> None:
            if name.startswith("on") and name[2:].isalpha() and name[2:].islower():
                old = self.__dict__.get("_handlers", {}).pop(name, None)
                if old is not None:
                    self.removeEventListener(name[2:], old)
                if value is not None:
                    self._handlers[name] = value
                    self.on(name[2:], value)
                return
            super().__setattr__(name, value)

        def __getattr__(self, name: str) -> Any:
            if name.startswith("on") and name[2:].isalpha() and name[2:].islower():
                return self.__dict__.get("_handlers", {}).get(name)
            raise AttributeError(name)

        def addTrack(self, track: Any, *streams: Any) -> Any:
            return super().addTrack(track)

        def addTransceiver(self, trackOrKind: Any, init: Any = None) -> Any:
            direction = init.get("direction", "sendrecv") if isinstance(init, dict) else init or "sendrecv"
            return super().addTransceiver(trackOrKind, direction)

    return BareAiortc


def pytest_configure(config: Any) -> None:
    """As a plugin: the stand-ins, before the port's fixtures import anything."""
    _stand_ins()


def wpt_file(module: Path) -> str:
    """The WPT file a port module names in its docstring's first line (``RTCPeerConnection-addTrack``)."""
    first = module.read_text(encoding="utf-8").splitlines()[0]
    match = re.search(r"webrtc/([\w-]+?)(?:\.https)?\.html", first)
    return match.group(1) if match else module.stem


def counts(junit: Path) -> dict[str, Counter[str]]:
    """Per WPT file (``RTCPeerConnection-addTrack``...): how many subtests passed and how many ran."""
    passed: dict[tuple[str, str], bool] = {}  # a test that also errs at teardown has two entries
    for case in ElementTree.parse(junit).iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        if module.startswith("test_"):
            key = (wpt_file(ROOT / "tests" / "wpt" / f"{module}.py"), case.get("name", ""))
            ok = not any(child.tag in ("failure", "error", "skipped") for child in case)
            passed[key] = passed.get(key, True) and ok
    per_file: dict[str, Counter[str]] = {}
    for (name, _), ok in passed.items():
        tally = per_file.setdefault(name, Counter())
        tally["ported"] += 1
        tally["passed"] += ok
    return per_file


def main(argv: list[str]) -> None:
    env = dict(os.environ)
    package = ROOT / "peerlab"
    if "--peerlab" in argv:
        where = argv.index("--peerlab")
        package = Path(argv[where + 1]).resolve() / "peerlab"
        del argv[where:where + 2]
    if "--aiortc" in argv:
        argv.remove("--aiortc")
        env[AGAINST] = "aiortc"
    files = argv or ["tests/wpt"]
    with tempfile.TemporaryDirectory() as tmp:
        # A folder where `import peerlab` finds the package to count (python -m puts the folder it runs in
        # first on the path), with this checkout's tests and settings beside it.
        run = Path(tmp)
        (run / "peerlab").symlink_to(package)
        (run / "tests").symlink_to(ROOT / "tests")
        (run / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tools"), str(run)])
        junit = run / "wpt.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly", "-p", "wpt_counts",
                        "--runxfail", "-W", "ignore", f"--junitxml={junit}", "--timeout=30", *files],
                       cwd=run, env=env, capture_output=True, text=True, timeout=1800)
        tallies = counts(junit)
    total: Counter[str] = Counter()
    for name, tally in sorted(tallies.items()):
        total.update(tally)
        print(f"{name:<52} {tally['passed']:>3} of {tally['ported']:>3}")
    print(f"{'all':<52} {total['passed']:>3} of {total['ported']:>3}")


if __name__ == "__main__":
    main(sys.argv[1:])
