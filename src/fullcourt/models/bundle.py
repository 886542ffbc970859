"""Every system trained for one cutoff date: the unit a prediction is made with.

Walk-forward training produces one bundle per cutoff (the first day of a month): each
system fitted on all labelled player-games strictly before the cutoff, plus what was
learned about it on a holdout it did not train on — its edge threshold, the spread of
its errors (for confidence) and, for the blends, their weights. A prediction for a date
uses the bundle of the month the date falls in, so nothing on or after the cutoff can
reach it.

The holdout is the player-games of the last `HOLDOUT_MONTHS` months before the
cutoff, each month predicted by the base systems of *its own* cutoff (trained on
everything before that month): exactly the predictions the earlier bundles made,
walk-forward. That is both the honest measure of how the systems do out of sample and
free: those base systems were trained anyway for the earlier months, so a cutoff fits
each system once, not twice.

With too few labelled games (the first weeks of the first season) only the moving
average exists; every other system is marked unavailable with the reason, and the
prediction table carries that reason instead of a number.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from fullcourt.models import betting
from fullcourt.models.boosting import GradientBoosting
from fullcourt.models.ensemble import Ensemble
from fullcourt.models.examples import Examples
from fullcourt.models.formulas import MovingAverage, ZoneMatchup
from fullcourt.models.similarity import Similarity
from fullcourt.models.system import System

__all__ = [
    "BASE_SYSTEMS",
    "BLENDS",
    "Bundle",
    "Calibration",
    "MIN_TRAIN_ROWS",
    "SYSTEMS",
    "MonthPredictions",
    "describe",
    "fit_base",
    "holdout_months",
    "month_of",
    "predict_month",
    "train",
]

BASE_SYSTEMS: dict[str, type[System]] = {
    "moving_average": MovingAverage,
    "zone_matchup": ZoneMatchup,
    "similarity": Similarity,
    "gradient_boosting": GradientBoosting,
}
# blend name -> whether the closing line is one of its inputs
BLENDS: dict[str, bool] = {"ensemble": False, "line_aware": True}
SYSTEMS: tuple[str, ...] = (*BASE_SYSTEMS, *BLENDS)

# Fewer labelled player-games than this and a system is not trained at all.
MIN_TRAIN_ROWS = 200
# The holdout: the last months with games before the cutoff (those whose own models exist),
# every second player-game of them (in training order) — some 6,000 player-games, as many
# as the blends and thresholds need, at half the cost of predicting them all.
HOLDOUT_MONTHS = 2
HOLDOUT_STRIDE = 2
# Spread of a player's points around any prediction, used until a holdout measures it.
DEFAULT_SIGMA = 6.0
MIN_SPREAD = 1.0


@dataclass(frozen=True)
class Calibration:
    """What a holdout said about a system; defaults when there was no holdout.

    `sigma` is the spread of the errors over the whole holdout; `spread_base` and
    `spread_slope` make it grow with the predicted total (a 30-point scorer's night
    varies more than a 6-point one's), which is what the over-probability uses.
    """

    threshold: float = betting.DEFAULT_THRESHOLD
    sigma: float = DEFAULT_SIGMA
    holdout_mae: float | None = None
    holdout_rows: int = 0
    spread_base: float | None = None
    spread_slope: float = 0.0
    # Logistic recalibration of the over-probability, P = 1 / (1 + exp(-(a + b z))) with
    # z the edge in spreads; None until a holdout had enough lines to learn it.
    over_intercept: float | None = None
    over_slope: float | None = None

    def over(self, predicted: np.ndarray, line: np.ndarray) -> np.ndarray:
        """Probability of going over the line: the normal model around the prediction,
        recalibrated on the holdout's lines when it had enough of them (a prediction
        whose edges the market mostly already knows deserves less than the normal
        model's confidence)."""
        spread = self.spread(predicted)
        if self.over_intercept is None or self.over_slope is None:
            return betting.over_probability(predicted, line, spread)
        z = (np.asarray(predicted, dtype=np.float64) - np.asarray(line, dtype=np.float64)) / spread
        return 1.0 / (1.0 + np.exp(-(self.over_intercept + self.over_slope * z)))

    def spread(self, predicted: np.ndarray) -> np.ndarray:
        """The error spread expected around each prediction (never below 1 point)."""
        base = self.sigma if self.spread_base is None else self.spread_base
        return np.maximum(base + self.spread_slope * np.nan_to_num(predicted), MIN_SPREAD)

    def to_json(self) -> dict:
        return {
            "threshold": self.threshold,
            "sigma": self.sigma,
            "holdout_mae": self.holdout_mae,
            "holdout_rows": self.holdout_rows,
            "spread_base": self.spread_base,
            "spread_slope": self.spread_slope,
            "over_intercept": self.over_intercept,
            "over_slope": self.over_slope,
        }


@dataclass
class Bundle:
    cutoff: date
    features: tuple[str, ...]
    feature_version: str
    fingerprint: str
    rows: int
    train_start: date | None
    train_end: date | None
    systems: dict[str, System] = field(default_factory=dict)
    blends: dict[str, Ensemble] = field(default_factory=dict)
    calibration: dict[str, Calibration] = field(default_factory=dict)
    # Why the systems missing from `systems`/`blends` are unavailable ("" when all exist).
    reason: str = ""
    # Model version per available system, set from the saved bytes (see `stamp`).
    versions: dict[str, str] = field(default_factory=dict)

    def available(self, name: str) -> bool:
        return name in self.systems or name in self.blends

    def payload(self, name: str) -> bytes:
        """The bytes saved for one system; their hash is the system's model version."""
        if name in self.systems:
            return self.systems[name].dumps()
        return self.blends[name].dumps()

    def stamp(self, payloads: Mapping[str, bytes]) -> None:
        """Set each system's model version from the bytes saved for it."""
        out: dict[str, str] = {}
        for name in SYSTEMS:
            if name not in payloads:
                continue
            h = hashlib.blake2b(payloads[name], digest_size=6)
            if name in self.blends:  # a blend is only as fixed as its members
                for m in self.blends[name].members:
                    h.update(out[m].encode())
            out[name] = f"{name}-{self.cutoff:%Y%m}-{h.hexdigest()}"
        self.versions = out

    def recommended(self) -> str:
        """The system a reader should look at first: the lowest MAE on the bundle's
        holdout, which only holds games before the cutoff (the moving average when
        nothing was measured)."""
        measured = [
            (c.holdout_mae, name) for name, c in self.calibration.items()
            if c.holdout_mae is not None and self.available(name)
        ]
        return min(measured)[1] if measured else "moving_average"

    def predict(self, ex: Examples) -> dict[str, np.ndarray]:
        """Predicted points per system; NaN throughout for an unavailable system."""
        out: dict[str, np.ndarray] = {}
        for name, system in self.systems.items():
            out[name] = system.predict(ex)
        for name, blend in self.blends.items():
            base = np.column_stack([out[m] for m in blend.members])
            out[name] = blend.predict(base, ex.line)
        nan = np.full(len(ex), np.nan)
        return {name: out.get(name, nan) for name in SYSTEMS}


def month_of(dates: np.ndarray) -> np.ndarray:
    """The first day of each date's month (its cutoff), as datetime64[D]."""
    return dates.astype("datetime64[M]").astype("datetime64[D]")


def holdout_months(ex: Examples, cutoff: date) -> list[np.datetime64]:
    """The months (first days) whose player-games calibrate a bundle trained on `ex`.

    The last `HOLDOUT_MONTHS` whole months with games before `cutoff`, except a month
    with too few games before it for its own models to exist.
    """
    months = np.unique(month_of(ex.game_date))
    ends = (months.astype("datetime64[M]") + 1).astype("datetime64[D]")
    months = months[ends <= np.datetime64(cutoff, "D")][-HOLDOUT_MONTHS:]
    return [m for m in months if int(np.sum(ex.game_date < m)) >= MIN_TRAIN_ROWS]


def fit_base(ex: Examples) -> dict[str, System]:
    """Every base system fitted on `ex`, read back from its saved bytes.

    Reading back makes a freshly fitted system predict exactly like the same system
    loaded from disk later (saved coefficients are rounded), so calibration never
    depends on whether an earlier model was cached.
    """
    systems: dict[str, System] = {}
    for name, cls in BASE_SYSTEMS.items():
        system = cls(ex.features)
        system.fit(ex)
        systems[name] = cls.loads(system.dumps(), ex.features)
    return systems


def holdout_rows(ex: Examples, month: np.datetime64) -> np.ndarray:
    """Indices of the holdout player-games of `month` in `ex`: every `HOLDOUT_STRIDE`-th."""
    return np.flatnonzero(month_of(ex.game_date) == month)[::HOLDOUT_STRIDE]


def predict_month(systems: Mapping[str, System], ex: Examples, month: np.datetime64) -> dict[str, np.ndarray]:
    """Predictions of `systems` for the holdout rows of `month` in `ex`, in `ex` order."""
    rows = ex.subset(holdout_rows(ex, month))
    return {name: system.predict(rows) for name, system in systems.items()}


# month -> base-system predictions for that month's rows of the training examples, by
# the systems trained on everything before the month
MonthPredictions = Callable[[np.datetime64], Mapping[str, np.ndarray]]


def _calibrate(pred: np.ndarray, ex: Examples) -> Calibration:
    assert ex.y is not None
    ok = ~np.isnan(pred)
    resid = ex.y[ok] - pred[ok]
    threshold = betting.choose_threshold(pred, ex.y, ex.line, ex.over_price, ex.under_price)
    base, slope = _spread_fit(pred[ok], resid)
    spread = Calibration(spread_base=base, spread_slope=slope).spread(pred)
    a, b = _over_fit((pred - ex.line) / spread, ex.y, ex.line)
    return Calibration(
        over_intercept=a,
        over_slope=b,
        threshold=float(threshold),
        sigma=round(float(np.std(resid)), 6) if len(resid) > 1 else DEFAULT_SIGMA,
        holdout_mae=round(float(np.mean(np.abs(resid))), 6) if len(resid) else None,
        holdout_rows=int(ok.sum()),
        spread_base=base,
        spread_slope=slope,
    )


# Lined holdout games (pushes left out) needed before the over-probability is recalibrated.
MIN_OVER_FIT = 300


def _over_fit(z: np.ndarray, actual: np.ndarray, line: np.ndarray) -> tuple[float | None, float | None]:
    """Logistic regression of "went over" on the edge `z`, by Newton's method (two
    parameters, a lightly ridged Hessian so a separable holdout cannot diverge)."""
    ok = ~np.isnan(z) & ~np.isnan(line) & ~np.isnan(actual) & (actual != line)
    if ok.sum() < MIN_OVER_FIT:
        return None, None
    X = np.column_stack([np.ones(int(ok.sum())), z[ok]])
    y = (actual[ok] > line[ok]).astype(np.float64)
    w = np.zeros(2)
    for _ in range(25):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        grad = X.T @ (y - p) - 1e-3 * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + 1e-3 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w = w + step
        if np.max(np.abs(step)) < 1e-9:
            break
    return round(float(w[0]), 6), round(float(w[1]), 6)


def _spread_fit(pred: np.ndarray, resid: np.ndarray) -> tuple[float | None, float]:
    """The error spread as a straight line in the prediction, fitted to the absolute
    holdout errors (scaled so that, for normal errors, it estimates the standard
    deviation). None when the holdout is too small to say."""
    if len(resid) < MIN_TRAIN_ROWS:
        return None, 0.0
    A = np.column_stack([np.ones(len(pred)), pred])
    coef, *_ = np.linalg.lstsq(A, np.abs(resid) * math.sqrt(math.pi / 2.0), rcond=None)
    return round(float(coef[0]), 6), round(float(max(coef[1], 0.0)), 6)


def train(
    ex: Examples,
    cutoff: date,
    fingerprint: str,
    feature_version: str,
    systems: Mapping[str, System] | None = None,
    month_predictions: MonthPredictions | None = None,
) -> Bundle:
    """Fit every system on `ex` (all strictly before `cutoff`, oldest first).

    `systems` are the base systems already fitted on exactly `ex`, and
    `month_predictions` gives a holdout month's walk-forward predictions; both are
    computed here when not given (training many cutoffs at once shares them).
    """
    assert ex.y is not None, "training examples need labels"
    if len(ex) and ex.game_date.max() >= np.datetime64(cutoff, "D"):
        raise ValueError(f"training rows on or after the cutoff {cutoff}")
    dates = ex.game_date
    bundle = Bundle(
        cutoff=cutoff,
        features=ex.features,
        feature_version=feature_version,
        fingerprint=fingerprint,
        rows=len(ex),
        train_start=dates.min().astype(object) if len(ex) else None,
        train_end=dates.max().astype(object) if len(ex) else None,
    )
    if len(ex) < MIN_TRAIN_ROWS:
        ma = MovingAverage(ex.features)
        if len(ex):
            ma.fit(ex)
        bundle.systems = {"moving_average": ma}
        bundle.calibration = {"moving_average": Calibration()}
        bundle.reason = (
            f"only {len(ex)} labelled player-games before {cutoff} "
            f"(a model needs {MIN_TRAIN_ROWS}); moving average only"
        )
        return bundle

    if month_predictions is None:

        def month_predictions(m: np.datetime64) -> Mapping[str, np.ndarray]:
            return predict_month(fit_base(ex.subset(dates < m)), ex, m)

    months = holdout_months(ex, cutoff)
    hold = ex.subset(np.concatenate([holdout_rows(ex, m) for m in months])) if months else None
    calibration: dict[str, Calibration] = {}
    blends = {name: Ensemble(name, tuple(BASE_SYSTEMS), with_line) for name, with_line in BLENDS.items()}
    if hold is not None and len(hold) >= MIN_TRAIN_ROWS:
        per_month = [month_predictions(m) for m in months]
        preds = {name: np.concatenate([p[name] for p in per_month]) for name in BASE_SYSTEMS}
        for name, pred in preds.items():
            calibration[name] = _calibrate(pred, hold)
        base = np.column_stack([preds[m] for m in BASE_SYSTEMS])
        assert hold.y is not None
        for name, blend in blends.items():
            blend.fit(base, hold.line, hold.y)
            calibration[name] = _calibrate(blend.predict(base, hold.line), hold)
    else:  # too short for a holdout: equal blend weights and default thresholds
        calibration = {name: Calibration() for name in SYSTEMS}
    bundle.systems = dict(systems) if systems is not None else fit_base(ex)
    bundle.blends = blends
    bundle.calibration = calibration
    return bundle


def describe(bundle: Bundle) -> Mapping[str, object]:
    """Metadata written next to the model files (and read back to check them)."""
    versions = bundle.versions
    return {
        "cutoff": bundle.cutoff.isoformat(),
        "features": list(bundle.features),
        "feature_version": bundle.feature_version,
        "fingerprint": bundle.fingerprint,
        "rows": bundle.rows,
        "train_start": bundle.train_start.isoformat() if bundle.train_start else None,
        "train_end": bundle.train_end.isoformat() if bundle.train_end else None,
        "reason": bundle.reason,
        "systems": {
            name: {
                "version": versions[name],
                "params": (
                    bundle.systems[name].params()
                    if name in bundle.systems
                    else bundle.blends[name].params()
                ),
                "metrics": bundle.calibration[name].to_json(),
            }
            for name in SYSTEMS
            if bundle.available(name)
        },
    }
