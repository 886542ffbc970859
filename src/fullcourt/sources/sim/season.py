"""One simulated season as arrays: every game of the year in chronological order.

Regular season, play-in and playoffs are played by the same engine and stacked into one
`Box`, so everything downstream (raw tables, play-by-play, props, injury reports) is a
vectorised function of these arrays and never loops over games. Each kind of randomness
has its own seeded stream, so adding a feature to one stream (say, a new prop book) does
not reshuffle the games of a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fullcourt.sources.sim.calendar import (
    SeasonCalendar,
    eastern_to_utc,
    regular_schedule,
    season_name,
    tipoff_minutes,
)
from fullcourt.sources.sim.engine import Box, GameBatch, concat, play
from fullcourt.sources.sim.franchises import FRANCHISES
from fullcourt.sources.sim.injuries import Injuries, draw_injuries
from fullcourt.sources.sim.postseason import play_postseason, standings
from fullcourt.sources.sim.roster import Rosters

__all__ = ["SeasonArrays", "simulate", "stream"]

# Independent random streams of one season.
SCHEDULE, INJURY, GAMES, TIPOFF, PROPS, REPORTS, PLAYS = range(1, 8)
# Game-id prefixes of the real league: 002 regular season, 004 playoffs, 005 play-in.
_ID_PREFIX = {"regular": "002", "playoffs": "004", "play_in": "005"}
_WEST_COAST = np.array([f.west_coast for f in FRANCHISES])


def stream(seed: int, first_year: int, kind: int) -> np.random.Generator:
    return np.random.default_rng([seed, first_year, kind])


@dataclass(frozen=True)
class SeasonArrays:
    """All games of a season; per-game arrays have length G, `box` holds the players."""

    season: str
    calendar: SeasonCalendar
    rosters: Rosters
    injuries: Injuries
    box: Box
    home: np.ndarray  # team index
    away: np.ndarray
    day: np.ndarray  # day on the season grid (0 = October 1)
    season_type: np.ndarray  # "regular" | "play_in" | "playoffs"
    game_id: np.ndarray  # str
    tipoff_utc: np.ndarray  # datetime64[us], naive UTC

    @property
    def n_games(self) -> int:
        return len(self.home)

    @property
    def epoch_day(self) -> np.ndarray:
        """Days since 1970-01-01 of each game's (Eastern) date."""
        start = np.datetime64(self.calendar.window_start, "D").astype(np.int64)
        return start + self.day


def _rest(home: np.ndarray, away: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since each side's previous game (7 caps a long break, 1 is a back-to-back)."""
    last = np.full(len(FRANCHISES), -100)
    rest_home = np.empty(len(day), np.int64)
    rest_away = np.empty(len(day), np.int64)
    for g, (h, a, d) in enumerate(zip(home.tolist(), away.tolist(), day.tolist(), strict=True)):
        rest_home[g] = min(d - last[h], 7)
        rest_away[g] = min(d - last[a], 7)
        last[h] = last[a] = d
    return rest_home, rest_away


def simulate(seed: int, first_year: int, rosters: Rosters) -> SeasonArrays:
    cal = SeasonCalendar.of(first_year)
    sched = regular_schedule(cal, stream(seed, first_year, SCHEDULE))
    injuries = draw_injuries(
        stream(seed, first_year, INJURY), rosters.players.injury_prone, cal.n_days
    )
    rng = stream(seed, first_year, GAMES)
    rest_home, rest_away = _rest(sched.home, sched.away, sched.day)
    regular = play(
        rng, rosters, injuries, GameBatch(sched.home, sched.away, sched.day, rest_home, rest_away)
    )
    post = play_postseason(
        rng,
        rosters,
        injuries,
        regular,
        sched.day,
        standings(regular, rng),
        lambda d: cal.date_of(d).weekday(),
    )
    n_regular = len(sched.home)
    home = np.concatenate([sched.home, post.home])
    away = np.concatenate([sched.away, post.away])
    day = np.concatenate([sched.day, post.day])
    kind = np.concatenate([np.full(n_regular, "regular", dtype=object), post.season_type])
    number = np.concatenate([np.arange(1, n_regular + 1), post.number])
    yy = f"{first_year % 100:02d}"
    game_id = np.array(
        [f"{_ID_PREFIX[k]}{yy}{n:05d}" for k, n in zip(kind.tolist(), number.tolist(), strict=True)],
        dtype=object,
    )
    minutes = tipoff_minutes(stream(seed, first_year, TIPOFF), day, _WEST_COAST[home], cal)
    tipoff = np.array(
        [
            eastern_to_utc(cal.date_of(d), int(m))
            for d, m in zip(day.tolist(), minutes.tolist(), strict=True)
        ],
        dtype="datetime64[us]",
    )
    order = np.lexsort((game_id, tipoff))
    box = concat([regular, post.box])
    box = Box(**{k: getattr(box, k)[order] for k in Box.__dataclass_fields__})
    return SeasonArrays(
        season=season_name(first_year),
        calendar=cal,
        rosters=rosters,
        injuries=injuries,
        box=box,
        home=home[order],
        away=away[order],
        day=day[order],
        season_type=kind[order],
        game_id=game_id[order],
        tipoff_utc=tipoff[order],
    )
