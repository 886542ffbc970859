"""The simulated league: a deterministic history of seasons behind one seed.

`League(seed).season("2023-24")` gives the seven raw tables of that season and the
truth (each player-game's true expected points, which only evaluations may read).
Rosters evolve from the first simulated season on (aging, retirements, rookies, trades),
so a season's players depend only on (seed, season) — the history before it is replayed
lazily and cheaply — and each season's tables are computed once and cached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from fullcourt import errors
from fullcourt.catalog import calendar as catalog_calendar
from fullcourt.sources.sim.calendar import parse_season
from fullcourt.sources.sim.names import NameBook
from fullcourt.sources.sim.plays import play_by_play
from fullcourt.sources.sim.props import prop_lines
from fullcourt.sources.sim.reports import injury_reports
from fullcourt.sources.sim.roster import Players, Rosters, first_rosters, next_rosters
from fullcourt.sources.sim.season import SeasonArrays, simulate
from fullcourt.sources.sim.tables import box_tables

__all__ = ["FIRST_SEASON_YEAR", "League", "SeasonData"]

FIRST_SEASON_YEAR = 2021  # the league's history starts with 2021-22
_ROSTER_STREAM = 0


@dataclass(frozen=True)
class SeasonData:
    name: str
    tables: dict[str, pa.Table]  # raw table name -> rows, columns of RAW_SCHEMAS
    truth: pa.Table  # game_id, game_date, player_id, expected_points
    arrays: SeasonArrays


class League:
    def __init__(self, seed: int = 7):
        self.seed = int(seed)
        self._players = Players()
        self._names = NameBook()
        self._rosters: list[Rosters] = []
        self._seasons: dict[str, SeasonData] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"League(seed={self.seed})"

    def season_of(self, day: date) -> str | None:
        """The season a date belongs to (October to June), None in summer or before history."""
        name = catalog_calendar.season_of(day)
        if not catalog_calendar.in_window(day) or int(name[:4]) < FIRST_SEASON_YEAR:
            return None
        return name

    def seasons(self, through: date) -> list[str]:
        """Names of the simulated seasons that start on or before `through`."""
        last = through.year if through.month >= 10 else through.year - 1
        return [f"{y}-{(y + 1) % 100:02d}" for y in range(FIRST_SEASON_YEAR, last + 1)]

    def rosters(self, first_year: int) -> Rosters:
        with self._lock:
            while len(self._rosters) <= first_year - FIRST_SEASON_YEAR:
                year = FIRST_SEASON_YEAR + len(self._rosters)
                rng = np.random.default_rng([self.seed, year, _ROSTER_STREAM])
                if not self._rosters:
                    r = first_rosters(rng, self._names, self._players, year)
                else:
                    r = next_rosters(rng, self._names, self._players, self._rosters[-1])
                self._rosters.append(r)
            return self._rosters[first_year - FIRST_SEASON_YEAR]

    def season(self, name: str) -> SeasonData:
        first_year = parse_season(name)
        if first_year < FIRST_SEASON_YEAR:
            raise errors.DateOutsideSeasons(
                f"season {name} is before the simulated league's first season "
                f"{FIRST_SEASON_YEAR}-{(FIRST_SEASON_YEAR + 1) % 100:02d}"
            )
        with self._lock:
            cached = self._seasons.get(name)
            if cached is not None:
                return cached
            arrays = simulate(self.seed, first_year, self.rosters(first_year))
            tables, truth = box_tables(arrays)
            tables["bdb_play_by_play"] = play_by_play(arrays, self.seed)
            tables["odds_player_points_props"] = prop_lines(arrays, self.seed)
            tables["nbac_injury_report"] = injury_reports(arrays, self.seed)
            data = SeasonData(name, tables, truth, arrays)
            self._seasons[name] = data
            return data
