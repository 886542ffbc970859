"""Injury spells: who is out on which day, and why.

Spells are drawn per player and per day on the season's day grid, so a player stays out
for several consecutive games and the same spell explains both the gamebook's inactive
rows and the injury-report snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Injuries", "REASONS", "draw_injuries"]

_SHORT = (
    "Illness; Non-COVID",
    "Left Ankle; Soreness",
    "Right Ankle; Soreness",
    "Lower Back; Soreness",
    "Left Knee; Soreness",
    "Right Hamstring; Tightness",
    "Left Hip; Contusion",
    "Right Wrist; Contusion",
    "Rest; Injury Management",
)
_MEDIUM = (
    "Left Ankle; Sprain",
    "Right Ankle; Sprain",
    "Left Hamstring; Strain",
    "Right Calf; Strain",
    "Right Knee; Bone Bruise",
    "Left Shoulder; Sprain",
    "Right Foot; Plantar Fasciitis",
    "Left Groin; Strain",
)
_LONG = (
    "Left Knee; MCL Sprain",
    "Right Foot; Fracture",
    "Left Hand; Fracture",
    "Right Knee; Meniscus Surgery",
    "Left Achilles; Tendinopathy",
    "Lower Back; Disc Injury",
)
REASONS: tuple[str, ...] = tuple(f"Injury/Illness - {r}" for r in _SHORT + _MEDIUM + _LONG)
_CLASSES = (
    (0, len(_SHORT), 1, 4),
    (len(_SHORT), len(_SHORT) + len(_MEDIUM), 4, 16),
    (len(_SHORT) + len(_MEDIUM), len(REASONS), 18, 60),
)


@dataclass(frozen=True)
class Injuries:
    out: np.ndarray  # (n_players, n_days) bool: injured on that day
    reason: np.ndarray  # (n_players, n_days) index into REASONS, valid where out


def draw_injuries(
    rng: np.random.Generator, injury_prone: np.ndarray, n_days: int
) -> Injuries:
    n = len(injury_prone)
    p_start = np.clip(0.008 * injury_prone, 0, 0.05)
    starts = rng.random((n, n_days)) < p_start[:, None]
    cls = rng.choice(3, size=(n, n_days), p=[0.6, 0.3, 0.1])
    lo = np.array([c[0] for c in _CLASSES])
    hi = np.array([c[1] for c in _CLASSES])
    dmin = np.array([c[2] for c in _CLASSES])
    dmax = np.array([c[3] for c in _CLASSES])
    u1 = rng.random((n, n_days))
    u2 = rng.random((n, n_days))
    duration = (dmin[cls] + u1 * (dmax[cls] - dmin[cls] + 1)).astype(np.int64)
    reason = (lo[cls] + u2 * (hi[cls] - lo[cls])).astype(np.int64)
    day = np.arange(n_days)
    last_start = np.maximum.accumulate(np.where(starts, day, -1), axis=1)
    has = last_start >= 0
    idx = np.where(has, last_start, 0)
    end = np.take_along_axis(day + duration, idx, axis=1)
    out = has & (end > day)
    spell_reason = np.take_along_axis(reason, idx, axis=1)
    return Injuries(out, np.where(out, spell_reason, -1))
