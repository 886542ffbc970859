"""What a team did with the ball in one game: possessions, pace, rating and shot zones.

Possessions and pace come from the paired box scores in `possessions`; the zone tallies
(attempts, makes and points per zone, free throws as their own zone) from the
play-by-play. A game without play-by-play keeps its box-score columns and NULL tallies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.gates import Check, CoversSchedule, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics.conform import conform
from fullcourt.processors.analytics.possessions import BOX, TALLIES, both_sides

__all__ = ["COLUMNS", "SPEC", "build"]

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "season_type", "team", "opponent", "is_home",
    *BOX, "possessions", "opp_possessions", "pace", "off_rating", *TALLIES,
)


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    j = both_sides(inputs, dates)
    off_rating = ibis.ifelse(
        j.possessions > 0, 100.0 * j.points / j.possessions, ibis.null("float64")
    )
    return conform(j.mutate(off_rating=off_rating).select(*COLUMNS))


SPEC = TableSpec(
    name="team_offense_game_summary",
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
        Range("off_rating", 40.0, 200.0),
        Check("possessions > 0", lambda t: t.possessions > 0),
        Check("zone points match the box score",
              lambda t: (t.restricted_area_pts + t.paint_pts + t.mid_range_pts
                         + t.corner_three_pts + t.above_break_three_pts + t.free_throw_pts)
              == t.points),
    ),
    expectation=Expectation.GAMES,
    description="Team offense per game: possessions, pace, offensive rating, points by zone.",
)
