"""pyproject.toml and environment.yml must list the same packages with the same lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from peerlab import setup_check

ROOT = Path(__file__).resolve().parent.parent


def _split(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_lists_what_pyproject_requires():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("dependencies:")
    conda = {}
    for line in lines[start + 1:]:
        item = re.fullmatch(r"  - ([^:]+)", line)
        if item:
            name, bound = _split(item.group(1))
            conda[name] = bound
    python = conda.pop("python")
    conda.pop("pip")
    assert conda == wanted
    assert python == project["requires-python"]


def test_environment_yml_installs_peerlab_itself():
    assert "      - -e ." in (ROOT / "environment.yml").read_text().splitlines()


def test_every_document_names_the_python_the_project_requires():
    """requires-python, environment.yml, the type checker, the linter, the Makefile, the set-up check, README and
    INSTRUCTOR.md say the same lowest Python."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lowest = re.fullmatch(r">=(\d+)\.(\d+)", config["project"]["requires-python"])
    assert lowest, config["project"]["requires-python"]
    major, minor = lowest.groups()
    dotted, joined = f"{major}.{minor}", f"{major}{minor}"
    assert config["tool"]["mypy"]["python_version"] == dotted
    assert config["tool"]["ruff"]["target-version"] == f"py{joined}"
    assert f"sys.version_info < ({major}, {minor})" in (ROOT / "Makefile").read_text()
    assert setup_check.check_python().ok and f"Python is {dotted} or newer" in str(setup_check.check_python())
    for document in ("README.md", "notebooks/INSTRUCTOR.md"):
        text = (ROOT / document).read_text(encoding="utf-8")
        assert f"Python ≥ {dotted}" in text, document
        assert not re.search(r"Python ≥ 3\.(?!" + minor + r"\b)\d+", text), document
