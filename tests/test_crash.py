"""SIGKILL a backfill mid-write, resume, and get exactly what an uninterrupted run builds."""

from __future__ import annotations

import os
import random
import signal
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


def start_backfill(home: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FULLCOURT_HOME": str(home), **ENV}
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
    for _ in range(8):
        proc = start_backfill(home)
        time.sleep(rng.uniform(0.6, 2.5))  # interpreter start-up is ~0.5 s
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 4
    ledger = Ledger(home / "ledger.sqlite")
    cut = [r for r in ledger.history(limit=100000) if r["status"] == "running"]
    ledger.close()
    assert cut, "no kill landed inside an attempt"
    resumed = run_cli("backfill", "--season", "2023-24", home=home, env=ENV)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert snapshot(home) == expected
    gaps = run_cli("gaps", "--json", home=home, env={"FULLCOURT_CATALOG": TINY})
    assert gaps.stdout.strip() == "[]"
