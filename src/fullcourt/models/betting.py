"""Turning a predicted total into a bet, and a bet into money.

The rule is the same for every system: OVER when the prediction clears the closing
line by at least the system's edge threshold, UNDER when it falls short by as much,
PASS otherwise (and when the system has no prediction), NO_LINE when no book posted a
line: the player is still predicted, there is just nothing to bet on. A push (actual == line) neither wins
nor loses; the stake comes back. Prices are American odds; a missing price is taken
at the standard -110 so that a bet is never graded at an invented better price.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "DEFAULT_PRICE",
    "DEFAULT_THRESHOLD",
    "NO_LINE",
    "RECOMMENDATIONS",
    "THRESHOLD_GRID",
    "choose_threshold",
    "confidence",
    "over_probability",
    "payout",
    "profit",
    "recommend",
]

OVER, UNDER, PASS, NO_LINE = "OVER", "UNDER", "PASS", "NO_LINE"
RECOMMENDATIONS: tuple[str, ...] = (OVER, UNDER, PASS, NO_LINE)
DEFAULT_PRICE = -110.0
DEFAULT_THRESHOLD = 1.5
THRESHOLD_GRID: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)
# Fewer graded holdout bets than this and the default threshold is kept.
MIN_CHOICE_BETS = 50


def recommend(predicted: np.ndarray, line: np.ndarray, threshold: float) -> np.ndarray:
    """OVER / UNDER / PASS per player-game; NO_LINE without a line, PASS without a prediction."""
    predicted = np.asarray(predicted, dtype=np.float64)
    line = np.asarray(line, dtype=np.float64)
    edge = predicted - line
    out = np.full(edge.shape, PASS, dtype=object)
    with np.errstate(invalid="ignore"):
        out[edge >= threshold - 1e-9] = OVER
        out[edge <= -threshold + 1e-9] = UNDER
    out[np.isnan(line)] = NO_LINE
    return out


def confidence(predicted: np.ndarray, line: np.ndarray, sigma: float) -> np.ndarray:
    """Probability that the actual total lands on the prediction's side of the line.

    A normal error model with the system's holdout residual spread `sigma`: 0.5 when the
    prediction sits on the line, approaching 1 as the edge grows. NaN without a line.
    """
    edge = np.abs(np.asarray(predicted, dtype=np.float64) - np.asarray(line, dtype=np.float64))
    z = edge / max(float(sigma), 1e-6) / math.sqrt(2.0)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return np.where(np.isnan(edge), np.nan, 0.5 * (1.0 + erf(np.nan_to_num(z))))


def over_probability(predicted: np.ndarray, line: np.ndarray, sigma: np.ndarray | float) -> np.ndarray:
    """Probability that the actual total goes over the line, under a normal error model
    centred on the prediction with spread `sigma` (one value, or one per player-game).
    NaN without a line or a prediction."""
    predicted = np.asarray(predicted, dtype=np.float64)
    line = np.asarray(line, dtype=np.float64)
    s = np.maximum(np.broadcast_to(np.asarray(sigma, dtype=np.float64), predicted.shape), 1e-6)
    z = (predicted - line) / s / math.sqrt(2.0)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    p = 0.5 * (1.0 + erf(np.nan_to_num(z)))
    return np.where(np.isnan(z), np.nan, p)


def payout(price: np.ndarray | float) -> np.ndarray:
    """Profit of a winning 1-unit stake at American odds (-110 -> 0.909, +150 -> 1.5)."""
    p = np.asarray(price, dtype=np.float64)
    p = np.where(np.isnan(p), DEFAULT_PRICE, p)
    return np.where(p < 0, 100.0 / np.abs(p), p / 100.0)


def profit(
    recommendation: np.ndarray,
    actual: np.ndarray,
    line: np.ndarray,
    over_price: np.ndarray,
    under_price: np.ndarray,
) -> np.ndarray:
    """Profit per 1-unit bet: payout on a win, -1 on a loss, 0 on a push, NaN for PASS."""
    rec = np.asarray(recommendation, dtype=object)
    actual = np.asarray(actual, dtype=np.float64)
    line = np.asarray(line, dtype=np.float64)
    is_over, is_under = rec == OVER, rec == UNDER
    price = np.where(is_over, over_price, under_price)
    win = (is_over & (actual > line)) | (is_under & (actual < line))
    loss = (is_over & (actual < line)) | (is_under & (actual > line))
    out = np.full(actual.shape, np.nan)
    out[is_over | is_under] = 0.0
    out[win] = payout(price)[win]
    out[loss] = -1.0
    return out


def choose_threshold(
    predicted: np.ndarray,
    actual: np.ndarray,
    line: np.ndarray,
    over_price: np.ndarray,
    under_price: np.ndarray,
    grid: tuple[float, ...] = THRESHOLD_GRID,
) -> float:
    """The edge threshold with the most total profit on held-out training games.

    Only ever called on games before the training cutoff, so the evaluated season
    never tunes its own threshold. Total profit (not ROI) so that a threshold earning
    a lucky few bets does not beat one that earns steadily on many.
    """
    has = ~np.isnan(line) & ~np.isnan(predicted) & ~np.isnan(actual)
    best, best_profit = DEFAULT_THRESHOLD, -math.inf
    for t in grid:
        rec = recommend(predicted[has], line[has], t)
        p = profit(rec, actual[has], line[has], over_price[has], under_price[has])
        bets = int(np.sum(~np.isnan(p)))
        if bets < MIN_CHOICE_BETS:
            continue
        total = float(np.nansum(p))
        if total > best_profit + 1e-9:
            best, best_profit = t, total
    return best
