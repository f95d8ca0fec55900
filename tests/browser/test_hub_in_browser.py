"""Lessons 06 and 09 by Run All in Chromium against a JupyterLab run as a hub runs it (tests/browser/hub.py).

JupyterLab runs on a server of its own in a peerlab.natlab lab, reachable from Chromium (behind a NAT) only
at its port, with no multicast route; once over http, once over https with a self-signed certificate, and
once over https with the browser network's UDP dropped except to coturn, the lessons' ICE servers given by
PEERLAB_ICE_SERVERS. Then a JupyterLab without jupyter-server-proxy, whose kernel may not use the comm: the
learner's error says what each way to the kernel answered. Screenshots: test-artifacts/browser/hub-*.png
(each lesson's whole notebook; with PEERLAB_SCREENSHOTS=0 only when its test failed).

Over http the page is not a secure context, where a browser gives no camera; Chromium is told to treat
that one origin as secure (a flag learners would not have), so that lesson 09 runs there too.
INSTRUCTOR.md says a hub needs https for lesson 09.

Without Chromium, or where the lab cannot be built (no namespaces, no coturn), this module skips; CI fails.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest

from peerlab.errors import LabUnavailable

from ..conftest import skip_or_fail
from .conftest import ARTIFACTS, ROOT, VIEWPORT, Tab, leave_tab
from .hub import HOST, PORTS, Hub
from .jupyterlab import CHROMIUM_ARGS, JupyterLab, outputs_text, run_notebook
from .lesson_checks import browser_peer_links, probe_links, run_and_check

LESSONS = ["06-your-browser.ipynb", "09-your-camera.ipynb"]
SETTINGS = ["http", "https", "turn"]

# The browser's connections on the page: the types of the selected pair's candidates, as the browser sees them.
SELECTED_PAIRS = """async () => {
  const pairs = [];
  for (const entry of globalThis.__peerlab_browser_peers.values()) {
    if (entry.pc.connectionState !== 'connected') continue;
    const stats = await entry.pc.getStats();
    stats.forEach((report) => {
      if (report.type !== 'transport' || !report.selectedCandidatePairId) return;
      const pair = stats.get(report.selectedCandidatePairId);
      pairs.push([stats.get(pair.localCandidateId).candidateType, stats.get(pair.remoteCandidateId).candidateType]);
    });
  }
  return pairs;
}"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory, chromium_executable):
    try:
        built = Hub(tmp_path_factory.mktemp("hub")).build()
    except LabUnavailable as exc:
        skip_or_fail(f"the hub's network cannot be built here: {exc}")
    yield built
    built.teardown()


@pytest.fixture(scope="module")
def hub_chromium(hub, chromium_executable):
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_ARGS, "--ignore-certificate-errors",
            f"--unsafely-treat-insecure-origin-as-secure=http://{HOST}:{PORTS['http']}"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(hub.chromium_wrapper(chromium_executable)),
                                              args=args)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module", params=SETTINGS)
def hub_lab(request, hub, tmp_path_factory):
    """JupyterLab on the hub's server for one setting: http, https, or https with UDP blocked but to coturn."""
    setting = request.param
    hub.block_udp("except-turn" if setting == "turn" else None)
    env = {"PEERLAB_ICE_SERVERS": json.dumps(hub.ice_servers())} if setting == "turn" else {}
    lab = JupyterLab(ROOT / "notebooks", tmp_path_factory.mktemp(setting), ARTIFACTS / f"jupyterlab-hub-{setting}.log",
                     where=hub.where(setting, env))
    lab.setting = setting  # type: ignore[attr-defined]
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def hub_tab(hub_chromium, hub_lab):
    """One tab per setting: JupyterLab loads once over the hub's network, then each notebook opens in it."""
    tab = Tab(hub_chromium, ignore_https_errors=True)
    yield tab
    tab.discard()


@pytest.fixture
def hub_page(request, hub_tab, hub_lab):
    page = hub_tab.page()
    page.console_errors = hub_tab.console_errors
    yield page
    leave_tab(request, hub_tab, hub_lab)


def check_the_path(setting: str):
    """After Run All: how the page linked (through Jupyter, never 127.0.0.1) and which pair the browser uses."""
    def check(page) -> None:
        assert set(browser_peer_links(page)) <= {"comm", "proxy"}, browser_peer_links(page)
        pairs = page.evaluate(SELECTED_PAIRS)
        if setting == "turn":
            assert pairs and all("relay" in pair for pair in pairs), pairs  # UDP goes to coturn only
        else:
            assert all("relay" not in pair for pair in pairs), pairs
    return check


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", LESSONS)
def test_lesson_runs_from_a_hub(hub_page, hub_lab, name):
    setting = hub_lab.setting
    started = time.monotonic()
    run_and_check(hub_page, hub_page.console_errors, hub_lab, name, shot=f"hub-{setting}-{Path(name).stem}",
                  after_run=check_the_path(setting) if name.startswith("06") else None)
    print(f"{setting}: {name} by Run All, checked, in {time.monotonic() - started:.1f} s")


@pytest.mark.timeout(120)
def test_each_way_through_jupyter_links_alone_and_its_round_trip(hub_page, hub_lab):
    setting = hub_lab.setting
    found = probe_links(hub_page, hub_lab, ["comm", "proxy"], f"probe-{setting}.ipynb")
    (ARTIFACTS / f"hub-{setting}-round-trips.json").write_text(json.dumps(found, indent=1))
    print(f"{setting}: {found}")
    for channel in ("comm", "proxy"):
        assert found[channel].get("link") == channel, found


@pytest.fixture
def unlinked_lab(hub, hub_chromium, tmp_path_factory):
    """A hub's JupyterLab without jupyter-server-proxy, whose kernels may not link by the comm (as before 7.4)."""
    lab = JupyterLab(ROOT / "notebooks", tmp_path_factory.mktemp("unlinked"), ARTIFACTS / "jupyterlab-hub-unlinked.log",
                     where=hub.where("unlinked", {"PEERLAB_BROWSER_LINKS": "proxy,direct"},
                                     ["--ServerApp.jpserver_extensions=jupyter_server_proxy=False"]))
    yield lab
    lab.stop()


@pytest.mark.timeout(120)
def test_a_page_that_cannot_link_says_what_each_way_answered(hub_chromium, unlinked_lab):
    context = hub_chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        make = nbformat.v4.new_code_cell("import peerlab.browser\npc = peerlab.browser.RTCPeerConnection()\npc")
        step = nbformat.v4.new_code_cell("offer = await pc.createOffer()", metadata={"tags": ["raises-exception"]})
        name = unlinked_lab.write_notebook("unlinked.ipynb", [make, step])
        started = time.monotonic()
        run_notebook(page, unlinked_lab, name)
        waited = time.monotonic() - started
        page.locator(".jp-NotebookPanel").first.screenshot(path=str(ARTIFACTS / "hub-unlinked.png"))
        error = outputs_text(page, 1)
        (ARTIFACTS / "hub-unlinked.txt").write_text(error)
        print(error)
        assert "BrowserUnlinked: createOffer(): the page that shows this notebook holds the browser, but could " \
               "not link up with the kernel: the widget's comm, through Jupyter: not allowed here" in error
        assert f"HTTP 404 at http://{HOST}:{PORTS['unlinked']}/proxy/" in error
        assert f"not tried: this page comes from {HOST}:{PORTS['unlinked']}" in error
        assert "not allowed here (PEERLAB_BROWSER_LINKS)" in error
        assert "can give one of these: jupyter-server-proxy where the Jupyter server runs" in error
        assert "ipykernel" not in error  # the comm was not tried: nothing to install for it
        assert "could not link to the kernel: comm: not allowed here" in outputs_text(page, 0)  # the widget says so
        assert waited < 30
    finally:
        unlinked_lab.shutdown_kernels()
        context.close()
