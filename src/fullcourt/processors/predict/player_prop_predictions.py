"""Phase 5: every prediction system's points, bet and confidence for every expected player-game.

Walk-forward and point-in-time: a date is predicted by models trained only on games
before the first day of its month (`models.walkforward`). Model training is numpy and
LightGBM, but the data moves set-based: one query fetches every labelled training row
the batch needs, one query fetches the player-games to predict, whatever the number of
dates. Model files and their metadata go to the home's `models/` folder and are reused
when a date is rebuilt on the same training data.

Every player the feature store expects in a game is predicted, whether or not a book
posted a line for him: a website shows the whole roster, and grading all of them is
what says how good the models are. Without a line the recommendation is NO_LINE (and
there is no confidence or over-probability); with one it is OVER, UNDER or PASS. Each
row also carries the probability of going over the line and whether its system is the
one recommended for the date (the best on the bundle's holdout). A date with no
expected players yields zero rows (the planner records it `no_data`, "built, no rows");
a date before any model can be trained still gets the moving average, and every other
system PASSes with the reason in `reason` — never a zero.
A store whose feature list or version differs from the models' fails the partition
with a `ModelError` naming the difference.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping, Sequence
from datetime import date

import ibis
import ibis.expr.types as ir

from fullcourt.catalog import features as catalog_features
from fullcourt.catalog import gates
from fullcourt.catalog.context import BuildContext
from fullcourt.catalog.spec import Expectation, Input, Phase, Step, TableSpec
from fullcourt.errors import ModelError
from fullcourt.models import betting, walkforward
from fullcourt.models.bundle import SYSTEMS

__all__ = ["SPEC", "build"]

NAME = "player_prop_predictions"
STORE = "ml_feature_store"
SUMMARY = "player_game_summary"
MARKET = ("feature_version", "line", "over_price", "under_price")


def _check_columns(store: ir.Table, dates: Sequence[date]) -> None:
    needed = (*walkforward.IDENTITY, *catalog_features.FEATURES, *MARKET)
    missing = [c for c in needed if c not in store.columns]
    if missing:
        raise ModelError(
            f"{STORE} lacks {len(missing)} columns the models need "
            f"({', '.join(missing[:6])}{', ...' if len(missing) > 6 else ''}); "
            f"models expect feature version {catalog_features.FEATURE_VERSION}",
            NAME,
            dates,
        )


def training_rows(inputs: Mapping[str, ir.Table], before: date) -> ir.Table:
    """Every labelled player-game strictly before `before`, in a stable order."""
    store, summary = inputs[STORE], inputs[SUMMARY]
    labels = summary.filter(summary.played & summary.points.notnull() & (summary.game_date < before))
    labels = labels.select("game_id", "player_id", points=labels.points.cast("float64"))
    s = store.filter(store.game_date < before)
    j = s.join(labels, ["game_id", "player_id"])
    cols = ("game_id", "player_id", "game_date", *catalog_features.FEATURES, *MARKET, "points")
    return j.select(*cols).order_by(["game_date", "game_id", "player_id"])


def target_rows(inputs: Mapping[str, ir.Table], dates: Sequence[date]) -> ir.Table:
    """Every expected player-game of `dates`, with its closing line where there is one
    (a NaN line is no line)."""
    store = inputs[STORE]
    s = store.filter(store.game_date.isin(list(dates)))
    line = ibis.ifelse(s.line.isnan(), ibis.null("float64"), s.line.cast("float64"))
    return s.select(*walkforward.IDENTITY, *catalog_features.FEATURES, *MARKET).mutate(line=line)


def build(inputs: Mapping[str, ir.Table], dates: Sequence[date], ctx: BuildContext) -> ir.Table:
    dates = sorted(set(dates))
    _check_columns(inputs[STORE], dates)
    target = ctx.execute(target_rows(inputs, dates))
    if target.num_rows == 0:
        return ibis.memtable(walkforward.OUTPUT_SCHEMA.empty_table())
    last_cutoff = walkforward.cutoff_of(max(dates))
    train = ctx.execute(training_rows(inputs, last_cutoff))
    try:
        out = walkforward.predict(train, target, ctx.models_dir)
    except ModelError as exc:
        raise ModelError(str(exc), NAME, dates) from exc
    return ibis.memtable(out)


SPEC = TableSpec(
    NAME,
    Phase.PREDICT,
    keys=("game_id", "player_id", "system"),
    build=build,
    inputs=(Input(STORE, "all"), Input(SUMMARY, "all")),
    step=Step.MODEL,
    expectation=Expectation.ANY,
    extra={"expects": "scheduled"},
    # The model code (fullcourt.models, reached through walkforward) is in the code
    # version already; the library that trains the boosted models is not.
    version=f"lightgbm {importlib.metadata.version('lightgbm')}",
    gates=(
        gates.Unique(),
        gates.Check(
            "recommendation is OVER, UNDER, PASS or NO_LINE",
            lambda t: t.recommendation.isin(list(betting.RECOMMENDATIONS)),
        ),
        gates.Check(
            "NO_LINE exactly where there is no line",
            lambda t: (t.recommendation == "NO_LINE") == t.line.isnull(),
        ),
        gates.Check(
            "a missing prediction carries its reason and no bet",
            lambda t: t.predicted_points.notnull()
            | (t.reason.notnull() & t.recommendation.isin(["PASS", "NO_LINE"])),
        ),
        gates.Range("over_probability", 0.0, 1.0),
        gates.NullRate(
            "predicted_points", 0.0, where=lambda t: t.system == "moving_average", label="baseline"
        ),
        gates.Range("predicted_points", 0, 120),
    ),
    description=(
        f"Predicted points per expected player-game by each system "
        f"({', '.join(SYSTEMS)}), with OVER/UNDER/PASS (NO_LINE without a line), confidence, "
        f"over-probability, price taken, model version and the recommended system; "
        f"walk-forward by month."
    ),
)
