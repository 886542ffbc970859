"""`fullcourt run` on the tiny catalog: lost events, two runners on one home, SIGKILL chaos."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import ROOT, TINY, run_cli
from tests.test_crash import kill_after, snapshot

from fullcourt.engine.ledger import Ledger

ENV = {"FULLCOURT_CATALOG": TINY}
RUN = ["run", "--simulate", "2023-10-24", "--until", "2023-12-15", "--step", "1d", "--json"]


def ticks(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_with_every_event_lost_one_sweep_still_leaves_no_gaps(tmp_path):
    home = tmp_path / "home"
    proc = run_cli(*RUN, "--bus", "null://", "--sweep-every", "7d", home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    seen = ticks(proc.stdout)
    assert seen[-1]["today"] == "2023-12-15"
    assert all(t["events"] == 0 for t in seen)
    assert seen[-1]["swept"] and seen[-1]["gaps"] == 0
    gaps = run_cli("gaps", "--json", "--start", "2023-10-01", "--end", "2023-12-15", home=home, env=ENV)
    assert json.loads(gaps.stdout) == []


def start(args: list[str], home: Path, extra: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]), "FULLCOURT_HOME": str(home), **ENV, **(extra or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "fullcourt.cli", *args], env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_run_and_backfill_together_write_each_partition_once(tmp_path):
    home = tmp_path / "home"
    slow = {"TINY_SLOW": "0.02", "TINY_BATCH": "5"}
    runner = start([*RUN, "--until", "2024-01-31"], home, slow)
    backfill = start(["backfill", "--season", "2023-24", "--wait", "600"], home, slow)
    assert runner.wait(300) == 0, runner.stderr.read()
    assert backfill.wait(300) == 0, backfill.stderr.read()
    ledger = Ledger(home / "ledger.sqlite")
    rows = ledger.history(limit=1_000_000)
    ledger.close()
    writes = Counter((r["table_name"], r["game_date"]) for r in rows if r["status"] == "success")
    assert writes and max(writes.values()) == 1, writes.most_common(3)
    assert json.loads(run_cli("gaps", "--json", home=home, env=ENV).stdout) == []


@pytest.mark.slow
def test_sigkill_during_run_then_restart_equals_a_clean_backfill(tmp_path):
    clean = tmp_path / "clean"
    assert run_cli("backfill", "--season", "2023-24", home=clean, env=ENV).returncode == 0
    expected = snapshot(clean)

    home = tmp_path / "killed"
    rng = random.Random(61)
    args = ["run", "--simulate", "2023-10-20", "--until", "2024-06-30", "--step", "3d", "--json"]
    extra = {"TINY_SLOW": "0.03", "TINY_BATCH": "4"}
    kills = 0
    for _ in range(13):
        if not kill_after(start(args, home, extra), home, rng.randint(3, 25)):
            break
        kills += 1
    assert kills >= 12  # with the backfill test's 8: at least 20 kills across the suite
    final = start(args, home, extra)
    assert final.wait(300) == 0, final.stderr.read()
    assert snapshot(home) == expected
