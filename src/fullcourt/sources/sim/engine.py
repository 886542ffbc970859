"""The game engine: box scores for a batch of games at once, and their true means.

Everything is an array of shape (games, 2 sides, 15 roster slots), so a whole regular
season is simulated in one pass. Each player-game's `expected_points` is computed from
the very parameters that generate the box score (minutes share x usage x pace x zone mix
x zone make probability x opponent zone defense x rest x home court, plus free throws);
the realised stats are then drawn from distributions with that mean (Poisson attempts,
multinomial zones, binomial makes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fullcourt.sources.sim.injuries import Injuries
from fullcourt.sources.sim.roster import ROSTER_SIZE, ZONE_POINTS, Rosters

__all__ = ["ACTIVE", "ASSIGNED", "DNP", "INJURED", "Box", "GameBatch", "concat", "play", "take"]

ACTIVE, DNP, INJURED, ASSIGNED = 0, 1, 2, 3
_FGA_PER_POSSESSION = 0.87
_P_OT = np.array([0.94, 0.05, 0.009, 0.001])
_EXPECTED_OT = float((_P_OT * np.arange(4)).sum())


@dataclass(frozen=True)
class GameBatch:
    home: np.ndarray  # team index
    away: np.ndarray
    day: np.ndarray  # day on the season grid
    rest_home: np.ndarray  # days since the team's previous game (1 = back-to-back)
    rest_away: np.ndarray
    playoffs: bool = False


@dataclass(frozen=True)
class Box:
    """Result of `play`: player arrays are (G, 2, 15), side 0 is the home team."""

    team: np.ndarray  # (G, 2)
    player: np.ndarray  # (G, 2, 15) player rows
    status: np.ndarray  # ACTIVE | DNP | INJURED | ASSIGNED
    reason: np.ndarray  # injury reason index where INJURED, else -1
    starter: np.ndarray  # bool
    quarters: np.ndarray  # minutes played in quarter-minutes (exact sums), 0 when not active
    n_ot: np.ndarray  # (G,)
    fg_made: np.ndarray  # (G, 2, 15, 5) per zone
    fg_att: np.ndarray  # (G, 2, 15, 5)
    ftm: np.ndarray
    fta: np.ndarray
    other: np.ndarray  # (G, 2, 15, 7) oreb dreb ast stl blk tov pf
    expected_points: np.ndarray  # (G, 2, 15) float, true mean; NaN when not active
    expected_minutes: np.ndarray  # (G, 2, 15)

    @property
    def points(self) -> np.ndarray:
        return (self.fg_made * ZONE_POINTS).sum(axis=-1) + self.ftm

    @property
    def score(self) -> np.ndarray:
        return self.points.sum(axis=-1)  # (G, 2)


def _allocate(weight: np.ndarray, total: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Share `total` minutes in proportion to `weight`, nobody above `cap` (water filling)."""
    m = total[..., None] * weight / np.maximum(weight.sum(-1, keepdims=True), 1e-9)
    for _ in range(4):
        capped = m >= cap[..., None]
        excess = np.where(capped, m - cap[..., None], 0).sum(-1, keepdims=True)
        m = np.where(capped, cap[..., None], m)
        free_w = np.where(capped, 0, weight)
        m = m + excess * free_w / np.maximum(free_w.sum(-1, keepdims=True), 1e-9)
    return m


def _quantise(minutes: np.ndarray, total_quarters: np.ndarray) -> np.ndarray:
    """Integer quarter-minutes summing exactly to the team total (largest remainder)."""
    q = minutes * 4
    base = np.floor(q).astype(np.int64)
    short = total_quarters[..., None] - base.sum(-1, keepdims=True)
    rem = np.where(minutes > 0, q - base, -1.0)
    rank = np.argsort(np.argsort(-rem, axis=-1, kind="stable"), axis=-1, kind="stable")
    return base + (rank < short).astype(np.int64)


def _rank(key: np.ndarray) -> np.ndarray:
    """Rank 0 for the smallest key along the last axis."""
    return np.argsort(np.argsort(key, axis=-1, kind="stable"), axis=-1, kind="stable")


def play(rng: np.random.Generator, rosters: Rosters, injuries: Injuries, games: GameBatch) -> Box:
    P = rosters.players
    n = len(games.home)
    team = np.stack([games.home, games.away], axis=1)
    opp = team[:, ::-1]
    version = rosters.version_at(games.day)
    player = rosters.versions[version[:, None], team]  # (G, 2, 15)
    day3 = games.day[:, None, None]
    injured = injuries.out[player, day3]
    reason = np.where(injured, injuries.reason[player, day3], -1)
    base_min = P.base_minutes[player]

    # who dresses: the 13 best healthy players; the deepest of them sit some nights
    healthy = ~injured
    depth = _rank(np.where(healthy, -base_min, np.inf))
    assigned = healthy & (depth >= 13)
    p_dnp = np.clip(0.12 + 0.22 * (depth - 9), 0, 0.9) + (0.3 if games.playoffs else 0.0)
    dnp = healthy & ~assigned & (depth >= 10) & (rng.random(player.shape) < p_dnp)
    active = healthy & ~assigned & ~dnp
    status = np.select([injured, assigned, dnp], [INJURED, ASSIGNED, DNP], ACTIVE)
    starter = active & (_rank(np.where(active, -base_min, np.inf)) < 5)

    rest = np.stack([games.rest_home, games.rest_away], axis=1)  # (G, 2)
    b2b = rest <= 1
    weight = np.where(active, base_min, 0.0)
    weight = weight * np.where(starter & b2b[..., None], 0.92, 1.0)
    if games.playoffs:
        weight = weight * np.where(starter, 1.15, 0.9)
    cap = np.full((n, 2), 44.0 if games.playoffs else 42.0)
    exp_min = _allocate(weight, np.full((n, 2), 240.0), cap)

    n_ot = rng.choice(4, size=n, p=_P_OT)
    total = 240.0 + 25.0 * n_ot
    game_len = (48.0 + 5.0 * n_ot) / 48.0
    noisy = np.where(active, exp_min * rng.lognormal(0, 0.15, player.shape), 0.0)
    real_min = _allocate(noisy, np.repeat(total[:, None], 2, 1), cap * game_len[:, None])
    quarters = _quantise(real_min, np.repeat((total * 4).astype(np.int64)[:, None], 2, 1))
    quarters = np.where(active, quarters, 0)
    minutes = quarters / 4.0

    # shot volume: the game's possessions shared by usage x minutes
    pace = (rosters.pace[games.home] + rosters.pace[games.away]) / 2
    usage = P.usage[player]
    share_exp = usage * exp_min / np.maximum((usage * exp_min).sum(-1, keepdims=True), 1e-9)
    share_real = usage * minutes / np.maximum((usage * minutes).sum(-1, keepdims=True), 1e-9)
    team_fga = pace * _FGA_PER_POSSESSION
    lam_exp = (team_fga * (1 + 5.0 / 48.0 * _EXPECTED_OT))[:, None, None] * share_exp
    game_noise = rng.lognormal(0, 0.04, n)
    lam_real = (team_fga * game_len * game_noise)[:, None, None] * share_real

    # zone make probabilities: shooter x opponent zone defense x rest x home court
    rest_eff = np.where(b2b, 0.97, np.where(rest >= 3, 1.01, 1.0))
    home_eff = np.array([1.012, 0.988])
    factor = rest_eff * home_eff[None, :]
    p_make = np.clip(
        P.eff[player] * rosters.def_mult[opp][:, :, None, :] * factor[:, :, None, None], 0.05, 0.95
    )
    mix = P.mix[player]
    fta_rate = P.fta_rate[player]
    ft_pct = P.ft_pct[player]
    pts_per_fga = (mix * p_make * ZONE_POINTS).sum(-1) + fta_rate * ft_pct
    expected_points = np.where(active, lam_exp * pts_per_fga, np.nan)

    fga = rng.poisson(np.where(active, lam_real, 0.0))
    fg_att = rng.multinomial(fga, mix)
    fg_made = rng.binomial(fg_att, p_make)
    fta = rng.poisson(np.where(active, fta_rate * lam_real, 0.0))
    ftm = rng.binomial(fta, ft_pct)
    other = rng.poisson(P.box[player] * minutes[..., None])

    # no ties: the last word goes to a free throw by the side's heaviest-minutes player
    score = ((fg_made * ZONE_POINTS).sum(-1) + ftm).sum(-1)
    tied = np.flatnonzero(score[:, 0] == score[:, 1])
    side = rng.integers(0, 2, len(tied))
    slot = np.argmax(quarters[tied, side], axis=-1)
    fta[tied, side, slot] += 1
    ftm[tied, side, slot] += 1

    assert player.shape[-1] == ROSTER_SIZE
    return Box(
        team=team,
        player=player,
        status=status,
        reason=reason,
        starter=starter,
        quarters=quarters,
        n_ot=n_ot,
        fg_made=fg_made,
        fg_att=fg_att,
        ftm=ftm,
        fta=fta,
        other=other,
        expected_points=expected_points,
        expected_minutes=np.where(active, exp_min, np.nan),
    )


def concat(boxes: list[Box]) -> Box:
    """Stack the games of several batches (regular season, play-in, playoff rounds)."""
    fields = Box.__dataclass_fields__
    return Box(**{k: np.concatenate([getattr(b, k) for b in boxes]) for k in fields})


def take(box: Box, games: np.ndarray) -> Box:
    fields = Box.__dataclass_fields__
    return Box(**{k: getattr(box, k)[games] for k in fields})
