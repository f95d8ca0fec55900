"""The benchmarks still run: each one, small and bounded, as a subprocess (no timed assertions).

``make bench`` runs this file first (``pytest tests/bench_smoke.py``: its name keeps it out of
``make test``, where the benchmarks' smoke runs took about 18 s of a worker), then each benchmark at
full size. ``make test`` checks in tests/test_benchmarks.py that every benchmark still imports and
parses the arguments given to it here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent


#: The small run of each benchmark ``make bench`` runs: its arguments (tests/test_benchmarks.py parses them).
SMOKE = {
    "connect": ["1"],
    "datachannel": ["1", "1"],  # one round of 1 MiB
    "signalling": ["10", "10", "--rounds", "1", "--procs", "2"],
    "browser": ["1"],  # about 4 s: two Chromiums, a warm-up and 1 round of 4 pairings each
    "video": ["1", "1", "0.5"],  # one round: 1 s counted after 0.5 s
}


def run_benchmark(name: str) -> str:
    args = [f"benchmarks/{name}.py", *SMOKE[name]]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # the timeout only stops a hang; how long it took is not checked
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_signalling_load_benchmark_runs_small_and_loses_nothing():
    out = run_benchmark("signalling")
    assert "20 clients in 10 rooms over 2 client processes" in out
    for server in ("peerlab serve", "bare relay"):
        for how in ("flat out", "paced"):
            assert f"{server:<14} {how:<9}     0      0 " in out, out  # lost 0, errors 0
    assert "lost 0; throughput peerlab serve / bare relay:" in out, out


def test_the_connect_benchmark_runs_one_round():
    out = run_benchmark("connect")
    assert "peerlab / aiortc trickle = " in out and "lesson flow / aiortc in-SDP = " in out, out


def test_the_data_channel_benchmark_runs_one_round():
    out = run_benchmark("datachannel")
    assert out.count("peerlab / aiortc = ") == 2, out
    if not Path("/usr/bin/chromium").exists():
        skip_or_fail("Debian's chromium is not installed: the Chromium row of the benchmark was not measured")
    assert "Chromium <-> Chromium in one page, MB/s" in out, out


def test_the_browser_benchmark_runs_one_round():
    from .browser.jupyterlab import INSTALL_HINT, chromium_path

    if chromium_path() is None:
        skip_or_fail(INSTALL_HINT)
    out = run_benchmark("browser")
    assert "mDNS on" in out and "mDNS off" in out, out
    for pairing in ("peerlab → Chromium", "Chromium → peerlab", "Chromium ↔ Chromium", "peerlab ↔ peerlab"):
        assert sum(line.startswith(pairing) for line in out.splitlines()) == 1, out  # its row in the table
        assert f"mDNS on / off, connected, {pairing}" in out, out


def test_the_video_benchmark_runs_one_short_round():
    out = run_benchmark("video")
    assert "video 640×480 sent at 30 fps" in out and "peerlab / aiortc = " in out, out
