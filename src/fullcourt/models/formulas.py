"""The two systems a basketball analyst would write on a napkin.

`moving_average` is the baseline: a weighted blend of the player's scoring averages.
It needs no training, which makes it the fallback for dates before any model can be
trained; trained, it only learns the prior used for players without any history.

`zone_matchup` starts from the same form, rescaled by expected minutes, and adjusts it
by how the opponent defends the player's shot zones, the game's pace and fatigue. Each
adjustment enters as an interaction `form * (factor - 1)` whose weight is fitted by
least squares, so the factors need not be perfectly calibrated multipliers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from fullcourt.models.examples import Examples
from fullcourt.models.system import System, dump_json, form, nz

__all__ = ["MovingAverage", "ZoneMatchup"]

# Points predicted for a player without any scoring history, before training says better.
UNTRAINED_PRIOR = 6.0


class MovingAverage(System):
    name = "moving_average"

    def __init__(self, features: Sequence[str], prior: float = UNTRAINED_PRIOR):
        super().__init__(features)
        self.prior = float(prior)

    def fit(self, ex: Examples) -> None:
        assert ex.y is not None
        self.check(ex)
        f = form(ex)
        new = np.isnan(f)
        if new.sum() >= 20:
            self.prior = round(float(np.mean(ex.y[new])), 4)

    def predict(self, ex: Examples) -> np.ndarray:
        self.check(ex)
        return nz(form(ex), self.prior)

    def dumps(self) -> bytes:
        return dump_json({"prior": self.prior})

    @classmethod
    def loads(cls, data: bytes, features: Sequence[str]) -> MovingAverage:
        return cls(features, prior=json.loads(data)["prior"])


FACTORS = ("opp_zone_matchup_factor", "pace_factor", "fatigue_factor")


class ZoneMatchup(System):
    name = "zone_matchup"
    ridge = 1.0

    def __init__(self, features: Sequence[str], coef: Sequence[float] | None = None):
        super().__init__(features)
        self.coef = None if coef is None else np.asarray(coef, dtype=np.float64)

    def params(self):
        return {"ridge": self.ridge, "factors": list(FACTORS)}

    def _design(self, ex: Examples) -> np.ndarray:
        base = form(ex)
        ppm, minutes = ex.col("pts_per_min_last10"), ex.col("min_avg_last5")
        rate = ppm * nz(minutes, np.nan)
        level = np.where(np.isnan(rate), base, 0.5 * rate + 0.5 * nz(base, rate))
        level = nz(level, UNTRAINED_PRIOR)
        cols = [np.ones(len(ex)), level]
        cols += [level * (nz(ex.col(f), 1.0) - 1.0) for f in FACTORS]
        cols.append(np.isnan(base).astype(np.float64))
        return np.column_stack(cols)

    def fit(self, ex: Examples) -> None:
        assert ex.y is not None
        self.check(ex)
        A = self._design(ex)
        penalty = self.ridge * np.eye(A.shape[1])
        penalty[0, 0] = 0.0
        self.coef = np.linalg.solve(A.T @ A + penalty, A.T @ ex.y)

    def predict(self, ex: Examples) -> np.ndarray:
        self.check(ex)
        assert self.coef is not None, "zone_matchup used before fit"
        return np.maximum(self._design(ex) @ self.coef, 0.0)

    def dumps(self) -> bytes:
        assert self.coef is not None
        return dump_json({"coef": [round(float(c), 10) for c in self.coef]})

    @classmethod
    def loads(cls, data: bytes, features: Sequence[str]) -> ZoneMatchup:
        return cls(features, coef=json.loads(data)["coef"])
