"""Every system trained for one cutoff date: the unit a prediction is made with.

Walk-forward training produces one bundle per cutoff (the first day of a month): each
system fitted on all labelled player-games strictly before the cutoff, plus what was
learned about it on a holdout it did not train on — its edge threshold, the spread of
its errors (for confidence) and, for the blends, their weights. A prediction for a date
uses the bundle of the month the date falls in, so nothing on or after the cutoff can
reach it.

With too few labelled games (the first weeks of the first season) only the moving
average exists; every other system is marked unavailable with the reason, and the
prediction table carries that reason instead of a number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
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
    "describe",
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
# The holdout is the last game dates of the window: a quarter of them, at most this many.
HOLDOUT_DATES = 45
HOLDOUT_SHARE = 0.25
# Spread of a player's points around any prediction, used until a holdout measures it.
DEFAULT_SIGMA = 6.0


@dataclass(frozen=True)
class Calibration:
    """What a holdout said about a system; defaults when there was no holdout."""

    threshold: float = betting.DEFAULT_THRESHOLD
    sigma: float = DEFAULT_SIGMA
    holdout_mae: float | None = None
    holdout_rows: int = 0

    def to_json(self) -> dict:
        return {
            "threshold": self.threshold,
            "sigma": self.sigma,
            "holdout_mae": self.holdout_mae,
            "holdout_rows": self.holdout_rows,
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


def _holdout_start(dates: np.ndarray) -> np.datetime64 | None:
    distinct = np.unique(dates)
    n = min(HOLDOUT_DATES, int(np.ceil(HOLDOUT_SHARE * len(distinct))))
    if n == 0 or n >= len(distinct):
        return None
    return distinct[len(distinct) - n]


def _fit_base(features: Sequence[str], ex: Examples) -> dict[str, System]:
    systems: dict[str, System] = {}
    for name, cls in BASE_SYSTEMS.items():
        system = cls(features)
        system.fit(ex)
        systems[name] = system
    return systems


def _calibrate(pred: np.ndarray, ex: Examples) -> Calibration:
    assert ex.y is not None
    ok = ~np.isnan(pred)
    resid = ex.y[ok] - pred[ok]
    threshold = betting.choose_threshold(pred, ex.y, ex.line, ex.over_price, ex.under_price)
    return Calibration(
        threshold=float(threshold),
        sigma=round(float(np.std(resid)), 6) if len(resid) > 1 else DEFAULT_SIGMA,
        holdout_mae=round(float(np.mean(np.abs(resid))), 6) if len(resid) else None,
        holdout_rows=int(ok.sum()),
    )


def train(ex: Examples, cutoff: date, fingerprint: str, feature_version: str) -> Bundle:
    """Fit every system on `ex` (all strictly before `cutoff`, oldest first)."""
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

    start = _holdout_start(dates)
    early = dates < start if start is not None else np.zeros(len(ex), dtype=bool)
    calibration: dict[str, Calibration] = {}
    blends = {name: Ensemble(name, tuple(BASE_SYSTEMS), with_line) for name, with_line in BLENDS.items()}
    if early.sum() >= MIN_TRAIN_ROWS and (~early).sum() >= MIN_TRAIN_ROWS:
        fit, hold = ex.subset(early), ex.subset(~early)
        held = _fit_base(ex.features, fit)
        preds = {name: system.predict(hold) for name, system in held.items()}
        for name, pred in preds.items():
            calibration[name] = _calibrate(pred, hold)
        base = np.column_stack([preds[m] for m in BASE_SYSTEMS])
        assert hold.y is not None
        for name, blend in blends.items():
            blend.fit(base, hold.line, hold.y)
            calibration[name] = _calibrate(blend.predict(base, hold.line), hold)
    else:  # too short for a holdout: equal blend weights and default thresholds
        calibration = {name: Calibration() for name in SYSTEMS}
    bundle.systems = _fit_base(ex.features, ex)
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
