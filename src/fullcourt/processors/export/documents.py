"""The pieces every exported JSON document shares, built in SQL.

Exports are tables like any other — `(game_date, path, payload)` rows, where `payload`
is a JSON document assembled by the warehouse from structs and ordered lists — and
the engine writes each row to `exports/<path>` atomically after storing the table.
Building the JSON in SQL keeps exports set-based and lets a changed upstream partition
re-export exactly the documents that depend on it.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["graded_predictions", "json_text", "record", "scorecard"]


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
            "price": t.price,
            "model_version": t.model_version,
            "reason": t.reason,
            "result": t.result,
            "profit": t.profit,
        }
    )


def scorecard(acc: ir.Table, by: list[str]) -> ir.Table:
    """Graded counts, MAE, hit rate and ROI per `by` (which should include `system`)."""
    bet = (acc.result != "NO_BET").cast("int64")
    g = acc.group_by(by).aggregate(
        graded=acc.count(),
        mae=acc.abs_error.mean(),
        bets=bet.sum(),
        wins=(acc.result == "WIN").cast("int64").sum(),
        losses=(acc.result == "LOSS").cast("int64").sum(),
        pushes=(acc.result == "PUSH").cast("int64").sum(),
        profit=acc.profit.sum().fill_null(0.0),
    )
    decided = g.wins + g.losses
    return g.mutate(
        mae=g.mae.round(4),
        profit=g.profit.round(4),
        hit_rate=ibis.ifelse(decided > 0, (g.wins / decided).round(4), ibis.null("float64")),
        roi=ibis.ifelse(g.bets > 0, (g.profit / g.bets).round(4), ibis.null("float64")),
    )
