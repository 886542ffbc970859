"""What a prediction system is: fit on labelled player-games, predict, serialise.

Every system is trained on the same `Examples` (columns exactly `FEATURES`) and saved
as bytes whose hash is its model version. A system refuses to predict from examples
whose feature list differs from the one it was trained on.
"""

from __future__ import annotations

import abc
import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import threadpoolctl

from fullcourt.errors import ModelError
from fullcourt.models.examples import Examples

__all__ = ["System", "dump_json", "form", "nz", "one_blas_thread"]

# Weights of the scoring-form blend; renormalised over the averages a player has.
FORM_WEIGHTS: dict[str, float] = {
    "pts_avg_last5": 0.25,
    "pts_avg_last10": 0.35,
    "pts_avg_last20": 0.2,
    "pts_avg_season": 0.2,
}


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit: threadpoolctl.threadpool_limits | None = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS held to one thread while any caller is inside, whatever the threads: the
    first to enter sets the limit, the last to leave lifts it (BLAS's thread count is
    the process's, so nested or side-by-side callers must not restore it early)."""
    global _blas_users, _blas_limit
    with _blas_lock:
        if _blas_users == 0:
            _blas_limit = threadpoolctl.threadpool_limits(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limit is not None:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def nz(values: np.ndarray, default: float) -> np.ndarray:
    """NaN replaced by a neutral default."""
    return np.where(np.isnan(values), default, values)


def form(ex: Examples) -> np.ndarray:
    """A player's recent scoring level: a weighted blend of the averages he has (NaN if none)."""
    num = np.zeros(len(ex))
    den = np.zeros(len(ex))
    for name, w in FORM_WEIGHTS.items():
        v = ex.col(name)
        has = ~np.isnan(v)
        num[has] += w * v[has]
        den[has] += w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def dump_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class System(abc.ABC):
    """A trainable predictor of a player's points."""

    name: ClassVar[str]
    suffix: ClassVar[str] = "json"

    def __init__(self, features: Sequence[str]):
        self.features = tuple(features)

    def params(self) -> dict[str, Any]:
        """Settings that change results; part of the training fingerprint."""
        return {}

    def check(self, ex: Examples) -> None:
        if tuple(ex.features) != self.features:
            extra = sorted(set(ex.features) - set(self.features))
            gone = sorted(set(self.features) - set(ex.features))
            raise ModelError(
                f"{self.name} model was trained on {len(self.features)} features but the store "
                f"has {len(ex.features)} (new: {', '.join(extra) or '-'}; "
                f"missing: {', '.join(gone) or '-'}; or reordered); retrain the model"
            )

    @abc.abstractmethod
    def fit(self, ex: Examples) -> None: ...

    @abc.abstractmethod
    def predict(self, ex: Examples) -> np.ndarray: ...

    @abc.abstractmethod
    def dumps(self) -> bytes: ...

    @classmethod
    @abc.abstractmethod
    def loads(cls, data: bytes, features: Sequence[str]) -> System: ...
