"""One scraper per source: which endpoint holds a date, how to page it, how to count it.

A scraper knows its provider's dialect and nothing about retries, rate limits or
threads — those belong to `fetcher.Fetcher`, which hands each scraper a `get` callable.
A scraper returns the body to keep (one JSON document per source and date, pages
concatenated) and how many records it holds, so "fetched and empty" is a number the
ledger records rather than a guess.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

__all__ = ["SCRAPERS", "Get", "Scraper"]

# GET one URL path with query parameters, for one service (retried and rate-limited).
Get = Callable[[str, str, Mapping[str, Any]], httpx.Response]


@dataclass(frozen=True)
class Scraper:
    source: str
    service: str  # the provider prefix: bdl | nbac | bdb | odds (keys and rate limits)
    path: str
    date_param: str
    count: Callable[[Any], int]

    def fetch(self, get: Get, day: date) -> tuple[int, bytes]:
        """(HTTP status, body) of the date's payload; the caller maps statuses to outcomes."""
        response = get(self.service, self.path, {self.date_param: day.isoformat()})
        return response.status_code, response.content


@dataclass(frozen=True)
class PagedScraper(Scraper):
    """BallDontLie: `dates[]` plus cursor paging; pages are kept as one `data` list."""

    per_page: int = 100

    def fetch(self, get: Get, day: date) -> tuple[int, bytes]:
        records: list[Any] = []
        cursor: int | None = 0
        pages = 0
        while cursor is not None:
            params: dict[str, Any] = {self.date_param: day.isoformat(), "per_page": self.per_page}
            if cursor:
                params["cursor"] = cursor
            response = get(self.service, self.path, params)
            if response.status_code != 200:
                return response.status_code, response.content
            try:
                page = json.loads(response.content)
            except ValueError:  # a broken page makes the whole date's payload malformed
                return 200, response.content
            records.extend(page.get("data") or [])
            cursor = (page.get("meta") or {}).get("next_cursor")
            pages += 1
        body = {"data": records, "meta": {"pages": pages, "date": day.isoformat()}}
        return 200, json.dumps(body, separators=(",", ":")).encode()


def _schedule_games(p: Any) -> int:
    return sum(len(d.get("games") or []) for d in p["leagueSchedule"]["gameDates"])


def _gamebook_players(p: Any) -> int:
    return sum(
        len(g[side].get("players") or []) for g in p["games"] for side in ("homeTeam", "awayTeam")
    )


def _result_rows(p: Any) -> int:
    return sum(len(s.get("rowSet") or []) for s in p["resultSets"])


def _actions(p: Any) -> int:
    return sum(len(g.get("actions") or []) for g in p["games"])


def _lines(p: Any) -> int:
    return sum(
        1
        for snap in p["snapshots"]
        for event in snap.get("data") or []
        for book in event.get("bookmakers") or []
        for market in book.get("markets") or []
        for outcome in market.get("outcomes") or []
        if outcome.get("name") == "Over"
    )


def _entries(p: Any) -> int:
    return sum(len(r.get("entries") or []) for r in p["reports"])


def _bdl_records(p: Any) -> int:
    return len(p["data"])


SCRAPERS: dict[str, Scraper] = {
    s.source: s
    for s in (
        Scraper("nbac_schedule", "nbac", "/nbac/schedule", "gameDate", _schedule_games),
        Scraper("nbac_gamebook", "nbac", "/nbac/gamebook", "gameDate", _gamebook_players),
        PagedScraper("bdl_stats", "bdl", "/bdl/v1/stats", "dates[]", _bdl_records),
        Scraper("nbac_team_boxscore", "nbac", "/nbac/boxscore/team", "gameDate", _result_rows),
        Scraper("bdb_pbp", "bdb", "/bdb/pbp", "gameDate", _actions),
        Scraper("odds_props", "odds", "/odds/v4/historical/player_props", "date", _lines),
        Scraper("nbac_injury_report", "nbac", "/nbac/injuries", "gameDate", _entries),
    )
}
