"""The `fullcourt` command as a user meets it: exit codes, one-line errors, JSON shapes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from tests.conftest import TINY, run_cli

from fullcourt.config import Home
from fullcourt.engine import runtime
from fullcourt.warehouse import duck
from fullcourt.warehouse.duck import Warehouse

ENV = {"FULLCOURT_CATALOG": TINY}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backfill", "--start", "2024-01-10", "--end", "2024-01-01"], "--end 2024-01-01 is before --start"),
        (["backfill", "--start", "2024-08-01", "--end", "2024-08-05"], "outside every season"),
        (["backfill", "--season", "2023-24", "--tables", "nope"], "unknown table 'nope'"),
        (["backfill", "--season", "2023-24", "--phases", "9"], "unknown phase '9'"),
        (["backfill", "--season", "2023-25"], "bad season '2023-25'"),
        (["backfill", "--start", "yesterday"], "is not a date"),
        (["backfill"], "give --season S or --start D --end D"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    home = tmp_path / "home"
    proc = run_cli(*args, home=home, env=ENV)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not home.exists()


def test_unreadable_home_is_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = run_cli("backfill", "--season", "2023-24", home=blocker / "home", env=ENV)
    assert proc.returncode == 2
    assert "cannot use home" in proc.stderr


def test_dry_run_plans_without_writing(tmp_path):
    home = tmp_path / "home"
    proc = run_cli("backfill", "--season", "2023-24", "--dry-run", "--json", home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["dry_run"] is True
    assert [s["table"] for s in plan["steps"]] == ["games", "scores", "form"]
    assert not home.exists()


def test_backfill_status_gaps_history_json(tmp_path):
    home = tmp_path / "home"
    proc = run_cli("backfill", "--season", "2023-24", "--json", home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gaps"] == 0

    status = json.loads(run_cli("status", "--json", home=home, env=ENV).stdout)
    by_table = {t["table"]: t for t in status["tables"]}
    assert by_table["form"]["phase"] == "4"
    assert by_table["form"]["counts"] == {"complete": 37, "bootstrap": 3, "no_data": 234}

    gaps = run_cli("gaps", "--json", home=home, env=ENV)
    assert gaps.returncode == 0 and json.loads(gaps.stdout) == []

    hist = json.loads(run_cli("history", "--table", "games", "--limit", "5", "--json", home=home, env=ENV).stdout)
    assert len(hist) == 5 and all(r["table_name"] == "games" for r in hist)
    assert all(r["status"] == "success" and r["last_seen"] is None for r in hist)
    [run] = json.loads(run_cli("history", "--runs", "--json", home=home, env=ENV).stdout)
    assert (run["command"], run["status"], run["last_seen"]) == ("backfill", "ok", None)


def test_failures_exit_1_and_gaps_name_the_reason(tmp_path):
    home = tmp_path / "home"
    env = {**ENV, "TINY_FAIL_DATES": "2023-10-25"}
    proc = run_cli("backfill", "--season", "2023-24", home=home, env=env)
    assert proc.returncode == 1
    gaps = json.loads(run_cli("gaps", "--json", "--table", "scores", home=home, env=env).stdout)
    assert gaps == [{
        "table": "scores", "game_date": "2023-10-25", "status": "failed",
        "reason": "failed: ValueError: source broken on 2023-10-25",
    }]
    blocked = json.loads(run_cli("gaps", "--json", "--table", "form", home=home, env=env).stdout)
    assert blocked and all("root cause scores 2023-10-25" in g["reason"] for g in blocked)
    healed = run_cli("heal", "--json", home=home, env=ENV)
    assert healed.returncode == 0, healed.stderr
    assert json.loads(run_cli("gaps", "--json", home=home, env=ENV).stdout) == []


def test_status_reads_the_ledger_while_another_process_holds_the_warehouse(tmp_path, monkeypatch):
    home = tmp_path / "home"
    assert run_cli("backfill", "--season", "2023-24", home=home, env=ENV).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
         str(home / "warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = run_cli("status", "--json", home=home, env=ENV)
        assert proc.returncode == 0, proc.stderr
        assert "warehouse busy" in proc.stderr
        counts = {t["table"]: t["counts"] for t in json.loads(proc.stdout)["tables"]}
        assert counts["scores"] == {"complete": 40, "no_data": 234}
        # and it did not wait for the holder: the reader status opens asks for no wait
        waits: list[float] = []

        class Recording(Warehouse):
            def __init__(self, path, **kwargs):
                waits.append(kwargs.get("wait", 0.0))
                super().__init__(path, **kwargs)

        monkeypatch.setattr(duck, "Warehouse", Recording)
        rt = runtime.open_reader(Home(home), TINY)
        try:
            rt.statuses(["2023-24"])
        finally:
            rt.close()
        assert waits and set(waits) == {0.0}
        assert rt.busy_reason.startswith("warehouse busy")
        second = run_cli("backfill", "--season", "2023-24", home=home, env=ENV)
        assert second.returncode == 2
        assert "held by another fullcourt process" in second.stderr
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--home", "{home}", "demo", "--source", "replay"],
         "--source is an option of fullcourt itself: fullcourt --home {home} --source replay demo"),
        (["status", "--source=sim", "--debug", "--json"],
         "--source is an option of fullcourt itself (--debug moved too): "
         "fullcourt --source=sim --debug status --json"),
        (["--json", "status"], "--json is an option of fullcourt status: fullcourt status --json"),
        (["status", "--bogus"], "fullcourt status has no option --bogus"),
        (["gaps", "--tabel", "x"], "did you mean --table?"),
        (["bogus"], "fullcourt has no command 'bogus'"),
        (["sources", "serv"], "fullcourt sources has no command 'serv'; did you mean serve?"),
        (["backfill", "--season"], "fullcourt backfill: --season needs a value"),
        (["--home"], "fullcourt: --home needs a value"),
        (["history", "--limit", "0"], "fullcourt history: --limit '0' is not valid"),
        (["backfill", "--wait", "soon"], "fullcourt backfill: --wait 'soon' is not valid"),
        (["status", "extra"], "fullcourt status: got unexpected extra argument"),
        (["--source", "bogus", "status"], "--source 'bogus': the sources are sim and replay"),
    ],
)
def test_every_usage_error_is_one_line_exit_2(tmp_path, args, message):
    home = tmp_path / "home"
    proc = run_cli(*(a.format(home=home) for a in args), home=home, env=ENV)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert message.format(home=home) in lines[0]
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert not home.exists()


def test_demo_builds_and_then_prints_the_status_of_what_it_built(tmp_path):
    home = tmp_path / "home"
    proc = run_cli("demo", "--seasons", "2023-24", home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr
    assert "no gaps" in proc.stdout and "scores" in proc.stdout
