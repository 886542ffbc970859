"""Every fault of the profile at once: each shows in `gaps` with its status and reason,
nothing else is lost, and once the faults clear one heal leaves no gap."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pytest

from fullcourt import pipeline as tables
from fullcourt.catalog.graph import Catalog
from fullcourt.config import Home
from fullcourt.engine.executor import Request
from fullcourt.engine.runtime import open_writer
from fullcourt.sources import registry
from fullcourt.sources.faults import Fault, FaultKind, FaultProfile
from fullcourt.sources.fetcher import RetryPolicy
from fullcourt.sources.sim import League

LEAGUE = League(7)
FAULTS = FaultProfile()
START = date(2023, 10, 24)
DATES = tuple(START + timedelta(days=i) for i in range(12))
CATALOG = "tests.test_faults:build_catalog"


def build_catalog():
    catalog = Catalog(tables.specs(("raw", "analytics")), schedule="nbac_schedule")
    wiring = partial(registry.wiring, league=LEAGUE, faults=FAULTS, timeout=3.0,
                     retry=RetryPolicy(attempts=2, backoff=0.0))
    return catalog, {"wiring": lambda home, clock=None: {**wiring(home, clock=clock),
                                                         "schemas": tables.RAW_SCHEMAS}}


@pytest.fixture
def runtime(tmp_path: Path):
    profile = importlib.import_module("tests.test_faults").FAULTS
    profile.clear()
    rt = open_writer(Home(tmp_path / "home"), CATALOG)
    yield rt, profile
    profile.clear()
    rt.close()


def run(rt):
    return rt.executor.execute("test", Request(tuple(rt.catalog.names()), DATES))


def test_each_fault_is_a_visible_gap_and_heal_clears_them(runtime):
    rt, faults = runtime
    d = [day for day in DATES if any(r["game_date"] == day for r in
         LEAGUE.season("2023-24").tables["nbac_schedule"].to_pylist())]
    faults.add(
        Fault("bdl_stats", FaultKind.HTTP_500, d[0]),
        Fault("nbac_team_boxscore", FaultKind.TIMEOUT, d[1], seconds=6.0),
        Fault("nbac_team_boxscore", FaultKind.EMPTY, d[2]),
        Fault("nbac_gamebook", FaultKind.MALFORMED, d[3]),
        Fault("bdb_pbp", FaultKind.LATE, d[4]),  # withheld until the fault clears
        Fault("nbac_gamebook", FaultKind.NULL_MINUTES, d[5], share=0.5),
        Fault("bdl_stats", FaultKind.DUPLICATES, d[6], share=0.3),
    )
    result = run(rt)
    gaps = {(g.table, g.game_date): g for g in result.gaps(rt.catalog.names(), DATES)}
    roots = {k: (g.status, g.reason) for k, g in gaps.items() if g.status != "blocked"}
    assert roots.keys() == {
        ("scrape.bdl_stats", d[0]), ("scrape.nbac_team_boxscore", d[1]),
        ("scrape.nbac_team_boxscore", d[2]), ("scrape.nbac_gamebook", d[3]),
        ("scrape.bdb_pbp", d[4]),
    }, roots
    assert roots[("scrape.bdl_stats", d[0])][0] == "failed" and "500" in roots[("scrape.bdl_stats", d[0])][1]
    assert "timeout" in roots[("scrape.nbac_team_boxscore", d[1])][1].lower()
    empty_status, empty_reason = roots[("scrape.nbac_team_boxscore", d[2])]
    assert empty_status == "partial" and "fetched 0 of" in empty_reason and "not in the game log" in empty_reason
    assert "malformed" in roots[("scrape.nbac_gamebook", d[3])][1].lower()
    assert roots[("scrape.bdb_pbp", d[4])][0] == "partial"
    assert "fetched 0 of" in roots[("scrape.bdb_pbp", d[4])][1]
    assert "empty play-by-play" in roots[("scrape.bdb_pbp", d[4])][1]
    # everything else downstream of a fault names it as the root cause; other dates are whole
    for g in gaps.values():
        if g.status == "blocked":
            assert g.root_cause in roots, g
    raw = [n for n in rt.catalog.names() if rt.catalog[n].phase.value in ("1", "2")]
    assert {day for (t, day) in gaps if t in raw} <= set(d[:5])  # a fault stays on its date
    # NULL minutes from the gamebook are filled from BDL; duplicated rows are dropped
    wh = rt.warehouse
    assert wh.sql(
        "SELECT count(*) FROM player_game_summary WHERE game_date = ? AND played AND minutes_played IS NULL",
        [d[5]],
    ) == [(0,)]
    assert wh.sql("SELECT count(*) FROM player_game_summary WHERE game_date = ? AND source = 'gamebook+bdl'",
                  [d[5]])[0][0] > 0
    assert wh.sql("SELECT count(*) - count(DISTINCT (game_id, player_id)) FROM bdl_player_boxscores"
                  " WHERE game_date = ?", [d[6]]) == [(0,)]

    faults.clear()
    healed = run(rt)
    assert healed.gaps(rt.catalog.names(), DATES) == []

