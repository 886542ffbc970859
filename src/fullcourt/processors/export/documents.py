"""The pieces every exported JSON document shares, built in SQL.

Exports are tables like any other — `(game_date, path, payload)` rows, where `payload`
is a JSON document assembled by the warehouse from structs and ordered lists — and
the engine writes each row to `exports/<path>` atomically after storing the table.
Building the JSON in SQL keeps exports set-based and lets a changed upstream partition
re-export exactly the documents that depend on it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from importlib import resources

import ibis
import ibis.expr.types as ir

__all__ = ["CONTEXT", "KINDS", "graded_predictions", "json_text", "player_games", "record", "schema"]

# Each export kind (the first folder of its path) has a JSON Schema in `schemas/`, for
# the website to code against and for the tests to hold every written file to.
KINDS: tuple[str, ...] = ("dates", "players", "seasons")

# Where a player-game's name, tip-off and book come from: what the website shows
# beside the numbers, as known before tip-off.
CONTEXT = "upcoming_player_game_context"


def schema(kind: str) -> dict:
    """The JSON Schema of one export kind (`dates`, `players`, `seasons`)."""
    if kind not in KINDS:
        raise KeyError(f"no export kind {kind!r} (kinds: {', '.join(KINDS)})")
    text = resources.files("fullcourt.processors.export").joinpath("schemas", f"{kind}.schema.json").read_text()
    return json.loads(text)


def json_text(value: ir.Value) -> ir.StringValue:
    """A struct or list rendered as compact JSON text."""
    return value.cast("json").cast("string")


def graded_predictions(predictions: ir.Table, accuracy: ir.Table) -> ir.Table:
    """Predictions with their grading attached where the game has been graded (else NULL)."""
    a = accuracy.select(
        "game_id",
        "player_id",
        "system",
        actual_points=accuracy.actual_points,
        result=accuracy.result,
        profit=accuracy.profit.round(4),
        abs_error=accuracy.abs_error.round(3),
    )
    return predictions.left_join(a, ["game_id", "player_id", "system"]).select(
        predictions,
        actual_points=a.actual_points,
        result=a.result,
        profit=a.profit,
        abs_error=a.abs_error,
    )


def record(t: ir.Table) -> ir.StructValue:
    """One system's prediction for one player-game, as exported."""
    return ibis.struct(
        {
            "system": t.system,
            "predicted_points": t.predicted_points,
            "recommendation": t.recommendation,
            "confidence": t.confidence,
            "over_probability": t.over_probability,
            "recommended": t.recommended,
            "price": t.price,
            "model_version": t.model_version,
            "reason": t.reason,
            "result": t.result,
            "profit": t.profit,
        }
    )


def player_games(inputs: Mapping[str, ir.Table], dates: Sequence[date], keys: Sequence[str]) -> ir.Table:
    """One row per player-game of `dates` (grouped by `keys`): the player's name, the
    tip-off and the line's book, its actual points once graded, the recommended system
    and every system's exported record, ordered by system."""
    p = inputs["player_prop_predictions"]
    a = inputs["prediction_accuracy"]
    c = inputs[CONTEXT]
    ds = list(dates)
    g = graded_predictions(p.filter(p.game_date.isin(ds)), a.filter(a.game_date.isin(ds)))
    c = c.filter(c.game_date.isin(ds)).select(
        "game_id", "player_id", "player_name",
        tipoff_utc=c.tipoff_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), bookmaker=c.line_bookmaker,
    )
    g = g.left_join(c, ["game_id", "player_id"]).select(g, "player_name", "tipoff_utc", "bookmaker")
    chosen = ibis.ifelse(g.recommended.fill_null(False), g.system, ibis.null("string"))
    return g.group_by([*keys, "player_name", "tipoff_utc", "bookmaker"]).aggregate(
        actual_points=g.actual_points.max(),
        recommended_system=chosen.max(),
        systems=record(g).collect(order_by=g.system),
    )
