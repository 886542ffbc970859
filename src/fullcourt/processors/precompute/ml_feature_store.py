"""One row per expected player-game with the fixed, versioned feature list the models read.

The columns are exactly `catalog.features.FEATURES` in order, plus `feature_version`,
the keys and identifying columns, and the prop line the predictions are judged against
(`line` = closing line before tip-off, its prices, and `opening_line`). The game's own
result is deliberately absent: grading joins `player_game_summary` later, so a feature
row can be built, and a prediction made, before tip-off.

Three features look across the player's own team in the same game, as the injury report
stood before tip-off: `team_out_pts` and `team_out_min` sum the season averages of
teammates reported out or doubtful, and `usage_share_available` is the player's share
of the usage x minutes of the teammates not reported out — the shots a missing scorer
leaves go to the others. Without an injury report everyone counts as available.

Every feature is assembled from tables that only look at earlier games and pre-tip-off
rows, so a row built tonight and the same row rebuilt next year are identical. Booleans
are stored as 0/1 and a player absent from the injury report counts as available (0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.features import FEATURE_VERSION, FEATURES, INJURY_STATUS_CODES, ZONES
from fullcourt.catalog.gates import Check, NullRate, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics import sums
from fullcourt.processors.analytics.conform import conform
from fullcourt.processors.analytics.lookback import attach
from fullcourt.processors.analytics.rates import ratio

__all__ = ["COLUMNS", "IDENTITY", "SPEC", "build"]

BOOTSTRAP_DAYS = 7

IDENTITY: tuple[str, ...] = (
    "game_id", "game_date", "season", "season_type", "team", "opponent",
    "player_id", "player_name",
)
LINES: tuple[str, ...] = ("line", "over_price", "under_price", "opening_line")
COLUMNS: tuple[str, ...] = (*IDENTITY, *FEATURES, "feature_version", *LINES)

_FROM_CACHE = (
    "pts_avg_last5", "pts_avg_last10", "pts_avg_last20", "pts_avg_season", "pts_std_last10",
    "pts_per_min_last10", "min_avg_last5", "min_avg_last10", "min_avg_season",
    "starter_rate_last10", "usage_avg_last10", "fga_avg_last10", "fg3a_avg_last10",
    "fta_avg_last10", "games_played_season",
    *(f"zone_share_{z}" for z in ZONES), "opp_zone_matchup_factor",
    "pts_last1", "min_last1", "pts_ewm10", "min_ewm10",
    "team_regular_pts", "team_missing_pts", "team_missing_recent_pts", "team_missing_recent_min",
    "played_team_last_game",
)
_FROM_FACTORS = (
    "opp_def_rating_last10", "opp_pace_last10", "team_pace_last10",
    "fatigue_factor", "pace_factor", "usage_factor",
)


def _injury_code(status: ir.StringValue) -> ir.IntegerValue:
    case = ibis.cases(*((status.lower() == k, v) for k, v in INJURY_STATUS_CODES.items()), else_=0)
    return case.cast("int64")


# An injury status from this code on (doubtful, out) counts the player as missing.
OUT_CODE = INJURY_STATUS_CODES["doubtful"]


def _team_availability(rows: ir.Table) -> ir.Table:
    """`team_out_pts`, `team_out_min` and `usage_share_available` per player-game: one
    grouped pass per (game, team), then each player's own part taken back out."""
    out = rows.injury_status_code >= OUT_CODE
    pts = ibis.ifelse(out, rows.pts_avg_season.fill_null(0.0), 0.0)
    mins = ibis.ifelse(out, rows.min_avg_season.fill_null(0.0), 0.0)
    load = rows.usage_avg_last10.fill_null(0.0) * rows.min_avg_last10.fill_null(0.0)
    avail = ibis.ifelse(out, 0.0, load)
    r = rows.mutate(_pts=pts, _min=mins, _load=load, _avail=avail)
    team = r.group_by(["game_id", "team"]).aggregate(
        _tpts=sums.total(r._pts), _tmin=sums.total(r._min), _tavail=sums.total(r._avail)
    )
    j = r.join(team, ["game_id", "team"])
    return j.select(
        "game_id", "player_id",
        team_out_pts=(j._tpts - j._pts).round(6),
        team_out_min=(j._tmin - j._min).round(6),
        usage_share_available=ratio(j._load, j._tavail).round(6),
    )


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    days = list(dates)
    ctx = inputs["upcoming_player_game_context"]
    ctx = ctx.filter(ctx.game_date.isin(days))
    cache = inputs["player_daily_cache"]
    cache = cache.filter(cache.game_date.isin(days)).select("game_id", "player_id", *_FROM_CACHE)
    factors = inputs["player_composite_factors"]
    factors = factors.filter(factors.game_date.isin(days)).select(
        "game_id", "player_id", *_FROM_FACTORS
    )
    rows = attach(attach(ctx, cache, ["game_id", "player_id"]), factors, ["game_id", "player_id"])
    rows = rows.mutate(
        days_rest=rows.days_rest,
        back_to_back=rows.back_to_back.cast("int64"),
        is_home=rows.is_home.cast("int64"),
        injury_status_code=_injury_code(rows.injury_status),
        feature_version=ibis.literal(FEATURE_VERSION),
    )
    rows = attach(rows, _team_availability(rows), ["game_id", "player_id"])
    return conform(rows.select(*COLUMNS))


SPEC = TableSpec(
    name="ml_feature_store",
    phase=Phase.PRECOMPUTE,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(
        Input("upcoming_player_game_context", 0),
        Input("player_daily_cache", 0),
        Input("player_composite_factors", 0),
    ),
    gates=(
        Unique(),
        Check(f"feature_version is {FEATURE_VERSION}", lambda t: t.feature_version == FEATURE_VERSION),
        # Past the bootstrap days most expected players have played this season; a store
        # mostly without form means a join upstream broke, not that the league is new.
        NullRate("pts_avg_season", max_rate=0.5, label="scoring history"),
        NullRate("days_rest", max_rate=0.5),
        Range("injury_status_code", 0, 4),
        Range("min_avg_last5", 0.0, 70.0),
        Range("games_last_7", 0, 7),
        *(Range(f"zone_share_{z}", 0.0, 1.0) for z in ZONES),
    ),
    expectation=Expectation.GAMES,
    bootstrap_days=BOOTSTRAP_DAYS,
    description="Model features per player-game (feature list versioned), with the closing prop line.",
    extra={"expects": "scheduled"},
)
