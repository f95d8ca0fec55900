"""aiortc's example programs come from aiortc's own release at test time; none is copied into this repository."""

from __future__ import annotations

import importlib.metadata
import subprocess

import pytest

from tests import aiortc_examples
from tests.aiortc_examples import ROOT, example


def test_the_example_is_aiortcs_file_unmodified_from_the_installed_versions_sdist():
    path = example("examples/datachannel-cli/cli.py")
    assert f"aiortc-{importlib.metadata.version('aiortc')}" in path.parts
    text = path.read_text(encoding="utf-8")
    # aiortc's own program: its signalling comes from aiortc.contrib, and it plays both roles
    assert "from aiortc.contrib.signaling import BYE, add_signaling_arguments, create_signaling" in text
    assert "async def run_answer(pc, signaling):" in text and "async def run_offer(pc, signaling):" in text
    assert "peerlab" not in text  # nothing of ours was written into it


def test_with_no_index_and_no_cache_it_fails_saying_what_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setattr(aiortc_examples, "cache_dir", lambda: tmp_path)
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")  # no index but the one below, which refuses at once
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_RETRIES", "0")
    version = importlib.metadata.version("aiortc")
    with pytest.raises(RuntimeError) as info:
        example("examples/datachannel-cli/cli.py")
    message = str(info.value)
    assert f"aiortc {version}'s source distribution" in message
    assert f"aiortc-{version}.tar.gz" in message and str(tmp_path) in message


def test_no_copy_of_another_projects_code_is_in_the_repository():
    """aiortc's licence header is the mark of a copied file (the string is split so this test does not match)."""
    marks = ["Copyright (c) " + "Jeremy Lain", "Redistribution and use in source and binary " + "forms"]
    for mark in marks:
        found = subprocess.run(["git", "grep", "-l", "-F", mark], cwd=ROOT, capture_output=True, text=True)
        assert found.stdout.strip() == "", f"{mark!r} in {found.stdout.split()}"
