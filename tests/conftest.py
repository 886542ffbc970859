from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from fullcourt.config import Home
from fullcourt.engine.runtime import Runtime, open_writer

ROOT = Path(__file__).resolve().parents[1]
TINY = "tests.resources.tiny_catalog:build_catalog"


class FakeClock:
    """Seconds that pass only when a test says so, or when the code under test waits.

    Call it for the time; `advance` moves it; `sleep(s)` and `wait(waitable, s)` (the
    shape of `threading.Condition.wait` / `threading.Event.wait`) record how long the
    code asked to wait in `waits` and let that much time pass at once.
    """

    def __init__(self, now: float = 1_000.0):
        self.now = now
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += max(seconds, 0.0)

    def wait(self, waitable: object, seconds: float) -> bool:  # noqa: ARG002
        self.sleep(seconds)
        return False


@pytest.fixture
def tiny_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The tiny catalog, with every fault knob cleared."""
    monkeypatch.setenv("FULLCOURT_CATALOG", TINY)
    for knob in ("TINY_FAIL_DATES", "TINY_CORRECTION", "TINY_SLOW", "TINY_GATE_DATES", "TINY_BATCH"):
        monkeypatch.delenv(knob, raising=False)
    return monkeypatch


@pytest.fixture
def tiny(tmp_path: Path, tiny_env) -> Iterator[Runtime]:
    rt = open_writer(Home(tmp_path / "home"), TINY)
    yield rt
    rt.close()


def run_cli(
    *args: str, home: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """The real `fullcourt` entry point in a child process."""
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "FULLCOURT_HOME": str(home), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fullcourt.cli", *args],
        env=full_env, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL server per test process (skips when none can start)."""
    from tests.resources import servers

    server, why = servers.start_postgres()
    if server is None:
        pytest.skip(why)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh database on the throwaway server, for one test."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    name += f"_{os.getpid()}"
    return postgres_server.create_database(name)
