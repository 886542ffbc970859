"""How each team has defended each shot zone lately, relative to the league.

For every team-game of the dates (final or still scheduled) it reads the team's last ten
earlier games of the season: attempts and points allowed per zone, defensive rating and
pace; and the league's season-to-date points per attempt per zone up to the day before.
A zone factor above 1 means the team gives up more per shot there than the league does:

    {zone}_factor = ({zone} points allowed / attempts allowed, last 10)
                    / ({zone} points / attempts, whole league, season to date)

Only games dated before the game described enter, so the numbers are those a bettor could
have computed that afternoon. The first game dates of a season are bootstrap: a factor
from two or three games is noise, not a defensive profile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.features import ZONES
from fullcourt.catalog.gates import NullRate, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics import sums
from fullcourt.processors.analytics.conform import conform
from fullcourt.processors.analytics.lookback import latest_before
from fullcourt.processors.analytics.rates import ratio

__all__ = ["COLUMNS", "LAST_GAMES", "SPEC", "build"]

LAST_GAMES = 10
BOOTSTRAP_DAYS = 7

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "season_type", "team", "opponent", "is_home",
    "games_last10", "def_rating_last10", "pace_last10", "league_pace", "league_def_rating",
    *(f"{z}_share_allowed" for z in ZONES),
    *(f"{z}_ppa_allowed" for z in ZONES),
    *(f"{z}_ppa_league" for z in ZONES),
    *(f"{z}_factor" for z in ZONES),
)


def _team_history(d: ir.Table) -> ir.Table:
    """Per team-game: its last-10 defensive numbers through that game."""
    w = ibis.window(
        group_by=["team", "season"], order_by="game_date", rows=(-(LAST_GAMES - 1), 0)
    )
    zone = {}
    for z in ZONES:
        zone[f"_{z}_att"] = d[f"{z}_att_allowed"].sum().over(w)
        zone[f"_{z}_pts"] = d[f"{z}_pts_allowed"].sum().over(w)
    return d.select(
        "team", "season", "game_date",
        games_last10=d.game_id.count().over(w),
        def_rating_last10=sums.mean(d.def_rating).over(w),
        pace_last10=sums.mean(d.pace).over(w),
        **zone,
    )


def _league_history(d: ir.Table) -> ir.Table:
    """Per season and game date: league totals from opening night through that date.

    Pace and possessions are summed on the fixed grid of `sums`, so the daily totals and
    their running sums are integers: exact, whatever the order of the rows.
    """
    aggs: dict[str, ir.Value] = {
        "_pace_sum": sums.fixed(d.pace).sum(),
        "_pace_n": d.pace.count(),
        "_pts": d.points_allowed.sum(),
        "_poss": sums.fixed(d.opp_possessions).sum(),
    }
    for z in ZONES:
        aggs[f"_lg_{z}_att"] = d[f"{z}_att_allowed"].sum()
        aggs[f"_lg_{z}_pts"] = d[f"{z}_pts_allowed"].sum()
    daily = d.group_by(["season", "game_date"]).aggregate(**aggs)
    upto = ibis.window(group_by="season", order_by="game_date", rows=(None, 0))
    cum = {c: daily[c].sum().over(upto) for c in aggs if c.startswith("_lg_")}
    return daily.select(
        "season", "game_date",
        league_pace=ratio(
            daily._pace_sum.sum().over(upto), daily._pace_n.sum().over(upto) * sums.GRID
        ),
        league_def_rating=100.0 * ratio(
            daily._pts.sum().over(upto) * sums.GRID, daily._poss.sum().over(upto)
        ),
        **cum,
    )


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    days = list(dates)
    tg = inputs["upcoming_team_game_context"]
    targets = tg.filter(tg.game_date.isin(days)).select(
        "game_id", "game_date", "season", "season_type", "team", "opponent", "is_home"
    )
    d = inputs["team_defense_game_summary"]
    d = d.semi_join(targets.select("season").distinct(), "season")

    rows = latest_before(targets, _team_history(d), ["team", "season"])
    rows = latest_before(rows, _league_history(d), ["season"])
    total = sum((rows[f"_{z}_att"] for z in ZONES[1:]), rows[f"_{ZONES[0]}_att"])
    out: dict[str, ir.Value] = {}
    for z in ZONES:
        out[f"{z}_share_allowed"] = ratio(rows[f"_{z}_att"], total)
        out[f"{z}_ppa_allowed"] = ratio(rows[f"_{z}_pts"], rows[f"_{z}_att"])
        out[f"{z}_ppa_league"] = ratio(rows[f"_lg_{z}_pts"], rows[f"_lg_{z}_att"])
    rows = rows.mutate(**out, games_last10=rows.games_last10.fill_null(0))
    rows = rows.mutate(
        **{f"{z}_factor": ratio(rows[f"{z}_ppa_allowed"], rows[f"{z}_ppa_league"]) for z in ZONES}
    )
    return conform(rows.select(*COLUMNS))


SPEC = TableSpec(
    name="team_defense_zone_analysis",
    phase=Phase.PRECOMPUTE,
    keys=("game_id", "team"),
    build=build,
    inputs=(
        Input("team_defense_game_summary", "season"),
        Input("upcoming_team_game_context", 0),
    ),
    gates=(
        Unique(),
        # After the bootstrap days nearly every team has a defensive history; a table
        # mostly without one means the history join broke.
        NullRate("def_rating_last10", max_rate=0.5),
        Range("pace_last10", 60.0, 140.0),
        Range("def_rating_last10", 50.0, 170.0),
        Range("games_last10", 0, LAST_GAMES),
        *(Range(f"{z}_factor", 0.0, 5.0) for z in ZONES),
    ),
    expectation=Expectation.GAMES,
    bootstrap_days=BOOTSTRAP_DAYS,
    description="Team zone defense over its last 10 earlier games, against the league's season to date.",
    extra={"expects": "scheduled"},
)
