"""Run a lesson in JupyterLab in Chromium, as a learner would, and save it with what the page showed.

For lessons that need a browser (06 and 09: the browser is one of the peers; 09 grants Chromium's fake
camera, see allow_camera), where nbclient
(tools/execute_notebooks.py) has no page and every browser-peer call stops after 5 s:

    python tools/execute_in_browser.py notebooks/06-your-browser.ipynb

It uses the browser tests' harness (tests/browser/jupyterlab.py): a JupyterLab on a copy of the
lesson's folder, Run -> Run All Cells, then JupyterLab's own save. The widgets' views are kept as
their text/plain form only (their models lived in that kernel and page; a saved view of one would
say "model not found"), and execution timing metadata is dropped.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.jupyterlab import (  # noqa: E402  (the harness lives with the tests)
    CHROMIUM_ARGS,
    JupyterLab,
    allow_camera,
    chromium_path,
    run_notebook,
    unexpected_errors,
    watch_console,
)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def execute(path: Path) -> None:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise SystemExit("Debian's Chromium is needed: apt-get install chromium")
    with tempfile.TemporaryDirectory() as work:
        lab = JupyterLab(path.parent, Path(work), Path(work) / "jupyterlab.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                errors = watch_console(page)
                allow_camera(page, path)  # Chromium's fake camera, for a lesson that asks for one
                run_notebook(page, lab, path.name, timeout_s=120)
                problems = unexpected_errors(page, lab, path.name) + errors
                if problems:
                    raise SystemExit(f"{path}: not saved, the run had errors: {problems}")
                page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
                page.wait_for_function(
                    "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=10_000)
                lab.shutdown_kernels()
                browser.close()
            saved = nbformat.read(lab.path(path.name), as_version=4)
        finally:
            lab.stop()
    for cell in saved.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    saved.metadata.pop("widgets", None)
    nbformat.write(saved, path)


def main(args: list[str]) -> int:
    for arg in args:
        execute(Path(arg).resolve())
        print(f"{arg}: run in JupyterLab in Chromium and saved", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
