"""Phase 6: one JSON document per player-game, filed under the player.

`exports/players/<player_id>/<game_date>.json` — the player's name, team, opponent and
tip-off, his line and its book, every system's prediction (the recommended one
flagged) and, once graded, the actual points and bet results
(`schemas/players.schema.json`). Partitioned by the
game's date, so a player's folder grows a file per game and each file depends only on
its own date's partitions: rebuilding one date rewrites exactly its own files, never
another date's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import ibis
import ibis.expr.types as ir

from fullcourt.catalog import gates
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.export import documents

__all__ = ["SPEC", "build"]


def build(inputs: Mapping[str, ir.Table], dates: Sequence[date]) -> ir.Table:
    keys = ["game_date", "game_id", "player_id", "season", "season_type", "team", "opponent", "line"]
    games = documents.player_games(inputs, dates, keys)
    payload = ibis.struct(
        {
            "player_id": games.player_id,
            "player_name": games.player_name,
            "tipoff_utc": games.tipoff_utc,
            "game_id": games.game_id,
            "game_date": games.game_date.cast("string"),
            "season": games.season,
            "season_type": games.season_type,
            "team": games.team,
            "opponent": games.opponent,
            "line": games.line,
            "bookmaker": games.bookmaker,
            "recommended_system": games.recommended_system,
            "actual_points": games.actual_points,
            "systems": games.systems,
        }
    )
    return games.select(
        "game_date",
        path="players/" + games.player_id + "/" + games.game_date.cast("string") + ".json",
        payload=documents.json_text(payload),
    )


SPEC = TableSpec(
    "export_players",
    Phase.EXPORT,
    keys=("path",),
    build=build,
    inputs=(
        Input("player_prop_predictions", 0),
        Input("prediction_accuracy", 0),
        Input(documents.CONTEXT, 0),
    ),
    expectation=Expectation.ANY,
    extra={"expects": "scheduled"},
    gates=(gates.Unique(),),
    description="exports/players/<player_id>/<game_date>.json: one player-game's predictions and results.",
)
