"""A tiny three-level catalog for engine tests: games -> scores -> form (season window).

Its source is deterministic, so separate processes (crash tests) see the same data.
Environment knobs, read at build time, let tests inject faults without code:
  TINY_FAIL_DATES   comma-separated ISO dates on which `scores` raises
  TINY_CORRECTION   ISO date whose games get +3 home points at the source (a stat correction)
  TINY_BATCH        executor batch size in days (to give a crash test many commit points)
  TINY_SLOW         seconds to sleep inside each `scores` batch (to kill mid-run)
  TINY_GATE_DATES   ISO dates on which `scores` writes a negative score (gate fails)
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

import ibis
import pyarrow as pa

from fullcourt.catalog import gates
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec

SEASON = "2023-24"
FIRST = date(2023, 10, 24)
GAME_DAYS = 40


def _games() -> pa.Table:
    rows = {"game_id": [], "game_date": [], "season": [], "season_type": [], "status": [],
            "home_team": [], "away_team": [], "home_score": [], "away_score": []}
    teams = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]
    d = FIRST
    n = 0
    for i in range(GAME_DAYS):
        if i % 7 == 6:  # an off-day every week
            d += timedelta(days=1)
        for g in range(1 + i % 3):
            n += 1
            rows["game_id"].append(f"G{n:05d}")
            rows["game_date"].append(d)
            rows["season"].append(SEASON)
            rows["season_type"].append("playoffs" if i >= GAME_DAYS - 5 else "regular")
            rows["status"].append("final")
            rows["home_team"].append(teams[(i + g) % 6])
            rows["away_team"].append(teams[(i + g + 3) % 6])
            rows["home_score"].append(90 + (n * 7) % 30)
            rows["away_score"].append(88 + (n * 11) % 30)
        d += timedelta(days=1)
    return pa.table(rows)


GAMES = _games()


def _env_dates(name: str) -> set[date]:
    return {date.fromisoformat(x) for x in os.environ.get(name, "").split(",") if x}


def build_games(inputs, dates):
    t = ibis.memtable(GAMES)
    t = t.filter(t.game_date.isin(list(dates)))
    corr = os.environ.get("TINY_CORRECTION")
    if corr:
        fix = t.game_date == date.fromisoformat(corr)
        t = t.mutate(home_score=ibis.ifelse(fix, t.home_score + 3, t.home_score))
    return t


def build_scores(inputs, dates):
    bad = _env_dates("TINY_FAIL_DATES") & set(dates)
    if bad:
        raise ValueError(f"source broken on {sorted(bad)[0]}")
    if os.environ.get("TINY_SLOW"):
        time.sleep(float(os.environ["TINY_SLOW"]))
    g = inputs["games"]
    g = g.filter(g.game_date.isin(list(dates)))
    neg = [d for d in _env_dates("TINY_GATE_DATES")]
    home = g.select(g.game_id, g.game_date, team=g.home_team, points=g.home_score)
    away = g.select(g.game_id, g.game_date, team=g.away_team, points=g.away_score)
    u = home.union(away)
    if neg:
        u = u.mutate(points=ibis.ifelse(u.game_date.isin(neg), -u.points, u.points))
    return u


def build_form(inputs, dates):
    s = inputs["scores"]
    w = ibis.window(group_by=s.team, order_by=s.game_date, rows=(None, -1))
    s = s.mutate(avg_before=s.points.mean().over(w), n_before=s.points.count().over(w))
    return s.filter(s.game_date.isin(list(dates))).select(
        "game_id", "game_date", "team", "avg_before", "n_before"
    )


GAMES_SPEC = TableSpec(
    "games", Phase.RAW, keys=("game_id",), build=build_games, expectation=Expectation.ANY,
    gates=(gates.Unique(),),
)
SCORES_SPEC = TableSpec(
    "scores", Phase.ANALYTICS, keys=("game_id", "team"), build=build_scores,
    inputs=(Input("games", 0),),
    gates=(gates.Unique(), gates.Range("points", 0, 300), gates.CoversSchedule(schedule="games")),
)
FORM_SPEC = TableSpec(
    "form", Phase.PRECOMPUTE, keys=("game_id", "team"), build=build_form,
    inputs=(Input("scores", "season"),), bootstrap_days=3, gates=(gates.Unique(),),
)


def build_catalog() -> tuple[Catalog, dict]:
    catalog = Catalog([GAMES_SPEC, SCORES_SPEC, FORM_SPEC], schedule="games")
    batch = int(os.environ.get("TINY_BATCH", "0"))
    return catalog, {"wiring": lambda home, clock=None: {"batch_days": batch} if batch else {}}
