"""The benchmarks still run: each one, small and bounded, as a subprocess (no timed assertions).

``make bench`` runs them at full size; here only that they finish and report what they must.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(*args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # the timeout only stops a hang; how long it took is not checked
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_signalling_load_benchmark_runs_small_and_loses_nothing():
    out = run_benchmark("benchmarks/signalling.py", "10", "10", "--rounds", "1", "--procs", "2")
    assert "20 clients in 10 rooms over 2 client processes" in out
    for server in ("peerlab serve", "bare relay"):
        for how in ("flat out", "paced"):
            assert f"{server:<14} {how:<9}     0      0 " in out, out  # lost 0, errors 0
    assert "lost 0; throughput peerlab serve / bare relay:" in out, out


def test_the_connect_benchmark_runs_one_round():
    out = run_benchmark("benchmarks/connect.py", "1")
    assert "peerlab / aiortc trickle = " in out and "lesson flow / aiortc in-SDP = " in out, out


def test_the_data_channel_benchmark_runs_one_round():
    out = run_benchmark("benchmarks/datachannel.py", "1", "2")  # one round of 2 MiB
    assert out.count("peerlab / aiortc = ") == 2, out


def test_the_video_benchmark_runs_one_short_round():
    out = run_benchmark("benchmarks/video.py", "1", "1", "0.5")  # one round: 1 s counted after 0.5 s
    assert "video 640×480 sent at 30 fps" in out and "peerlab / aiortc = " in out, out
