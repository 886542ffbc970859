"""Gradient-boosted trees over every feature of the store (LightGBM).

Deterministic by construction — fixed seed, `deterministic=True`, one thread per fit
(cutoffs are trained side by side in threads instead; OpenMP threads would spin) and
row-wise histograms — so that the same training rows always give the same model file and
therefore the same model version. NULL features stay NaN: LightGBM learns which branch
missing values take.

Sized for a monthly walk-forward retrain of a few seasons: 80 rounds at a learning rate
of 0.18 over 63-bin histograms, with a Huber loss (robust like the absolute error it
replaced, but smooth, so fewer rounds converge). Against 300 rounds of L1 at 0.05 this
trains about 3.5 times faster at the same accuracy on the months after each cutoff.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import lightgbm as lgb
import numpy as np

from fullcourt.models.examples import Examples
from fullcourt.models.system import System

__all__ = ["GradientBoosting", "PARAMS"]

PARAMS: dict[str, Any] = {
    "objective": "huber",
    "alpha": 3.0,
    "learning_rate": 0.18,
    "max_bin": 63,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": 17,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbosity": -1,
}
ROUNDS = 80


class GradientBoosting(System):
    name = "gradient_boosting"
    suffix = "txt"

    def __init__(self, features: Sequence[str], booster: lgb.Booster | None = None):
        super().__init__(features)
        self.booster = booster

    def params(self):
        return {**PARAMS, "rounds": ROUNDS}

    def fit(self, ex: Examples) -> None:
        assert ex.y is not None
        self.check(ex)
        data = lgb.Dataset(ex.X, label=ex.y, feature_name=list(self.features), free_raw_data=True)
        self.booster = lgb.train(PARAMS, data, num_boost_round=ROUNDS)

    def predict(self, ex: Examples) -> np.ndarray:
        self.check(ex)
        assert self.booster is not None, "gradient_boosting used before fit"
        return np.maximum(np.asarray(self.booster.predict(ex.X, num_threads=1)), 0.0)

    def dumps(self) -> bytes:
        assert self.booster is not None
        return self.booster.model_to_string().encode()

    @classmethod
    def loads(cls, data: bytes, features: Sequence[str]) -> GradientBoosting:
        booster = lgb.Booster(model_str=data.decode())
        if list(booster.feature_name()) != list(features):
            from fullcourt.errors import ModelError

            raise ModelError(
                f"gradient_boosting model file lists features {booster.feature_name()[:3]}... "
                f"that differ from the store's; retrain the model"
            )
        return cls(features, booster=booster)


def describe(booster: lgb.Booster) -> str:
    """Top features by gain, for logs and reports."""
    gain = booster.feature_importance("gain")
    names = booster.feature_name()
    top = sorted(zip(names, gain, strict=True), key=lambda x: -x[1])[:8]
    return json.dumps({n: round(float(g), 1) for n, g in top})
