"""blocking.wait: a synchronous wait, in a plain script and inside a running loop (as in a kernel).

nest-asyncio2 patches asyncio for the whole process, so each case runs in its own Python.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_plain_script_waits_for_a_coroutine():
    assert run("""
        import asyncio
        from peerlab import blocking
        async def answer():
            await asyncio.sleep(0.01)
            return 42
        print(blocking.wait(answer()))
    """) == "42"


def test_inside_a_running_loop_a_synchronous_helper_waits_for_a_real_promise():
    assert run("""
        import asyncio
        import peerlab
        from peerlab import blocking

        def offer_type(pc):                      # synchronous: cannot await
            return blocking.wait(pc.createOffer(), timeout=5).type

        async def main():
            pc = peerlab.RTCPeerConnection()
            pc.createDataChannel("chat")
            print(offer_type(pc))
            await pc.close()

        asyncio.run(main())
    """) == "offer"


def test_a_wait_that_never_ends_times_out():
    assert run("""
        import asyncio
        from peerlab import blocking, WaitTimeout
        async def main():
            try:
                blocking.wait(asyncio.sleep(60), timeout=0.05)
            except WaitTimeout as error:
                print(error)
        asyncio.run(main())
    """) == "blocking.wait() gave up after 0.05 s; the awaited work was cancelled"
