"""SIGKILL a backfill mid-write, resume, and get exactly what an uninterrupted run builds."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import ROOT, TINY, run_cli

from fullcourt.engine.ledger import Ledger
from fullcourt.warehouse.duck import Warehouse

TABLES = {"games": ("game_id",), "scores": ("game_id", "team"), "form": ("game_id", "team")}
ENV = {"FULLCOURT_CATALOG": TINY, "TINY_BATCH": "3", "TINY_SLOW": "0.04"}


def snapshot(home: Path) -> dict:
    wh = Warehouse(home / "warehouse.duckdb", read_only=True)
    try:
        out = {}
        for table, keys in TABLES.items():
            cols = ", ".join(keys)
            dupes = wh.sql(f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY ALL HAVING count(*) > 1)")
            assert dupes == [(0,)], f"duplicate keys in {table}"
            out[table] = {d: f.fingerprint for d, f in wh.facts(table).items()}
        return out
    finally:
        wh.close()


def attempts_recorded(home: Path) -> int:
    path = home / "ledger.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM attempts").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_after(proc: subprocess.Popen, home: Path, attempts: int, timeout: float = 60) -> bool:
    """SIGKILL once the ledger holds `attempts` more rows: a point inside the work, however
    slow the machine. False if the process finished first."""
    target = attempts_recorded(home) + attempts
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if attempts_recorded(home) >= target:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.01)
    proc.wait()
    return False


def start_backfill(home: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "FULLCOURT_HOME": str(home), **ENV}
    return subprocess.Popen(
        [sys.executable, "-m", "fullcourt.cli", "backfill", "--season", "2023-24"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )


@pytest.mark.slow
def test_sigkill_mid_backfill_then_resume_equals_a_clean_run(tmp_path):
    clean = tmp_path / "clean"
    assert run_cli("backfill", "--season", "2023-24", home=clean, env=ENV).returncode == 0
    expected = snapshot(clean)

    home = tmp_path / "killed"
    rng = random.Random(20231024)
    kills = 0
    for _ in range(9):
        if not kill_after(start_backfill(home), home, rng.randint(5, 40)):
            break
        kills += 1
    assert kills >= 8
    ledger = Ledger(home / "ledger.sqlite")
    cut = [r for r in ledger.history(limit=100000) if r["status"] == "running"]
    ledger.close()
    assert cut, "no kill landed inside an attempt"
    resumed = run_cli("backfill", "--season", "2023-24", home=home, env=ENV)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert snapshot(home) == expected
    gaps = run_cli("gaps", "--json", home=home, env={"FULLCOURT_CATALOG": TINY})
    assert gaps.stdout.strip() == "[]"
