# Two commands on a fresh machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOME_DIR ?= ./fullcourt-home
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo web test test-fast lint bench ci-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-serve: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[serve]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/fullcourt --home $(HOME_DIR) demo

# The read-only dashboard of the demo home on http://127.0.0.1:8766
web: $(VENV)/.installed-serve
	$(BIN)/fullcourt --home $(HOME_DIR) web

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m "not slow and not server"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py

# Servers the real-broker tests start themselves, and the browser the dashboard test
# drives (each skipped with a reason when absent).
ci-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; } \
	  || echo "redis-server could not be installed: the Redis Streams tests will be skipped"; }
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium could not be installed: the dashboard browser test will be skipped"; }

clean:
	rm -rf $(VENV) $(HOME_DIR) .pytest_cache
