"""The executor on the tiny catalog: builds, narrows failures, holds back, heals."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date

import pytest
from tests.resources import tiny_catalog

from fullcourt.catalog import codehash
from fullcourt.catalog.calendar import season_dates
from fullcourt.config import Home
from fullcourt.engine.executor import Request
from fullcourt.engine.runtime import open_writer

TABLES = ("games", "scores", "form")
DATES = tuple(season_dates("2023-24"))


def run(rt, tables=TABLES, dates=DATES, force=False):
    return rt.executor.execute("test", Request(tuple(tables), tuple(dates), force))


def counts(result, table):
    return Counter(s.status for (t, _), s in result.statuses.items() if t == table)


GAME_DAYS = sorted(set(tiny_catalog.GAMES.column("game_date").to_pylist()))


def game_dates(rt):
    return rt.executor.calendar.game_dates("2023-24")


def test_backfill_builds_every_phase_and_a_rerun_writes_nothing(tiny):
    first = run(tiny)
    assert first.gaps(TABLES, DATES) == []
    assert counts(first, "scores") == {"complete": 40, "no_data": 234}
    assert counts(first, "form") == {"complete": 37, "bootstrap": 3, "no_data": 234}
    second = run(tiny)
    assert second.written == 0
    assert second.gaps(TABLES, DATES) == []


def test_one_bad_date_fails_alone_and_blocks_only_its_window(tiny, tiny_env):
    bad = GAME_DAYS[20]
    tiny_env.setenv("TINY_FAIL_DATES", bad.isoformat())
    result = run(tiny)
    st = result.statuses
    assert st[("scores", bad)].status == "failed"
    assert f"source broken on {bad}" in st[("scores", bad)].reason
    days = game_dates(tiny)
    assert all(st[("scores", d)].status == "complete" for d in days if d != bad)
    # form reads the whole season so far: dates before the bad one are fine, later ones
    # are blocked and name the root cause
    later = [d for d in days if d > bad]
    assert all(st[("form", d)].status == "blocked" for d in later)
    assert {st[("form", d)].root_cause for d in later} == {("scores", bad)}
    assert all(st[("form", d)].status in ("complete", "bootstrap") for d in days if d < bad)

    tiny_env.delenv("TINY_FAIL_DATES")
    healed = run(tiny)
    assert healed.gaps(TABLES, DATES) == []


def test_failed_gate_holds_back_downstream_only(tiny, tiny_env):
    bad = GAME_DAYS[25]
    tiny_env.setenv("TINY_GATE_DATES", bad.isoformat())
    result = run(tiny)
    st = result.statuses
    assert st[("scores", bad)].status == "gate_failed"
    assert "points" in st[("scores", bad)].reason
    assert st[("form", bad)].status == "blocked"
    assert st[("form", bad)].root_cause == ("scores", bad)
    assert st[("games", bad)].status == "complete"
    assert counts(result, "scores")["complete"] == 39


def test_a_correction_makes_exactly_its_window_stale_and_heal_rebuilds_only_that(tiny, tiny_env):
    run(tiny)
    fixed = GAME_DAYS[22]
    tiny_env.setenv("TINY_CORRECTION", fixed.isoformat())
    run(tiny, tables=["games"], dates=[fixed], force=True)
    statuses = tiny.executor.statuses(["2023-24"])
    stale = {(t, d) for (t, d), s in statuses.items() if s.status == "stale"}
    days = game_dates(tiny)
    expected = {("scores", fixed)} | {("form", d) for d in days if d >= fixed}
    assert stale == expected

    before = len(tiny.ledger.history(limit=100000))
    healed = run(tiny)
    assert healed.gaps(TABLES, DATES) == []
    assert healed.written == len(expected)
    after = tiny.ledger.history(limit=100000)  # newest first
    rebuilt = after[: len(after) - before]
    assert {(r["table_name"], date.fromisoformat(r["game_date"])) for r in rebuilt} == expected


def test_a_change_behind_the_engine_is_seen_as_stale(tiny):
    run(tiny)
    day = GAME_DAYS[30]
    tiny.warehouse.sql("UPDATE scores SET points = points + 1 WHERE game_date = ?", [day])
    tiny.executor.refresh()
    st = tiny.executor.statuses(["2023-24"])
    assert st[("scores", day)].status == "stale"
    assert "outside fullcourt" in st[("scores", day)].reason


def test_every_attempt_is_in_the_ledger_with_its_fingerprints(tiny):
    run(tiny)
    rows = tiny.ledger.history("scores", GAME_DAYS[0])
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "success" and row["rows"] > 0
    assert row["fingerprint"] and row["input_fp"] and row["code_version"]


SPLIT = "tiny_split.catalog:build_catalog"
RATES = "fullcourt.processors.analytics.rates"


@pytest.fixture
def split_catalog(tmp_path, tiny_env):
    """The tiny catalog with `scores` built in a module of its own that uses a fullcourt
    helper the other two tables do not (their builds share one module)."""
    pkg = tmp_path / "pkgs" / "tiny_split"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "scores.py").write_text(
        "from fullcourt.processors.analytics import rates  # the helper under test\n"
        "from tests.resources import tiny_catalog\n\n\n"
        "def build(inputs, dates):\n"
        "    assert rates.ratio\n"
        "    return tiny_catalog.build_scores(inputs, dates)\n"
    )
    (pkg / "catalog.py").write_text(
        "from dataclasses import replace\n\n"
        "from fullcourt.catalog.graph import Catalog\n"
        "from tests.resources import tiny_catalog as tiny\n"
        "from tiny_split import scores\n\n\n"
        "def build_catalog():\n"
        "    specs = [tiny.GAMES_SPEC, replace(tiny.SCORES_SPEC, build=scores.build), tiny.FORM_SPEC]\n"
        "    return Catalog(specs, schedule='games'), {}\n"
    )
    tiny_env.syspath_prepend(str(tmp_path / "pkgs"))
    yield SPLIT
    for name in [m for m in sys.modules if m == "tiny_split" or m.startswith("tiny_split.")]:
        del sys.modules[name]


def test_an_edited_helper_makes_exactly_its_tables_stale_and_names_it(tmp_path, tiny_env, split_catalog):
    home = Home(tmp_path / "home")
    rt = open_writer(home, split_catalog)
    try:
        assert RATES in rt.catalog.code_modules["scores"]
        assert RATES not in rt.catalog.code_modules["games"] | rt.catalog.code_modules["form"]
        assert run(rt).gaps(TABLES, DATES) == []
    finally:
        rt.close()

    real_source = codehash.source_of
    tiny_env.setattr(
        codehash, "source_of",
        lambda name: real_source(name) + "\n_EDITED = True\n" if name == RATES else real_source(name),
    )
    rt = open_writer(home, split_catalog)
    try:
        st = rt.executor.statuses(["2023-24"])
        days = game_dates(rt)
        assert {st[("games", d)].status for d in days} == {"complete"}
        assert {st[("scores", d)].status for d in days} == {"stale"}
        assert {st[("scores", d)].reason for d in days} == {f"code changed in {RATES}"}
        built_form = [d for d in days if st[("form", d)].status != "bootstrap"]
        assert len(built_form) == len(days) - 3
        assert {st[("form", d)].status for d in built_form} == {"stale"}
        assert {st[("form", d)].root_cause[0] for d in built_form} == {"scores"}

        before = len(rt.ledger.history("games", limit=100000))
        healed = run(rt)
        assert healed.gaps(TABLES, DATES) == []
        assert len(rt.ledger.history("games", limit=100000)) == before
        version = rt.catalog.code_versions["scores"]
        assert {r["code_version"] for r in rt.ledger.history("scores", days[0])[:1]} == {version}
        assert rt.ledger.recorded_modules()[version][RATES] == rt.catalog.code_modules["scores"][RATES]
    finally:
        rt.close()
