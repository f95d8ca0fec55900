# peerlab: `make lab` opens the lessons, `make test` runs every test.
# Both create .venv/ on first use and reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888

.PHONY: lab test install notebooks exercises bench clean help

help:
	@echo "make lab        open the lessons in JupyterLab"
	@echo "make test       run every test (unit, lessons under nbval, browser)"
	@echo "make notebooks  re-execute and save the lessons after a change"
	@echo "make bench      run the benchmarks"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	    echo "peerlab needs Python 3.11 or newer (aiortc 1.16 does), and $(PYTHON) is $$($(PYTHON) -V 2>&1):" \
	         "install Python 3.11+ (python.org, or your system's python3.12 package), then run make PYTHON=python3.12 ..."; \
	    exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || $(PYTHON) -m venv --without-pip $(VENV)
	@if $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	    $(BIN)/python -m pip install -q --upgrade pip && $(BIN)/python -m pip install -q -e '.[test]'; \
	else \
	    $(PYTHON) -m pip --python $(BIN)/python install -q -e '.[test]'; \
	fi
	@touch $(STAMP)

install: $(STAMP)

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --port=$(PORT) $(ALLOW_ROOT)

# Four workers (pytest-xdist): most of the time goes to waiting on kernels, browsers and sockets,
# not to the two cores. --dist loadfile keeps a notebook's cells, and a browser module, on one worker
# (tests/scheduling.py: one file at a time, the hub's three settings as three);
# --no-loadscope-reorder keeps the order tests/conftest.py sets (the longest files first).
# Every test, the quality gates among them (tests/test_quality.py: ruff, mypy --strict).
# Python's bytecode cache stays on for the run even where PYTHONDONTWRITEBYTECODE is set (it is on
# this project's machines): otherwise each of the ~55 kernels recompiles peerlab and each worker
# re-rewrites every test module, 113-122 s instead of 100-102 s (measured). __pycache__ is git-ignored.
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n 4 --dist loadfile --no-loadscope-reorder

notebooks: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py notebooks

# First each benchmark small, checking what it reports (tests/bench_smoke.py; make test only checks that
# each still imports and parses its arguments), then each at full size.
bench: $(STAMP)
	$(BIN)/python -m pytest -p no:xdist -q tests/bench_smoke.py
	$(BIN)/python benchmarks/connect.py
	$(BIN)/python benchmarks/datachannel.py
	$(BIN)/python benchmarks/signalling.py
	$(BIN)/python benchmarks/browser.py
	$(BIN)/python benchmarks/video.py

clean:
	rm -rf $(VENV) test-artifacts
