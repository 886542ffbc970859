"""The Odds API v4 as it serves it: events, then one event's odds at a time.

- `events`: the list of events (`GET /v4/sports/{sport}/events`, and historical
  `.../historical/sports/{sport}/events?date=` inside the snapshot wrapper);
- `event_odds`: one event with its bookmakers -> `player_points` market -> outcomes,
  one outcome per side ("Over"/"Under", `description` the player, `point` the line),
  books naming teams in full; an alternate ladder is just more outcomes of the market;
- `historical`: the wrapper `{timestamp, previous_timestamp, next_timestamp, data}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fullcourt.sources.teams import TEAM_NAMES
from fullcourt.sources.wire import iso_utc

__all__ = ["SPORT", "event", "event_odds", "historical"]

SPORT = "basketball_nba"
Row = Mapping[str, Any]


def event(r: Row) -> dict:
    return {
        "id": r["event_id"],
        "sport_key": SPORT,
        "sport_title": "NBA",
        "commence_time": iso_utc(r["commence_time"]),
        "home_team": TEAM_NAMES.get(r["home_team"], r["home_team"]),
        "away_team": TEAM_NAMES.get(r["away_team"], r["away_team"]),
    }


def event_odds(head: Row, rows: Sequence[Row]) -> dict:
    """One event (`head`: any of its rows) with the lines of `rows` (one snapshot). A
    side without a price (replayed daily-fantasy lines) goes out with `price: null`."""
    books: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: (r["bookmaker"], r["player_name"], r["line"])):
        book = books.setdefault(
            r["bookmaker"],
            {
                "key": r["bookmaker"],
                "title": r["bookmaker"],
                "last_update": iso_utc(r["snapshot_at"]),
                "markets": [{"key": "player_points", "last_update": iso_utc(r["snapshot_at"]), "outcomes": []}],
            },
        )
        outcomes = book["markets"][0]["outcomes"]
        for side, price in (("Over", r["over_price"]), ("Under", r["under_price"])):
            outcomes.append({"name": side, "description": r["player_name"], "price": price,
                             "point": r["line"]})
    return {**event(head), "bookmakers": list(books.values())}


def historical(timestamp: datetime, data: Any, previous: datetime | None, following: datetime | None) -> dict:
    return {
        "timestamp": iso_utc(timestamp),
        "previous_timestamp": iso_utc(previous),
        "next_timestamp": iso_utc(following),
        "data": data,
    }
