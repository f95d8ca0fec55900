"""The house's rule: each layer imports only from the layers below it, and no module imports in a circle.

peerlab's folders are its layers (see ``peerlab/__init__.py``)::

    errors, defaults                 what every layer shares
    webrtc/                          the browser's API over aiortc
    signalling/                      how the peers' messages travel
    teaching/                        steps, hints, checks, scripted peers: the words a learner reads
    display/, browser/, natlab/      what a learner sees, the learner's browser as a peer, and the NAT lab
    the top: __init__, cli, peer, setup_check, testing, blocking, steps, media   entry points

The walk reads every module's imports with ``ast``: those that run when the module is imported
and those inside functions alike (an import inside a function is how a cycle hides); imports
under ``if TYPE_CHECKING:`` are for the type checker only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import peerlab

PACKAGE = Path(peerlab.__file__).parent
RANK = {"errors": 0, "defaults": 0, "webrtc": 1, "signalling": 2, "teaching": 3, "display": 4, "browser": 4,
        "natlab": 4}
TOP = 5  # every other module at the top of the package: entry points and the names learners import


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def rank(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return TOP  # peerlab/__init__.py
    return RANK.get(parts[1], TOP)


def imports(module: str) -> list[tuple[str, int, bool]]:
    """The peerlab modules ``module`` imports at run time: (module, line, inside a function)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other, in_function)
                continue
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target == "peerlab" or target.startswith("peerlab."):
                    for alias in child.names:  # `from . import hints` imports the module peerlab.hints
                        name = f"{target}.{alias.name}"
                        found.append((name if name in MODULES else target, child.lineno, inner))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "peerlab" or alias.name.startswith("peerlab."):
                        found.append((alias.name, child.lineno, inner))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return [(target, line, inner) for target, line, inner in found if target != module]


def test_every_module_has_a_layer_and_the_layers_are_the_folders():
    folders = sorted({p.parent.name for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE})
    assert folders == ["browser", "display", "natlab", "signalling", "teaching", "webrtc"]
    assert {name for name, r in RANK.items() if r == 0} == {"errors", "defaults"}
    assert (PACKAGE / "errors.py").exists() and (PACKAGE / "defaults.py").exists()


def test_no_layer_imports_a_layer_above_it():
    upward = sorted({f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} imports {target}"
                     for m in MODULES for target, line, _ in imports(m) if rank(target) > rank(m)})
    assert upward == []


def test_no_import_hides_inside_a_function():
    hidden = sorted({f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} imports {target} inside a function"
                     for m in MODULES for target, line, inner in imports(m) if inner})
    assert hidden == []


def test_no_module_imports_in_a_circle():
    graph = {m: sorted({t for t, _, _ in imports(m) if t in MODULES}) for m in MODULES}
    # a package's __init__ imports its modules, and each module imports its package first: that is
    # Python's order, not a cycle, so edges into a package's own __init__ from inside it do not count
    for m, targets in graph.items():
        graph[m] = [t for t in targets if not (MODULES[t].name == "__init__.py" and m.startswith(t + "."))]
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for m in graph:
        if m not in state:
            walk(m)
    assert cycles == []


def test_the_walk_sees_what_it_should(tmp_path):
    """The checks above would pass on a walk that finds nothing: make sure it finds real imports."""
    found = {t for t, _, _ in imports("peerlab.webrtc.connection")}
    assert "peerlab.webrtc.datachannel" in found and "peerlab.errors" in found
    assert rank("peerlab.teaching.hints") == 3 and rank("peerlab.webrtc.sdp") == 1 and rank("peerlab.cli") == TOP
