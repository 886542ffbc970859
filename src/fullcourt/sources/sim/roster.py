"""Players and rosters: latent talent, season-to-season turnover and mid-season trades.

Rosters evolve without looking at game results, so the roster of any season is a pure
function of (seed, season) and the previous season's rosters. That is what lets
`League.season("2024-25")` give the same answer whether or not earlier seasons were
simulated first: the history that matters is replayed lazily and cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fullcourt.sources.sim.calendar import SeasonCalendar
from fullcourt.sources.sim.names import NameBook

__all__ = [
    "BOX_RATES",
    "ROSTER_SIZE",
    "ZONES",
    "Players",
    "Rosters",
    "first_rosters",
    "next_rosters",
]

ROSTER_SIZE = 15
N_TEAMS = 30
ZONES: tuple[str, ...] = ("restricted_area", "paint", "mid_range", "corner_three", "above_break_three")
ZONE_POINTS = np.array([2, 2, 2, 3, 3])
# league-average make probability per zone and the shot mix of guards, wings and bigs
_ZONE_EFF = np.array([0.655, 0.425, 0.415, 0.385, 0.355])
_MIX = np.array(
    [
        [0.24, 0.13, 0.18, 0.08, 0.37],  # guard
        [0.27, 0.13, 0.14, 0.13, 0.33],  # wing
        [0.52, 0.22, 0.09, 0.04, 0.13],  # big
    ]
)
_EFF_BONUS = np.array(
    [
        [-0.03, 0.0, 0.01, 0.01, 0.01],
        [0.0, 0.0, 0.0, 0.01, 0.0],
        [0.05, 0.02, -0.02, -0.04, -0.03],
    ]
)
# per-minute rates of the non-scoring box-score stats, by archetype
BOX_RATES: tuple[str, ...] = ("oreb", "dreb", "ast", "stl", "blk", "tov", "pf")
_BOX_BASE = np.array(
    [
        [0.020, 0.100, 0.190, 0.035, 0.010, 0.060, 0.055],
        [0.030, 0.130, 0.090, 0.032, 0.015, 0.045, 0.060],
        [0.090, 0.220, 0.060, 0.025, 0.040, 0.045, 0.075],
    ]
)
_SLOT_MINUTES = np.array([34, 32, 30, 28, 27, 23, 20, 18, 15, 13, 10, 7, 5, 4, 3], dtype=np.float64)


@dataclass
class Players:
    """Every player the league ever had; arrays indexed by a player's row number.

    Season-dependent attributes (age, minutes role, efficiency) are rewritten in place by
    the offseason step; `Rosters` keeps a frozen copy for its season.
    """

    player_id: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    archetype: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    age: np.ndarray = field(default_factory=lambda: np.zeros(0))
    base_minutes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    usage: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mix: np.ndarray = field(default_factory=lambda: np.zeros((0, 5)))
    eff: np.ndarray = field(default_factory=lambda: np.zeros((0, 5)))
    fta_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ft_pct: np.ndarray = field(default_factory=lambda: np.zeros(0))
    box: np.ndarray = field(default_factory=lambda: np.zeros((0, 7)))
    injury_prone: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.player_id)

    def copy(self) -> Players:
        return Players(
            list(self.player_id),
            list(self.name),
            *(
                getattr(self, k).copy()
                for k in (
                    "archetype",
                    "age",
                    "base_minutes",
                    "usage",
                    "mix",
                    "eff",
                    "fta_rate",
                    "ft_pct",
                    "box",
                    "injury_prone",
                )
            ),
        )

    def add(
        self, rng: np.random.Generator, names: NameBook, minutes: np.ndarray, age: np.ndarray
    ) -> np.ndarray:
        """Create players with the given minutes roles; returns their row numbers."""
        n = len(minutes)
        start = len(self)
        arch = rng.choice(3, size=n, p=[0.38, 0.37, 0.25])
        self.player_id.extend(str(1_628_000 + start + k) for k in range(n))
        self.name.extend(names.draw(rng, n))
        # stars use more possessions; role players less
        usage = np.clip(0.13 + 0.0035 * minutes + rng.normal(0, 0.03, n), 0.1, 0.36)
        mix = np.stack([rng.dirichlet(_MIX[a] * 40) for a in arch])
        eff = np.clip(
            _ZONE_EFF + _EFF_BONUS[arch] + rng.normal(0, 0.03, (n, 5)) + 0.0006 * (minutes - 18)[:, None],
            0.2,
            0.8,
        )
        fta_rate = np.clip(rng.normal(0.24, 0.07, n) + 0.004 * (minutes - 18), 0.08, 0.5)
        ft_pct = np.clip(rng.normal(0.77, 0.07, n) - 0.06 * (arch == 2), 0.5, 0.93)
        box = _BOX_BASE[arch] * rng.lognormal(0, 0.25, (n, 7))
        self.archetype = np.concatenate([self.archetype, arch])
        self.age = np.concatenate([self.age, age])
        self.base_minutes = np.concatenate([self.base_minutes, minutes])
        self.usage = np.concatenate([self.usage, usage])
        self.mix = np.concatenate([self.mix, mix])
        self.eff = np.concatenate([self.eff, eff])
        self.fta_rate = np.concatenate([self.fta_rate, fta_rate])
        self.ft_pct = np.concatenate([self.ft_pct, ft_pct])
        self.box = np.concatenate([self.box, box])
        self.injury_prone = np.concatenate([self.injury_prone, rng.lognormal(0, 0.5, n)])
        return np.arange(start, start + n)


@dataclass
class Rosters:
    """One season's rosters: versions that change at trade dates."""

    first_year: int
    players: Players  # attributes as of this season
    versions: np.ndarray  # (V, 30, 15) player rows
    version_day: np.ndarray  # (V,) first day (on the season day grid) of each version
    trades: list[tuple[int, int, int, int]]  # (day, player row, from team, to team)
    def_mult: np.ndarray  # (30, 5) opponents' make probability multiplier per zone
    pace: np.ndarray  # (30,) possessions per 48 minutes

    def version_at(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.version_day, days, side="right") - 1

    @property
    def final(self) -> np.ndarray:
        return self.versions[-1]


def _team_traits(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    def_mult = np.clip(rng.normal(1.0, 0.06, (N_TEAMS, 5)), 0.85, 1.15)
    pace = rng.normal(99.0, 2.5, N_TEAMS)
    return def_mult, pace


def _sort_by_role(players: Players, roster: np.ndarray) -> np.ndarray:
    order = np.argsort(-players.base_minutes[roster], axis=1, kind="stable")
    return np.take_along_axis(roster, order, axis=1)


def _mid_season_trades(
    rng: np.random.Generator, cal: SeasonCalendar, players: Players, roster: np.ndarray
) -> Rosters:
    n_trades = int(rng.integers(4, 8))
    lo = cal.day(cal.opening) + 50
    hi = cal.day(cal.trade_deadline)
    days = np.sort(rng.integers(lo, hi + 1, n_trades))
    versions = [roster.copy()]
    version_day = [0]
    trades: list[tuple[int, int, int, int]] = []
    current = roster.copy()
    for day in days:
        a, b = rng.choice(N_TEAMS, 2, replace=False)
        slot_a = int(rng.integers(2, ROSTER_SIZE))
        slot_b = int(np.clip(slot_a + rng.integers(-1, 2), 0, ROSTER_SIZE - 1))
        pa, pb = current[a, slot_a], current[b, slot_b]
        current = current.copy()
        current[a, slot_a], current[b, slot_b] = pb, pa
        trades.append((int(day), int(pa), int(a), int(b)))
        trades.append((int(day), int(pb), int(b), int(a)))
        if version_day[-1] == day:
            versions[-1] = current
        else:
            versions.append(current)
            version_day.append(int(day))
    def_mult, pace = _team_traits(rng)
    return Rosters(
        cal.first_year,
        players.copy(),
        np.stack(versions),
        np.array(version_day),
        trades,
        def_mult,
        pace,
    )


def first_rosters(rng: np.random.Generator, names: NameBook, players: Players, first_year: int) -> Rosters:
    minutes = np.tile(_SLOT_MINUTES, N_TEAMS) * rng.lognormal(0, 0.08, N_TEAMS * ROSTER_SIZE)
    age = np.clip(rng.normal(26.5, 4.0, len(minutes)), 19, 38).round()
    rows = players.add(rng, names, minutes, age)
    roster = _sort_by_role(players, rows.reshape(N_TEAMS, ROSTER_SIZE))
    return _mid_season_trades(rng, SeasonCalendar.of(first_year), players, roster)


def next_rosters(
    rng: np.random.Generator, names: NameBook, players: Players, previous: Rosters
) -> Rosters:
    """Offseason: aging and progression, retirements, free-agent moves, rookies."""
    roster = previous.final.copy()
    on_roster = roster.ravel()
    age = players.age[on_roster] + 1
    players.age[on_roster] = age
    growth = np.where(age < 24, 1.10, np.where(age < 30, 1.0, np.where(age < 33, 0.95, 0.88)))
    players.base_minutes[on_roster] = np.clip(
        players.base_minutes[on_roster] * growth * rng.lognormal(0, 0.1, len(on_roster)), 2.0, 38.0
    )
    drift = np.where(age < 24, 0.006, np.where(age < 30, 0.0, -0.006))
    players.eff[on_roster] = np.clip(
        players.eff[on_roster] + drift[:, None] + rng.normal(0, 0.01, (len(on_roster), 5)), 0.2, 0.8
    )
    p_leave = np.where(age >= 35, 0.6, np.where(age >= 33, 0.25, 0.04))
    p_leave = p_leave + 0.08 * (players.base_minutes[on_roster] < 6)
    leaves = rng.random(len(on_roster)) < p_leave
    moves = ~leaves & (rng.random(len(on_roster)) < 0.1)
    flat = roster.ravel().copy()
    flat[leaves | moves] = -1
    roster = flat.reshape(N_TEAMS, ROSTER_SIZE)
    movers = on_roster[moves]
    open_slots = np.argwhere(roster < 0)
    open_slots = open_slots[rng.permutation(len(open_slots))]
    for k, p in enumerate(movers):
        t, s = open_slots[k]
        roster[t, s] = p
    still_open = np.argwhere(roster < 0)
    n_new = len(still_open)
    minutes = rng.choice(_SLOT_MINUTES[3:], n_new) * rng.lognormal(0, 0.15, n_new)
    rookie_age = rng.integers(19, 23, n_new).astype(np.float64)
    rows = players.add(rng, names, minutes, rookie_age)
    roster[still_open[:, 0], still_open[:, 1]] = rows
    roster = _sort_by_role(players, roster)
    return _mid_season_trades(rng, SeasonCalendar.of(previous.first_year + 1), players, roster)
