"""The season calendar of the simulated league: dates, tip-off times and the regular season.

The shape follows the real league: a Tuesday opening night in the second half of October,
1,230 games through a Sunday in mid April, no games on Thanksgiving and Christmas Eve, an
All-Star break of six empty days around the third Sunday of February, then play-in and
playoffs (see `postseason`). Tip-off times are drawn in Eastern time and stored in UTC, so
a 10:30 pm tip on the West Coast lands on the next UTC day while `game_date` stays Eastern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from fullcourt.catalog.calendar import season_name
from fullcourt.errors import UsageError
from fullcourt.sources.sim.franchises import FRANCHISES

__all__ = [
    "RegularSchedule",
    "SeasonCalendar",
    "eastern_to_utc",
    "matchups",
    "parse_season",
    "regular_schedule",
    "season_name",
    "season_window",
    "tipoff_minutes",
]

_SEASON = re.compile(r"^(\d{4})-(\d{2})$")


def parse_season(season: str) -> int:
    """First calendar year of a season name such as "2023-24"."""
    m = _SEASON.match(season)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise UsageError(f"not a season name: {season!r} (expected e.g. '2023-24')")
    return int(m.group(1))


def season_window(first_year: int) -> tuple[date, date]:
    """Nominal window of a season: October 1 to June 30."""
    return date(first_year, 10, 1), date(first_year + 1, 6, 30)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def eastern_to_utc(day: date, minutes_after_midnight: int) -> datetime:
    """US/Eastern wall-clock time to naive UTC (US daylight-saving rules since 2007)."""
    dst_start = _nth_weekday(day.year, 3, 6, 2)  # second Sunday of March
    dst_end = _nth_weekday(day.year, 11, 6, 1)  # first Sunday of November
    offset = 4 if dst_start <= day < dst_end else 5
    return datetime(day.year, day.month, day.day) + timedelta(
        minutes=minutes_after_midnight, hours=offset
    )


@dataclass(frozen=True)
class SeasonCalendar:
    first_year: int
    opening: date  # opening night (a Tuesday)
    regular_end: date  # last regular-season date (a Sunday)
    all_star: date  # All-Star Sunday
    break_days: frozenset[date]  # days without games
    trade_deadline: date
    window_start: date  # October 1: day 0 of the day grid
    window_end: date

    @classmethod
    def of(cls, first_year: int) -> SeasonCalendar:
        oct18 = date(first_year, 10, 18)
        opening = oct18 + timedelta(days=(1 - oct18.weekday()) % 7)
        regular_end = opening + timedelta(days=173)
        all_star = _nth_weekday(first_year + 1, 2, 6, 3)
        break_days = {all_star + timedelta(days=k) for k in range(-2, 4)}
        break_days.add(_nth_weekday(first_year, 11, 3, 4))  # Thanksgiving
        break_days.add(date(first_year, 12, 24))
        deadline = _nth_weekday(first_year + 1, 2, 3, 2)  # second Thursday of February
        start, end = season_window(first_year)
        return cls(
            first_year, opening, regular_end, all_star, frozenset(break_days), deadline, start, end
        )

    def day(self, d: date) -> int:
        return (d - self.window_start).days

    def date_of(self, day: int) -> date:
        return self.window_start + timedelta(days=int(day))

    @property
    def n_days(self) -> int:
        return self.day(self.window_end) + 1


def matchups(first_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Home and away team indices of the 1,230 regular-season games (41 home games each).

    Real formula: 4 games against each of 4 division rivals, 4 against 6 conference
    opponents and 3 against the other 4, 2 against every team of the other conference.
    Which conference opponents are met three times rotates by season.
    """
    divisions: dict[str, list[int]] = {}
    for i, f in enumerate(FRANCHISES):
        divisions.setdefault(f.division, []).append(i)
    conf_divs = {
        conf: [d for d in divisions if FRANCHISES[divisions[d][0]].conference == conf]
        for conf in ("East", "West")
    }
    home: list[int] = []
    away: list[int] = []

    def add(h: int, a: int, n: int) -> None:
        home.extend([h] * n)
        away.extend([a] * n)

    shift = first_year % 5
    n = len(FRANCHISES)
    for i in range(n):
        for j in range(i + 1, n):
            fi, fj = FRANCHISES[i], FRANCHISES[j]
            if fi.conference != fj.conference:
                add(i, j, 1)
                add(j, i, 1)
            elif fi.division == fj.division:
                add(i, j, 2)
                add(j, i, 2)
            else:
                divs = conf_divs[fi.conference]
                di, dj = divs.index(fi.division), divs.index(fj.division)
                pi = divisions[fi.division].index(i)
                pj = (divisions[fj.division].index(j) + shift) % 5
                # orient so the lower division index comes first
                if di < dj:
                    lo, hi, plo, phi = i, j, pi, pj
                else:
                    lo, hi, plo, phi = j, i, pj, pi
                diff = (phi - plo) % 5
                if diff == 0:
                    add(lo, hi, 2)
                    add(hi, lo, 1)
                elif diff == 1:
                    add(hi, lo, 2)
                    add(lo, hi, 1)
                else:
                    add(lo, hi, 2)
                    add(hi, lo, 2)
    return np.array(home, dtype=np.int64), np.array(away, dtype=np.int64)


@dataclass(frozen=True)
class RegularSchedule:
    home: np.ndarray  # team index per game, in chronological order
    away: np.ndarray
    day: np.ndarray  # day index on the season's day grid


def regular_schedule(cal: SeasonCalendar, rng: np.random.Generator) -> RegularSchedule:
    """Assign the 1,230 matchups to dates: no team plays twice a day or three days running."""
    home, away = matchups(cal.first_year)
    n_games = len(home)
    order = rng.permutation(n_games)
    home, away = home[order], away[order]
    days = [
        cal.day(cal.opening + timedelta(days=k))
        for k in range((cal.regular_end - cal.opening).days + 1)
        if cal.opening + timedelta(days=k) not in cal.break_days
    ]
    n_teams = len(FRANCHISES)
    remaining = np.bincount(home, minlength=n_teams) + np.bincount(away, minlength=n_teams)
    last = np.full(n_teams, -10)
    prev = np.full(n_teams, -10)
    left = list(range(n_games))
    out_day = np.full(n_games, -1)
    weekday_weight = np.array([0.9, 0.8, 1.25, 0.75, 1.1, 1.15, 0.75])  # Mon..Sun
    d_idx = 0
    while left:
        # a few stragglers extend past the nominal end
        day = days[d_idx] if d_idx < len(days) else days[-1] + (d_idx - len(days) + 1)
        date_ = cal.date_of(day)
        days_left = max(len(days) - d_idx, 1)
        wd = weekday_weight[date_.weekday()]
        mean = len(left) / days_left * wd / weekday_weight.mean()
        cap = int(np.clip(rng.poisson(mean), 2, 15)) if days_left > 3 else 15
        if date_ == cal.opening:
            cap = 2
        if date_.month == 12 and date_.day == 25:
            cap = 5
        # teams furthest behind play first; random tie-break
        tired = (last == day - 1).astype(np.float64) * 6.0
        hl, al = home[left], away[left]
        prio = remaining[hl] + remaining[al] - tired[hl] - tired[al] + 3 * rng.random(len(left))
        busy = np.zeros(n_teams, dtype=bool)
        taken: list[int] = []
        for k in np.argsort(-prio, kind="stable"):
            g = left[k]
            h, a = home[g], away[g]
            if busy[h] or busy[a]:
                continue
            if (last[h] == day - 1 and prev[h] == day - 2) or (
                last[a] == day - 1 and prev[a] == day - 2
            ):
                continue
            busy[h] = busy[a] = True
            taken.append(k)
            if len(taken) >= cap:
                break
        for k in taken:
            g = left[k]
            out_day[g] = day
            for t in (home[g], away[g]):
                prev[t], last[t] = last[t], day
                remaining[t] -= 1
        taken_set = set(taken)
        left = [g for k, g in enumerate(left) if k not in taken_set]
        d_idx += 1
    chrono = np.lexsort((np.arange(n_games), out_day))
    return RegularSchedule(home[chrono], away[chrono], out_day[chrono])


def tipoff_minutes(
    rng: np.random.Generator, days: np.ndarray, home_west_coast: np.ndarray, cal: SeasonCalendar
) -> np.ndarray:
    """Eastern minutes after midnight of each tip-off (7 pm to 10:30 pm, earlier on weekends)."""
    n = len(days)
    evening = np.array([19 * 60, 19 * 60 + 30, 20 * 60, 20 * 60 + 30, 21 * 60])
    t = evening[rng.choice(len(evening), size=n, p=[0.45, 0.3, 0.15, 0.05, 0.05])]
    t = np.where(home_west_coast, np.where(rng.random(n) < 0.6, 22 * 60, 22 * 60 + 30), t)
    weekday = np.array([cal.date_of(int(d)).weekday() for d in days])
    afternoon = np.array([12 * 60, 13 * 60, 15 * 60, 15 * 60 + 30, 17 * 60, 18 * 60])
    early = (weekday >= 5) & (rng.random(n) < 0.2)
    t = np.where(early, afternoon[rng.integers(len(afternoon), size=n)], t)
    return t
