"""Running out of file descriptors: a clear error naming the limit and the fix, and a set-up warning.

Each test runs Python in a subprocess with a low soft ``RLIMIT_NOFILE``, as on many laptops.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from peerlab.webrtc.limits import raise_command

ROOT = Path(__file__).resolve().parent.parent
LOWER = """
import resource
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, ({limit} if hard < 0 else min({limit}, hard), hard))
"""


def python(code: str, limit: int, timeout: float = 60) -> str:
    """Run ``code`` with a soft open-file limit of ``limit``; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    run = subprocess.run([sys.executable, "-c", LOWER.format(limit=limit) + textwrap.dedent(code)],
                         capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return run.stdout


FIX = raise_command()  # the same in the subprocess: the hard limit is inherited


def test_the_fix_says_the_command_for_the_terminal_and_for_a_cell():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    target = 4096 if hard < 0 or hard >= 4096 else hard
    assert (f"run `ulimit -n 4096` in the terminal before starting Jupyter (`make lab`), or raise it for "
                   f"this kernel in a cell: import resource; resource.setrlimit(resource.RLIMIT_NOFILE, ({target}, "
                   "resource.getrlimit(resource.RLIMIT_NOFILE)[1]))") == FIX

LESSON_PAIRS = """
import asyncio, time
import peerlab

async def main():
    start, opened = time.monotonic(), []
    try:
        for n in range(1, 100):  # lesson 01 again and again, nothing closed
            loopback = peerlab.Loopback()
            callee = peerlab.play_callee(loopback.callee)
            pc = peerlab.RTCPeerConnection({"iceServers": []})
            opened.append((pc, callee, loopback))
            signalling = loopback.caller
            pc.addEventListener("icecandidate", lambda e, s=signalling: s.send({"type": "candidate", "data": e.candidate}))
            pc.createDataChannel("chat")
            offer = await pc.createOffer()
            await pc.setLocalDescription(offer)
            signalling.send({"type": "offer", "data": offer})
            await pc.setRemoteDescription((await signalling.receive("answer", timeout=5))["data"])
            while (m := await signalling.receive("candidate", timeout=5))["data"] is not None:
                await pc.addIceCandidate(m["data"])
            await pc.addIceCandidate(None)
            await pc.wait_for_state("connected", timeout=5)
    except peerlab.PeerlabError as error:
        print(n, f"{time.monotonic() - start:.1f}", type(error).__name__)
        print(error)
    finally:
        for pc, callee, loopback in opened:
            await pc.close()
            await callee.close()
            loopback.close()

asyncio.run(main())
"""


@pytest.mark.timeout(90)
def test_too_many_open_connections_give_an_error_naming_the_limit_and_the_fix():
    head, message = python(LESSON_PAIRS, limit=128).split("\n", 1)
    pairs, seconds, name = head.split()
    assert 5 < int(pairs) < 99 and float(seconds) > 0  # how long it took is the machine's business
    explained = ("Too many open files: this Python process has reached its limit of 128 open files, and each "
                 "connection holds a few sockets. Close connections you no longer need (await pc.close()), or "
                 f"raise the limit: {FIX}.")
    if name == "ScriptedPeerError":  # the scripted callee ran out first, answering the offer
        assert message.strip() == ("The scripted callee failed while answering your offer: FileLimitError: "
                                   f"{explained} Then start again from step 1 on your side.")
    else:
        assert (name, message.strip()) == ("FileLimitError", explained)


@pytest.mark.timeout(60)
def test_a_connection_whose_first_dtls_handshake_finds_no_free_file_still_connects():
    """What the first DTLS handshake imports is imported with peerlab: late, it would fail in the background."""
    out = python("""
        import asyncio, os
        import peerlab
        from peerlab.testing import negotiate

        async def main():
            async with peerlab.Loopback() as loopback:
                a, b = peerlab.RTCPeerConnection({"iceServers": []}), peerlab.RTCPeerConnection({"iceServers": []})
                await negotiate(loopback, a, b)
                hogs = []
                try:
                    while True:  # every file this process may open is open now
                        hogs.append(os.open(os.devnull, os.O_RDONLY))
                except OSError:
                    pass
                try:
                    await a.wait_for_state("connected", timeout=3)
                    print(a.connectionState)
                finally:
                    for fd in hogs:
                        os.close(fd)
                    await a.close()
                    await b.close()

        asyncio.run(main())
    """, limit=256)
    assert out == "connected\n"


def test_the_set_up_check_warns_when_the_limit_is_low_and_says_the_command():
    out = python("from peerlab import setup_check\nprint(setup_check.check_file_limit())", limit=256)
    assert out == ("[WARN] this process may open only 256 files at once, and each connection holds a few sockets: "
                   "with many connections open, new ones fail with 'too many open files'\n"
                   f"       fix: {FIX}\n")
    assert python("from peerlab import setup_check\nprint(setup_check.check_file_limit())", limit=4096) == (
        "[ OK ] this process may open enough files for many connections (≥ 1024)\n")
