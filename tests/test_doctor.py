"""`fullcourt doctor`: one line per check, the fix on a miss, exit 1 on any miss, nothing written."""

from __future__ import annotations

import json

import pytest
from tests.conftest import TINY, run_cli
from tests.resources.homefiles import digest, holding_warehouse

from fullcourt import doctor
from fullcourt.config import Home

ENV = {"FULLCOURT_CATALOG": TINY}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("doctor") / "home"
    proc = run_cli("backfill", "--season", "2023-24", home=home, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return home


def _checks(proc) -> dict[str, dict]:
    return {c["check"]: c for c in json.loads(proc.stdout)["checks"]}


def test_a_built_home_passes_and_nothing_is_written(home):
    before = digest(home)
    proc = run_cli("doctor", "--season", "2023-24", home=home, env=ENV)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert all(line.startswith("✓") for line in lines[:-1]) and "checks passed" in lines[-1]
    checks = _checks(run_cli("doctor", "--season", "2023-24", "--json", home=home, env=ENV))
    assert list(checks) == ["home", "catalog", "settings", "ledger", "warehouse", "providers", "code", "plan"]
    assert "free" in checks["home"]["detail"] and checks["home"]["data"]["free_bytes"] > 0
    assert "schema current" in checks["ledger"]["detail"]
    assert "nothing to do" in checks["plan"]["detail"]
    forced = _checks(run_cli("doctor", "--season", "2023-24", "--force", "--phases", "3", "--json",
                             home=home, env=ENV))
    assert forced["plan"]["data"]["by_phase"] == {"3": 40}
    assert "by past timings" in forced["plan"]["detail"]  # estimated from the ledger's timings
    assert forced["plan"]["data"]["seconds"] > 0
    assert digest(home) == before


def test_a_held_warehouse_names_the_process_and_the_fix(home):
    before = digest(home)
    with holding_warehouse(home) as holder:
        proc = run_cli("doctor", "--json", home=home, env=ENV)
        text = run_cli("doctor", home=home, env=ENV).stdout
    assert proc.returncode == 1
    wh = _checks(proc)["warehouse"]
    assert not wh["ok"] and f"pid {holder.pid}" in wh["detail"] and "since" in wh["detail"]
    assert wh["data"]["pid"] == holder.pid
    assert "--wait" in wh["fix"]
    line = next(x for x in text.splitlines() if "warehouse" in x)
    assert line.startswith("✗") and "→" in line
    assert digest(home) == before


def test_a_fresh_home_plans_against_nothing_and_creates_nothing(tmp_path):
    home = tmp_path / "new"
    proc = run_cli("doctor", "--season", "2023-24", "--json", home=home, env=ENV)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = _checks(proc)
    assert "not created yet" in checks["home"]["detail"]
    assert "none yet" in checks["ledger"]["detail"] and "none yet" in checks["warehouse"]["detail"]
    assert checks["plan"]["data"]["by_phase"] == {"2": 274, "3": 274, "4": 274}
    assert "no past timings" in checks["plan"]["detail"]
    assert not home.exists()


def test_bad_settings_and_unreadable_ledger_fail_with_a_fix(tmp_path, home):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "settings.toml").write_text("[sources\nseed = 1")
    (broken / "ledger.sqlite").write_text("not a database")
    proc = run_cli("doctor", "--json", home=broken, env=ENV)
    assert proc.returncode == 1
    checks = _checks(proc)
    assert not checks["settings"]["ok"] and checks["settings"]["fix"]
    assert not checks["ledger"]["ok"] and "cannot be read" in checks["ledger"]["detail"]
    assert "code" not in checks  # what needs the ledger is not guessed


def test_providers_are_probed_through_the_configured_fetcher(tmp_path):
    """The real catalog's wiring: one cheap request per service of the simulated league."""
    checks = {c.name: c for c in doctor._providers(Home(tmp_path / "h"), _real_wiring(), [])}
    assert set(checks) == {"provider nbacdn", "provider nbastats", "provider balldontlie",
                           "provider oddsapi", "provider injuries"}
    assert all(c.ok for c in checks.values()), checks
    assert "quota" in checks["provider oddsapi"].detail
    assert not (tmp_path / "h").exists()


def test_an_unreachable_provider_fails_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("FULLCOURT_SOURCE_URL", "http://127.0.0.1:9")  # nothing listens on discard
    checks = doctor._providers(Home(tmp_path / "h"), _real_wiring(), [])
    assert checks and not any(c.ok for c in checks)
    assert all("FULLCOURT_SOURCE_URL" in c.fix for c in checks)


def _real_wiring() -> dict:
    """The real catalog's extras: its sources' wiring."""
    from fullcourt.engine.runtime import load_catalog

    return load_catalog("fullcourt.pipeline:build_catalog")[1]


def test_usage_errors_are_one_line_exit_2(tmp_path):
    proc = run_cli("doctor", "--start", "2024-01-10", "--end", "2024-01-01", home=tmp_path / "h", env=ENV)
    assert proc.returncode == 2
    assert len([x for x in proc.stderr.splitlines() if x.strip()]) == 1


def test_an_older_ledger_schema_is_named_and_left_to_the_next_run(tmp_path, home):
    import shutil
    import sqlite3

    old = tmp_path / "old"
    shutil.copytree(home, old)
    db = sqlite3.connect(old / "ledger.sqlite")
    db.execute("DROP TABLE code_versions")
    db.commit()
    db.close()
    before = digest(old)
    ledger = _checks(run_cli("doctor", "--json", home=old, env=ENV))["ledger"]
    assert ledger["ok"] and "table code_versions missing" in ledger["detail"]
    assert "the next run migrates it" in ledger["detail"]
    assert digest(old) == before
