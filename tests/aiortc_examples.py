"""aiortc's own example programs, taken from aiortc's source distribution at test time, unmodified.

The repository keeps only code its own authors wrote, so a test that talks to aiortc's
``examples/datachannel-cli/cli.py`` asks pip for the sdist of the aiortc that is installed
(``pip download --no-deps --no-binary aiortc aiortc==VERSION``: about 4 s, once), reads the file
out of it and keeps it in a cache beside the virtual environment (``<venv>/peerlab-test-cache/``,
or ``.test-cache/`` in the repository without one). The next run finds it there, offline.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cache_dir() -> Path:
    """Where fetched examples are kept: inside the virtual environment when there is one."""
    if sys.prefix != sys.base_prefix and os.access(sys.prefix, os.W_OK):
        return Path(sys.prefix) / "peerlab-test-cache"
    return ROOT / ".test-cache"


def example(path: str) -> Path:
    """The file ``path`` of the installed aiortc's sdist (e.g. ``examples/datachannel-cli/cli.py``).

    Raises ``RuntimeError`` saying what to fetch when it is not cached and pip cannot download it.
    """
    version = importlib.metadata.version("aiortc")
    kept = cache_dir() / f"aiortc-{version}" / path
    if kept.exists():
        return kept
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", "aiortc",
                   f"aiortc=={version}", "--dest", folder]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        sdists = list(Path(folder).glob(f"aiortc-{version}.tar.gz"))
        if done.returncode != 0 or not sdists:
            raise RuntimeError(
                f"aiortc's {path} is not in {kept.parent} and pip could not fetch aiortc {version}'s source "
                f"distribution to take it from ({' '.join(command[2:])} said: "
                f"{(done.stderr or done.stdout).strip()[-500:]}). With the package index reachable, run the "
                f"tests again; or download aiortc-{version}.tar.gz from PyPI and put its {path} at {kept}.")
        with tarfile.open(sdists[0]) as archive:
            member = archive.extractfile(f"aiortc-{version}/{path}")
            if member is None:
                raise RuntimeError(f"aiortc {version}'s source distribution has no {path}")
            data = member.read()
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(kept.name + f".{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(kept)  # atomic: a second process sees the whole file or none
    return kept
