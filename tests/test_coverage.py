"""`fullcourt coverage`: games per layer per date, the planner's statuses, nothing written."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time
from datetime import date

import duckdb
import pytest
from tests.conftest import ROOT, TINY, run_cli
from tests.resources.homefiles import digest, holding_warehouse

ENV = {"FULLCOURT_CATALOG": TINY}
DELETED = "2023-11-02"  # a game date of the tiny league, deleted from the analytics layer


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A built tiny home whose `scores` (analytics) partition of DELETED was deleted
    behind fullcourt's back; the first three game dates of `form` are bootstrap."""
    home = tmp_path_factory.mktemp("coverage") / "home"
    proc = run_cli("backfill", "--season", "2023-24", home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute(f"DELETE FROM scores WHERE game_date = DATE '{DELETED}'")
    con.close()
    return home


def _coverage(home, *args):
    proc = run_cli("coverage", *args, home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_deleted_partition_and_bootstrap_window_show_as_such(home):
    before = digest(home)
    cov = json.loads(_coverage(home, "--json").stdout)
    assert cov["layers"] == ["raw", "analytics", "precompute"]
    rows = {r["game_date"]: r for r in cov["rows"]}
    assert len(rows) == 40  # one row per game date, none for off days
    analytics_gaps = [d for d, r in rows.items() if r["layers"]["analytics"]["status"] != "complete"]
    assert analytics_gaps == [DELETED]
    hole = rows[DELETED]["layers"]["analytics"]
    assert hole["games"] == 0 and hole["pct"] == 0.0 and hole["expected"] == rows[DELETED]["scheduled"]
    assert hole["status"] == "stale" and "changed outside fullcourt" in hole["reason"]
    bootstrap = [d for d, r in rows.items() if r["layers"]["precompute"]["status"] == "bootstrap"]
    assert bootstrap == ["2023-10-24", "2023-10-25", "2023-10-26"]
    for d in bootstrap:  # by design: not a gap, no percentage, the date is not a gap
        assert rows[d]["status"] == "bootstrap" and rows[d]["layers"]["precompute"]["pct"] is None
        assert rows[d]["root_cause"] is None
    assert all(r["layers"]["raw"]["pct"] == 100.0 for r in rows.values())
    # the date's worst status names its own partition as the root cause
    assert rows[DELETED]["status"] == "stale"
    assert rows[DELETED]["root_cause"] == {"table": "scores", "game_date": DELETED}
    (season,) = cov["seasons"]
    assert season["season"] == "2023-24" and season["scheduled"] == 79
    assert season["dates_by_status"]["precompute"]["bootstrap"] == 3
    assert season["gap_dates"]["analytics"] == 1
    assert "2023-24: 79 games scheduled · raw 79 · analytics" in season["line"]
    assert "+ 3 bootstrap dates" in season["line"]
    assert digest(home) == before


def test_table_csv_and_range(home):
    text = _coverage(home, "--start", "2023-10-24", "--end", "2023-11-02").stdout
    assert "bootstrap" in text and DELETED in text and "stale" in text
    assert "2023-24: " in text
    rows = list(csv.DictReader(io.StringIO(_coverage(home, "--season", "2023-24", "--csv").stdout)))
    assert len(rows) == 40
    by = {r["game_date"]: r for r in rows}
    assert by[DELETED]["analytics_status"] == "stale" and by[DELETED]["analytics_games"] == "0"
    assert by["2023-10-24"]["precompute_status"] == "bootstrap"
    assert by["2023-10-24"]["precompute_pct"] == ""
    only = json.loads(_coverage(home, "--phases", "3", "--json").stdout)
    assert only["layers"] == ["analytics"]


def test_reads_the_ledger_while_another_process_holds_the_warehouse(home):
    before = digest(home)
    with holding_warehouse(home):
        proc = run_cli("coverage", "--json", home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert "warehouse busy" in proc.stderr
    rows = {r["game_date"]: r for r in json.loads(proc.stdout)["rows"]}
    assert rows["2023-10-24"]["layers"]["precompute"]["status"] == "bootstrap"
    assert digest(home) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["coverage", "--json", "--csv"], "give --json or --csv, not both"),
        (["coverage", "--interval", "0"], "--interval 0 must be more than 0 seconds"),
        (["status", "--watch", "--interval", "-1"], "--interval -1 must be more than 0 seconds"),
        (["coverage", "--watch", "--json"], "--watch draws a live view"),
        (["coverage", "--season", "2023-25"], "bad season"),
        (["coverage", "--phases", "9"], "unknown phase"),
    ],
)
def test_usage_errors_are_one_line_exit_2(tmp_path, args, message):
    proc = run_cli(*args, home=tmp_path / "home", env=ENV)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr


def _watch(args, home, env, frames: int, timeout: float = 90):
    """Run a --watch view until it has drawn `frames` frames, then Ctrl-C it."""
    import os
    import threading

    full = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "FULLCOURT_HOME": str(home), **env}
    proc = subprocess.Popen([sys.executable, "-m", "fullcourt.cli", *args], env=full, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while sum("Ctrl-C stops" in x for x in list(lines)) < frames and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    reader.join(timeout=10)
    return proc.returncode, "".join(lines), proc.stderr.read()


def test_watch_redraws_from_the_ledger_while_another_process_writes(tmp_path):
    home = tmp_path / "home"
    assert run_cli("backfill", "--season", "2023-24", "--phases", "2", home=home, env=ENV).returncode == 0
    slow = {**ENV, "TINY_SLOW": "2", "TINY_BATCH": "5"}
    import os

    full = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "FULLCOURT_HOME": str(home), **slow}
    writer = subprocess.Popen([sys.executable, "-m", "fullcourt.cli", "backfill", "--season", "2023-24"],
                              env=full, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        code, out, err = _watch(["status", "--watch", "--interval", "1"], home, ENV, 4)
        cov_code, cov_out, _ = _watch(["coverage", "--watch", "--interval", "1"], home, ENV, 2)
    finally:
        writer.wait(timeout=120)
    assert code == 0 and cov_code == 0, err
    frames = out.count("every 1s · Ctrl-C stops")
    assert frames >= 3, out
    assert "warehouse busy" in out  # read from the ledger while the backfill holds it
    counts = [int(c) for c in __import__("re").findall(r"│ 3\s+│ scores\s+│\s+(\d+)", out)]
    assert counts and counts[-1] > counts[0], out  # the view moved with the writer
    assert cov_out.count("coverage:") >= 2 and "every 1s" in cov_out


def test_coverage_of_an_empty_range_and_missing_home(tmp_path):
    proc = run_cli("coverage", home=tmp_path / "nothing", env=ENV)
    assert proc.returncode == 2 and "no fullcourt home" in proc.stderr
    assert date(2023, 10, 24)  # the tiny league's opening night, used above


def test_layer_statuses_from_literal_planner_output():
    """Pure: a layer reads complete when one table is unavailable at the source, its
    worst gap otherwise; a row's worst status outranks what it blocks."""
    from tests.resources import tiny_catalog as tc

    from fullcourt.catalog.calendar import Calendar, GameDay
    from fullcourt.catalog.graph import Catalog
    from fullcourt.catalog.spec import Expectation, Phase, TableSpec
    from fullcourt.engine.coverage import coverage, worst
    from fullcourt.engine.planner import Facts, PartitionStatus

    pbp = TableSpec("pbp", Phase.RAW, keys=("game_id",), build=tc.build_games, expectation=Expectation.GAMES)
    catalog = Catalog([tc.GAMES_SPEC, pbp, tc.SCORES_SPEC, tc.FORM_SPEC], schedule="games")
    d1, d2, off = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
    cal = Calendar({d: GameDay(d, "2023-24", {"regular": 2}, {"regular": 2}) for d in (d1, d2)})
    st = {
        ("games", d1): "complete", ("pbp", d1): "unavailable", ("scores", d1): "complete", ("form", d1): "complete",
        ("games", d2): "complete", ("pbp", d2): "unavailable", ("scores", d2): "failed", ("form", d2): "blocked",
        ("games", off): "no_data", ("pbp", off): "no_data", ("scores", off): "no_data", ("form", off): "no_data",
    }
    statuses = {
        k: PartitionStatus(k[0], k[1], v, f"{v} reason", ("scores", d2) if v == "blocked" else None)
        for k, v in st.items()
    }
    facts = {"games": {d1: Facts(2, 2, "a"), d2: Facts(2, 2, "b")}, "scores": {d1: Facts(4, 2, "c")},
             "form": {d1: Facts(4, 2, "d")}}
    cov = coverage(catalog, cal, statuses, facts, [d1, d2, off])
    assert [r.game_date for r in cov.rows] == [d1, d2]  # no row for a day without games
    one, two = cov.rows
    assert one.layers["raw"].status == "complete" and one.layers["raw"].unavailable == ("pbp",)
    assert one.layers["raw"].games == 2 and one.layers["raw"].pct == 100.0 and one.status == "complete"
    assert two.status == "failed" and two.root_cause == ("scores", d2)
    assert two.layers["precompute"].status == "blocked" and two.layers["analytics"].games == 0
    (summary,) = cov.seasons
    assert summary.unavailable == {"raw": {"pbp": 2}} and summary.gap_dates == {"analytics": 1, "precompute": 1}
    by = {s: PartitionStatus("t", d1, s) for s in ("complete", "bootstrap", "unavailable", "no_data", "stale")}
    assert worst([by["complete"], by["bootstrap"]]).status == "bootstrap"
    assert worst([by["unavailable"], by["complete"], by["no_data"]]).status == "complete"
    assert worst([by["bootstrap"], by["stale"]]).status == "stale"
