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
