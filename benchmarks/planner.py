"""How long the planner takes to derive every partition's status of a fully built home.

`derive` runs before every command that reads or changes data (`status`, `gaps`, each
round of a backfill), so its cost over twenty seasons is what an operator waits for.
The catalog here is shaped like the real one — twenty tables over the seven phases,
same-date inputs, 10-game look-backs, whole-season and all-history windows — and every
partition is built and complete, which is the most expensive case: each one is checked
against its attempt and fingerprinted over its windows.

Run: `python -m benchmarks.planner` (prints JSON).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from datetime import date, timedelta

from fullcourt import errors
from fullcourt.catalog.calendar import Calendar, season_dates
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec, Window
from fullcourt.engine.ledger import Attempt
from fullcourt.engine.planner import READY_STATUSES, Facts, PartitionStatus, derive

__all__ = ["build_catalog", "build_calendar", "built_home", "measure"]

LAST_SEASON_START = 2024
REGULAR_DAYS = 165
PLAY_IN_DAYS = 2
PLAYOFF_DAYS = 8
PLAYERS_PER_GAME = 26


def _build(inputs, dates):
    raise errors.FullcourtError("benchmark tables are never built")


def _table(
    name: str,
    phase: Phase,
    inputs: tuple[tuple[str, Window], ...] = (),
    expectation: Expectation = Expectation.GAMES,
    bootstrap_days: int = 0,
    expects: str = "final",
) -> TableSpec:
    return TableSpec(
        name,
        phase,
        ("game_id",),
        build=None if phase is Phase.SCRAPE else _build,
        inputs=tuple(Input(t, w) for t, w in inputs),
        expectation=expectation,
        bootstrap_days=bootstrap_days,
        extra={"expects": expects},
    )


def build_catalog() -> Catalog:
    """Twenty tables over seven phases, with the real catalog's windows."""
    scrape, raw, analytics = Phase.SCRAPE, Phase.RAW, Phase.ANALYTICS
    pre, predict, grade, export = Phase.PRECOMPUTE, Phase.PREDICT, Phase.GRADE, Phase.EXPORT
    return Catalog(
        [
            _table("scrape.nbac_schedule", scrape, expectation=Expectation.ANY),
            _table("scrape.nbac_gamebook", scrape),
            _table("scrape.bdl_stats", scrape),
            _table("scrape.odds_props", scrape, expectation=Expectation.ANY),
            _table("nbac_schedule", raw, (("scrape.nbac_schedule", 0),), Expectation.ANY),
            _table("nbac_gamebook_player_stats", raw, (("scrape.nbac_gamebook", 0),)),
            _table("bdl_player_boxscores", raw, (("scrape.bdl_stats", 0),)),
            _table("odds_player_points_props", raw, (("scrape.odds_props", 0),),
                   Expectation.ANY),
            _table("player_game_summary", analytics,
                   (("nbac_gamebook_player_stats", 0), ("bdl_player_boxscores", 0))),
            _table("team_defense_game_summary", analytics, (("player_game_summary", 0),)),
            _table("upcoming_player_game_context", analytics,
                   (("player_game_summary", "season"), ("odds_player_points_props", 0)),
                   expects="scheduled"),
            _table("team_defense_zone_analysis", pre,
                   (("team_defense_game_summary", "season"),), bootstrap_days=10),
            _table("player_shot_zone_analysis", pre,
                   (("player_game_summary", 10), ("team_defense_zone_analysis", 0)),
                   bootstrap_days=10),
            _table("player_daily_cache", pre,
                   (("player_game_summary", "season"), ("player_shot_zone_analysis", 0)),
                   bootstrap_days=10),
            _table("player_composite_factors", pre,
                   (("player_daily_cache", 0), ("team_defense_zone_analysis", 0)),
                   bootstrap_days=10),
            _table("ml_feature_store", pre,
                   (("player_composite_factors", 0), ("upcoming_player_game_context", 0)),
                   bootstrap_days=10),
            _table("player_prop_predictions", predict,
                   (("ml_feature_store", "all"), ("player_game_summary", "all")),
                   bootstrap_days=10),
            _table("prediction_accuracy", grade,
                   (("player_prop_predictions", 0), ("player_game_summary", 0))),
            _table("export_dates", export,
                   (("player_prop_predictions", 0), ("prediction_accuracy", 0)),
                   Expectation.ROWS),
            _table("export_seasons", export, (("prediction_accuracy", "season"),),
                   Expectation.ROWS),
        ]
    )


def _season_name(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def build_calendar(seasons: int) -> Calendar:
    """~175 game days a season: regular season with an off-day a week, play-in, playoffs."""
    rows = []
    for start in range(LAST_SEASON_START - seasons + 1, LAST_SEASON_START + 1):
        name = _season_name(start)
        d = date(start, 10, 24)
        kinds = (
            ["regular"] * REGULAR_DAYS + ["play_in"] * PLAY_IN_DAYS + ["playoffs"] * PLAYOFF_DAYS
        )
        for i, kind in enumerate(kinds):
            if i % 7 == 6:
                d += timedelta(days=1)  # an off-day every week
            games = {"regular": 1 + (i * 7) % 13, "play_in": 2, "playoffs": 1 + i % 4}[kind]
            rows.append({"game_date": d, "season": name, "season_type": kind,
                         "scheduled": games, "final": games})
            d += timedelta(days=1)
    return Calendar.from_rows(rows)


def _fp(*parts: object) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).hexdigest()


def built_home(
    catalog: Catalog, calendar: Calendar
) -> tuple[list[date], dict[str, dict[date, Facts]], dict[tuple[str, date], Attempt]]:
    """Universe, warehouse facts and ledger of a home where every partition is complete.

    Attempts record the input fingerprint the planner derives, which depends on the
    facts upstream; each pass settles one more level of the graph.
    """
    universe = sorted({d for s in calendar.seasons() for d in season_dates(s)})
    versions = catalog.code_versions
    facts: dict[str, dict[date, Facts]] = {}
    attempts: dict[tuple[str, date], Attempt] = {}
    for _ in range(len(set(catalog.levels.values())) + 2):
        statuses = derive(catalog, calendar, universe, facts, attempts)
        todo = [s for s in statuses.values() if s.status in ("never_ran", "stale") and not s.root_cause]
        if not todo:
            break
        for st in todo:
            _record(catalog, calendar, st, versions[st.table], facts, attempts)
    statuses = derive(catalog, calendar, universe, facts, attempts)
    left = [s for s in statuses.values() if s.status not in READY_STATUSES]
    if left:
        raise errors.FullcourtError(f"benchmark home not fully built: {left[0]}")
    return universe, facts, attempts


def _record(
    catalog: Catalog,
    calendar: Calendar,
    st: PartitionStatus,
    version: str,
    facts: dict[str, dict[date, Facts]],
    attempts: dict[tuple[str, date], Attempt],
) -> None:
    spec = catalog[st.table]
    day = calendar.days.get(st.game_date)
    games = day.games(spec.season_types, spec.extra.get("expects") == "final") if day else 0
    rows = games * (PLAYERS_PER_GAME if "player" in spec.name else 2)
    fp = _fp(st.table, st.game_date, rows) if rows else None
    attempts[(st.table, st.game_date)] = Attempt(
        run_id="bench", status="success", rows=rows, games=games, fingerprint=fp,
        input_fp=st.input_fp, code_version=version, error=None, holder="bench", attempt=1,
    )
    if fp is not None and spec.phase is not Phase.SCRAPE:
        facts.setdefault(st.table, {})[st.game_date] = Facts(rows, games, fp)


def _best_of(n: int, catalog: Catalog, calendar: Calendar, home: tuple) -> float:
    universe, facts, attempts = home
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        derive(catalog, calendar, universe, facts, attempts, {}, holder="bench")
        best = min(best, time.perf_counter() - t0)
    return best


def measure(repeat: int = 3) -> dict[str, float | int]:
    """Seconds for one `derive` over a fully built home of 4 and of 20 seasons."""
    catalog = build_catalog()
    out: dict[str, float | int] = {}
    for seasons in (4, 20):
        calendar = build_calendar(seasons)
        home = built_home(catalog, calendar)
        out[f"planner_{seasons}_seasons_s"] = round(_best_of(repeat, catalog, calendar, home), 4)
        out[f"partitions_{seasons}"] = len(catalog.names()) * len(home[0])
    return out


def _ordered(result: Mapping[str, float | int]) -> dict[str, float | int]:
    keys = ("planner_4_seasons_s", "planner_20_seasons_s", "partitions_4", "partitions_20")
    return {k: result[k] for k in keys}


if __name__ == "__main__":
    print(json.dumps(_ordered(measure())))
