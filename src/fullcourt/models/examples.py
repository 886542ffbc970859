"""Player-games as arrays: the one shape every prediction system reads.

The feature store arrives as an Arrow table; systems want a dense float matrix whose
columns are exactly `FEATURES` in order, NULL as NaN. Converting once here, and checking
the store's feature version and columns at the same time, means no system can silently
misalign a column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from fullcourt.catalog import features as catalog_features
from fullcourt.errors import ModelError

__all__ = ["Examples", "check_store", "from_arrow"]


@dataclass(frozen=True)
class Examples:
    """Aligned arrays for n player-games; `y` is None when labels are unknown."""

    features: tuple[str, ...]
    X: np.ndarray  # (n, len(features)) float64, NaN for NULL
    line: np.ndarray  # closing line, NaN when none
    over_price: np.ndarray  # float64 American odds, NaN when none
    under_price: np.ndarray
    game_date: np.ndarray  # datetime64[D]
    y: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def col(self, name: str) -> np.ndarray:
        return self.X[:, self.features.index(name)]

    def subset(self, mask: np.ndarray) -> Examples:
        return Examples(
            features=self.features,
            X=self.X[mask],
            line=self.line[mask],
            over_price=self.over_price[mask],
            under_price=self.under_price[mask],
            game_date=self.game_date[mask],
            y=None if self.y is None else self.y[mask],
        )


def _floats(table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name).cast(pa.float64())
    return col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def check_store(
    table: pa.Table,
    features: Sequence[str] = catalog_features.FEATURES,
    version: str = catalog_features.FEATURE_VERSION,
) -> None:
    """Refuse a feature store whose version or columns differ from what the models expect."""
    missing = [f for f in features if f not in table.column_names]
    if missing:
        raise ModelError(
            f"ml_feature_store lacks {len(missing)} model features "
            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}); "
            f"models expect feature version {version}",
            table="ml_feature_store",
        )
    if "feature_version" in table.column_names and table.num_rows:
        found = sorted({v for v in table.column("feature_version").to_pylist() if v is not None})
        if found != [version]:
            raise ModelError(
                f"ml_feature_store rows carry feature version {', '.join(found) or 'NULL'}; "
                f"models expect {version}",
                table="ml_feature_store",
            )


def from_arrow(
    table: pa.Table,
    features: Sequence[str] = catalog_features.FEATURES,
    label: str | None = None,
) -> Examples:
    """Dense arrays from a feature-store shaped table (optionally with a label column)."""
    check_store(table, features)
    n = table.num_rows
    X = np.empty((n, len(features)), dtype=np.float64)
    for j, name in enumerate(features):
        X[:, j] = _floats(table, name)

    def optional(name: str) -> np.ndarray:
        if name in table.column_names:
            return _floats(table, name)
        return np.full(n, np.nan)

    dates = table.column("game_date").cast(pa.date32()).to_numpy(zero_copy_only=False)
    return Examples(
        features=tuple(features),
        X=X,
        line=optional("line"),
        over_price=optional("over_price"),
        under_price=optional("under_price"),
        game_date=np.asarray(dates, dtype="datetime64[D]"),
        y=None if label is None else _floats(table, label),
    )
