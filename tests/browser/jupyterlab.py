"""A headless JupyterLab and Debian's Chromium, driven by Playwright: lessons as a person sees them.

The server runs on a free loopback port with a random token, on a *copy* of the lessons
(JupyterLab autosaves what it runs, and its Mermaid renderer even writes an SVG into the
output it draws: the lessons on disk must not change), with settings that keep every cell in
the page and no news prompt, and a fresh workspace for every notebook it opens.

Helpers a test composes (see test_lessons_in_browser.py):

    run_notebook(page, lab, name)      open, Run -> Run All Cells, wait until every cell ran
    unexpected_errors(page, lab, name) errors shown outside cells tagged ``raises-exception``
    outputs_text(page, cell=None)      what the output areas say (one cell, or all)
    mermaid_diagrams(page) / mermaid_arrow_count(page)
    screenshot_notebook(page, path)    the whole notebook, not only the first screenful
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

# Playwright's launch() already gives Chromium a fresh temporary --user-data-dir (and deletes it);
# passing our own to launch() is refused. The rest keeps Chromium off the network and away from
# the GPU and the sandbox (this machine runs as root). The last gives getUserMedia() Chromium's own test
# pattern for a camera. Not --use-fake-ui-for-media-stream: it grants the camera to every page, and a page
# that may use the camera gets its real host addresses as ICE candidates, not mDNS names (lesson 06 shows
# the names). A lesson that needs the camera says so in its metadata; allow_camera() grants it to that
# lesson's browser context only.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-fake-device-for-media-stream"]

INSTALL_HINT = ("Debian's Chromium is not installed: `apt-get install chromium` (as root); "
                "PEERLAB_CHROMIUM=/path/to/chromium points the tests at another build")

#: Settings that make a headless JupyterLab predictable (each measured: the comments say what it prevents).
LAB_SETTINGS = {
    # JupyterLab 4 otherwise leaves off-screen cells out of the page.
    # scrollPastEnd off: a window as tall as the notebook then shows all of it (screenshot_notebook).
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none",
                                                                   "scrollPastEnd": False},
    # Otherwise a "receive official Jupyter news?" toast asks on first start.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def chromium_path() -> str | None:
    """Debian's Chromium (PEERLAB_CHROMIUM overrides it), or None; never a downloaded browser build."""
    override = os.environ.get("PEERLAB_CHROMIUM")
    path = override or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).is_file() and os.access(path, os.X_OK) else None


def free_port() -> int:
    """A TCP port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_digest(folder: Path) -> str:
    """One hash over every file's path and bytes: proves a folder was left as it was."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _fetch_here(method: str, url: str, token: str) -> bytes:
    """The server's REST API from this process (the default: it runs on this machine's loopback)."""
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as reply:
        body: bytes = reply.read()
    return body


@dataclass
class Where:
    """Where a JupyterLab runs, and how the tests reach its API: by default plain http on 127.0.0.1, here.

    A hub-like set-up (tests/browser/hub.py) runs it inside a network namespace (``wrap`` prefixes the
    command), on another address, over https (``certificate``: its certificate and key files), with
    more environment and arguments, and reaches its API from inside that network (``fetch``).
    """

    host: str = "127.0.0.1"
    port: int | None = None  # None: a free one on this machine's loopback
    wrap: Callable[[list[str]], list[str]] = list
    certificate: tuple[Path, Path] | None = None
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    fetch: Callable[[str, str, str], bytes] = _fetch_here

    @property
    def scheme(self) -> str:
        return "https" if self.certificate else "http"


class _PortTaken(RuntimeError):
    """JupyterLab exited at start because another process had bound its port first."""


class JupyterLab:
    """``jupyter lab`` (this venv's) on a copy of ``notebooks``; stop() ends it and waits for it.

    ``ready_timeout`` only stops a hang: on two cores shared with other work, three starting at once once took 60 s.
    """

    def __init__(self, notebooks: Path, workdir: Path, log: Path, ready_timeout: float = 180.0,
                 where: Where | None = None) -> None:
        self.where = where = where or Where()
        self.root = workdir / "notebooks"
        shutil.copytree(notebooks, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        settings = workdir / "settings"
        for plugin, values in LAB_SETTINGS.items():
            path = settings / plugin
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self._opened = 0
        self.token = secrets.token_hex(16)
        # The learner's own Jupyter config and runtime files stay out of it, both ways. The runtime folder holds
        # the kernels' Unix sockets, whose paths may have at most 107 bytes: a short folder of its own in /tmp,
        # not under pytest's tmp_path (/tmp/pytest-of-root/pytest-103/popen-gw2/... was one byte too long).
        self._runtime = Path(tempfile.mkdtemp(prefix="peerlab-lab-"))
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(workdir / "config"),
               "JUPYTER_RUNTIME_DIR": str(self._runtime), **where.env}
        https = [f"--ServerApp.certfile={where.certificate[0]}", f"--ServerApp.keyfile={where.certificate[1]}"] \
            if where.certificate else []
        self._log = open(log, "w")  # noqa: SIM115  (open while the server runs; stop() closes it)
        # free_port() can lose a race: another process (a kernel's socket, under pytest-xdist) may bind the
        # port before JupyterLab does. With port_retries=0 JupyterLab then exits instead of moving to another
        # port, and it is started again on a new one.
        for attempt in range(3):
            self.port = where.port or free_port()
            self.url = f"{where.scheme}://{where.host}:{self.port}"
            self.process = subprocess.Popen(where.wrap(
                [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ip={where.host}", f"--port={self.port}",
                 "--ServerApp.port_retries=0",
                 f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                 f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
                 # window.jupyterapp: lets the tests read cell models (an error output, its cell's tags).
                 "--LabApp.expose_app_in_browser=True", "--allow-root",
                 # Its kernels over Unix sockets, not TCP ports another process can take first (tests/unix_kernels.py).
                 "--KernelManager.transport=ipc", *https, *where.args]),
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.root, env=env)
            try:
                self._wait_ready(ready_timeout)
                return
            except _PortTaken:
                if attempt == 2:
                    self.stop()
                    raise
            except BaseException:
                self.stop()
                raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.flush()
                if "is already in use" in Path(self._log.name).read_text(errors="replace"):
                    raise _PortTaken(f"port {self.port} was taken before jupyter lab could bind it")
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}; see {self._log.name}")
            try:
                if self._api("GET", "/api/status") is not None:
                    return
            except (OSError, http.client.HTTPException):  # not up yet, or not JupyterLab on that port (yet)
                time.sleep(0.2)
        raise RuntimeError(f"jupyter lab did not answer within {timeout:g} s; see {self._log.name}")

    def _api(self, method: str, path: str) -> Any:
        body = self.where.fetch(method, f"{self.url}{path}", self.token)
        return json.loads(body) if body else None

    def notebook_url(self, name: str) -> str:
        """A new workspace every time (``?reset``), so nothing opened before comes back."""
        self._opened += 1
        workspace = f"{Path(name).stem.replace('.', '-')}-{self._opened}"
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={self.token}"

    def path(self, name: str) -> Path:
        """The server's copy of notebook ``name`` (what the browser opens)."""
        return self.root / name

    def write_notebook(self, name: str, cells: list[nbformat.NotebookNode], kernelspec: bool = True) -> str:
        """Add a notebook to the server's copy (for tests of the harness itself); returns its name."""
        notebook = nbformat.v4.new_notebook(cells=cells)
        if kernelspec:
            notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                               "language": "python"}
        nbformat.write(notebook, self.root / name)
        return name

    def shutdown_kernels(self) -> None:
        """End every session and kernel, so the next notebook starts on a new kernel."""
        for session in self._api("GET", "/api/sessions"):
            self._api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self._api("GET", "/api/kernels"):
            self._api("DELETE", f"/api/kernels/{kernel['id']}")

    def stop(self) -> None:
        """Terminate the server (it shuts its kernels down), wait for it, close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self._runtime, ignore_errors=True)


# The page's last kernel messages (execute requests, replies, status), kept to say where a lost reply was lost.
_FRAMES: dict[int, deque[tuple[str, str, list[str], list[str], list[str]]]] = {}
_KIND = re.compile(r'"msg_type":\s*"(execute_request|execute_reply|status)"')  # the header's comes first


def _watch_kernel_frames(page: Any) -> None:
    frames: deque[tuple[str, str, list[str], list[str], list[str]]] = deque(maxlen=4000)
    _FRAMES[id(page)] = frames

    def seen(direction: str, payload: str | bytes) -> None:
        text = payload.decode("latin-1") if isinstance(payload, bytes) else payload
        kind = _KIND.search(text)
        if kind:  # (direction, its type, [its msg_id, its parent's], execution_state, cellId)
            frames.append((direction, kind.group(1), re.findall(r'"msg_id":\s*"([^"]+)"', text),
                           re.findall(r'"execution_state":\s*"(\w+)"', text), re.findall(r'"cellId":\s*"([^"]+)"', text)))

    page.on("websocket", lambda ws: (ws.on("framereceived", lambda p: seen("in", p)),
                                     ws.on("framesent", lambda p: seen("out", p))))


def reply_trace(page: Any, cell_id: str) -> str:
    """Whether the reply and the idle status of the cell's last execute_request reached the page's WebSocket."""
    frames = list(_FRAMES.get(id(page), ()))
    sent = [ids[0] for way, kind, ids, _, cells in frames if way == "out" and kind == "execute_request"
            and cell_id in cells and ids]
    if not sent:
        return f"no execute_request for cell {cell_id} among the page's last frames"
    request = sent[-1]
    reply = any(way == "in" and kind == "execute_reply" and request in ids[1:] for way, kind, ids, _, _ in frames)
    idle = any(way == "in" and kind == "status" and "idle" in state and request in ids[1:]
               for way, kind, ids, state, _ in frames)
    return (f"its execute_request {request}: the execute_reply {'reached' if reply else 'never reached'} the "
            f"page's WebSocket, the idle status {'reached' if idle else 'never reached'} it")


def watch_console(page: Any) -> list[str]:
    """Start collecting the page's console errors and uncaught exceptions (and its kernel messages, for
    :func:`reply_trace`); returns the live list."""
    _watch_kernel_frames(page)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(
        f"console.error: {message.text} ({message.location.get('url', '')})"))
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


# One look at the open notebook: per cell its type, prompt, error outputs (from the model, so a
# peerlab error whose one-line rendering has no "Traceback" still counts) and stderr tracebacks.
_CELLS_JS = """
(name) => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== name) return null;
  return panel.content.widgets.map((cell, index) => {
    const prompt = cell.node.querySelector(':scope .jp-InputArea-prompt');
    const outputs = cell.model.type === 'code' ? cell.model.outputs.toJSON() : [];
    return {
      index, type: cell.model.type,
      prompt: prompt ? prompt.textContent.trim() : '',
      tags: cell.model.getMetadata('tags') || [],
      errors: outputs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`),
      tracebacks: Array.from(cell.node.querySelectorAll(
          '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
        .map(n => n.innerText).filter(t => t.includes('Traceback (most recent call last)')),
    };
  });
}
"""


@dataclass
class CellState:
    """What one cell shows after a run."""

    index: int
    type: str
    prompt: str
    tags: list[str]
    errors: list[str]
    tracebacks: list[str]

    @property
    def ran(self) -> bool:
        """The prompt shows an execution count, ``[3]:`` (not ``[ ]:`` or ``[*]:``)."""
        return self.prompt.strip("[]: ").isdigit()


def cells(page: Any, name: str) -> list[CellState]:
    """Every cell of the open notebook ``name``, in order."""
    states = page.evaluate(_CELLS_JS, name)
    if states is None:
        raise AssertionError(f"{name} is not the current tab; {dialog_text(page) or 'no dialog'}")
    return [CellState(**state) for state in states]


# In the page: the open notebook's code-cell prompts, or null if ``name`` is not the open one.
_CODE_PROMPTS_JS = """
const codePrompts = (name) => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== name) return null;
  return panel.content.widgets.filter(cell => cell.model.type === 'code').map(cell => {
    const prompt = cell.node.querySelector(':scope .jp-InputArea-prompt');
    return prompt ? prompt.textContent.trim() : '';
  });
};
const ran = (prompt) => /^\\d+$/.test(prompt.replace(/^[\\[\\]: ]+|[\\[\\]: ]+$/g, ''));  // CellState.ran
"""

#: Run All may be over: no cell waits at [*], or one does with every cell after it numbered (a lost reply).
_RUN_ALL_OVER = """(prompts) => {
  const last = prompts.lastIndexOf('[*]:');
  return last < 0 || (last < prompts.length - 1 && prompts.slice(last + 1).every(ran));
}"""


def wait_in_page(page: Any, name: str, seen: list[CellState], until: str, arg: Any, timeout_s: float) -> None:
    """Wait until the code cells' prompts in ``name`` differ from ``seen`` and the JS ``until(prompts, arg)`` holds.

    The page looks at its prompts itself every 100 ms; the caller then looks with :func:`cells` and decides.
    A look with cells() costs Chromium, Playwright's driver and pytest 8-16 ms of CPU, this wait about 3 ms
    (measured), so the caller looks once or twice per wait, not every 100-200 ms. Returns at ``timeout_s`` too:
    the caller looks again (a reply that never comes, its own deadline).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    shown = "\n".join(c.prompt for c in seen if c.type == "code")
    script = f"""([name, seen, arg]) => {{ {_CODE_PROMPTS_JS}
      const prompts = codePrompts(name);
      if (prompts === null) return true;  // not the open notebook: the caller's look says what is open
      return prompts.join('\\n') !== seen && ({until})(prompts, arg); }}"""
    try:
        page.wait_for_function(script, arg=[name, shown, arg], timeout=max(timeout_s, 0.1) * 1000, polling=100)
    except PlaywrightTimeout:
        pass


def dialog_text(page: Any) -> str | None:
    """The text of an open JupyterLab dialog ("Select Kernel", a save prompt), or None."""
    dialog = page.locator(".jp-Dialog")
    return dialog.first.inner_text() if dialog.count() else None


_READY_JS = """
(name) => {
  if (document.querySelector('.jp-Dialog')) return true;
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== name || !panel.context.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && panel.content.widgets.length === panel.model.cells.length;
}
"""


_OPEN_IN_APP_JS = """
async (path) => {
  const app = window.jupyterapp;
  if (!app || document.querySelector('.jp-Dialog')) return false;
  const before = Array.from(app.shell.widgets('main'));
  const opened = await app.commands.execute('docmanager:open', {path});
  for (const widget of before) if (widget !== opened) widget.dispose();  // no empty gap, so no Launcher
  return true;
}
"""


def open_notebook(page: Any, lab: JupyterLab, name: str) -> None:
    """Open ``name`` and wait until its kernel is idle; fail on any dialog.

    In a tab where this server's JupyterLab is already loaded, the open documents are closed and
    ``name`` opened as a learner opens the next lesson (File -> Open); otherwise a fresh workspace loads.
    """
    if not (page.url.startswith(f"{lab.url}/lab") and page.evaluate(_OPEN_IN_APP_JS, name)):
        page.goto(lab.notebook_url(name))
    # With a kernelspec the kernel starts by itself; without one "Select Kernel" opens instead.
    # Every 100 ms, not every animation frame (Playwright's default): each frame JupyterLab draws costs CPU.
    page.wait_for_function(_READY_JS, arg=name, timeout=120_000, polling=100)  # a loaded 2-core CI machine needs it
    text = dialog_text(page)
    if text is not None:
        raise AssertionError(f"{name}: JupyterLab opened a dialog a learner would have to answer: {text!r}")


LOST_REPLIES = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser" / "lost-replies.txt"


def lost_replies(code: list[CellState]) -> list[CellState]:
    """Cells still at ``[*]`` although every code cell after them shows a number: the kernel ran them."""
    stuck = [c for c in code if c.prompt == "[*]:"]
    if not stuck or any(not c.ran and c.prompt != "[*]:" for c in code):
        return []
    last = max(code.index(c) for c in stuck)
    later = code[last + 1:]
    return stuck if later and all(c.ran for c in later) else []


def record_lost_replies(name: str, code: list[CellState], page: Any = None) -> None:
    """Say which cells' replies never reached the page, and whether they reached its WebSocket, in
    test-artifacts/browser/lost-replies.txt."""
    traces = []
    if page is not None:
        for cell in lost_replies(code):
            try:
                cell_id = page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.id",
                                        cell.index)
                traces.append(f"cell {cell.index} ({cell_id}): {reply_trace(page, cell_id)}")
            except Exception as exc:  # a diagnosis must not end the run
                traces.append(f"cell {cell.index}: no trace ({exc})")
    LOST_REPLIES.parent.mkdir(parents=True, exist_ok=True)
    with LOST_REPLIES.open("a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {name}: the page never got the reply of code cell(s) "
                  f"{[c.index for c in lost_replies(code)]}; prompts {[c.prompt for c in code]}"
                  + "".join(f"; {trace}" for trace in traces) + "\n")


def run_all_cells(page: Any, name: str, timeout_s: float = 90.0,
                  while_running: Callable[[Any], None] | None = None) -> list[CellState]:
    """Clear every output, Run -> Run All Cells, wait until every code cell ran or one failed.

    Clearing first means stored outputs and counts cannot pass for fresh ones. An error in a
    cell not tagged ``raises-exception`` makes the kernel drop the cells queued after it, so the
    wait ends there instead of running into its timeout.
    """
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt'))"
        ".every(n => n.textContent.trim() === '[ ]:')", timeout=10_000)
    page.click(".jp-NotebookPanel .jp-Cell >> nth=0")
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    deadline = time.monotonic() + timeout_s
    if while_running is not None:
        while_running(page)
    stuck_since: float | None = None
    while True:
        code = [c for c in cells(page, name) if c.type == "code"]
        if all(c.ran for c in code):
            return code
        if lost_replies(code):
            # The kernel numbers cells in order, so one still at [*] with every later cell numbered ran, and
            # only its reply or idle status never reached the page: ipykernel 7.4 gave a cell's idle status to
            # the cell before it when a comm message came between them (peerlab/browser/kernel_parent.py).
            # Recorded with where it was lost, and unexpected_errors reports it: a learner would see it.
            stuck_since = stuck_since or time.monotonic()
            if time.monotonic() - stuck_since > 15:
                record_lost_replies(name, code, page)
                return code
        else:
            stuck_since = None
        if any(c.errors and "raises-exception" not in c.tags for c in code) \
                and not any(c.prompt == "[*]:" for c in code):
            return code
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: not every cell ran within {timeout_s:g} s; prompts "
                                 f"{[c.prompt for c in code]}; dialog: {dialog_text(page)}")
        # Until the run may be over; every 2 s at least, for a reply that never comes and for the deadline.
        wait_in_page(page, name, code, _RUN_ALL_OVER, None, min(2.0, deadline - time.monotonic()))


def wait_for_rendering(page: Any, timeout_ms: float = 15_000) -> None:
    """Wait until every widget view and Mermaid diagram in the outputs has drawn itself."""
    page.wait_for_function("""() => {
      const views = document.querySelectorAll(
          '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.widget-view+json"]');
      const mermaid = document.querySelectorAll('.jp-RenderedMermaid');
      return Array.from(views).every(n => n.querySelector('.jupyter-widgets'))
          && Array.from(mermaid).every(n => n.querySelector('img') ? n.querySelector('img').complete
                                                                   : n.childElementCount > 0);
    }""", timeout=timeout_ms)


def run_notebook(page: Any, lab: JupyterLab, name: str, timeout_s: float = 90.0,
                 while_running: Callable[[Any], None] | None = None) -> Any:
    """Open ``name``, run all its cells as a learner would, wait for outputs to draw; returns page.

    ``while_running(page)``, if given, looks at the page after Run All starts, before the cells are done.
    """
    open_notebook(page, lab, name)
    run_all_cells(page, name, timeout_s, while_running)
    wait_for_rendering(page)
    return page


def raises_exception_cells(notebook: Path) -> set[int]:
    """Indexes of the cells tagged ``raises-exception`` in the file (JupyterLab reads only the tag)."""
    stored = nbformat.read(notebook, as_version=4)
    return {i for i, cell in enumerate(stored.cells) if "raises-exception" in cell.metadata.get("tags", [])}


def unexpected_errors(page: Any, lab: JupyterLab, name: str) -> list[str]:
    """Errors on the page outside the cells the .ipynb file tags ``raises-exception``, and cells not run.

    An error is an error output (whatever its rendering) or a stderr traceback (from a callback).
    """
    allowed = raises_exception_cells(lab.path(name))
    problems = []
    shown = cells(page, name)
    # A reply that never reached the page (run_all_cells recorded it in lost-replies.txt): the kernel ran the
    # cell, as every later cell's number shows, but the learner sees it at [*] for ever.
    lost = {c.index for c in lost_replies([c for c in shown if c.type == "code"])}
    for cell in shown:
        if cell.index in allowed:
            continue
        # An error output also shows as a stderr traceback: name it once.
        for error in cell.errors or cell.tracebacks:
            problems.append(f"cell {cell.index}: {error}")
        if cell.type == "code" and cell.index in lost:
            problems.append(f"cell {cell.index}: ran, as the cells after it show, but stays at [*]: its idle status "
                            f"never reached the page (where it was lost: test-artifacts/browser/lost-replies.txt)")
        elif cell.type == "code" and not cell.ran:
            problems.append(f"cell {cell.index}: not run (prompt {cell.prompt})")
    marked = [i for i, c in enumerate(nbformat.read(lab.path(name), as_version=4).cells)
              if "NBVAL_RAISES_EXCEPTION" in c.source and i not in allowed]
    if problems and marked:
        problems.append(f"cells {marked} say NBVAL_RAISES_EXCEPTION but JupyterLab reads only the "
                        "'raises-exception' tag: tag them, or Run All stops at the first")
    return problems


def outputs_text(page: Any, cell: int | None = None) -> str:
    """The text of every output area, in order: of the whole notebook, or of cell number ``cell``."""
    scope = ".jp-NotebookPanel" if cell is None else f".jp-NotebookPanel .jp-Cell >> nth={cell}"
    return "\n".join(page.locator(scope).first.locator(".jp-OutputArea-output").all_inner_texts())


def needs_camera(notebook: Path) -> bool:
    """Whether the lesson asks for the browser's camera: ``{"peerlab": {"camera": true}}`` in its metadata."""
    return bool(nbformat.read(notebook, as_version=4).metadata.get("peerlab", {}).get("camera"))


def allow_camera(page: Any, notebook: Path) -> None:
    """Say yes, for this page's browser context only, to the camera prompt of a lesson that needs one."""
    if needs_camera(notebook):
        page.context.grant_permissions(["camera"])


def tagged_cell(notebook: Path, tag: str) -> int:
    """The index of the one cell carrying ``tag`` in the file (lessons tag their step cells)."""
    stored = nbformat.read(notebook, as_version=4)
    found = [i for i, cell in enumerate(stored.cells) if tag in cell.metadata.get("tags", [])]
    assert len(found) == 1, f"{notebook.name}: {len(found)} cells tagged {tag!r}"
    return found[0]


# JupyterLab 4.6 draws a Mermaid diagram (an output of type text/vnd.mermaid, or a ```mermaid
# block in markdown) as <div class="jp-RenderedMermaid"><figure data-jp-mermaid-version>
# <img src="data:image/svg+xml,..."><pre><code class="mermaid">source</code></pre></figure>;
# a diagram that does not parse gets jp-mod-warning and a <details> with Mermaid's message.
# Inside the SVG, each message of a sequence diagram is one <line> (a <path> when a participant
# sends to itself) with class messageLine0 (solid, ->>) or messageLine1 (dotted, -->>).
_MERMAID_JS = """
(images) => images.map(img => {
  const svg = new DOMParser().parseFromString(decodeURIComponent(img.src.split(',')[1]), 'image/svg+xml');
  return {
    drawn: img.complete && img.naturalWidth > 0,
    arrows: svg.querySelectorAll('.messageLine0, .messageLine1').length,
    messages: Array.from(svg.querySelectorAll('text.messageText')).map(t => t.textContent),
    actors: Array.from(new Set(Array.from(svg.querySelectorAll('text.actor')).map(t => t.textContent))),
  };
})
"""


def mermaid_diagrams(page: Any, scope: str = ".jp-NotebookPanel") -> list[dict[str, Any]]:
    """Each drawn Mermaid diagram under ``scope``: drawn (the image loaded), arrows, messages, actors."""
    broken = page.locator(f"{scope} .jp-RenderedMermaid.jp-mod-warning")
    if broken.count():
        raise AssertionError(f"Mermaid could not draw a diagram: {broken.first.inner_text()}")
    return page.locator(f"{scope} .jp-RenderedMermaid figure > img").evaluate_all(_MERMAID_JS)


def mermaid_arrow_count(page: Any, scope: str = ".jp-NotebookPanel") -> int:
    """Message arrows in every sequence diagram drawn under ``scope``."""
    return sum(diagram["arrows"] for diagram in mermaid_diagrams(page, scope))


_TALLEST = 16_000  # px; Chromium draws at most 16384 px in one image


def whole_notebook_screenshots() -> bool:
    """Whether each lesson's run keeps a picture of the whole notebook: yes, unless PEERLAB_SCREENSHOTS=0.

    They are what a maintainer looks at after a run. Each costs Chromium about 1 s of CPU (measured), some 25
    of them about 10 s of ``make test`` on two cores: PEERLAB_SCREENSHOTS=0 keeps only a failed test's.
    """
    return os.environ.get("PEERLAB_SCREENSHOTS") != "0"


def screenshot_notebook(page: Any, path: Path) -> None:
    """A picture of the whole notebook: file browser folded away, the window as tall as the notebook.

    JupyterLab scrolls inside its notebook panel, so a plain full-page screenshot shows one screenful.
    """
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    viewport = page.viewport_size
    scroller = page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first
    hidden = scroller.evaluate("n => n.scrollHeight - n.clientHeight")
    # Longer notebooks are cut at _TALLEST.
    height = min(viewport["height"] + hidden + 40, _TALLEST)
    page.set_viewport_size({"width": viewport["width"], "height": height})
    page.wait_for_function(f"""() => {{
      const n = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
      return n.scrollHeight - n.clientHeight <= 1 || window.innerHeight >= {_TALLEST}; }}""", timeout=5_000)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)

