"""A headless JupyterLab and Debian's Chromium, driven by Playwright: lessons as a person sees them.

The server runs on a free loopback port with a random token, on a copy of the lessons
(JupyterLab may autosave what it runs; the lessons on disk must not change), with
settings that keep every cell in the page and no news prompt, and a fresh workspace.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """Debian's Chromium (PEERLAB_CHROMIUM overrides it); never a downloaded browser build."""
    path = os.environ.get("PEERLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """``jupyter lab`` on a copy of ``notebooks``; stop() ends it and waits."""

    def __init__(self, notebooks: Path, workdir: Path, log: Path) -> None:
        self.root = workdir / "notebooks"
        shutil.copytree(notebooks, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        settings = workdir / "settings"
        for plugin, values in {
            "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
        }.items():
            path = settings / plugin
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self._opened = 0
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
             f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
             "--ServerApp.open_browser=False", "--allow-root"],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=self.root)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}; see {self._log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout:g} s; see {self._log.name}")

    def notebook_url(self, name: str) -> str:
        """A fresh workspace each time, so nothing opened before comes back."""
        self._opened += 1
        workspace = f"{Path(name).stem.replace('.', '-')}-{self._opened}"
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={self.token}"

    def _api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}{path}?token={self.token}", method=method)
        with urllib.request.urlopen(request, timeout=10) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session and kernel, so the next test starts a notebook on a new kernel."""
        for session in self._api("GET", "/api/sessions"):
            self._api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self._api("GET", "/api/kernels"):
            self._api("DELETE", f"/api/kernels/{kernel['id']}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _click_run_all(page: Any) -> None:
    page.click(".jp-NotebookPanel .jp-Cell >> nth=0")
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def run_all_cells(page: Any, lab: JupyterLab, name: str, timeout_s: float = 90.0) -> None:
    """Open ``name``, wait for its kernel, Run All Cells, and wait until every code cell has run.

    If nothing has started 20 s after the click (on a loaded machine the first click can land
    before the new kernel is connected), it clicks Run All once more; a cell never runs twice,
    since nothing had run.
    """
    page.goto(lab.notebook_url(name))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    _click_run_all(page)
    start = time.monotonic()
    retried = False
    prompts: list[str] = []
    while time.monotonic() - start < timeout_s:
        prompts = [p.rstrip(":").strip() for p in page.eval_on_selector_all(
            ".jp-CodeCell .jp-InputArea-prompt", "nodes => nodes.map(n => n.textContent)")]
        if prompts and all(p.startswith("[") and p[1:-1].strip().isdigit() for p in prompts):
            return
        if not retried and time.monotonic() - start > 20 and all(p == "[ ]" for p in prompts):
            retried = True
            _click_run_all(page)
        page.wait_for_timeout(250)
    page.screenshot(path=str(Path(lab._log.name).with_name(f"FAILED-{Path(name).stem}.png")), full_page=True)
    raise AssertionError(f"{name}: not every cell ran within {timeout_s:g} s: prompts {prompts}")


def outputs_text(page: Any) -> str:
    """The text of every output area, in order."""
    return "\n".join(page.eval_on_selector_all(".jp-OutputArea-output", "nodes => nodes.map(n => n.innerText)"))


_ERROR_START = re.compile(r"^(Traceback|-{20,}|\w+(Error|Exception|Failed|Timeout|Closed)\b.*:)")


def error_outputs(page: Any) -> list[str]:
    """Outputs that are Python errors: a traceback, or a peerlab error's one-line message.

    Warnings (peerlab's notes) are stderr too, but start with the file and line they point at.
    """
    texts = page.eval_on_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                      "nodes => nodes.map(n => n.innerText)")
    return [t for t in texts if _ERROR_START.match(t.strip())]


def mermaid_svgs(page: Any) -> list[str]:
    """The SVG text of each sequence diagram JupyterLab drew (it shows Mermaid as an <img> data URL)."""
    sources = page.eval_on_selector_all(".jp-RenderedMermaid img", "nodes => nodes.map(n => n.src)")
    return [urllib.parse.unquote(src.split(",", 1)[1]) for src in sources if src.startswith("data:image/svg+xml")]


def mermaid_arrow_count(page: Any) -> int:
    """Message arrows in the drawn sequence diagrams (Mermaid draws each as a messageLine)."""
    return sum(len(re.findall(r'class="messageLine[01]"', svg)) for svg in mermaid_svgs(page))
