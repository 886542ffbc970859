"""Blends of the other systems, weighted on games they did not train on.

Weights are fitted by non-negative least absolute error (plus a free intercept) on the
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
  Its weight on the line starts at one half, the equal-weight combination, and moves
  to what the lined holdout games show as they accumulate (`line_weight`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from fullcourt.models.system import dump_json

__all__ = ["Ensemble", "lad", "line_weight", "nnls"]


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


def lad(A: np.ndarray, y: np.ndarray, free: Sequence[int] = (), rounds: int = 30) -> np.ndarray:
    """`nnls` minimising absolute rather than squared error: iteratively reweighted least
    squares, each round weighing a row by the inverse of its last absolute residual.

    Points are skewed (a few big nights above a typical one), so the least-squares blend
    leans towards the mean and pays for it in absolute error, which is what is graded.
    """
    coef = nnls(A, y, free)
    for _ in range(rounds):
        scale = 1.0 / np.sqrt(np.maximum(np.abs(y - A @ coef), 0.1))  # sqrt of the weight
        new = nnls(A * scale[:, None], y * scale, free)
        if np.allclose(new, coef, atol=1e-7):
            return new
        coef = new
    return coef


# How many lined holdout rows the prior weight of the line counts for: with fewer, the
# blend stays near the prior; with many more, the holdout decides.
PRIOR_LINED = 200
# The line's weight before any line was seen: the equal-weight combination of two
# forecasts, the classic default that fitted weights rarely beat out of sample.
PRIOR_LINE_WEIGHT = 0.5


def line_weight(forecast: np.ndarray, line: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """The weight `w` of the line in `(1 - w) * forecast + w * line` with the least
    absolute error on the lined rows, shrunk towards `PRIOR_LINE_WEIGHT` by their number.

    The grading is MAE, so the weight minimises absolute error, not squared: the
    minimiser of `sum |r - w d|` (r = y - forecast, d = line - forecast) is the median of
    r / d weighted by |d|, exact and free of iterations. Returns the weight and the rows.
    """
    ok = ~np.isnan(forecast) & ~np.isnan(line) & ~np.isnan(y)
    d = (line - forecast)[ok]
    r = (y - forecast)[ok]
    keep = np.abs(d) > 1e-9  # where line and forecast agree, the weight changes nothing
    n = int(np.count_nonzero(ok))
    if not keep.any():
        return PRIOR_LINE_WEIGHT, n
    ratio, weight = r[keep] / d[keep], np.abs(d[keep])
    order = np.argsort(ratio, kind="stable")
    cum = np.cumsum(weight[order])
    fitted = float(np.clip(ratio[order][np.searchsorted(cum, cum[-1] / 2.0)], 0.0, 1.0))
    return (n * fitted + PRIOR_LINED * PRIOR_LINE_WEIGHT) / (n + PRIOR_LINED), n


class Ensemble:
    """Weighted blend of base system predictions (and optionally the closing line)."""

    suffix = "json"

    def __init__(
        self,
        name: str,
        members: Sequence[str],
        with_line: bool,
        weights: dict[str, float] | None = None,
        line: float | None = None,
        lined_rows: int = 0,
    ):
        self.name = name
        self.members = tuple(members)
        self.with_line = with_line
        # member -> weight, plus "intercept": the blend of the systems alone
        self.weights = weights or self.equal()
        # the line's share where a line exists (line-aware blends only)
        self.line = (PRIOR_LINE_WEIGHT if line is None else line) if with_line else 0.0
        self.lined_rows = lined_rows

    def equal(self) -> dict[str, float]:
        w = {m: 1.0 / len(self.members) for m in self.members}
        return {**w, "intercept": 0.0}

    def params(self):
        return {"members": list(self.members), "with_line": self.with_line}

    def fit(self, base: np.ndarray, line: np.ndarray, y: np.ndarray) -> None:
        """`base` holds one column per member, holdout predictions in member order.

        The systems are blended by non-negative least absolute error (`lad`); a line-aware blend then
        weighs that blend against the closing line (`line_weight`), so the line's share
        comes from how the two fared on the same lined games, never from a guess about
        how far to trust a line the holdout had too few of.
        """
        ok = ~np.isnan(base).any(axis=1) & ~np.isnan(y)
        A = np.column_stack([base[ok], np.ones(int(ok.sum()))])
        coef = lad(A, y[ok], free=(A.shape[1] - 1,))
        self.weights = {m: round(float(c), 8) for m, c in zip(self.members, coef, strict=False)}
        self.weights["intercept"] = round(float(coef[-1]), 8)
        if self.with_line:
            w, self.lined_rows = line_weight(self._blend(base), line, y)
            self.line = round(w, 8)

    def _blend(self, base: np.ndarray) -> np.ndarray:
        out = np.full(base.shape[0], self.weights["intercept"])
        for j, m in enumerate(self.members):
            out = out + self.weights[m] * base[:, j]
        return out

    def predict(self, base: np.ndarray, line: np.ndarray) -> np.ndarray:
        pred = self._blend(base)
        if self.with_line:
            has = ~np.isnan(line)
            pred = np.where(has, (1.0 - self.line) * pred + self.line * np.nan_to_num(line), pred)
        return np.maximum(pred, 0.0)

    def dumps(self) -> bytes:
        return dump_json(
            {
                "members": list(self.members),
                "with_line": self.with_line,
                "weights": self.weights,
                "line": self.line,
                "lined_rows": self.lined_rows,
            }
        )

    @classmethod
    def loads(cls, name: str, data: bytes) -> Ensemble:
        d = json.loads(data)
        return cls(name, d["members"], d["with_line"], d["weights"], d["line"], d["lined_rows"])
