"""Blends of the other systems, weighted on games they did not train on.

Weights are fitted by non-negative least squares (plus a free intercept) on the
holdout: the last game dates of the training window, predicted by base models trained
only on the dates before them. In-sample predictions would hand the trees all the
weight just because they memorise their own training rows.

Two blends are offered:
- `ensemble` blends the model systems only, so its edge against the line is the
  models' own opinion.
- `line_aware` also gives the closing line a weight. The closing line is known before
  tip-off, so this is legitimate pre-game information, but it is a different kind of
  system: its predictions lean towards the market and its edges are smaller. It is
  reported separately so that nobody mistakes the market's accuracy for the models'.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from fullcourt.models.system import dump_json

__all__ = ["Ensemble", "nnls"]


def nnls(A: np.ndarray, y: np.ndarray, free: Sequence[int] = ()) -> np.ndarray:
    """Least squares with non-negative coefficients except the columns in `free`.

    Active-set elimination: solve, drop the most negative constrained coefficient,
    repeat. Good enough for a handful of columns.
    """
    active = list(range(A.shape[1]))
    coef = np.zeros(A.shape[1])
    while active:
        sol, *_ = np.linalg.lstsq(A[:, active], y, rcond=None)
        negative = [(v, c) for v, c in zip(sol, active, strict=True) if c not in free and v < 0]
        if not negative:
            coef[:] = 0.0
            coef[active] = sol
            return coef
        active.remove(min(negative)[1])
    return coef


# Holdout rows with a line needed before a blend may weigh the line.
MIN_LINED = 200


class Ensemble:
    """Weighted blend of base system predictions (and optionally the closing line)."""

    suffix = "json"

    def __init__(
        self,
        name: str,
        members: Sequence[str],
        with_line: bool,
        weights: dict[str, float] | None = None,
        fallback: dict[str, float] | None = None,
    ):
        self.name = name
        self.members = tuple(members)
        self.with_line = with_line
        # weights: member -> weight, plus "line" and "intercept"; fallback used when no line
        self.weights = weights or self.equal()
        self.fallback = fallback or self.equal()

    def equal(self) -> dict[str, float]:
        w = {m: 1.0 / len(self.members) for m in self.members}
        return {**w, "intercept": 0.0, "line": 0.0}

    def params(self):
        return {"members": list(self.members), "with_line": self.with_line}

    def _fit(self, base: np.ndarray, line: np.ndarray | None, y: np.ndarray) -> dict[str, float]:
        cols = [base] if line is None else [base, line[:, None]]
        A = np.column_stack([*cols, np.ones(len(y))])
        coef = nnls(A, y, free=(A.shape[1] - 1,))
        out = {m: float(c) for m, c in zip(self.members, coef, strict=False)}
        out["line"] = float(coef[len(self.members)]) if line is not None else 0.0
        out["intercept"] = float(coef[-1])
        return {k: round(v, 8) for k, v in out.items()}

    def fit(self, base: np.ndarray, line: np.ndarray, y: np.ndarray) -> None:
        """`base` holds one column per member, holdout predictions in member order."""
        ok = ~np.isnan(base).any(axis=1) & ~np.isnan(y)
        self.fallback = self._fit(base[ok], None, y[ok])
        if self.with_line:
            lined = ok & ~np.isnan(line)
            if lined.sum() >= MIN_LINED:
                self.weights = self._fit(base[lined], line[lined], y[lined])
            else:
                # Too few lines to learn how far to trust one (real data before the books'
                # history starts): blend as the line-free ensemble rather than guess.
                self.weights = {**self.fallback, "line": 0.0}
        else:
            self.weights = self.fallback

    def predict(self, base: np.ndarray, line: np.ndarray) -> np.ndarray:
        def blend(w: dict[str, float]) -> np.ndarray:
            out = np.full(base.shape[0], w["intercept"])
            for j, m in enumerate(self.members):
                out = out + w[m] * base[:, j]
            return out

        pred = blend(self.fallback)
        if self.with_line:
            has = ~np.isnan(line)
            pred = np.where(has, blend(self.weights) + self.weights["line"] * np.nan_to_num(line), pred)
        return np.maximum(pred, 0.0)

    def dumps(self) -> bytes:
        return dump_json(
            {
                "members": list(self.members),
                "with_line": self.with_line,
                "weights": self.weights,
                "fallback": self.fallback,
            }
        )

    @classmethod
    def loads(cls, name: str, data: bytes) -> Ensemble:
        d = json.loads(data)
        return cls(name, d["members"], d["with_line"], d["weights"], d["fallback"])
