"""No silent gap, no write from a reader, one clear line for every failure a person meets."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import duckdb
import ibis
import pytest
from tests.conftest import TINY, run_cli

from fullcourt import cli, errors
from fullcourt.catalog.calendar import Calendar, GameDay, season_of
from fullcourt.config import Home
from fullcourt.engine import observe
from fullcourt.engine.executor import Request, RunResult
from fullcourt.engine.runtime import open_writer
from fullcourt.processors.analytics import lookback
from fullcourt.warehouse.duck import Warehouse

ENV = {"FULLCOURT_CATALOG": TINY}


def _snapshot(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.blake2b(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*")) if p.is_file()
    }


def _gaps(home: Path, env=ENV) -> list[dict]:
    proc = run_cli("gaps", "--json", home=home, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _one_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "internal error" not in lines[0] and "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("built") / "home"
    proc = run_cli("backfill", "--season", "2023-24", home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return home


# -- 1. scrape on a fresh home ------------------------------------------------------------


def test_scrape_on_a_fresh_home_fetches_every_source_and_exits_0(tmp_path):
    home = tmp_path / "home"
    proc = run_cli("scrape", "--start", "2023-11-01", "--end", "2023-11-07", "--json", home=home, env={})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gaps"] == 0
    status = json.loads(run_cli("status", "--json", home=home, env={}).stdout)
    scrapes = {t["table"]: t["counts"] for t in status["tables"] if t["phase"] == "1"}
    assert len(scrapes) == 7
    for name, counts in scrapes.items():
        # the week asked for is fetched; the rest of the season is visibly not
        assert counts.get("complete", 0) + counts.get("no_data", 0) == 7, (name, counts)
        assert counts.get("complete", 0) >= 1, (name, counts)
    # what scrape leaves for later phases is in view, not "no gaps"
    gaps = _gaps(home, env={})
    assert {g["table"] for g in gaps} >= {"player_game_summary", "bdl_player_boxscores"}


# -- 2. a home remembers what it was asked for --------------------------------------------


def test_a_lost_warehouse_shows_as_gaps_and_one_heal_rebuilds_it(tmp_path, built):
    home = tmp_path / "home"
    subprocess.run(["cp", "-r", str(built), str(home)], check=True)
    (home / "warehouse.duckdb").unlink()

    status = run_cli("status", "--json", home=home, env=ENV)
    assert status.returncode == 0, status.stderr
    assert "warehouse" in status.stderr and "missing" in status.stderr
    counts = {t["table"]: t["counts"] for t in json.loads(status.stdout)["tables"]}
    assert counts["games"].get("complete", 0) == 0 and counts["games"]["stale"] > 0
    gaps = _gaps(home)
    assert {g["table"] for g in gaps} == {"games", "scores", "form"}
    plan = json.loads(run_cli("heal", "--dry-run", "--json", home=home, env=ENV).stdout)
    assert plan["partitions"] > 0

    healed = run_cli("heal", "--json", home=home, env=ENV)
    assert healed.returncode == 0, healed.stderr
    assert _gaps(home) == []
    after = {t["table"]: t["counts"] for t in json.loads(
        run_cli("status", "--json", home=home, env=ENV).stdout)["tables"]}
    assert after["scores"] == {"complete": 40, "no_data": 234}


def test_a_season_asked_for_stays_in_view_before_its_schedule_exists(tmp_path, monkeypatch):
    """Nothing built yet, the request remembered: `status` without --season counts it."""
    monkeypatch.setenv("FULLCOURT_CATALOG", TINY)
    home = Home(tmp_path / "home")
    rt = open_writer(home, TINY)
    try:
        rt.ledger.remember_request("r1", [date(2022, 11, 1)], season_of)
    finally:
        rt.close()
    status = json.loads(run_cli("status", "--json", "--season", "2022-23", home=home.root, env=ENV).stdout)
    plain = json.loads(run_cli("status", "--json", home=home.root, env=ENV).stdout)
    assert plain == status
    assert sum(plain["tables"][0]["counts"].values()) == 273  # Oct 1 2022 - Jun 30 2023
    assert plain["tables"][0]["counts"] == {"never_ran": 273}


# -- 6. readers write nothing --------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("status",), ("status", "--json"), ("status", "--season", "2023-24"),
        ("gaps",), ("gaps", "--json"), ("history",), ("history", "--json"),
        ("grade-report",), ("grade-report", "--json"),
        ("backfill", "--season", "2023-24", "--dry-run"),
        ("backfill", "--season", "2023-24", "--force", "--dry-run", "--json"),
        ("heal", "--dry-run"), ("scrape", "--season", "2023-24", "--dry-run"),
    ],
)
def test_read_commands_leave_every_file_of_the_home_byte_identical(built, args):
    before = _snapshot(built)
    proc = run_cli(*args, home=built, env=ENV)
    assert proc.returncode in (0, 2), proc.stderr  # grade-report: nothing graded on this catalog
    assert _snapshot(built) == before, args


# -- 10. a writer waits for a reader --------------------------------------------------------


def test_a_backfill_waits_for_a_reader_holding_the_warehouse(tmp_path, built):
    home = tmp_path / "home"
    subprocess.run(["cp", "-r", str(built), str(home)], check=True)
    reader = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True);"
         " print('held', flush=True); sys.stdin.readline(); c.close()",
         str(home / "warehouse.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "held"
        backfill = subprocess.Popen(
            [sys.executable, "-m", "fullcourt.cli", "backfill", "--season", "2023-24", "--force"],
            env={**__import__("os").environ, **ENV, "FULLCOURT_HOME": str(home),
                 "PYTHONPATH": f"{Path(__file__).parents[1] / 'src'}:{Path(__file__).parents[1]}"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        reader.stdin.write("done\n")  # the reader finishes its read while the writer waits
        reader.stdin.flush()
        out, err_text = backfill.communicate(timeout=120)
        assert backfill.returncode == 0, err_text
    finally:
        reader.kill()
        reader.wait()


# -- 7. counters from several threads --------------------------------------------------------


def test_run_counters_add_up_from_many_threads():
    result = RunResult("r")

    def work():
        for _ in range(20000):
            result.count(written=1, failed=1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (result.written, result.failed) == (160000, 160000)


def test_written_partitions_equal_the_ledger_successes_of_a_parallel_run(tiny):
    dates = tuple(sorted({d for d in tiny.executor.universe(["2023-24"])}))
    result = tiny.executor.execute("test", Request(tuple(tiny.catalog.names()), dates))
    successes = [r for r in tiny.ledger.history(limit=100000) if r["status"] == "success"]
    assert result.written == len(successes) > 0


# -- 11. every failure a person can meet is one line -----------------------------------------


@pytest.mark.parametrize("flag", ["--step", "--interval", "--sweep-every"])
@pytest.mark.parametrize("value", ["0d", "-1d", "0s"])
def test_a_non_positive_duration_is_a_usage_error(tmp_path, flag, value):
    home = tmp_path / "home"
    proc = run_cli("run", "--simulate", "2024-01-01", "--until", "2024-01-02", flag, value,
                   home=home, env=ENV, timeout=60)
    assert proc.returncode == 2
    line = _one_line(proc)
    assert flag in line and "longer than zero" in line
    assert not home.exists()


def test_a_corrupt_warehouse_is_one_line_naming_the_file(tmp_path, built):
    home = tmp_path / "home"
    subprocess.run(["cp", "-r", str(built), str(home)], check=True)
    path = home / "warehouse.duckdb"
    path.write_bytes(path.read_bytes()[:5000])  # truncated
    for args in (("status",), ("backfill", "--season", "2023-24")):
        proc = run_cli(*args, home=home, env=ENV)
        assert proc.returncode == 2, proc.stderr
        line = _one_line(proc)
        assert str(path) in line and "heal" in line


def test_a_corrupt_ledger_is_one_line_naming_the_file(tmp_path, built):
    home = tmp_path / "home"
    subprocess.run(["cp", "-r", str(built), str(home)], check=True)
    (home / "ledger.sqlite").write_bytes(b"this is not a database" * 100)
    for args in (("status",), ("history",), ("heal",)):
        proc = run_cli(*args, home=home, env=ENV)
        assert proc.returncode == 2, proc.stderr
        line = _one_line(proc)
        assert str(home / "ledger.sqlite") in line


def test_an_unreachable_event_bus_is_one_line_exit_1(tmp_path):
    proc = run_cli("run", "--once", "--bus", "redis://127.0.0.1:1/0", home=tmp_path / "h", env=ENV)
    assert proc.returncode == 1
    line = _one_line(proc)
    assert "redis://127.0.0.1:1/0" in line and "event bus" in line


def test_a_full_disk_stops_the_run_with_one_line_and_keeps_what_was_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FULLCOURT_CATALOG", TINY)
    monkeypatch.setenv("FULLCOURT_HOME", str(tmp_path / "home"))
    real = Warehouse.replace_partitions

    def filling(self, table, dates, expr):
        if table == "form":
            raise duckdb.IOException("IO Error: Could not write file: No space left on device")
        return real(self, table, dates, expr)

    monkeypatch.setattr(Warehouse, "replace_partitions", filling)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["backfill", "--season", "2023-24"])
    assert exit_.value.code == 1
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert len(lines) == 1 and "disk full" in lines[0], lines
    monkeypatch.setattr(Warehouse, "replace_partitions", real)
    wh = Warehouse(tmp_path / "home" / "warehouse.duckdb", read_only=True)
    try:
        assert wh.facts("scores")  # the tables written before the disk filled are kept
        assert not wh.has_table("form")
    finally:
        wh.close()
    with pytest.raises(SystemExit) as again:
        cli.main(["backfill", "--season", "2023-24"])
    assert again.value.code == 0


# -- 12. one rule for a date's season ----------------------------------------------------------


def test_one_rule_names_every_date_s_season():
    assert season_of(date(2021, 7, 20)) == "2020-21"  # the 2021 Finals
    assert season_of(date(2024, 9, 15)) == "2024-25"
    assert season_of(date(2024, 1, 1)) == "2023-24"
    days = [date(2020, 1, 1) + (date(2020, 1, 2) - date(2020, 1, 1)) * i for i in range(0, 800, 3)]
    t = ibis.memtable({"d": days})
    got = ibis.duckdb.connect().execute(t.select(s=lookback.season_of(t.d))).s.tolist()
    assert got == [season_of(d) for d in days]


def test_a_july_finals_date_is_a_partition_of_the_season_it_ends():
    finals = date(2021, 7, 20)
    cal = Calendar({finals: GameDay(finals, "2020-21", {"playoffs": 1}, {"playoffs": 1})})
    assert cal.season_of(finals) == "2020-21"
    assert finals in cal.dates("2020-21")
    assert finals in observe.universe(cal, ["2020-21"])
    assert finals not in observe.universe(Calendar({}), ["2020-21"])


def test_a_usage_error_class_exists_for_environment_faults():
    assert errors.EnvironmentFault("x").exit_code == 1
