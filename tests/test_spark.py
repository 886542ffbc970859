"""The same pipeline on Spark: same facts and plans as DuckDB, atomic partitions, and
several runners on one Spark + Postgres home.

Marked `spark` (and `postgres` for the shared-ledger test); skipped with the reason when
Java or pyspark is absent. One Spark session serves the whole module (in-process tests);
the crash and concurrency tests run the real CLI, each child with its own driver.
Fingerprints are engine-specific (DuckDB's `hash`, Spark's `xxhash64`), so only rows,
games and the planner's decisions are compared across engines.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import ROOT, TINY, run_cli
from tests.resources import tiny_catalog

from fullcourt.catalog.calendar import season_dates
from fullcourt.config import Home
from fullcourt.engine.executor import Request
from fullcourt.engine.planner import make_plan
from fullcourt.engine.runtime import open_reader, open_writer

pytestmark = pytest.mark.spark

TABLES = ("games", "scores", "form")
KEYS = {"games": ("game_id",), "scores": ("game_id", "team"), "form": ("game_id", "team")}
DATES = tuple(season_dates("2023-24"))
GAME_DAYS = sorted(set(tiny_catalog.GAMES.column("game_date").to_pylist()))
SPARK = {"FULLCOURT_WAREHOUSE_ENGINE": "spark", "FULLCOURT_SPARK_MASTER": "local[2]"}


def _why_not() -> str:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (apt-get install openjdk-17-jre-headless)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    return ""


if _why_not():
    pytest.skip(_why_not(), allow_module_level=True)


def engine(monkeypatch, name: str) -> None:
    if name == "spark":
        for k, v in SPARK.items():
            monkeypatch.setenv(k, v)
    else:
        monkeypatch.delenv("FULLCOURT_WAREHOUSE_ENGINE", raising=False)


def decisions(rt, tables=TABLES):
    statuses = rt.statuses()
    plan = make_plan(rt.catalog, statuses, tables, DATES, False)
    return (
        {k: s.status for k, s in statuses.items()},
        [(s.table, tuple(s.dates)) for s in plan.steps],
    )


def measured(rt) -> dict:
    return {t: {d: (f.rows, f.games) for d, f in rt.warehouse.facts(t).items()} for t in TABLES}


def test_same_pipeline_same_facts_and_decisions_on_duckdb_and_spark(tmp_path, tiny_env):
    seen = {}
    for name in ("duckdb", "spark"):
        engine(tiny_env, name)
        tiny_env.delenv("TINY_CORRECTION", raising=False)
        rt = open_writer(Home(tmp_path / name), TINY)
        try:
            before = decisions(rt)
            first = rt.executor.execute("test", Request(TABLES, DATES))
            assert first.gaps(TABLES, DATES) == [], name
            built = decisions(rt), measured(rt)
            tiny_env.setenv("TINY_CORRECTION", GAME_DAYS[10].isoformat())  # a stat correction
            rt.executor.execute("test", Request(("games",), (GAME_DAYS[10],), force=True))
            rt.executor.refresh()
            corrected = decisions(rt)
            seen[name] = (before, built, corrected, first.written)
        finally:
            rt.close()
    duck, spark = seen["duckdb"], seen["spark"]
    assert spark[0] == duck[0]  # the plan of an empty home
    assert spark[1] == duck[1]  # statuses, plan, rows and games once built
    assert spark[2] == duck[2]  # what the correction makes stale
    assert spark[3] == duck[3] > 0
    stale = Counter(s for (t, _), s in spark[2][0].items() if t == "scores")
    assert stale["stale"] == 1


def spark_env(home: Path, extra: dict | None = None) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "FULLCOURT_HOME": str(home), "FULLCOURT_CATALOG": TINY, **SPARK, **(extra or {})}  # fmt: skip


def check_partitions(home: Path) -> dict[str, int]:
    """Every pointer names a whole Parquet file; keys are unique; returns rows per table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = {}
    for table, keys in KEYS.items():
        folder = home / "spark-warehouse" / table
        parts = []
        for pointer in (folder / "_live").glob("[0-9]*"):
            version = pointer.read_text().strip()
            parts.append(pq.read_table(folder / "data" / pointer.name / f"{version}.parquet"))
        if not parts:
            out[table] = 0
            continue
        data = pa.concat_tables(parts, promote_options="default")
        seen = Counter(zip(*(data.column(k).to_pylist() for k in keys), strict=True))
        assert max(seen.values()) == 1, f"duplicate keys in {table}"
        out[table] = data.num_rows
    return out


def no_gaps(home: Path, monkeypatch, extra: dict | None = None) -> list:
    """The gaps a reader of the home sees, with the runners' settings."""
    for k, v in {**SPARK, **(extra or {})}.items():
        monkeypatch.setenv(k, v)
    rt = open_reader(Home(home), TINY)
    try:
        return [s for s in rt.statuses(["2023-24"]).values() if s.is_gap]
    finally:
        rt.close()


def test_sigkill_of_the_spark_driver_mid_write_leaves_whole_partitions(tmp_path, monkeypatch):
    home = tmp_path / "home"
    env = spark_env(home, {"TINY_BATCH": "20"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "fullcourt.cli", "backfill", "--season", "2023-24"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    live = home / "spark-warehouse" / "games" / "_live"
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if live.is_dir() and len([p for p in live.iterdir() if not p.name.startswith(".")]) >= 3:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the backfill ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = check_partitions(home)
    assert 0 < partial["games"] < len(tiny_catalog.GAMES)  # killed inside the games phase

    done = run_cli("backfill", "--season", "2023-24", home=home, env=spark_env(home), timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = check_partitions(home)
    assert rows == {"games": len(tiny_catalog.GAMES), "scores": 2 * len(tiny_catalog.GAMES),
                    "form": rows["form"]} and rows["form"] > 0  # fmt: skip
    assert no_gaps(home, monkeypatch) == []


@pytest.mark.postgres
def test_two_backfills_at_once_on_one_spark_and_postgres_home(tmp_path, postgres_url, monkeypatch):
    home = tmp_path / "home"
    env = spark_env(home, {"FULLCOURT_LEDGER": postgres_url, "TINY_BATCH": "60"})
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "fullcourt.cli", "backfill", "--season", "2023-24"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=900) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode in (0, 3), err[-2000:]  # 3: it left work the other was doing

    from fullcourt.engine.ledger import Ledger

    ledger = Ledger(postgres_url, read_only=True)
    try:
        written = Counter(
            (r["table_name"], r["game_date"]) for r in ledger.history(limit=100_000)
            if r["status"] == "success" and r["rows"]
        )
        holders = {r["holder"] for r in ledger.history(limit=100_000) if r["table_name"] == "scores"}
    finally:
        ledger.close()
    assert written and max(written.values()) == 1, [k for k, n in written.items() if n > 1][:5]
    assert len(holders) >= 1
    check_partitions(home)
    assert no_gaps(home, monkeypatch, {"FULLCOURT_LEDGER": postgres_url}) == []
