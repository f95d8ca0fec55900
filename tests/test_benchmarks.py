"""Every benchmark ``make bench`` runs still imports and understands its command line.

The benchmarks themselves run in ``make bench`` only, which first runs tests/bench_smoke.py: each one
small, checking what it reports. Here, in ``make test``, each is imported (a renamed import or a
syntax error fails here) and its ``arguments()`` parses the smoke run's arguments, its defaults, and
refuses a word where a number goes.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from .bench_smoke import SMOKE

ROOT = Path(__file__).resolve().parents[1]


def bench_recipe() -> list[str]:
    """The lines of the Makefile's ``bench`` target."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("bench:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


BENCHMARKS = [m for line in bench_recipe() for m in re.findall(r"benchmarks/(\w+)\.py", line)]

#: What each smoke run's arguments mean, as the benchmark must read them.
PARSED = {
    "connect": {"rounds": 1},
    "datachannel": {"rounds": 1, "mib": 1},
    "signalling": {"pairs": 10, "messages": 10, "procs": 2, "rounds": 1, "profile": None},
    "browser": {"rounds": 1},
    "video": {"rounds": 1, "seconds": 1.0, "warm_up": 0.5},
}


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the module's own code, up to its `if __name__ == "__main__":`
    return module


def test_make_bench_runs_the_smoke_runs_first_then_every_benchmark_they_cover():
    recipe = bench_recipe()
    assert "tests/bench_smoke.py" in recipe[0], recipe
    assert BENCHMARKS and sorted(BENCHMARKS) == sorted(SMOKE) == sorted(PARSED), (BENCHMARKS, list(SMOKE))


@pytest.mark.parametrize("name", BENCHMARKS)
def test_each_benchmark_imports_and_parses_its_arguments(name, capsys):
    module = load(name)
    assert callable(module.main)
    assert vars(module.arguments(SMOKE[name])) == PARSED[name]
    defaults = vars(module.arguments([]))
    assert defaults.keys() == PARSED[name].keys()
    assert all(value is None or value > 0 for value in defaults.values()), defaults
    with pytest.raises(SystemExit):
        module.arguments(["many"])
    assert "invalid int value: 'many'" in capsys.readouterr().err
