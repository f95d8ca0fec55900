"""What each lesson must show in JupyterLab after Run All, and the run that checks it.

Each lesson is opened in a fresh workspace on a new kernel, run with Run -> Run All Cells, and
checked: every cell ran, no error outside cells tagged ``raises-exception``, nothing in the
browser console; then what the lesson is about is on the page. Screenshots of each view go to
test-artifacts/browser/ (ignored by git): look at them. A picture of the whole notebook is kept there
after every run (PEERLAB_SCREENSHOTS=0: only when a test fails).

To check more in a lesson, add a function to CHECKS; it gets the page after the run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from .conftest import ARTIFACTS, ROOT
from .jupyterlab import (
    JupyterLab,
    allow_camera,
    cells,
    mermaid_arrow_count,
    outputs_text,
    run_notebook,
    screenshot_notebook,
    tagged_cell,
    unexpected_errors,
    whole_notebook_screenshots,
)

NOTEBOOKS = ROOT / "notebooks"
# The lessons and the workshop solutions; exercises have blanks on purpose (pytest ignores them too).
LESSONS = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
WORKSHOP = sorted(f"workshop/{p.name}" for p in (NOTEBOOKS / "workshop").glob("*-solution.ipynb"))
# Two browser modules share the lessons, so that pytest-xdist runs the halves side by side: lessons 00-05 with
# the workshop solutions, and 06-09 (the learner's browser, data channels, media, the camera). Two, not more:
# each module loads its own JupyterLab and Chromium (about 9 s of CPU on this machine's two cores).
FIRST_HALF, SECOND_HALF = [n for n in LESSONS if n < "06"], [n for n in LESSONS if n >= "06"]

CONNECTION_STATE = '.peerlab-state-panel .peerlab-state-current[data-machine="connectionState"]'


def check_setup_check(page: Any, lab: JupyterLab, name: str) -> None:
    last = [c.index for c in cells(page, name) if c.type == "code"][-1]
    assert "READY: this machine can run every peerlab lesson." in outputs_text(page, last)
    assert "[FAIL]" not in outputs_text(page)
    assert page.locator(".peerlab-setup-widget").is_visible()  # the widget manager works here


def check_caller(page: Any, lab: JupyterLab, name: str) -> None:
    step_8 = tagged_cell(lab.path(name), "caller-step-8")
    assert "connectionState=connected" in outputs_text(page, step_8)
    assert "'echo: hello from the caller'" in outputs_text(page)
    assert page.locator(CONNECTION_STATE).first.get_attribute("data-state") == "connected"
    assert page.locator(".peerlab-sdp tr").count() > 10
    assert page.locator(".peerlab-candidates tbody tr").count() >= 1


def check_callee(page: Any, lab: JupyterLab, name: str) -> None:
    step_7 = tagged_cell(lab.path(name), "callee-step-7")
    assert "connectionState=connected" in outputs_text(page, step_7)
    assert "'echo: hello from the callee'" in outputs_text(page)
    assert page.locator(CONNECTION_STATE).first.get_attribute("data-state") == "connected"


def check_then_vs_await(page: Any, lab: JupyterLab, name: str) -> None:
    text = outputs_text(page)
    assert "then connected" in text and "await connected" in text  # both styles reach 'connected'


def check_workshop(side: str, steps: int, echo: str) -> Callable[[Any, JupyterLab, str], None]:
    """A workshop solution: every step's check cell says ✔, and the data channel echoes."""
    def check(page: Any, lab: JupyterLab, name: str) -> None:
        text = outputs_text(page)
        for step in range(1, steps + 1):
            assert f"✔ {side} step {step}:" in text
        assert "is 'connected'" in text
        assert f"echo: {echo}" in text
    return check


def check_then_vs_await_solution(page: Any, lab: JupyterLab, name: str) -> None:
    text = outputs_text(page)
    assert text.count("✔ caller step 4:") == 2
    assert "✔ the error went to .catch()" in text


def check_trickle(page: Any, lab: JupyterLab, name: str) -> None:
    stored = nbformat.read(lab.path(name), as_version=4)
    source = next(o["data"]["text/vnd.mermaid"] for c in stored.cells if c.cell_type == "code"
                  for o in c.outputs if "text/vnd.mermaid" in o.get("data", {}))
    assert len(re.findall(r"->>", source)) == 12
    assert mermaid_arrow_count(page, ".jp-NotebookPanel .jp-OutputArea") == 12
    for peer in ("caller", "callee"):
        state = page.locator(f'.peerlab-state-current[data-peer="{peer}"][data-machine="connectionState"]')
        assert state.get_attribute("data-state") == "connected"
    assert page.locator(".peerlab-candidates tbody tr").count() >= 1
    assert page.locator(".peerlab-sdp tr").count() > 10
    assert page.locator(".peerlab-timeline svg circle").count() > 20
    for view, selector in [("sequence-diagram", ".jp-OutputArea .jp-RenderedMermaid"),
                           ("state-panel", ".peerlab-state-panel"), ("timeline", ".peerlab-timeline svg"),
                           ("sdp-anatomy", ".peerlab-sdp"), ("candidate-table", ".peerlab-candidates")]:
        page.locator(selector).first.screenshot(path=str(ARTIFACTS / f"{view}.png"))


def check_two_processes(page: Any, lab: JupyterLab, name: str) -> None:
    step_8 = tagged_cell(lab.path(name), "caller-step-8")
    assert "connectionState=connected" in outputs_text(page, step_8)
    text = outputs_text(page)
    assert "callee: joined room 'lesson-05'" in text and "a process of its own: True" in text
    assert "callee → caller  answer" in text  # made in the other process, relayed by the server
    assert "'echo: hello from the caller'" in text
    assert "callee: stopped (SIGTERM came); it left room 'lesson-05'" in text and "exit status: 0" in text


def check_your_browser(page: Any, lab: JupyterLab, name: str) -> None:
    """Lesson 06: the browser calls aiortc and answers it; the chat box sends and the kernel's echo comes back."""
    links = browser_peer_links(page)
    assert links and all(link in ("comm", "proxy", "direct") for link in links), links  # pc's view says how
    page.locator(".peerlab-browser-peer").first.screenshot(path=str(ARTIFACTS / "browser-peer-widget.png"))
    for tag in ("caller-step-8", "callee-step-7"):
        assert "iceConnectionState=connected  connectionState=connected" in outputs_text(page, tagged_cell(
            lab.path(name), tag))  # 'connected': the browser's own state, which aiortc never reports
    text = outputs_text(page)
    assert "'echo: hello from your browser'" in text and "'echo: hello from your browser, the callee'" in text
    assert "address ends with .local: True" in text and "<uuid>.local <port> typ host" in text
    assert page.locator('.peerlab-browser-state[data-machine="connectionState"]').first.get_attribute(
        "data-state") == "connected"  # the widget's own view of the page's connection
    assert page.locator('.peerlab-state-current[data-peer="callee"][data-machine="connectionState"]') \
        .get_attribute("data-state") == "connected"
    box = page.locator(".peerlab-chat-box input")
    box.fill("hi from the chat box")
    box.press("Enter")
    page.locator(".peerlab-chat-log", has_text="echo: hi from the chat box").wait_for(timeout=10_000)
    page.locator(".peerlab-chat-log").screenshot(path=str(ARTIFACTS / "browser-chat.png"))
    page.locator(".peerlab-hang-up").click()
    page.locator(".peerlab-browser-state[data-machine=\"connectionState\"][data-state=\"closed\"]").first.wait_for(
        timeout=10_000)


def check_data_channels(page: Any, lab: JupyterLab, name: str) -> None:
    text = outputs_text(page)
    assert "sent 4.0 MiB, hashes match: True" in text
    assert "50 of 50 arrived" in text and "fell to 262144 bytes" in text and "all 128 messages, 2097152 bytes" in text
    assert "InvalidMessageError: this message is 262145 bytes" in text
    assert "files      caller's end closed, callee's end closed" in text
    bar = page.locator(".jp-NotebookPanel .widget-hprogress .progress-bar").first
    assert bar.evaluate("e => e.style.width") == "100%"  # the one progress bar, updated in place, ends full
    assert "progress-bar-success" in (bar.get_attribute("class") or "")
    assert page.locator(".jp-NotebookPanel .widget-hprogress").count() == 1
    bars = page.locator(".peerlab-throughput svg rect.peerlab-throughput-bar")
    assert bars.count() == 20
    assert sum(float(h) for h in bars.evaluate_all("rs => rs.map(r => r.getAttribute('height'))")) > 0
    assert page.locator(".peerlab-throughput .peerlab-throughput-average").count() == 1
    page.locator(".jp-NotebookPanel .widget-hprogress").first.screenshot(path=str(ARTIFACTS / "file-progress.png"))
    page.locator(".peerlab-throughput").first.screenshot(path=str(ARTIFACTS / "throughput-plot.png"))


def assert_moves(page: Any, picture: Any, stem: str, what: str) -> None:
    """Two screenshots of ``picture`` a second apart (``<stem>-1.png``, ``-2.png``) must differ: it plays."""
    before = picture.screenshot(path=str(ARTIFACTS / f"{stem}-1.png"))
    page.wait_for_timeout(1000)
    after = picture.screenshot(path=str(ARTIFACTS / f"{stem}-2.png"))
    assert before != after, f"{what} did not move in a second"


def watch_the_video_move(page: Any) -> None:
    """Lesson 08, while Run All runs: the video view moves (two pictures of it a second apart differ).

    Its cells keep the video playing for several seconds (two 2 s sleeps, the audio, the stats) before the
    clean-up closes everything; afterwards the pictures stand still, so this looks during the run."""
    frame = page.locator("img.peerlab-video-frame").first
    frame.wait_for(state="visible", timeout=60_000)
    page.wait_for_function("() => { const i = document.querySelector('img.peerlab-video-frame');"
                           " return i && i.naturalWidth > 0; }", timeout=10_000)
    assert_moves(page, frame, "media-video", "the video view")


def check_media(page: Any, lab: JupyterLab, name: str) -> None:
    """Lesson 08: the checks say the video came and came back; the tone at -9 dBFS; the stats plot is drawn; after
    the clean-up the views say on the page that they ended (and, during the run, the video view moved: WHILE_RUNNING). How many frames a second is the machine's
    business: the lesson prints it, this checks only that it is a number."""
    text = outputs_text(page)
    assert "; frames arrive: True" in text and "; frames come back: True" in text
    assert re.search(r"video sent: \d+ frames/s; edges received: \d+ frames/s", text)
    assert "sent at -9 dBFS, received at -9 dBFS" in text and re.search(r"packets lost: \d+", text)
    assert "'edges back': 'ended'" in text and "yours:    {'video': 'live', 'tone': 'live'}" in text
    # after the clean-up's close(), the page says each view ended with its connection (they froze, silent, before)
    said = page.locator(".peerlab-view-state")
    said.first.wait_for(state="attached", timeout=10_000)
    words = " | ".join(said.all_inner_texts())
    assert "ended: the callee's connection closed" in words and "ended: the caller's connection closed" in words, words
    lines = page.locator(".peerlab-stats-plot .peerlab-stats-line")
    assert lines.count() >= 3  # frames/s of the streams; kB/s
    assert len(lines.first.get_attribute("points").split()) >= 2  # a line, not a dot
    page.locator(".peerlab-stats-view").first.screenshot(path=str(ARTIFACTS / "media-stats.png"))
    page.locator(".peerlab-video").nth(1).screenshot(path=str(ARTIFACTS / "media-video-and-edges.png"))


def check_your_camera(page: Any, lab: JupyterLab, name: str) -> None:
    """Lesson 09: Chromium's fake camera reaches aiortc, and its edges come back and play in the page's widget.

    Run All ends by closing both connections, so the returned video stands still then: run the cells above
    the clean-up again, and look at the <video> while it plays (two screenshots a second apart differ)."""
    text = outputs_text(page)
    assert "<browser MediaStreamTrack video 'fake_device_0' 320×240>" in text
    assert "host candidate's address ends with .local: False" in text  # a page that may use the camera
    assert "the callee received: ['video']" in text and "iceConnectionState=connected  connectionState=connected" in text
    assert "the page plays the edges of your camera, 320×240; its track events: ['video']" in text
    assert "frames arrive: True" in text and "in the kernel: {'video': 'ended', 'edges': 'ended'}" in text
    assert page.locator('.peerlab-browser-state[data-machine="connectionState"]').first.get_attribute(
        "data-state") == "closed"
    clean_up = tagged_cell(lab.path(name), "clean-up")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", clean_up)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-above')")
    deadline = time.monotonic() + 60
    while not all(c.ran for c in cells(page, name) if c.type == "code" and c.index < clean_up):
        assert time.monotonic() < deadline, "the cells above the clean-up did not run again within 60 s"
        page.wait_for_timeout(200)
    assert [p for p in unexpected_errors(page, lab, name) if "not run" not in p] == []  # the clean-up: not yet
    video = page.locator("video.peerlab-browser-video").first
    video.wait_for(state="visible", timeout=10_000)
    size = video.evaluate("v => [v.videoWidth, v.videoHeight, v.paused, v.readyState]")
    assert size[0] > 0 and size[1] > 0 and not size[2], f"the returned video does not play: {size}"
    assert_moves(page, video, "camera-edges", "the returned video")
    page.locator(".peerlab-video").first.screenshot(path=str(ARTIFACTS / "camera-in-kernel.png"))
    page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", clean_up)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-below')")
    deadline = time.monotonic() + 30
    while not all(c.ran for c in cells(page, name) if c.type == "code"):
        assert time.monotonic() < deadline, "the clean-up did not run within 30 s"
        page.wait_for_timeout(200)
    assert unexpected_errors(page, lab, name) == []
    assert "in the kernel: {'video': 'ended', 'edges': 'ended'}" in outputs_text(page)


def check_across_nats(page: Any, lab: JupyterLab, name: str) -> None:
    """Lesson 10: the kernel calls from behind the lab's NAT; TURN carries what STUN cannot; the lossy link loses
    on the unreliable channel only; a wrong TURN password is named in words."""
    text = outputs_text(page)
    assert "this kernel is in the lab's 'left' network" in text
    assert "the selected pair goes through the TURN server: True" in text
    assert "the reliable channel got all 200 back, in the order sent: True" in text
    assert "never more than it sent, none twice: True" in text
    assert "401 - Unauthorized" in text
    page.locator(".jp-Notebook").first.screenshot(path=str(ARTIFACTS / "across-nats.png"))


CHECKS: dict[str, Callable[[Any, JupyterLab, str], None]] = {
    "00-setup-check.ipynb": check_setup_check,
    "01-caller.ipynb": check_caller,
    "02-callee.ipynb": check_callee,
    "03-then-vs-await.ipynb": check_then_vs_await,
    "04-trickle-ice-and-states.ipynb": check_trickle,
    "05-two-processes.ipynb": check_two_processes,
    "06-your-browser.ipynb": check_your_browser,
    "07-data-channels.ipynb": check_data_channels,
    "08-media.ipynb": check_media,
    "09-your-camera.ipynb": check_your_camera,
    "10-across-nats.ipynb": check_across_nats,
    "workshop/01-caller-solution.ipynb": check_workshop("caller", 8, "hello from the caller"),
    "workshop/02-callee-solution.ipynb": check_workshop("callee", 7, "hello from the callee"),
    "workshop/03-then-vs-await-solution.ipynb": check_then_vs_await_solution,
}

#: What to look at while Run All is still running (something that stands still once the lesson's clean-up ran).
WHILE_RUNNING: dict[str, Callable[[Any], None]] = {
    "08-media.ipynb": watch_the_video_move,
}




def browser_peer_links(page: Any) -> list[str]:
    """How each browser peer's widget on the page says it is linked to the kernel (``comm``, ``proxy``, ``direct``)."""
    return [str(link) for link in page.locator(".peerlab-browser-peer").evaluate_all(
        "boxes => boxes.map(box => box.dataset.link)")]


PROBE = """import json, os, statistics
import peerlab.browser
found = {}
for channel in %r:
    os.environ["PEERLAB_BROWSER_LINKS"] = channel
    pc = peerlab.browser.RTCPeerConnection(name=f"probe {channel}")
    try:
        times = [await pc.round_trip() for _ in range(20)]
        found[channel] = {"link": pc.link, "median_ms": round(statistics.median(times) * 1000, 2),
                          "max_ms": round(max(times) * 1000, 2)}
    except Exception as exc:
        found[channel] = {"error": f"{type(exc).__name__}: {exc}"}
    await pc.close()
del os.environ["PEERLAB_BROWSER_LINKS"]
print("LINKS " + json.dumps(found))"""


def probe_links(page, lab: JupyterLab, channels: list[str], name: str) -> dict[str, dict[str, object]]:
    """Each way to the kernel alone (PEERLAB_BROWSER_LINKS): did it link, and its round trip (20 calls, ms)."""
    lab.write_notebook(name, [nbformat.v4.new_code_cell(PROBE % (channels,))])
    run_notebook(page, lab, name)
    line = next(line for line in outputs_text(page).splitlines() if line.startswith("LINKS "))
    found: dict[str, dict[str, object]] = json.loads(line[len("LINKS "):])
    return found


def run_and_check(page: Any, console_errors: list[str], lab: JupyterLab, name: str, *, shot: str = "",
                  after_run: Callable[[Any], None] | None = None) -> None:
    """Run All in a fresh workspace, and check what the lesson must show (a screenshot: whole_notebook_screenshots).

    ``shot`` names the screenshot (the lesson's stem by default); ``after_run(page)`` looks at the page
    before the lesson's own checks (which may close its connections).
    """
    allow_camera(page, lab.path(name))
    run_notebook(page, lab, name, while_running=WHILE_RUNNING.get(name))
    if whole_notebook_screenshots():
        screenshot_notebook(page, ARTIFACTS / f"{shot or Path(name).stem}.png")
    assert unexpected_errors(page, lab, name) == []
    assert console_errors == []
    if after_run is not None:
        after_run(page)
    if name in CHECKS:  # a lesson missing there fails test_every_lesson_has_browser_checks_...
        CHECKS[name](page, lab, name)
