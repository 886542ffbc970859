"""A player's form before each game: scoring, minutes and role over his earlier games.

Everything is computed over the games he played earlier in the same season — the last
5, 10 and 20 and the season to date — never over the game described, and joined to each
expected player-game (final or scheduled) at the last game dated before it. The player's
zone mix and matchup factor of the same game are carried along, so this one row per
player-game is everything known about the player that afternoon.

`games_played_season` counts games he played (DNPs excluded); a player without any has
NULL averages, which the models treat as "no history" rather than as zero points.

Recent form is also kept as the last game's points and minutes and as exponentially
weighted means of the last ten games (half-life `HALF_LIFE_GAMES`): last night says
more about tonight than a game a month ago, which plain windowed means cannot express.
Who is missing from his team (`teammates`) rides along, since it is the same
look-back over the same season's games.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.features import ZONES
from fullcourt.catalog.gates import Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics import sums
from fullcourt.processors.analytics.conform import conform
from fullcourt.processors.analytics.lookback import attach, latest_before
from fullcourt.processors.analytics.rates import ratio
from fullcourt.processors.precompute import teammates

__all__ = ["COLUMNS", "SPEC", "build"]

BOOTSTRAP_DAYS = 7

FORM: tuple[str, ...] = (
    "pts_avg_last5", "pts_avg_last10", "pts_avg_last20", "pts_avg_season",
    "pts_std_last10", "pts_per_min_last10",
    "min_avg_last5", "min_avg_last10", "min_avg_season",
    "starter_rate_last10", "usage_avg_last10", "usage_avg_season",
    "fga_avg_last10", "fg3a_avg_last10", "fta_avg_last10",
    "games_played_season", "last_played_date",
    "pts_last1", "min_last1", "pts_ewm10", "min_ewm10",
)
# Half-life, in games, of the exponentially weighted means over the last EWM_GAMES games.
HALF_LIFE_GAMES = 4.0
EWM_GAMES = 10
ZONE_COLUMNS: tuple[str, ...] = (*(f"zone_share_{z}" for z in ZONES), "opp_zone_matchup_factor")

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "team", "opponent", "player_id", *FORM, *ZONE_COLUMNS,
    *teammates.COLUMNS,
)


def _ewm(x: ir.NumericValue, order: ibis.Window) -> ir.FloatingValue:
    """Exponentially weighted mean of `x` over the current and previous EWM_GAMES - 1
    rows: a fixed sum of lagged values per row (no aggregation, so no summation order)."""
    num = ibis.literal(0.0)
    den = ibis.literal(0.0)
    for k in range(EWM_GAMES):
        w = 0.5 ** (k / HALF_LIFE_GAMES)
        v = x.cast("float64") if k == 0 else x.lag(k).over(order).cast("float64")
        num = num + ibis.ifelse(v.isnull(), 0.0, v * w)
        den = den + ibis.ifelse(v.isnull(), 0.0, w)
    return ibis.ifelse(den > 0, num / den, ibis.null("float64"))


def _history(p: ir.Table) -> ir.Table:
    """Per game played: the player's form through that game."""
    by = ["player_id", "season"]

    def last(n: int) -> ibis.Window:
        return ibis.window(group_by=by, order_by="game_date", rows=(-(n - 1), 0))

    season = ibis.window(group_by=by, order_by="game_date", rows=(None, 0))
    w5, w10, w20 = last(5), last(10), last(20)
    order = ibis.window(group_by=by, order_by="game_date")
    # exact sums: a float mean over a window depends on the shape of the partition,
    # which differs between a season built at once and one built month by month
    return p.select(
        "player_id", "season", "game_date",
        pts_avg_last5=sums.mean(p.points).over(w5),
        pts_avg_last10=sums.mean(p.points).over(w10),
        pts_avg_last20=sums.mean(p.points).over(w20),
        pts_avg_season=sums.mean(p.points).over(season),
        pts_std_last10=sums.std(p.points).over(w10),
        pts_per_min_last10=ratio(
            sums.total(p.points).over(w10), sums.total(p.minutes_played).over(w10)
        ),
        min_avg_last5=sums.mean(p.minutes_played).over(w5),
        min_avg_last10=sums.mean(p.minutes_played).over(w10),
        min_avg_season=sums.mean(p.minutes_played).over(season),
        starter_rate_last10=sums.mean(p.starter).over(w10),
        usage_avg_last10=sums.mean(p.usage_est).over(w10),
        usage_avg_season=sums.mean(p.usage_est).over(season),
        fga_avg_last10=sums.mean(p.fga).over(w10),
        fg3a_avg_last10=sums.mean(p.fg3a).over(w10),
        fta_avg_last10=sums.mean(p.fta).over(w10),
        games_played_season=p.game_id.count().over(season),
        last_played_date=p.game_date,
        pts_last1=p.points.cast("float64"),
        min_last1=p.minutes_played.cast("float64"),
        pts_ewm10=_ewm(p.points, order),
        min_ewm10=_ewm(p.minutes_played, order),
    )


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    days = list(dates)
    ctx = inputs["upcoming_player_game_context"]
    targets = ctx.filter(ctx.game_date.isin(days)).select(
        "game_id", "game_date", "season", "team", "opponent", "player_id"
    )
    p = inputs["player_game_summary"]
    p = p.filter(p.played).semi_join(targets.select("season").distinct(), "season")
    rows = latest_before(targets, _history(p), ["player_id", "season"])
    rows = rows.mutate(games_played_season=rows.games_played_season.fill_null(0))

    z = inputs["player_shot_zone_analysis"]
    z = z.filter(z.game_date.isin(days)).select("game_id", "player_id", *ZONE_COLUMNS)
    rows = attach(rows, z, ["game_id", "player_id"])
    rows = attach(rows, teammates.absences(p, targets), ["game_id", "player_id"])
    return conform(rows.select(*COLUMNS))


SPEC = TableSpec(
    name="player_daily_cache",
    phase=Phase.PRECOMPUTE,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(
        Input("player_game_summary", "season"),
        Input("upcoming_player_game_context", 0),
        Input("player_shot_zone_analysis", 0),
    ),
    gates=(
        Unique(),
        Range("min_avg_last5", 0.0, 70.0),
        Range("min_avg_season", 0.0, 70.0),
        Range("pts_avg_season", 0.0, 100.0),
        Range("starter_rate_last10", 0.0, 1.0),
    ),
    expectation=Expectation.GAMES,
    bootstrap_days=BOOTSTRAP_DAYS,
    description="Player form before each game: last 5/10/20 and season-to-date averages, earlier games only.",
    extra={"expects": "scheduled"},
)
