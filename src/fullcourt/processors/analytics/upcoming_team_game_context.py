"""Each team's schedule situation as of tip-off: rest, back-to-backs, density, opponent's rest.

It reads only the schedule, which is known before any game of the date starts, and only
games that tip off earlier than the game described; so a historical date is built exactly
as it looked that afternoon, and tonight's scheduled games are built before they start.
Postponed games are not games: they neither appear here nor count as rest-breaking.

    days_rest     calendar days since the team's previous game of the season (NULL: first)
    back_to_back  days_rest == 1
    games_last_7  the team's games in the seven days before the game date
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.gates import Check, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics.conform import conform

__all__ = ["COLUMNS", "SPEC", "build", "team_games"]

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "season_type", "tipoff_utc", "game_status",
    "team", "opponent", "is_home",
    "days_rest", "back_to_back", "games_last_7", "games_played_season",
    "opp_days_rest", "opp_back_to_back", "opp_games_last_7",
)


def team_games(schedule: ir.Table) -> ir.Table:
    """Two rows per game that is (or will be) played: one per team, with its opponent."""
    s = schedule.filter(schedule.status != "postponed")
    common = {
        "game_id": s.game_id, "game_date": s.game_date, "season": s.season,
        "season_type": s.season_type, "tipoff_utc": s.tipoff_utc, "game_status": s.status,
    }
    home = s.select(**common, team=s.home_team, opponent=s.away_team, is_home=ibis.literal(True))
    away = s.select(**common, team=s.away_team, opponent=s.home_team, is_home=ibis.literal(False))
    return home.union(away)


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    days = list(dates)
    g = team_games(inputs["nbac_schedule"])
    seasons = g.filter(g.game_date.isin(days)).select("season").distinct()
    g = g.semi_join(seasons, "season")

    order = ibis.window(group_by=["team", "season"], order_by=[g.tipoff_utc, g.game_id])
    week = ibis.window(
        group_by=["team", "season"], order_by=g.game_date,
        range=(-ibis.interval(days=7), -ibis.interval(days=1)),
    )
    earlier = ibis.window(
        group_by=["team", "season"], order_by=[g.tipoff_utc, g.game_id], rows=(None, -1)
    )
    prev = g.game_date.lag().over(order)
    g = g.mutate(
        days_rest=g.game_date.delta(prev, unit="day"),
        games_last_7=g.game_id.count().over(week),
        games_played_season=g.game_id.count().over(earlier),
    )
    g = g.mutate(back_to_back=g.days_rest == 1)
    g = g.filter(g.game_date.isin(days))
    opp = g.select(
        "game_id", _opp="team",
        opp_days_rest="days_rest", opp_back_to_back="back_to_back",
        opp_games_last_7="games_last_7",
    )
    j = g.left_join(opp, [g.game_id == opp.game_id, g.opponent == opp._opp])
    return conform(j.select(*COLUMNS))


SPEC = TableSpec(
    name="upcoming_team_game_context",
    phase=Phase.ANALYTICS,
    keys=("game_id", "team"),
    build=build,
    inputs=(Input("nbac_schedule", "season"),),
    gates=(
        Unique(),
        Range("days_rest", 1, 200),
        Range("games_last_7", 0, 7),
        Check("both teams of every game", lambda t: t.opp_games_last_7.notnull()),
    ),
    expectation=Expectation.GAMES,
    description="Team schedule context as of tip-off: rest, back-to-back, games in the last week.",
    extra={"expects": "scheduled"},
)
