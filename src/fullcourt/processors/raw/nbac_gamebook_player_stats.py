"""NBA.com gamebook: every player on both rosters of every game, and why some did not play.

The gamebook is the primary box score: it lists inactive players and coach's decisions
too, which is how analytics can tell "did not play" from "minutes missing". One body is
one game's box score, in any of NBA.com's dialects (`boxscore`: the CDN's liveData, which
lists inactive players, or stats `boxscoretraditionalv3`/`v2`, which list only who
dressed). Minutes are kept as decimal minutes; field goals arrive as totals and threes,
and are split into twos and threes here.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from fullcourt.catalog.gates import Check, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, Step, TableSpec
from fullcourt.processors.raw import boxscore
from fullcourt.processors.raw.payload import dedupe, invalid, load_json, to_table

__all__ = ["SPEC", "build"]

TABLE = "nbac_gamebook_player_stats"


def build(body: bytes, game_date: date) -> pa.Table:
    box = boxscore.read(load_json(body, TABLE, game_date), TABLE, game_date)
    if box.game_date is not None and box.game_date != game_date:
        raise invalid(TABLE, game_date, f"game {box.game_id} was played on {box.game_date}")
    rows = [{**p, "game_date": game_date} for p in box.players]
    return to_table(TABLE, dedupe(rows, ("game_id", "player_id")))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(Input("scrape.nbac_gamebook"),),
    step=Step.PARSE,
    gates=(
        Unique(),
        Range("minutes", 0.0, 70.0),
        Check("minutes NULL unless active", lambda t: (t.status == "active") | t.minutes.isnull()),
        Check("points == 2*fg2m + 3*fg3m + ftm",
              lambda t: t.points == 2 * t.fg2m + 3 * t.fg3m + t.ftm),
        Check("makes <= attempts",
              lambda t: (t.fg2m <= t.fg2a) & (t.fg3m <= t.fg3a) & (t.ftm <= t.fta)),
    ),
    expectation=Expectation.GAMES,
    description="NBA.com gamebook: one row per rostered player per game, with DNP/inactive status.",
)
