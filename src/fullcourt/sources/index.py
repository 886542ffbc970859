"""A league's raw tables indexed the ways the provider APIs are asked for them.

The providers answer per game (a box score, a play-by-play), per date (a game log, a
BallDontLie page), per season (the schedule), per event and snapshot (odds) and per
publication time (the injury report). `SeasonIndex` sorts each of a season's raw tables
once by the key its endpoint is asked by and keeps the offsets, so a request slices a
few rows instead of scanning a season; `LeagueIndex` loads seasons on first use and
finds the season of a game id, an event or a date.

`league` is anything with `season(name)` returning an object with `.tables` (raw tables
as pyarrow, columns of `RAW_SCHEMAS`) and `season_of(day) -> name | None`: the
simulated league or the replayed files.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

import pyarrow as pa

from fullcourt.sources.teams import BDL_IDS

__all__ = ["League", "LeagueIndex", "Rows", "SeasonIndex"]

Row = dict[str, Any]


class Season(Protocol):
    tables: Mapping[str, pa.Table]


class League(Protocol):
    def season(self, name: str) -> Season: ...

    def season_of(self, day: date) -> str | None: ...


@dataclass
class Rows:
    """One table sorted by a key, with the row range of every key value."""

    table: pa.Table
    spans: dict[Any, tuple[int, int]]

    @classmethod
    def by(cls, table: pa.Table, *keys: str) -> Rows:
        table = table.sort_by([(k, "ascending") for k in keys])
        columns = [table.column(k).to_pylist() for k in keys]
        values = list(zip(*columns, strict=True)) if len(keys) > 1 else columns[0]
        spans: dict[Any, tuple[int, int]] = {}
        start = 0
        for i in range(1, len(values) + 1):
            if i == len(values) or values[i] != values[start]:
                spans[values[start]] = (start, i)
                start = i
        return cls(table, spans)

    def get(self, value: Any) -> list[Row]:
        lo, hi = self.spans.get(value, (0, 0))
        return self.table.slice(lo, hi - lo).to_pylist() if hi > lo else []

    def keys(self) -> list[Any]:
        return list(self.spans)


@dataclass
class SeasonIndex:
    name: str
    schedule: list[Row]
    games: dict[str, Row]  # game id -> schedule row
    by_date: dict[date, list[Row]]  # game date -> schedule rows
    gamebook: Rows  # by game id
    team_box: Rows  # by game id
    play_by_play: Rows  # by game id
    bdl: Rows  # by game date
    props: Rows  # by event id
    events: dict[str, Row]  # event id -> one line of it (teams, commence time)
    events_by_date: dict[date, list[str]]
    reports: Rows  # injury report rows by publication time
    team_ids: dict[str, int] = field(default_factory=lambda: dict(BDL_IDS))

    @classmethod
    def of(cls, name: str, tables: Mapping[str, pa.Table]) -> SeasonIndex:
        schedule = tables["nbac_schedule"].sort_by([("game_date", "ascending"), ("tipoff_utc", "ascending"),
                                                    ("game_id", "ascending")]).to_pylist()
        by_date: dict[date, list[Row]] = {}
        for g in schedule:
            by_date.setdefault(g["game_date"], []).append(g)
        props = Rows.by(tables["odds_player_points_props"], "event_id")
        heads = {e: props.table.slice(lo, 1).to_pylist()[0] for e, (lo, _) in props.spans.items()}
        events_by_date: dict[date, list[str]] = {}
        for e, head in sorted(heads.items(), key=lambda kv: (kv[1]["commence_time"], kv[0])):
            events_by_date.setdefault(head["game_date"], []).append(e)
        return cls(
            name=name,
            schedule=schedule,
            games={g["game_id"]: g for g in schedule},
            by_date=by_date,
            gamebook=Rows.by(tables["nbac_gamebook_player_stats"], "game_id"),
            team_box=Rows.by(tables["nbac_team_boxscore"], "game_id"),
            play_by_play=Rows.by(tables["bdb_play_by_play"], "game_id"),
            bdl=Rows.by(tables["bdl_player_boxscores"], "game_date"),
            props=props,
            events=heads,
            events_by_date=events_by_date,
            reports=Rows.by(tables["nbac_injury_report"], "report_at"),
        )

    def homes(self) -> dict[str, tuple[str, str]]:
        return {g: (r["home_team"], r["away_team"]) for g, r in self.games.items()}

    def postseason(self) -> dict[str, bool]:
        return {g: r["season_type"] == "playoffs" for g, r in self.games.items()}

    def team_rows(self, day: date) -> list[Row]:
        return [t for g in self.by_date.get(day, []) for t in self.team_box.get(g["game_id"])]

    def report_times(self) -> list[datetime]:
        return sorted(self.reports.keys())


class LeagueIndex:
    """Season indexes loaded once and shared by every request."""

    def __init__(self, league: League):
        self.league = league
        self._seasons: dict[str, SeasonIndex | None] = {}
        self._lock = threading.Lock()

    def named(self, name: str) -> SeasonIndex | None:
        with self._lock:
            if name not in self._seasons:
                try:
                    tables = self.league.season(name).tables
                except Exception:  # noqa: BLE001 - the league decides which names exist
                    self._seasons[name] = None
                else:
                    self._seasons[name] = SeasonIndex.of(name, tables)
            return self._seasons[name]

    def of_date(self, day: date) -> SeasonIndex | None:
        name = self.league.season_of(day)
        return self.named(name) if name else None

    def of_game(self, game_id: str) -> SeasonIndex | None:
        """The season of an NBA.com game id ("0022300061" -> 2023-24), if the league has it."""
        if len(game_id) != 10 or not game_id.isdigit():
            return None
        first = 2000 + int(game_id[3:5])
        season = self.named(f"{first}-{(first + 1) % 100:02d}")
        return season if season is not None and game_id in season.games else None

    def of_event(self, event_id: str, near: date | None) -> SeasonIndex | None:
        season = self.of_date(near) if near else None
        if season is not None and event_id in season.events:
            return season
        with self._lock:
            loaded = [s for s in self._seasons.values() if s is not None]
        return next((s for s in loaded if event_id in s.events), None)
