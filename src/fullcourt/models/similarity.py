"""Nearest past player-games: how did players in this exact situation fare?

Each player-game is a point in a standardised space of form, role, opponent and
schedule features. The prediction is the player's own form plus the average amount by
which his k nearest past player-games beat or missed *their* form. Predicting the
residual rather than raw points keeps a star's neighbours from being role players who
happen to share a rest pattern.

Kept fast by a reference set of at most `max_reference` of the most recent training
player-games and chunked numpy distance computations (no index structure needed):
small blocks of queries into one reused buffer, which stays in the CPU cache and
spares the allocator a fresh block of memory per chunk. Distances are a BLAS matrix
product held to one BLAS thread: several cutoffs are predicted in threads side by side,
and BLAS's own threads would fight them for the cores (measured: 2.5 times slower
overall), while one-thread BLAS is 1.7 times as fast as `einsum` here.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

import numpy as np

from fullcourt.models.examples import Examples
from fullcourt.models.system import System, form, nz, one_blas_thread

__all__ = ["Similarity"]

SPACE: tuple[str, ...] = (
    "pts_avg_last5",
    "pts_avg_last10",
    "pts_avg_season",
    "pts_std_last10",
    "pts_per_min_last10",
    "min_avg_last5",
    "min_avg_last10",
    "starter_rate_last10",
    "usage_avg_last10",
    "fga_avg_last10",
    "fg3a_avg_last10",
    "fta_avg_last10",
    "days_rest",
    "back_to_back",
    "is_home",
    "injury_status_code",
    "opp_zone_matchup_factor",
    "opp_def_rating_last10",
    "opp_pace_last10",
)


class Similarity(System):
    name = "similarity"
    suffix = "npz"
    k = 50
    max_reference = 25_000
    chunk = 64  # queries per distance block: 64 x 25k float32 = 6.4 MB

    def __init__(self, features: Sequence[str]):
        super().__init__(features)
        self.space = tuple(f for f in SPACE if f in self.features)
        self.mean = np.zeros(len(self.space))
        self.scale = np.ones(len(self.space))
        self.reference = np.zeros((0, len(self.space)), dtype=np.float32)
        self.residual = np.zeros(0, dtype=np.float32)
        self.prior = 0.0

    def params(self):
        return {"k": self.k, "max_reference": self.max_reference, "space": list(self.space)}

    def _points(self, ex: Examples) -> np.ndarray:
        M = np.column_stack([ex.col(f) for f in self.space])
        Z = (M - self.mean) / self.scale
        return nz(Z, 0.0).astype(np.float32)

    def fit(self, ex: Examples) -> None:
        assert ex.y is not None
        self.check(ex)
        M = np.column_stack([ex.col(f) for f in self.space])
        # a feature the source never provides (zones without play-by-play) is all NaN: it
        # is left out of the statistics rather than warned about (`warnings` filters are
        # process-wide, so silencing them from one of several training threads is a race)
        seen = ~np.isnan(M).all(axis=0)
        mean, scale = np.full(M.shape[1], np.nan), np.full(M.shape[1], np.nan)
        mean[seen], scale[seen] = np.nanmean(M[:, seen], axis=0), np.nanstd(M[:, seen], axis=0)
        self.mean = nz(mean, 0.0)
        self.scale = np.where(nz(scale, 0.0) > 1e-9, nz(scale, 1.0), 1.0)
        f = form(ex)
        self.prior = float(np.mean(ex.y[np.isnan(f)])) if np.isnan(f).any() else 0.0
        keep = slice(max(0, len(ex) - self.max_reference), len(ex))  # most recent games
        self.reference = self._points(ex.subset(keep))
        self.residual = (ex.y - nz(f, self.prior))[keep].astype(np.float32)

    def predict(self, ex: Examples) -> np.ndarray:
        self.check(ex)
        Q = self._points(ex)
        level = nz(form(ex), self.prior)
        if len(self.reference) == 0:
            return level
        k = min(self.k, len(self.reference))
        # squared distance up to the query's own norm: |r|^2 - 2 q.r
        ref_sq = np.einsum("ij,ij->i", self.reference, self.reference)
        minus_two = np.ascontiguousarray(-2.0 * self.reference.T, dtype=np.float32)
        buf = np.empty((min(self.chunk, len(Q)), len(self.reference)), dtype=np.float32)
        adjust = np.empty(len(Q))
        with one_blas_thread():
            for start in range(0, len(Q), self.chunk):  # chunks of queries, not a loop over rows
                q = Q[start : start + self.chunk]
                d = buf[: len(q)]
                np.matmul(q, minus_two, out=d)
                d += ref_sq
                nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
                adjust[start : start + len(q)] = self.residual[nearest].mean(axis=1)
        return np.maximum(level + adjust, 0.0)

    def dumps(self) -> bytes:
        """An `.npz` archive with fixed member timestamps, so equal models give equal bytes."""
        arrays = {
            "mean": self.mean,
            "scale": self.scale,
            "reference": self.reference,
            "residual": self.residual,
            "prior": np.array([self.prior]),
            "space": np.array(self.space),
        }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
            for key, arr in arrays.items():
                member = io.BytesIO()
                np.save(member, np.asarray(arr), allow_pickle=False)
                zf.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
        return buf.getvalue()

    @classmethod
    def loads(cls, data: bytes, features: Sequence[str]) -> Similarity:
        z = np.load(io.BytesIO(data), allow_pickle=False)
        s = cls(features)
        s.space = tuple(str(x) for x in z["space"])
        s.mean, s.scale = z["mean"], z["scale"]
        s.reference, s.residual = z["reference"], z["residual"]
        s.prior = float(z["prior"][0])
        return s
