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
	$(PIP) -e '.[dev,spark,postgres]'
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
	$(BIN)/python -m pytest -q -m "not slow and not server and not spark and not postgres"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run.py

# What the real-server tests need (each is skipped with a reason when absent): Redis for
# the event bus, a Java runtime for Spark (pyspark comes with the [spark] extra), the
# PostgreSQL server binaries (the tests start throwaway servers themselves) and the
# browser the dashboard test drives.
ci-deps:
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); need=""; \
	command -v redis-server >/dev/null 2>&1 || need="$$need redis-server"; \
	command -v java >/dev/null 2>&1 || need="$$need openjdk-17-jre-headless"; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } \
	  || need="$$need postgresql-15"; \
	if [ -n "$$need" ]; then \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$need >/dev/null; } \
	  || echo "could not install$$need: the tests that need them will be skipped"; \
	fi; \
	id postgres >/dev/null 2>&1 || $$SUDO useradd --system --no-create-home postgres 2>/dev/null || true

clean:
	rm -rf $(VENV) $(HOME_DIR) .pytest_cache
