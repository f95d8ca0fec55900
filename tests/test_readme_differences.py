"""The README's "Where peerlab differs from a browser" lists exactly the known differences: WPT xfails and side by side."""

from __future__ import annotations

import re
from pathlib import Path

from .wpt.differences import DIFFERENCES, SIDE_BY_SIDE

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_lists_exactly_the_known_differences_with_their_reasons():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Where peerlab differs from a browser", 1)[1].split("\n## ", 1)[0]
    listed = dict(re.findall(r"^- (.+?) — (.+)$", section, flags=re.M))
    assert listed == {title: reason for title, (_, reason) in (DIFFERENCES | SIDE_BY_SIDE).items()}
    assert not DIFFERENCES.keys() & SIDE_BY_SIDE.keys()
