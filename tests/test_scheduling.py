"""How ``make test`` shares the tests among workers (tests/scheduling.py): units, and one unit at a time."""

from __future__ import annotations

from pathlib import Path

from .conftest import START_FIRST
from .scheduling import SPLIT, Scheduling, unit_of

ROOT = Path(__file__).resolve().parents[1]
HUB = "tests/browser/test_hub_in_browser.py"


def test_a_file_is_one_unit_but_the_hub_is_one_per_setting():
    first: dict[str, str] = {}
    units = [unit_of(nodeid, first) for nodeid in [
        "notebooks/01-caller.ipynb::Cell 3",
        "tests/test_peer.py::test_a[http-1]",  # a parameter named like a setting, in a file not split
        f"{HUB}::test_lesson_runs_from_a_hub[http-06-your-browser.ipynb]",
        f"{HUB}::test_each_way_through_jupyter_links_alone_and_its_round_trip[https]",
        f"{HUB}::test_lesson_runs_from_a_hub[turn-09-your-camera.ipynb]",
        f"{HUB}::test_a_page_that_cannot_link_says_what_each_way_answered",
    ]]
    assert units == ["notebooks/01-caller.ipynb", "tests/test_peer.py", f"{HUB}[http]", f"{HUB}[https]",
                     f"{HUB}[turn]", f"{HUB}[http]"]


def test_the_files_named_for_scheduling_exist():
    # A renamed file would silently lose its place at the start, or its split.
    for path in [*START_FIRST, *SPLIT]:
        assert (ROOT / path).is_file(), path


class FakeConfig:
    """Two workers and --no-loadscope-reorder, as the Makefile's run."""

    option = type("Option", (), {"loadscopereorder": False})()

    def getvalue(self, name: str):
        return {"tx": ["2*popen"]}.get(name)


class FakeNode:
    """What the scheduler asks of a worker: take tests, shut down."""

    def __init__(self, name: str) -> None:
        self.name, self.sent, self.shutting_down = name, [], False
        self.gateway = type("Gateway", (), {"id": name})()

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.append(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def test_a_worker_gets_its_next_unit_only_when_one_test_of_its_unit_is_left():
    collection = ["tests/test_long.py::a", "tests/test_long.py::b", "tests/test_pair.py::a", "tests/test_pair.py::b",
                  "tests/test_x.py::a", "tests/test_y.py::a"]
    scheduler = Scheduling(FakeConfig())
    one, two = FakeNode("gw0"), FakeNode("gw1")
    for node in (one, two):
        scheduler.add_node(node)
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    # pytest-xdist's own gives each worker two files at the start: test_x.py would wait behind test_pair.py
    assert (one.sent, two.sent) == ([[0, 1]], [[2, 3]])
    scheduler.mark_test_complete(two, 2)  # test_pair.py::b is left: the next unit is sent now
    assert two.sent == [[2, 3], [4]]
    scheduler.mark_test_complete(one, 0)
    assert one.sent == [[0, 1], [5]]
    assert not (one.shutting_down or two.shutting_down)
    scheduler.mark_test_complete(two, 3)  # nothing left to give: it ends after its last test
    assert two.shutting_down and not one.shutting_down
