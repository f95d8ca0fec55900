"""peerlab.natlab: the issue's table through the demo's JSON, a killed builder leaves nothing, the impaired link,
a thread that enters a private network (lesson 10's kernel), the far peer, and a classroom's ``peerlab serve
--turn-secret`` connecting two private networks through coturn.

One lab serves the whole module (built once, about a second; :meth:`Lab.configure` switches the
NAT kind and the UDP blocking between rows, which only rewrites the routers' rules). Every wait
is bounded; no test asserts how fast anything is.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from peerlab import errors as peerlab_errors
from peerlab.errors import LabUnavailable
from peerlab.natlab import Lab, check_requirements, ice_mode, run_demo
from peerlab.natlab import netns as natlab_netns
from peerlab.natlab.cli import block_udp_for
from peerlab.natlab.explain import why_no_pair
from peerlab.natlab.farpeer import _children
from peerlab.natlab.probe import udp_ping
from peerlab.natlab.requirements import IMPAIR_TOOLS, missing_tools
from peerlab.natlab.topology import LEFT, RIGHT, SIGNAL_ADDRESS, TURN_ADDRESS, router_rules
from peerlab.natlab.turn import credentials
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]


def lab_or_skip() -> None:
    try:
        check_requirements()
    except LabUnavailable as exc:
        skip_or_fail(f"peerlab.natlab cannot run here: {exc}")


@pytest.fixture(scope="module")
def lab():
    lab_or_skip()
    lab = Lab(name="test-natlab", lifetime=600.0)
    try:
        lab.build()
    except LabUnavailable as exc:
        skip_or_fail(f"peerlab.natlab cannot run here: {exc}")
    yield lab
    lab.teardown()
    lab.teardown()  # twice is fine


def as_printed(result) -> dict:
    """The object ``python -m peerlab.natlab demo --json`` prints for this result."""
    return json.loads(json.dumps(result.as_json()))


# -- the table, row by row ------------------------------------------------------------

ROWS = {
    # (nat, --ice, --block-udp): (gathered on each side, the selected pair's possible types)
    "cone, STUN": ("cone", "stun", None, ["host", "srflx"], [{"local": "srflx", "remote": "srflx"}]),
    "cone, UDP only to coturn, STUN+TURN": ("cone", "turn", "auto", ["host", "srflx", "relay"], "relay"),
    "all UDP blocked, TURN over TCP": ("cone", "turn-tcp", "auto", ["host", "relay"],
                                       [{"local": "relay", "remote": "relay"}]),
    "symmetric, STUN+TURN": ("symmetric", "turn", None, ["host", "srflx", "relay"],
                             [{"local": "relay", "remote": "prflx"}, {"local": "prflx", "remote": "relay"},
                              {"local": "relay", "remote": "relay"}]),
    "symmetric, relay policy": ("symmetric", "relay", None, ["relay"], [{"local": "relay", "remote": "relay"}]),
}


@pytest.mark.timeout(90)
@pytest.mark.parametrize("row", list(ROWS), ids=list(ROWS))
async def test_each_row_of_the_table_connects_through_the_pair_it_names(lab, row):
    nat, ice, block, gathered, selected = ROWS[row]
    lab.configure(nat, block_udp_for(ice, block))
    printed = as_printed(await run_demo(lab, ice))
    assert printed["connected"] is True, printed["reason"]
    assert printed["gathered"] == {"left": gathered, "right": gathered}
    if selected == "relay":
        assert "relay" in printed["selected"].values(), printed["selected"]
    else:
        assert printed["selected"] in selected
    assert printed["ms"] > 0 and printed["reason"] is None
    assert printed["echo_ms"] is not None  # a data channel message went there and back


@pytest.mark.timeout(90)
async def test_behind_a_cone_nat_the_srflx_candidate_keeps_the_host_port(lab):
    """Endpoint-independent mapping: the port STUN saw is the socket's own port, whoever it sends to."""
    lab.configure("cone")
    printed = as_printed(await run_demo(lab, "stun"))
    for side in ("left", "right"):
        by_type = {c["type"]: c for c in printed["candidates"][side]}
        assert by_type["srflx"]["port"] == by_type["host"]["port"]
        assert by_type["srflx"]["address"] != by_type["host"]["address"]
    local = printed["pairs"]["left"]["local"]
    assert local["type"] == "host"  # aioice keeps the base; `selected` names it as a browser does


@pytest.mark.timeout(90)
async def test_symmetric_nat_with_stun_only_gives_up_early_and_says_turn_would_work(lab):
    lab.configure("symmetric")
    printed = as_printed(await run_demo(lab, "stun"))
    assert printed["connected"] is False and printed["selected"] is None and printed["ms"] is None
    assert printed["gathered"] == {"left": ["host", "srflx"], "right": ["host", "srflx"]}
    reason = printed["reason"]
    assert "none can" in reason and "symmetric" in reason and "TURN" in reason, reason  # not ICE's timeout


@pytest.mark.timeout(90)
async def test_no_ice_servers_behind_two_nats_gives_up_and_says_why(lab):
    lab.configure("cone")
    printed = as_printed(await run_demo(lab, "none"))
    assert printed["connected"] is False
    assert printed["gathered"] == {"left": ["host"], "right": ["host"]}
    assert "host candidates" in printed["reason"] and "STUN" in printed["reason"], printed["reason"]


@pytest.mark.timeout(90)
async def test_a_wrong_turn_password_is_diagnosed_in_words(lab):
    """aiortc gathers no relay candidate and says nothing; the demo asks coturn, which answers 401."""
    lab.configure("symmetric")
    printed = as_printed(await run_demo(lab, "relay", password="not-the-password"))
    assert printed["connected"] is False
    assert printed["gathered"] == {"left": [], "right": []}
    assert set(printed["turn"]) == {"left", "right"}
    assert all("401" in answer for answer in printed["turn"].values()), printed["turn"]
    reason = printed["reason"]
    assert "no relay candidate" in reason or "a relay candidate" in reason
    assert "username or password is wrong" in reason, reason


@pytest.mark.timeout(120)
def test_the_demo_command_prints_one_json_object():
    lab_or_skip()
    ran = subprocess.run([sys.executable, "-m", "peerlab.natlab", "demo", "--nat", "cone", "--ice", "stun", "--json"],
                         capture_output=True, text=True, timeout=100, cwd=ROOT)
    if ran.returncode == 2:
        skip_or_fail(f"the demo could not build its lab here: {ran.stderr.strip()}")
    printed = json.loads(ran.stdout)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert printed["connected"] is True and printed["selected"] == {"local": "srflx", "remote": "srflx"}
    assert set(printed) >= {"connected", "selected", "gathered", "ms"}


# -- building, tearing down, and a killed builder ----------------------------------------------

@pytest.mark.timeout(60)
def test_building_twice_gives_one_lab_and_a_second_lab_of_that_name_replaces_it():
    lab_or_skip()
    first = Lab(name="test-natlab-twice", lifetime=120.0)
    try:
        first.build()
        pid = first._pid
        assert first.build() is first and first._pid == pid
        second = Lab(name="test-natlab-twice", lifetime=120.0).build()
        assert not first.built and second.built  # re-running a cell gives one lab, not two
        second.teardown()
        second.teardown()
    finally:
        first.teardown()


def _host_state() -> dict[str, str]:
    """What the machine shows outside any lab: its namespaces, links, rules and /run."""
    def run(*argv: str) -> str:
        return subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "PATH": os.environ["PATH"]
                              + ":/usr/sbin:/sbin"}).stdout

    return {"netns": run("ip", "netns", "list"), "links": run("ip", "-o", "link", "show"),
            "nft": run("nft", "list", "ruleset"), "run": "\n".join(sorted(os.listdir("/run")))}


def _lab_processes(keeper: int, lab_pid_ns: str, marker: str) -> list[str]:
    """Processes of the lab: its keeper, those in its PID namespace, and those naming it (its id is in the token)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            in_lab = os.readlink(f"/proc/{entry}/ns/pid") == lab_pid_ns
        except OSError:  # it ended while we looked
            continue
        if int(entry) == keeper or in_lab or marker in command:
            found.append(f"{entry}: {command}")
    return found


BUILDER = textwrap.dedent("""
    import json, sys, time
    from peerlab.natlab import Lab
    lab = Lab(name="killed", lifetime=120.0).build()
    lab.impair(0.01, 0.0)
    print(json.dumps({"pid": lab._pid, "id": lab.id}), flush=True)
    time.sleep(120)
""")


@pytest.mark.timeout(60)
def test_a_killed_builder_leaves_nothing_behind():
    lab_or_skip()
    before = _host_state()
    builder = subprocess.Popen([sys.executable, "-c", BUILDER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT)
    try:
        line = builder.stdout.readline()
        if not line:
            skip_or_fail(f"the builder could not build its lab: {builder.stderr.read()[-2000:]}")
        made = json.loads(line)
        lab_pid_ns = os.readlink(f"/proc/{made['pid']}/ns/pid")  # the keeper is PID 1 there
        running = _lab_processes(made["pid"], lab_pid_ns, made["id"])
        assert any("turnserver" in p for p in running) and any("peerlab serve" in p for p in running), running
        assert any("_nfqueue.py" in p for p in running), running
        builder.send_signal(signal.SIGKILL)
        builder.wait(10)
        end = time.monotonic() + 20
        while (left := _lab_processes(made["pid"], lab_pid_ns, made["id"])) and time.monotonic() < end:
            time.sleep(0.1)
        assert left == []
        assert _host_state() == before
    finally:
        if builder.poll() is None:
            builder.kill()
            builder.wait()
        builder.stdout.close()
        builder.stderr.close()


def test_what_is_missing_is_named_with_the_command_that_installs_it(monkeypatch, tmp_path):
    if not sys.platform.startswith("linux"):
        with pytest.raises(LabUnavailable):
            check_requirements()
        return
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH; /usr/sbin and /sbin are still looked in
    missing = missing_tools()
    assert "turnserver" in missing and missing["turnserver"] == "coturn"
    if not missing_tools({"nft": "nftables"}):
        with pytest.raises(LabUnavailable) as caught:
            check_requirements()
        assert "coturn" in caught.value.missing
        assert caught.value.install.startswith("apt-get install ") and "coturn" in caught.value.install
        assert "apt-get install" in str(caught.value)


def test_namespaces_not_permitted_is_said_so(monkeypatch, tmp_path):
    """As `unshare` says it where user namespaces are turned off (or a container forbids them)."""
    lab_or_skip()
    fake = tmp_path / "unshare"
    fake.write_text("#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    lab = Lab(name="test-natlab-refused")
    with pytest.raises(LabUnavailable) as caught:
        lab.build()
    assert caught.value.missing == ["network namespaces"]
    assert "Operation not permitted" in str(caught.value) and "root" in str(caught.value)
    assert not lab.built
    lab.teardown()


# -- the impaired link -------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_the_impaired_link_delays_each_way_and_loses_some_packets(lab):
    if missing_tools(IMPAIR_TOOLS):
        skip_or_fail("the impaired link needs iptables (apt-get install iptables)")
    lab.configure("cone")
    try:
        lab.impair(delay=0.05, loss=0.0)
        delayed = udp_ping(lab, "left", "signal", count=10, wait=3.0)
        assert delayed.received == delayed.sent
        assert min(delayed.rtt_ms) >= 100  # 50 ms each way: the reader holds every packet at least that long
        lab.impair(delay=0.0, loss=0.3)
        lossy = udp_ping(lab, "left", "signal", count=60, wait=3.0)
        assert 0 < lossy.received < lossy.sent  # 30 % each way: all 60 lost or none, about 1 in 10^17
        counts = lab.repair()
        assert counts is not None and counts["dropped"] > 0 and counts["passed"] > 0
        plain = udp_ping(lab, "left", "signal", count=10, wait=3.0)
        assert plain.received == plain.sent
    finally:
        lab.repair()


@pytest.mark.timeout(60)
def test_jitter_spreads_the_round_trips(lab):
    if missing_tools(IMPAIR_TOOLS):
        skip_or_fail("the impaired link needs iptables (apt-get install iptables)")
    lab.configure("cone")
    try:
        lab.impair(delay=0.03, loss=0.0, jitter=0.02)
        assert lab.impairment == {"delay": 0.03, "loss": 0.0, "jitter": 0.02}
        jittery = udp_ping(lab, "left", "signal", count=40, interval=0.005, wait=3.0)
        assert jittery.received == jittery.sent
        assert min(jittery.rtt_ms) >= 20 and max(jittery.rtt_ms) - min(jittery.rtt_ms) >= 10  # 2 x (30 ± 20) ms
    finally:
        lab.repair()
    with pytest.raises(ValueError, match="jitter from 0 to the delay"):
        lab.impair(delay=0.01, loss=0.0, jitter=0.02)


# -- lesson 10: a kernel behind a NAT, its far peer ---------------------------------------------

KERNEL = textwrap.dedent("""
    import asyncio, json, os, socket, threading
    import ifaddr
    import peerlab
    from peerlab import natlab

    def net():
        return os.readlink("/proc/thread-self/ns/net")

    async def main():
        home, seen = net(), {}
        other = {}
        lab = natlab.Lab(name="kernel-like", lifetime=120.0).build()
        seen["entered"] = natlab.enter(lab, "left")
        seen["entered again"] = natlab.enter(lab, "left")
        seen["addresses"] = sorted(ip.ip for a in ifaddr.get_adapters() for ip in a.ips if isinstance(ip.ip, str))
        thread = threading.Thread(target=lambda: other.update(net=net()))
        thread.start(); thread.join()
        seen["new threads follow"] = other["net"] == net() != home
        with socket.create_connection(("198.18.0.4", 8765), timeout=5) as sock:
            seen["signal from"] = sock.getsockname()[0]
        stun = {"iceServers": [{"urls": "stun:198.18.0.3:3478"}]}
        far = await natlab.far_peer(lab, stun)
        seen["same far peer"] = await natlab.far_peer(lab, dict(stun)) is far
        seen["far says"] = (await far.joined(timeout=20)).splitlines()
        seen["again"] = await far.joined(timeout=0.1) == chr(10).join(seen["far says"])
        signalling = await peerlab.join(lab.signalling_url, room=far.room, role="caller")
        pc = peerlab.RTCPeerConnection(stun, name="caller")
        pc.addEventListener("icecandidate", lambda e: signalling.send({"type": "candidate", "data": e.candidate}))
        channel = pc.createDataChannel("chat")
        await pc.setLocalDescription(await pc.createOffer())
        signalling.send({"type": "offer", "data": pc.localDescription})
        await pc.setRemoteDescription((await signalling.receive("answer", timeout=10))["data"])
        while (message := await signalling.receive("candidate", timeout=10))["data"] is not None:
            await pc.addIceCandidate(message["data"])
        await pc.addIceCandidate(None)
        await pc.wait_for_state("connected", timeout=10)
        seen["echo"] = await peerlab.send_and_receive(channel, "across", timeout=5)
        seen["gathered"] = natlab.gathered_text(signalling.transcript)
        seen["pair"] = natlab.pair_text(pc, signalling.transcript, nat=lab.nat)
        seen["why"] = natlab.why_not_connected(lab, stun, signalling.transcript)
        await pc.close()
        await signalling.close()
        replaced = await natlab.far_peer(lab, {"iceServers": []})
        seen["replaced"] = replaced is not far and far.lines[-1]
        seen["stopped"] = await replaced.stop()
        lab.teardown()
        seen["left"] = natlab.where()
        seen["home again"] = net() == home
        print(json.dumps(seen))

    asyncio.run(main())
""")


@pytest.mark.timeout(90)
def test_a_thread_enters_the_left_network_calls_the_far_peer_and_comes_back():
    """What lesson 10's kernel does, in a process of its own (entering would move this test's own thread)."""
    lab_or_skip()
    if os.geteuid() != 0:
        skip_or_fail("only root (or a user namespace's root) may enter the lab's networks")
    ran = subprocess.run([sys.executable, "-c", KERNEL], capture_output=True, text=True, timeout=80, cwd=ROOT)
    assert ran.returncode == 0, ran.stderr[-3000:]
    seen = json.loads(ran.stdout.splitlines()[-1])
    assert seen["entered"].startswith(f"this kernel is in the lab's 'left' network: its address is {LEFT.address}")
    assert seen["entered again"].startswith("already there: ") and seen["again"] is True
    assert seen["addresses"] == ["127.0.0.1", LEFT.address]
    assert seen["new threads follow"] is True
    assert seen["signal from"] == LEFT.address
    assert seen["same far peer"] is True
    room = re.search(r"room '([^']+)'", seen["far says"][0]).group(1)
    assert seen["far says"] == [f"callee: joined room '{room}' on ws://{SIGNAL_ADDRESS}:8765/ (waiting for the caller)",
                                f"callee: step 1's configuration: stun:{TURN_ADDRESS}:3478"]
    assert seen["echo"] == "echo: across"
    assert re.fullmatch(rf"you sent:          host {LEFT.address}:(\d+), srflx {LEFT.wan}:\1\n"
                        rf"the far peer sent: host {RIGHT.address}:(\d+), srflx {RIGHT.wan}:\2", seen["gathered"])
    assert seen["pair"].startswith(f"selected pair: host {LEFT.address}:")
    assert f"→ srflx {RIGHT.wan}:" in seen["pair"] and "your srflx candidate" in seen["pair"]
    assert seen["why"] is None
    assert seen["replaced"] == f"callee: stopped (SIGTERM came); it left room '{room}'"
    assert seen["stopped"].startswith("callee: stopped (SIGTERM came)")
    assert seen["left"] == "this kernel is in the machine's own network" and seen["home again"] is True


def test_an_ordinary_users_kernel_is_told_to_start_in_a_user_namespace(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    refused = natlab_netns._refused(Lab(name="words"), "left", errno.EPERM)
    assert refused.missing == ["CAP_SYS_ADMIN"]
    assert "unshare --user --map-root-user make lab" in str(refused) and "stored outputs" in str(refused)


def test_an_unbuilt_lab_has_no_network_to_enter():
    with pytest.raises(peerlab_errors.LabError, match="not built"):
        natlab_netns.enter(Lab(name="unbuilt"), "left")
    with pytest.raises(ValueError, match="host is one of 'left', 'right'"):
        natlab_netns.enter(Lab(name="unbuilt"), "turn")
    assert natlab_netns.leave() == "this kernel is in the machine's own network"


# -- TURN for a real classroom: peerlab serve --turn-secret ------------------------------------

@pytest.mark.timeout(90)
async def test_a_classroom_serve_with_a_turn_secret_connects_two_private_networks_through_the_relay(lab):
    """A teacher's ``peerlab serve --turn-url ... --turn-secret S`` beside coturn (its static-auth-secret S): two
    far peers on different private networks, behind symmetric NATs, take their TURN credentials from their joined
    messages and connect relay to relay."""
    lab.configure("symmetric")
    token, port, room = "classroom", "8766", f"table-{lab.id}"
    started: list[asyncio.subprocess.Process] = []

    async def start(host: str, argv: list[str]) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(*lab.command(host, argv), stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.STDOUT, env=lab.environment)
        started.append(process)
        return process

    async def line(process: asyncio.subprocess.Process) -> str:
        return (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()

    try:
        serve = await start("signal", [sys.executable, "-m", "peerlab", "serve", "--host", SIGNAL_ADDRESS, "--port",
                                       port, "--token", token, "--turn-url", f"turn:{TURN_ADDRESS}:3478",
                                       "--turn-secret", lab.secret])
        banner = [await line(serve) for _ in range(4)]
        assert f"ICE servers for every client: turn:{TURN_ADDRESS}:3478 (TURN credentials of its own, valid 12 h)" \
            in banner, banner
        url = f"ws://{SIGNAL_ADDRESS}:{port}/?token={token}"
        peers = {role: await start(host, [sys.executable, "-m", "peerlab.peer", url, "--room", room, "--role", role,
                                          "--lifetime", "60", "--ice-servers-from-server",
                                          "--configuration", '{"iceTransportPolicy": "relay"}'])
                 for role, host in (("callee", "right"), ("caller", "left"))}
        for role, peer in peers.items():
            said = [await line(peer)]
            while said[-1] and "connectionState is" not in said[-1]:
                said.append(await line(peer))
            assert said[-1] == f"{role}: connectionState is 'connected'", said
            assert f"{role}: step 1's configuration: turn:{TURN_ADDRESS}:3478 (relay candidates only)" in said
        log = lab.read("turnserver.log")
        for role in peers:  # coturn checked each one's credentials, signed by peerlab serve with its secret
            assert re.search(rf"user <\d+:{re.escape(room)}\.{role}>: incoming packet ALLOCATE processed, success",
                             log), log[-3000:]
    finally:
        for process in reversed(started):
            for pid in _inner(process.pid):
                os.kill(pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


def _inner(pid: int) -> list[int]:
    """The process ``nsenter`` (``pid``) started inside the lab."""
    return _children(pid)


# -- the pure parts ----------------------------------------------------------------------------

def test_the_nat_kinds_differ_in_the_mapping_only():
    cone, symmetric = router_rules("cone", None), router_rules("symmetric", None)
    assert "masquerade fully-random" in symmetric and "fully-random" not in cone
    for rules in (cone, symmetric):
        assert 'iifname "wan" drop comment "unsolicited' in rules  # the fact 1
    assert 'meta l4proto udp drop' in router_rules("cone", "all")
    assert "ip daddr != 198.18.0.3 drop" in router_rules("cone", "except-turn")


def test_turn_credentials_are_coturns_rest_scheme():
    import base64
    import hashlib
    import hmac

    username, password = credentials("s3cret", "left", 60, now=1_000_000)
    assert username == "1000060:left"
    assert password == base64.b64encode(hmac.new(b"s3cret", b"1000060:left", hashlib.sha1).digest()).decode()


def test_why_no_pair_names_what_would_work():
    assert why_no_pair("cone", "stun", None, {"left": ["host", "srflx"], "right": ["host", "srflx"]}) is None
    assert why_no_pair("symmetric", "turn", None, {"left": ["host", "relay"], "right": ["host"]}) is None
    symmetric = why_no_pair("symmetric", "stun", None, {"left": ["host", "srflx"], "right": ["host", "srflx"]})
    assert symmetric is not None and "TURN" in symmetric
    blocked = why_no_pair("cone", "stun", "all", {"left": ["host"], "right": ["host"]})
    assert blocked is not None and "turn-tcp" in blocked
    assert block_udp_for("turn", "auto") == "except-turn" and block_udp_for("turn-tcp", "auto") == "all"


def test_ice_mode_reads_a_configuration_as_aiortc_does():
    turn = {"urls": ["turn:h:3478?transport=tcp", "turn:h:3478"], "username": "u", "credential": "p"}
    assert ice_mode({"iceServers": []}) == ice_mode(None) == "none"
    assert ice_mode({"iceServers": [{"urls": "stun:h:3478"}]}) == "stun"
    assert ice_mode({"iceServers": [{"urls": "stun:h:3478"}, {**turn, "urls": "turn:h:3478"}]}) == "turn"
    assert ice_mode({"iceServers": [turn]}) == "turn-tcp"  # aiortc takes the first TURN URL
    assert ice_mode({"iceServers": [turn], "iceTransportPolicy": "relay"}) == "relay"


def test_why_no_pair_speaks_to_a_lesson_of_step_1_and_to_the_demo_of_its_options():
    gathered = {"left": ["host"], "right": ["host"]}
    assert "--ice stun" in why_no_pair("cone", "none", None, gathered)
    lesson = why_no_pair("cone", "none", None, gathered, words="lesson")
    assert "--ice" not in lesson and "a stun: URL in iceServers" in lesson
