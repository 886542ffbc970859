"""Play-in tournament and best-of-seven playoffs, seeded from the simulated standings.

Each round is simulated as one batch holding all seven potential games of every series;
a series keeps its games up to the fourth win and the rest are discarded. The draws are
deterministic, so discarding them costs nothing in reproducibility.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fullcourt.sources.sim.engine import Box, GameBatch, concat, play, take
from fullcourt.sources.sim.franchises import FRANCHISES
from fullcourt.sources.sim.injuries import Injuries
from fullcourt.sources.sim.roster import Rosters

__all__ = ["Postseason", "play_postseason", "standings"]

_HOME_GAMES = np.array([True, True, False, False, True, False, True])  # 2-2-1-1-1
_CONF = np.array([f.conference == "East" for f in FRANCHISES])


@dataclass(frozen=True)
class Postseason:
    box: Box
    home: np.ndarray
    away: np.ndarray
    day: np.ndarray
    season_type: np.ndarray  # "play_in" | "playoffs"
    number: np.ndarray  # the 5-digit counter of the game id


def standings(box: Box, rng: np.random.Generator) -> np.ndarray:
    """A sortable strength per team: wins, then point differential, then a coin."""
    score = box.score
    won = score[:, 0] > score[:, 1]
    wins = np.bincount(box.team[:, 0], won, 30) + np.bincount(box.team[:, 1], ~won, 30)
    diff = np.bincount(box.team[:, 0], score[:, 0] - score[:, 1], 30) + np.bincount(
        box.team[:, 1], score[:, 1] - score[:, 0], 30
    )
    return wins * 1e6 + diff * 10 + rng.random(30)


class _Runner:
    def __init__(
        self,
        rng: np.random.Generator,
        rosters: Rosters,
        injuries: Injuries,
        last_day: np.ndarray,
        strength: np.ndarray,
    ) -> None:
        self.rng = rng
        self.rosters = rosters
        self.injuries = injuries
        self.last_day = last_day.copy()
        self.strength = strength
        self.parts: list[tuple[Box, np.ndarray, np.ndarray, np.ndarray, str, np.ndarray]] = []

    def batch(self, home, away, day, prev_day) -> Box:
        games = GameBatch(
            home=home,
            away=away,
            day=day,
            rest_home=np.minimum(day - prev_day[0], 7),
            rest_away=np.minimum(day - prev_day[1], 7),
            playoffs=True,
        )
        return play(self.rng, self.rosters, self.injuries, games)

    def keep(self, box, home, away, day, kind, number) -> None:
        self.parts.append((box, home, away, day, kind, number))
        for t, d in zip(np.concatenate([home, away]), np.concatenate([day, day]), strict=True):
            self.last_day[t] = max(self.last_day[t], d)

    def single_games(self, home, away, day, numbers) -> np.ndarray:
        home, away, day = np.array(home), np.array(away), np.array(day)
        box = self.batch(home, away, day, (self.last_day[home], self.last_day[away]))
        self.keep(box, home, away, day, "play_in", np.array(numbers))
        s = box.score
        return np.where(s[:, 0] > s[:, 1], home, away)

    def series(self, high, low, start, round_no) -> tuple[np.ndarray, np.ndarray]:
        """Best-of-seven series (higher seed first); returns winners and last game days."""
        k = len(high)
        j = np.arange(7)
        day = start[:, None] + 2 * j[None, :] + (j[None, :] >= 4)  # (k, 7)
        home = np.where(_HOME_GAMES[None, :], high[:, None], low[:, None])
        away = np.where(_HOME_GAMES[None, :], low[:, None], high[:, None])
        prev = day - np.concatenate([np.full((k, 1), 2), np.diff(day, axis=1)], axis=1)
        prev_home = np.where(j[None, :] == 0, self.last_day[home[:, 0]][:, None], prev)
        prev_away = np.where(j[None, :] == 0, self.last_day[away[:, 0]][:, None], prev)
        box = self.batch(
            home.ravel(), away.ravel(), day.ravel(), (prev_home.ravel(), prev_away.ravel())
        )
        s = box.score.reshape(k, 7, 2)
        high_won = np.where(_HOME_GAMES[None, :], s[..., 0] > s[..., 1], s[..., 1] > s[..., 0])
        high_wins = np.cumsum(high_won, axis=1)
        low_wins = np.cumsum(~high_won, axis=1)
        length = np.argmax((high_wins == 4) | (low_wins == 4), axis=1) + 1
        played = j[None, :] < length[:, None]
        idx = np.flatnonzero(played.ravel())
        number = (round_no * 100 + np.arange(k)[:, None] * 10 + j[None, :] + 1).ravel()
        self.keep(
            take(box, idx),
            home.ravel()[idx],
            away.ravel()[idx],
            day.ravel()[idx],
            "playoffs",
            number[idx],
        )
        winner = np.where(high_wins[np.arange(k), length - 1] == 4, high, low)
        return winner, day[np.arange(k), length - 1]

    def order(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(higher seed, lower seed) by regular-season strength."""
        a_first = self.strength[a] >= self.strength[b]
        return np.where(a_first, a, b), np.where(a_first, b, a)


def play_postseason(
    rng: np.random.Generator,
    rosters: Rosters,
    injuries: Injuries,
    regular: Box,
    regular_day: np.ndarray,
    strength: np.ndarray,
    weekday_of: Callable[[int], int],
) -> Postseason:
    last_day = np.full(30, -10)
    for side in (0, 1):
        np.maximum.at(last_day, regular.team[:, side], regular_day)
    end = int(regular_day.max())
    run = _Runner(rng, rosters, injuries, last_day, strength)

    seeds = {}
    for east in (True, False):
        teams = np.flatnonzero(east == _CONF)
        seeds[east] = teams[np.argsort(-strength[teams], kind="stable")]
    # play-in: Tuesday (East) and Wednesday (West), deciders on Friday
    tuesday = end + ((1 - weekday_of(end)) % 7 or 7)
    first_round: dict[bool, list[int]] = {}
    deciders = []
    for k, east in enumerate((True, False)):
        s = seeds[east]
        w = run.single_games([s[6], s[8]], [s[7], s[9]], [tuesday + k] * 2, [2 * k + 1, 2 * k + 2])
        loser78 = s[7] if w[0] == s[6] else s[6]
        first_round[east] = [*s[:6], int(w[0])]
        deciders.append((loser78, int(w[1])))
    w = run.single_games(
        [d[0] for d in deciders], [d[1] for d in deciders], [tuesday + 3] * 2, [5, 6]
    )
    first_round[True].append(int(w[0]))
    first_round[False].append(int(w[1]))

    # playoffs: 1v8, 4v5, 3v6, 2v7 in each conference
    start = tuesday + 4
    bracket = {east: np.array(first_round[east])[[0, 7, 3, 4, 2, 5, 1, 6]] for east in (True, False)}
    # round 1 of both conferences in one batch: East series 0-3, West 4-7
    high = np.concatenate([bracket[True][0::2], bracket[False][0::2]])
    low = np.concatenate([bracket[True][1::2], bracket[False][1::2]])
    w, e = run.series(high, low, start + np.arange(8) % 2, 1)
    winners = {True: w[:4], False: w[4:]}
    ends = {True: e[:4].max(), False: e[4:].max()}
    for round_no in (2, 3):
        highs, lows, starts = [], [], []
        for east in (True, False):
            prev = winners[east]
            h, lo = run.order(prev[0::2], prev[1::2])
            highs.append(h)
            lows.append(lo)
            starts.append(ends[east] + 2 + np.arange(len(h)) % 2)
        half = len(highs[0])
        w, e = run.series(
            np.concatenate(highs), np.concatenate(lows), np.concatenate(starts), round_no
        )
        winners = {True: w[:half], False: w[half:]}
        ends = {True: e[:half].max(), False: e[half:].max()}
    h, lo = run.order(winners[True], winners[False])
    run.series(h, lo, np.array([max(ends[True], ends[False]) + 3]), 4)

    box = concat([p[0] for p in run.parts])
    return Postseason(
        box=box,
        home=np.concatenate([p[1] for p in run.parts]),
        away=np.concatenate([p[2] for p in run.parts]),
        day=np.concatenate([p[3] for p in run.parts]),
        season_type=np.concatenate([np.full(len(p[1]), p[4]) for p in run.parts]),
        number=np.concatenate([p[5] for p in run.parts]),
    )
