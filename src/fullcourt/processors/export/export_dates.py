"""Phase 6: one JSON document per game date — every prediction, and results once graded.

`exports/dates/<game_date>.json` holds every expected player-game (player name, team,
opponent, tip-off, line and its book when there is one, the recommended system, actual
points when known) and every system's prediction, bet, confidence, over-probability,
price and result, plus the date's scorecard per system; `schemas/dates.schema.json`
describes it. Predictions are due before tip-off,
so the document exists for scheduled dates and is re-exported when grading arrives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import ibis
import ibis.expr.types as ir

from fullcourt.catalog import gates
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.export import documents
from fullcourt.processors.predict import prediction_accuracy

__all__ = ["SPEC", "build"]


def build(inputs: Mapping[str, ir.Table], dates: Sequence[date]) -> ir.Table:
    games = documents.player_games(
        inputs, dates, ["game_date", "game_id", "player_id", "team", "opponent", "line"]
    )
    a = inputs["prediction_accuracy"]
    a = a.filter(a.game_date.isin(list(dates)))
    player = ibis.struct(
        {
            "game_id": games.game_id,
            "player_id": games.player_id,
            "player_name": games.player_name,
            "tipoff_utc": games.tipoff_utc,
            "team": games.team,
            "opponent": games.opponent,
            "line": games.line,
            "bookmaker": games.bookmaker,
            "recommended_system": games.recommended_system,
            "actual_points": games.actual_points,
            "systems": games.systems,
        }
    )
    docs = games.group_by("game_date").aggregate(
        predictions=player.collect(order_by=[games.game_id, games.player_id])
    )
    card = prediction_accuracy.scorecard(a, ["game_date", "system"])
    results = card.group_by("game_date").aggregate(
        results=ibis.struct(
            {c: card[c] for c in ("system", "graded", "mae", "bets", "wins", "losses", "pushes", "hit_rate", "roi")}
        ).collect(order_by=card.system)
    )
    j = docs.left_join(results, "game_date").select(docs.game_date, docs.predictions, results.results)
    payload = ibis.struct(
        {
            "game_date": j.game_date.cast("string"),
            "predictions": j.predictions,
            "results": j.results,
        }
    )
    return j.select(
        "game_date",
        path="dates/" + j.game_date.cast("string") + ".json",
        payload=documents.json_text(payload),
    )


SPEC = TableSpec(
    "export_dates",
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
    description="exports/dates/<game_date>.json: a date's predictions by every system and, once graded, results.",
)
