"""Phase 5B: each prediction against what the player actually scored, and what the bet earned.

One row per graded (player-game, system): actual points, absolute error, the bet's
result and its profit in units of a 1-unit stake at the price taken. A push (actual
equal to the line) returns the stake: result PUSH, profit 0. A PASS or NO_LINE is NO_BET
with no profit, and a player-game without a line has no line error: it is graded on
its points alone. A player who did not play has nothing to grade (books void such bets) and is
left out; so is a prediction without a number (the reason stays in the prediction
table). Pure Ibis, one expression for the whole batch of dates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import ibis
import ibis.expr.types as ir

from fullcourt.catalog import gates
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics import sums

__all__ = ["CARD", "SPEC", "build", "payout", "scorecard"]

# What a scorecard row carries besides its grouping keys.
CARD = ("graded", "mae", "bets", "wins", "losses", "pushes", "profit", "hit_rate", "roi")

NAME = "prediction_accuracy"
DEFAULT_PRICE = -110.0


def payout(price: ir.NumericValue) -> ir.FloatingValue:
    """Profit of a winning 1-unit stake at American odds (-110 -> 0.909, +150 -> 1.5)."""
    p = price.cast("float64").fill_null(DEFAULT_PRICE)
    return ibis.ifelse(p < 0, 100.0 / p.abs(), p / 100.0)


def build(inputs: Mapping[str, ir.Table], dates: Sequence[date]) -> ir.Table:
    ds = list(dates)
    p = inputs["player_prop_predictions"]
    p = p.filter(p.game_date.isin(ds) & p.predicted_points.notnull())
    s = inputs["player_game_summary"]
    s = s.filter(s.game_date.isin(ds) & s.played & s.points.notnull())
    s = s.select("game_id", "player_id", actual_points=s.points.cast("float64"))
    j = p.join(s, ["game_id", "player_id"])
    actual, line, rec = j.actual_points, j.line, j.recommendation
    bet = rec.isin(["OVER", "UNDER"])
    won = ((rec == "OVER") & (actual > line)) | ((rec == "UNDER") & (actual < line))
    result = (
        ibis.cases(
            (~bet, "NO_BET"),
            (actual == line, "PUSH"),
            (won, "WIN"),
            else_="LOSS",
        )
    )
    j = j.mutate(result=result)
    profit = ibis.cases(
        (j.result == "WIN", payout(j.price)),
        (j.result == "LOSS", ibis.literal(-1.0)),
        (j.result == "PUSH", ibis.literal(0.0)),
        else_=ibis.null("float64"),
    )
    return j.select(
        "game_id",
        "player_id",
        "game_date",
        "season",
        "season_type",
        "team",
        "opponent",
        "system",
        "predicted_points",
        "line",
        "recommendation",
        "confidence",
        "price",
        "model_version",
        "over_probability",
        "recommended",
        "actual_points",
        abs_error=(j.predicted_points - j.actual_points).abs(),
        line_error=(j.line - j.actual_points).abs(),
        result="result",
        profit=profit,
    )


SPEC = TableSpec(
    NAME,
    Phase.GRADE,
    keys=("game_id", "player_id", "system"),
    build=build,
    inputs=(Input("player_prop_predictions", 0), Input("player_game_summary", 0)),
    expectation=Expectation.ANY,
    gates=(
        gates.Unique(),
        gates.Check("result is WIN, LOSS, PUSH or NO_BET", lambda t: t.result.isin(["WIN", "LOSS", "PUSH", "NO_BET"])),
        gates.Check("a bet has a profit, a pass none", lambda t: (t.result == "NO_BET") == t.profit.isnull()),
        gates.NullRate("abs_error", 0.0),
    ),
    description="Predictions graded against actual points: absolute error, WIN/LOSS/PUSH/NO_BET and profit at the price taken.",
)


def scorecard(acc: ir.Table, by: list[str]) -> ir.Table:
    """Graded counts, MAE, hit rate and ROI per `by` (which should include `system`): the one
    summary the grade report and the exported scorecards both read. MAE and profit are
    exact sums (`sums`), so a scorecard does not depend on the order rows are added in."""
    bet = (acc.result != "NO_BET").cast("int64")
    g = acc.group_by(by).aggregate(
        graded=acc.count(),
        mae=sums.mean(acc.abs_error),
        bets=bet.sum(),
        wins=(acc.result == "WIN").cast("int64").sum(),
        losses=(acc.result == "LOSS").cast("int64").sum(),
        pushes=(acc.result == "PUSH").cast("int64").sum(),
        profit=sums.total(acc.profit).fill_null(0.0),
    )
    decided = g.wins + g.losses
    return g.mutate(
        mae=g.mae.round(4),
        profit=g.profit.round(4),
        hit_rate=ibis.ifelse(decided > 0, (g.wins / decided).round(4), ibis.null("float64")),
        roi=ibis.ifelse(g.bets > 0, (g.profit / g.bets).round(4), ibis.null("float64")),
    )
