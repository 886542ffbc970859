"""Walk-forward prediction: every date predicted by models that never saw it or anything later.

Models are retrained monthly, not per date: a date's cutoff is the first day of its
month and its bundle is trained on all labelled player-games strictly before that
cutoff. The cutoff, not the date, decides what the model may know, so corrupting any
game on or after a date cannot change that date's predictions.

The inputs are two Arrow tables fetched by one query each (labelled training rows and
the player-games to predict); the output is one Arrow table with a row per player-game
and system. The bundles of all cutoffs are obtained at once (trained side by side when
not saved yet) and each cutoff's player-games are predicted in a thread: the work is
per cutoff (a handful per season), never per date or per row.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from fullcourt.catalog import features as catalog_features
from fullcourt.models import betting, registry
from fullcourt.models.bundle import SYSTEMS, Bundle
from fullcourt.models.examples import Examples, from_arrow

__all__ = ["IDENTITY", "LABEL", "OUTPUT_SCHEMA", "cutoff_of", "predict"]

# Columns copied from the feature store onto every prediction row.
IDENTITY: tuple[str, ...] = ("game_id", "player_id", "game_date", "season", "season_type", "team", "opponent")
LABEL = "points"

OUTPUT_SCHEMA = pa.schema(
    [
        ("game_id", pa.string()),
        ("player_id", pa.string()),
        ("game_date", pa.date32()),
        ("season", pa.string()),
        ("season_type", pa.string()),
        ("team", pa.string()),
        ("opponent", pa.string()),
        ("system", pa.string()),
        ("predicted_points", pa.float64()),
        ("line", pa.float64()),
        ("recommendation", pa.string()),
        ("confidence", pa.float64()),
        ("price", pa.float64()),
        ("model_version", pa.string()),
        ("train_start", pa.date32()),
        ("train_end", pa.date32()),
        ("reason", pa.string()),
        ("over_probability", pa.float64()),
        ("recommended", pa.bool_()),
    ]
)


def cutoff_of(d: date) -> date:
    """The training cutoff of a date: the first day of its month."""
    return d.replace(day=1)


def _months(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[M]").astype("datetime64[D]")


def _rows(target: pa.Table, ex: Examples, b: Bundle) -> pa.Table:
    """One block of output rows per system for the player-games of one cutoff."""
    preds = b.predict(ex)
    n = len(ex)
    chosen = b.recommended()
    blocks = []
    for name in SYSTEMS:
        pred = np.round(preds[name], 3)
        cal = b.calibration.get(name)
        if cal is None:  # unavailable: no number, a reason
            rec = np.where(np.isnan(ex.line), betting.NO_LINE, betting.PASS).astype(object)
            conf = np.full(n, np.nan)
            over = np.full(n, np.nan)
        else:
            rec = betting.recommend(pred, ex.line, cal.threshold)
            over = np.round(cal.over(pred, ex.line), 4)
            conf = np.where(pred >= ex.line, over, np.round(1.0 - over, 4))
        over_price = np.where(np.isnan(ex.over_price), betting.DEFAULT_PRICE, ex.over_price)
        under_price = np.where(np.isnan(ex.under_price), betting.DEFAULT_PRICE, ex.under_price)
        price = np.where(rec == betting.OVER, over_price, np.where(rec == betting.UNDER, under_price, np.nan))
        version = b.versions.get(name)
        cols = {c: target.column(c) for c in IDENTITY}
        cols.update(
            system=pa.array([name] * n, pa.string()),
            predicted_points=pa.array(pred, pa.float64(), from_pandas=True),
            line=pa.array(ex.line, pa.float64(), from_pandas=True),
            recommendation=pa.array(rec.tolist(), pa.string()),
            confidence=pa.array(conf, pa.float64(), from_pandas=True),
            price=pa.array(price, pa.float64(), from_pandas=True),
            model_version=pa.array([version] * n, pa.string()),
            train_start=pa.array([b.train_start if version else None] * n, pa.date32()),
            train_end=pa.array([b.train_end if version else None] * n, pa.date32()),
            reason=pa.array([None if version else b.reason] * n, pa.string()),
            over_probability=pa.array(over, pa.float64(), from_pandas=True),
            recommended=pa.array([name == chosen] * n, pa.bool_()),
        )
        blocks.append(pa.table(cols).cast(OUTPUT_SCHEMA))
    return pa.concat_tables(blocks)


def predict(
    train: pa.Table,
    target: pa.Table,
    models_dir: Path,
    features: tuple[str, ...] = catalog_features.FEATURES,
    feature_version: str = catalog_features.FEATURE_VERSION,
) -> pa.Table:
    """Predictions for every row of `target` by every system, walk-forward by month.

    `train` holds labelled player-games (column `points`) in a stable order, oldest
    first; only rows before each cutoff are used for it. `target` holds the player-games
    to predict, with their closing lines.
    """
    if target.num_rows == 0:
        return OUTPUT_SCHEMA.empty_table()
    train_ex = from_arrow(train, features, label=LABEL)
    target = target.sort_by([("game_date", "ascending"), ("game_id", "ascending"), ("player_id", "ascending")])
    target_ex = from_arrow(target, features)
    months = _months(target_ex.game_date)
    cutoffs = [m.astype(object) for m in np.unique(months)]
    bundles = registry.obtain_many(models_dir, train_ex, cutoffs, feature_version)

    def block(cutoff: date) -> pa.Table:
        mask = months == np.datetime64(cutoff, "D")
        return _rows(target.filter(pa.array(mask)), target_ex.subset(mask), bundles[cutoff])

    out = pa.concat_tables(registry.in_threads(block, cutoffs))
    return out.sort_by([(c, "ascending") for c in ("game_date", "game_id", "player_id", "system")])


