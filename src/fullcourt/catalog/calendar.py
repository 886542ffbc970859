"""The season calendar, derived from the schedule table rather than a hard-coded list.

One rule names a date's season: the schedule's own `season` for a date with games, and
for any other date the season under way or next to start — a season turns over on
1 August, so a July Finals game (2021) belongs to the season it ends and a September
day to the one about to begin. A season's nominal window runs from 1 October to
30 June; every date in it is a partition of every table, and so is every scheduled game
date outside it. Which dates have games, of which season type, and how many are final,
comes from `nbac_schedule` — so a postponed game simply moves.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fullcourt import errors

__all__ = [
    "EASTERN",
    "SEASON_TURNS",
    "Calendar",
    "GameDay",
    "eastern_date",
    "in_window",
    "parse_season",
    "season_dates",
    "season_name",
    "season_of",
    "season_window",
]

_SEASON = re.compile(r"^(\d{4})-(\d{2})$")

SEASON_TURNS = 8  # the month (August) in which one season's dates give way to the next's
EASTERN = ZoneInfo("America/New_York")


def eastern_date(moment: datetime) -> date:
    """The partition key of an instant: its US/Eastern calendar date (naive means UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(EASTERN).date()


def season_name(first_year: int) -> str:
    """`2023` -> `"2023-24"`: the one way a season is named."""
    return f"{first_year}-{(first_year + 1) % 100:02d}"


def parse_season(text: str) -> str:
    m = _SEASON.match(text.strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise errors.UsageError(f"bad season {text!r}: expected a name like 2023-24")
    return text.strip()


def season_window(season: str) -> tuple[date, date]:
    start = int(parse_season(season)[:4])
    return date(start, 10, 1), date(start + 1, 6, 30)


def season_of(d: date) -> str:
    """The season a date belongs to when the schedule does not say (see the module doc)."""
    return season_name(d.year if d.month >= SEASON_TURNS else d.year - 1)


def in_window(d: date) -> bool:
    """Whether `d` lies in its season's nominal window (October to June)."""
    lo, hi = season_window(season_of(d))
    return lo <= d <= hi


def season_dates(season: str) -> list[date]:
    lo, hi = season_window(season)
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]


@dataclass(frozen=True)
class GameDay:
    game_date: date
    season: str
    scheduled: Mapping[str, int]  # season_type -> games on the schedule
    final: Mapping[str, int]  # season_type -> games finished

    def games(self, season_types: Iterable[str], final_only: bool = True) -> int:
        src = self.final if final_only else self.scheduled
        return sum(src.get(t, 0) for t in season_types)

    @property
    def season_type(self) -> str:
        return max(self.scheduled, key=lambda t: self.scheduled[t]) if self.scheduled else ""


@dataclass
class Calendar:
    """Game days per season; dates absent from `days` have no games (or no schedule yet)."""

    days: dict[date, GameDay] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._game_dates: dict[str, list[date]] = {}
        for d in sorted(self.days):
            if sum(self.days[d].scheduled.values()) > 0:
                self._game_dates.setdefault(self.days[d].season, []).append(d)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping]) -> Calendar:
        """Rows of (game_date, season, season_type, scheduled, final) grouped counts."""
        sched: dict[date, dict[str, int]] = {}
        fin: dict[date, dict[str, int]] = {}
        season: dict[date, str] = {}
        for r in rows:
            d = r["game_date"]
            season[d] = r["season"]
            sched.setdefault(d, {})[r["season_type"]] = int(r["scheduled"])
            fin.setdefault(d, {})[r["season_type"]] = int(r["final"])
        return cls({d: GameDay(d, season[d], sched[d], fin[d]) for d in sched})

    def seasons(self) -> list[str]:
        return sorted(self._game_dates)

    def season_of(self, d: date) -> str:
        """The schedule's season of a game date; the calendar rule for any other date."""
        day = self.days.get(d)
        return day.season if day is not None and day.season else season_of(d)

    def dates(self, season: str) -> list[date]:
        """Every partition date of `season`: its nominal window and every scheduled game
        date outside it (a Finals in July, a season restarted in a bubble)."""
        extra = [d for d in self.game_dates(season) if not in_window(d)]
        return sorted({*season_dates(season), *extra})

    def game_dates(self, season: str) -> list[date]:
        return self._game_dates.get(season, [])

    def index(self, d: date) -> int | None:
        """Position of a game date within its season (0 = opening night)."""
        gd = self._game_dates.get(self.season_of(d), [])
        i = bisect_left(gd, d)
        return i if i < len(gd) and gd[i] == d else None

    def window_start(self, d: date, window: int) -> date:
        """First game date of a window of `window` previous game dates plus `d`."""
        gd = self._game_dates.get(self.season_of(d), [])
        i = bisect_right(gd, d) - 1
        if i < 0:
            return d
        return gd[max(0, i - window)]

    def to_payload(self) -> dict[date, tuple[str, dict]]:
        return {
            d: (g.season, {"scheduled": dict(g.scheduled), "final": dict(g.final)})
            for d, g in self.days.items()
        }

    @classmethod
    def from_payload(cls, payload: Mapping[date, tuple[str, dict]]) -> Calendar:
        return cls(
            {
                d: GameDay(d, s, p["scheduled"], p["final"])
                for d, (s, p) in payload.items()
            }
        )
