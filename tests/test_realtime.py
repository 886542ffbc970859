"""The real pipeline on a simulated clock: day by day, late data, a stat correction.

The runner and a one-shot backfill must end in the same warehouse, and what the
sources do late (a box score a day late, a correction days later) must flow through
every phase, exports included, with no manual step.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from fullcourt import pipeline as tables
from fullcourt.catalog.calendar import EASTERN
from fullcourt.catalog.schemas import RAW_SCHEMAS
from fullcourt.config import Home
from fullcourt.engine.events import InProcessBus, NullBus
from fullcourt.engine.executor import Executor, Request
from fullcourt.engine.holders import new_holder
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.runner import Runner
from fullcourt.sources import registry
from fullcourt.sources.faults import Fault, FaultKind, FaultProfile, StatCorrection
from fullcourt.sources.sim import League
from fullcourt.warehouse.duck import Warehouse

pytestmark = pytest.mark.slow

OPENING = date(2024, 10, 22)
LEAGUE = League(7)


def morning(d: date) -> datetime:
    return datetime.combine(d, time(9, 0), EASTERN).astimezone(UTC)


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def open_home(root: Path, clock, faults=None) -> tuple[Executor, Ledger]:
    home = Home(root).ensure()
    catalog, _ = tables.build_catalog()
    ledger = Ledger(home.ledger_path)
    wiring = registry.wiring(home, league=LEAGUE, clock=clock, faults=faults)
    ex = Executor(home, catalog, Warehouse(home.warehouse_path), ledger, new_holder(),
                  schemas=RAW_SCHEMAS, **wiring)
    return ex, ledger


def fingerprints(ex: Executor, through: date) -> dict:
    return {
        name: {d: f.fingerprint for d, f in ex.wh.facts(name).items() if d <= through}
        for name in ex.catalog.names()
        if not name.startswith("scrape.")
    }


def gaps(ex: Executor, through: date) -> list:
    return [s for (_, d), s in ex.statuses(["2024-25"]).items() if d <= through and s.is_gap]


def test_thirty_days_of_run_equal_a_one_shot_backfill(tmp_path):
    clock = Clock(morning(OPENING))
    ex, ledger = open_home(tmp_path / "run", clock)
    runner = Runner(ex, ledger, InProcessBus(), clock, sweep_every=timedelta(days=1))
    last = OPENING + timedelta(days=29)
    day = OPENING
    while day <= last:
        clock.now = morning(day + timedelta(days=1))  # the morning after: day's games are over
        report = runner.tick()
        assert report.failed == 0
        open_gaps = gaps(ex, day)
        assert open_gaps == [], f"after {day}: {open_gaps[:3]}"
        day += timedelta(days=1)
    ran = fingerprints(ex, last)

    final = Clock(clock.now)
    one, one_ledger = open_home(tmp_path / "once", final)
    dates = [OPENING - timedelta(days=21) + timedelta(days=i) for i in range(21 + 31)]
    result = one.run(Request(tuple(one.catalog.names()), tuple(dates)), "once")
    assert result.failed == 0
    assert fingerprints(one, last) == ran


def test_late_box_score_and_a_stat_correction_flow_through_to_the_exports(tmp_path):
    late_day = OPENING + timedelta(days=3)
    fixed_day = OPENING + timedelta(days=9)  # past the bootstrap days: it has predictions
    season = LEAGUE.season("2024-25").tables
    with_line = {r["player_name"] for r in season["odds_player_points_props"].to_pylist()
                 if r["game_date"] == fixed_day}
    row = next(r for r in season["nbac_gamebook_player_stats"].to_pylist()
               if r["game_date"] == fixed_day and r["status"] == "active" and r["player_name"] in with_line)
    faults = FaultProfile().add(
        Fault("nbac_gamebook", FaultKind.LATE, game_date=late_day, until=morning(late_day + timedelta(days=2))),
        Fault("nbac_team_boxscore", FaultKind.LATE, game_date=late_day, until=morning(late_day + timedelta(days=2))),
        StatCorrection(row["game_id"], row["player_id"], after=morning(fixed_day + timedelta(days=2)) - timedelta(hours=1)),
    )
    clock = Clock(morning(OPENING))
    ex, ledger = open_home(tmp_path / "home", clock, faults)
    runner = Runner(ex, ledger, NullBus(), clock, sweep_every=timedelta(days=1))
    seen_late = False
    day = OPENING
    while day <= fixed_day + timedelta(days=3):
        clock.now = morning(day + timedelta(days=1))
        runner.tick()
        if day == late_day:
            reasons = {(g.table, g.status) for g in gaps(ex, day)}
            assert ("scrape.nbac_team_boxscore", "partial") in reasons
            seen_late = True
        day += timedelta(days=1)
    assert seen_late
    assert gaps(ex, day) == []

    summary = ex.wh.sql(
        "SELECT points FROM player_game_summary WHERE game_id = ? AND player_id = ?",
        [row["game_id"], row["player_id"]],
    )
    assert summary == [(row["points"] + 3,)]
    exported = json.loads((ex.home.exports / "dates" / f"{fixed_day.isoformat()}.json").read_text())
    mine = [p for p in exported["predictions"] if p["player_id"] == row["player_id"]]
    assert [p["actual_points"] for p in mine] == [row["points"] + 3]
    history = ledger.history("export_dates", fixed_day)
    assert sum(r["status"] == "success" for r in history) >= 2  # exported again after the fix
