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
    assert done.stderr == ""  # nothing logged either: no "Task was destroyed but it is pending"
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


def test_a_plain_script_keeps_one_loop_so_a_connection_made_in_one_wait_is_used_in_the_next():
    assert run("""
        import peerlab
        from peerlab import blocking

        async def set_up():
            loopback = peerlab.Loopback()
            callee = peerlab.play_callee(loopback.callee)
            pc = peerlab.RTCPeerConnection({"iceServers": []}, name="caller")
            return loopback, callee, pc, pc.createDataChannel("chat")

        async def connect(pc, signalling):
            pc.addEventListener("icecandidate",
                                lambda event: signalling.send({"type": "candidate", "data": event.candidate}))
            offer = await pc.createOffer()
            await pc.setLocalDescription(offer)
            signalling.send({"type": "offer", "data": offer})
            await pc.setRemoteDescription((await signalling.receive("answer", timeout=5))["data"])
            while (message := await signalling.receive("candidate", timeout=5))["data"] is not None:
                await pc.addIceCandidate(message["data"])
            await pc.wait_for_state("connected", timeout=5)

        async def clean_up(*closables):
            for thing in closables:
                await thing.close()

        loopback, callee, pc, channel = blocking.wait(set_up())      # one call
        blocking.wait(connect(pc, loopback.caller))                   # the next, same loop
        print(pc.connectionState)
        print(blocking.wait(peerlab.send_and_receive(channel, "hi", timeout=5)))
        print(blocking.loop() is blocking.loop())
        blocking.wait(clean_up(pc, callee))
        loopback.close()
    """) == "connected\necho: hi\nTrue"


def test_a_kept_loop_cancels_what_still_runs_at_exit_without_complaint():
    assert run("""
        import asyncio
        from peerlab import blocking

        async def start_forever():
            return asyncio.ensure_future(asyncio.sleep(3600))

        task = blocking.wait(start_forever())
        print(task.done())
    """) == "False"
