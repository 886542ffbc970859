"""A frozen-model evaluation: one bundle trained through a date predicts a whole later season.

Walk-forward grading (the pipeline's own predictions) retrains every month, so each
month is predicted with everything known before it. A frozen model answers the other
question a reader asks: how good is *one* model, fixed on a given day, over a season it
never saw — the way a model shipped once would do. Putting both side by side shows how
much the monthly retrain is worth.

The bundle is trained exactly as the pipeline trains one (same systems, holdout and
calibration), in a temporary folder: a report writes nothing to the home.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from fullcourt.catalog import features as catalog_features
from fullcourt.models import betting, registry
from fullcourt.models.bundle import SYSTEMS
from fullcourt.models.examples import from_arrow
from fullcourt.processors.predict import player_prop_predictions as ppp

__all__ = ["frozen"]


def _season_rows(inputs: Mapping[str, Any], season: str, min_prior_games: int):
    """The season's played player-games with their points and closing line."""
    store, summary = inputs[ppp.STORE], inputs[ppp.SUMMARY]
    labels = summary.filter(summary.played & summary.points.notnull() & (summary.season == season))
    labels = labels.select("game_id", "player_id", points=labels.points.cast("float64"))
    s = store.filter(
        (store.season == season) & (store.games_played_season.fill_null(0) >= min_prior_games)
    )
    j = s.join(labels, ["game_id", "player_id"])
    return j.select("game_id", "player_id", "game_date", *catalog_features.FEATURES, *ppp.MARKET, "points")


def frozen(
    execute,
    inputs: Mapping[str, Any],
    season: str,
    train_through: date,
    min_prior_games: int,
) -> dict[str, Any]:
    """MAE per system (all and lined player-games) and bets of one bundle trained on
    every labelled player-game through `train_through`, predicting `season`."""
    cutoff = train_through + timedelta(days=1)
    train = execute(ppp.training_rows(inputs, cutoff))
    target = execute(_season_rows(inputs, season, min_prior_games))
    ex = from_arrow(train, label="points")
    tx = from_arrow(target, label="points")
    with tempfile.TemporaryDirectory(prefix="fullcourt-frozen-") as tmp:
        bundle = registry.obtain(Path(tmp), ex, cutoff, catalog_features.FEATURE_VERSION)
    preds = bundle.predict(tx)
    assert tx.y is not None
    lined = ~np.isnan(tx.line)
    systems = []
    for name in SYSTEMS:
        p = preds[name]
        ok = ~np.isnan(p)
        cal = bundle.calibration.get(name)
        row: dict[str, Any] = {
            "system": name,
            "mae": round(float(np.mean(np.abs(p[ok] - tx.y[ok]))), 4) if ok.any() else None,
            "lined_mae": round(float(np.mean(np.abs(p[ok & lined] - tx.y[ok & lined]))), 4)
            if (ok & lined).any() else None,
        }
        if cal is not None:
            rec = betting.recommend(p, tx.line, cal.threshold)
            profit = betting.profit(rec, tx.y, tx.line, tx.over_price, tx.under_price)
            bet = ~np.isnan(profit)
            wins = int(np.sum(bet & (profit > 0)))
            losses = int(np.sum(bet & (profit < 0)))
            row.update(
                bets=int(bet.sum()),
                hit_rate=round(wins / (wins + losses), 4) if wins + losses else None,
                roi=round(float(np.nansum(profit) / bet.sum()), 4) if bet.any() else None,
            )
        systems.append(row)
    systems.sort(key=lambda r: (r["mae"] is None, r["mae"] or 0.0, r["system"]))
    avg = tx.col("pts_avg_season")
    has = ~np.isnan(avg)
    line_err = np.abs(tx.line[lined] - tx.y[lined])
    return {
        "train_through": train_through.isoformat(),
        "train_rows": len(ex),
        "season": season,
        "player_games": len(tx),
        "lined_player_games": int(lined.sum()),
        "systems": systems,
        "baseline_mae": round(float(np.mean(np.abs(avg[has] - tx.y[has]))), 4) if has.any() else None,
        "line_mae": round(float(np.mean(line_err)), 4) if len(line_err) else None,
    }
