"""What a team allowed in one game: the opponent's possessions, points and shot zones.

The same pairing as the offense summary, read from the other side: `points_allowed`
and every `*_allowed` tally are the opponent's numbers, `def_rating` is 100 times the
opponent's points per opponent possession. The zone tallies feed the rolling
zone-defense factors of phase 4.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.gates import CoversSchedule, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics.conform import conform
from fullcourt.processors.analytics.possessions import TALLIES, both_sides

__all__ = ["COLUMNS", "SPEC", "build"]

_ALLOWED = ("points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "tov")

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "season_type", "team", "opponent", "is_home",
    "minutes", *(f"{c}_allowed" for c in _ALLOWED), "dreb",
    "possessions", "opp_possessions", "pace", "def_rating",
    *(f"{c}_allowed" for c in TALLIES),
)


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    j = both_sides(inputs, dates)
    def_rating = ibis.ifelse(
        j.opp_possessions > 0, 100.0 * j.opp_points / j.opp_possessions, ibis.null("float64")
    )
    return conform(j.select(
        "game_id", "game_date", "season", "season_type", "team", "opponent", "is_home",
        "minutes",
        **{f"{c}_allowed": f"opp_{c}" for c in _ALLOWED},
        dreb=j.dreb,
        possessions=j.possessions,
        opp_possessions=j.opp_possessions,
        pace=j.pace,
        def_rating=def_rating,
        **{f"{c}_allowed": f"opp_{c}" for c in TALLIES},
    ).select(*COLUMNS))


SPEC = TableSpec(
    name="team_defense_game_summary",
    phase=Phase.ANALYTICS,
    keys=("game_id", "team"),
    build=build,
    inputs=(
        Input("nbac_team_boxscore", 0),
        Input("bdb_play_by_play", 0),
        Input("nbac_schedule", 0),
    ),
    gates=(
        Unique(),
        CoversSchedule(),
        Range("pace", 60.0, 140.0),
        Range("def_rating", 40.0, 200.0),
    ),
    expectation=Expectation.GAMES,
    description="Team defense per game: what the opponent scored, by zone, per possession.",
)
