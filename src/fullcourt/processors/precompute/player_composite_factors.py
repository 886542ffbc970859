"""Three multipliers around 1.0 that adjust a player's form for tonight's circumstances.

    fatigue_factor  1 - 0.04 back-to-back - 0.01 per game beyond 3 in the last 7 days
                      + 0.01 after 3+ days of rest - 0.02 when he averages 36+ minutes
                      (last 5), clipped to [0.85, 1.05]
    pace_factor     expected pace of the game (mean of both teams' last-10 pace)
                      / league pace season to date
    usage_factor    his usage trend (last 10 / season, clipped to [0.7, 1.3])
                      * (1 + usage vacated by teammates reported out or doubtful / 100),
                      vacated usage = sum of their season usage * their minutes share

They are deliberately simple and transparent: the zone-matchup model fits how much of
each factor to believe, so they need to order players sensibly, not be calibrated. The
team context columns (`team_pace_last10`, `opp_pace_last10`, `opp_def_rating_last10`)
come from the same date's `team_defense_zone_analysis`, i.e. from earlier games only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.gates import Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics import sums
from fullcourt.processors.analytics.conform import conform
from fullcourt.processors.analytics.lookback import attach
from fullcourt.processors.analytics.rates import ratio

__all__ = ["COLUMNS", "SPEC", "build"]

BOOTSTRAP_DAYS = 7

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "team", "opponent", "player_id",
    "team_pace_last10", "opp_pace_last10", "opp_def_rating_last10", "league_pace",
    "vacated_usage", "fatigue_factor", "pace_factor", "usage_factor",
)


def _clip(x: ir.NumericValue, lo: float, hi: float) -> ir.NumericValue:
    return ibis.greatest(ibis.least(x, hi), lo)


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    days = list(dates)
    ctx = inputs["upcoming_player_game_context"]
    ctx = ctx.filter(ctx.game_date.isin(days))
    cache = inputs["player_daily_cache"]
    cache = cache.filter(cache.game_date.isin(days)).select(
        "game_id", "player_id", "min_avg_last5", "min_avg_season",
        "usage_avg_last10", "usage_avg_season",
    )
    rows = attach(
        ctx.select(
            "game_id", "game_date", "season", "team", "opponent", "player_id",
            "days_rest", "back_to_back", "games_last_7", "injury_status",
        ),
        cache,
        ["game_id", "player_id"],
    )

    tz = inputs["team_defense_zone_analysis"]
    tz = tz.filter(tz.game_date.isin(days))
    own = tz.select("game_id", "team", team_pace_last10="pace_last10", league_pace="league_pace")
    opp = tz.select(
        "game_id", opponent=tz.team,
        opp_pace_last10=tz.pace_last10, opp_def_rating_last10=tz.def_rating_last10,
    )
    rows = attach(attach(rows, own, ["game_id", "team"]), opp, ["game_id", "opponent"])

    # Usage vacated per absent player, summed exactly (on the grid of `sums`): a float sum
    # over a group depends on the order its rows arrive in.
    absent = rows.injury_status.isin(["out", "doubtful"])
    rows = rows.mutate(
        _vacates=ibis.ifelse(
            absent, sums.fixed(rows.usage_avg_season * rows.min_avg_season / 240.0), 0
        ).fill_null(0)
    )
    vac = rows.group_by(["game_id", "team"]).aggregate(_vacated=rows._vacates.sum())
    rows = attach(rows, vac, ["game_id", "team"])
    # A player's own absence is not usage vacated for him.
    vacated = ((rows._vacated - rows._vacates) / sums.GRID).cast("float64")

    fatigue = (
        1.0
        - 0.04 * rows.back_to_back.fill_null(False).cast("int64")
        - 0.01 * ibis.greatest(rows.games_last_7.fill_null(0) - 3, 0)
        + 0.01 * (rows.days_rest >= 3).fill_null(False).cast("int64")
        - 0.02 * (rows.min_avg_last5 >= 36.0).fill_null(False).cast("int64")
    )
    pace = ratio((rows.team_pace_last10 + rows.opp_pace_last10) / 2.0, rows.league_pace)
    trend = _clip(ratio(rows.usage_avg_last10, rows.usage_avg_season).fill_null(1.0), 0.7, 1.3)
    rows = rows.mutate(
        vacated_usage=vacated,
        fatigue_factor=_clip(fatigue, 0.85, 1.05),
        pace_factor=pace,
        usage_factor=trend * (1.0 + vacated / 100.0),
    )
    return conform(rows.select(*COLUMNS))


SPEC = TableSpec(
    name="player_composite_factors",
    phase=Phase.PRECOMPUTE,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(
        Input("upcoming_player_game_context", 0),
        Input("player_daily_cache", 0),
        Input("team_defense_zone_analysis", 0),
    ),
    gates=(
        Unique(),
        Range("fatigue_factor", 0.85, 1.05),
        Range("pace_factor", 0.5, 1.5),
        Range("usage_factor", 0.5, 2.0),
    ),
    expectation=Expectation.GAMES,
    bootstrap_days=BOOTSTRAP_DAYS,
    description="Fatigue, pace and usage multipliers per player-game, from pre-game context.",
    extra={"expects": "scheduled"},
)
