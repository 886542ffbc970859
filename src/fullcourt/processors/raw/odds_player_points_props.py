"""Player-points prop lines: one row per event, bookmaker, player, snapshot and line.

One body is one response of The Odds API v4 for one event:
`historical/sports/basketball_nba/events/{id}/odds` (the wrapper `{timestamp,
previous_timestamp, next_timestamp, data: event}`, whose `timestamp` is when the
snapshot was taken) or the live `sports/basketball_nba/events/{id}/odds` (the bare
event; the line is as of each market's `last_update`). An event nests bookmaker ->
market -> outcomes and sends the two sides of a line as separate outcomes ("Over" and
"Under", each with price and point); they are paired here, by player and point, into one
row with both prices. Event lists (`.../events`) carry no lines and give no rows.

Some books put an alternate-line ladder (one player, many points) in the same market.
The ladder is kept, one row per point, and `main_line` marks the one line that is the
book's main line: among the points quoted on both sides, the one whose two prices are
closest to even (implied probabilities most alike; the lower point on a tie); a book
with a single point quotes it as its main line, and a ladder quoted on one side only has
no main line. Books name teams in full ("LA Clippers"), translated to tricodes; player
names stay as the book wrote them (only whitespace is normalised) because matching them
to player ids is analytics' job and must be visible.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa

from fullcourt.catalog.gates import Check, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, Step, TableSpec
from fullcourt.processors.raw.payload import (
    Model,
    clean_name,
    decode,
    eastern_date,
    invalid,
    load_json,
    to_table,
    utc,
)
from fullcourt.sources.teams import tricode_of_name

__all__ = ["KEYS", "MARKET", "SPEC", "build", "event_lines", "is_odds"]

TABLE = "odds_player_points_props"
KEYS = ("event_id", "bookmaker", "player_name", "snapshot_at", "line")
MARKET = "player_points"


class _Outcome(Model):
    name: str
    description: str
    price: int | float | None = None
    point: float


class _Market(Model):
    key: str
    last_update: datetime | None = None
    outcomes: list[_Outcome]


class _Book(Model):
    key: str
    last_update: datetime | None = None
    markets: list[_Market]


class _Event(Model):
    id: str
    commence_time: datetime
    home_team: str
    away_team: str
    bookmakers: list[_Book] = []


class _Historical(Model):
    timestamp: datetime
    data: _Event


def is_odds(data: Any) -> str | None:
    """event_odds (historical or live), events (a list of events), or None."""
    inner = data.get("data") if isinstance(data, dict) and "timestamp" in data else data
    if isinstance(inner, dict) and "bookmakers" in inner and "commence_time" in inner:
        return "event_odds"
    if isinstance(inner, list) and all(isinstance(e, dict) and "commence_time" in e for e in inner):
        return "events"
    return None


def _team(name: str, event: str, day: date | None) -> str:
    code = tricode_of_name(name)
    if code is None:
        raise invalid(TABLE, day, f"event {event}: unknown team {name!r}")
    return code


def _implied(price: float | None) -> float | None:
    if price is None:
        return None
    return 100.0 / (price + 100.0) if price > 0 else -price / (-price + 100.0)


def _mark_main(rows: list[dict]) -> None:
    """Set `main_line` on the rows of one (book, player, snapshot); see the module doc."""
    if len(rows) == 1:
        rows[0]["main_line"] = True
        return
    both = [r for r in rows if r["_over"] and r["_under"]]
    for r in rows:
        r["main_line"] = False
    if not both:
        return

    def balance(r: dict) -> tuple[float, float]:
        o, u = _implied(r["over_price"]), _implied(r["under_price"])
        return (abs(o - u) if o is not None and u is not None else 1.0, r["line"])

    min(both, key=balance)["main_line"] = True


def event_lines(data: Any, day: date | None) -> tuple[str, datetime, list[dict], int]:
    """(event id, commence time, line rows, number of outcomes) of an event-odds body."""
    if isinstance(data, dict) and "timestamp" in data:
        wrapped = decode(data, _Historical, TABLE, day)
        event, at = wrapped.data, utc(wrapped.timestamp)
    else:
        event, at = decode(data, _Event, TABLE, day), None
    home = _team(event.home_team, event.id, day)
    away = _team(event.away_team, event.id, day)
    commence = utc(event.commence_time)
    lines: dict[tuple, dict] = {}
    outcomes = 0
    for book in event.bookmakers:
        for market in book.markets:
            if market.key != MARKET:
                continue
            seen = market.last_update or book.last_update
            snapshot = at if at is not None else (utc(seen) if seen else None)
            if snapshot is None:
                raise invalid(TABLE, day, f"event {event.id} {book.key}: no snapshot time")
            for o in market.outcomes:
                outcomes += 1
                side = o.name.strip().lower()
                if side not in ("over", "under"):
                    raise invalid(TABLE, day, f"event {event.id}: outcome {o.name!r}")
                player = clean_name(o.description)
                key = (book.key, player, snapshot, o.point)
                row = lines.get(key)
                if row is None:
                    row = lines[key] = {
                        "event_id": event.id,
                        "commence_time": commence,
                        "home_team": home,
                        "away_team": away,
                        "bookmaker": book.key,
                        "player_name": player,
                        "line": o.point,
                        "main_line": False,
                        "over_price": None,
                        "under_price": None,
                        "snapshot_at": snapshot,
                        "_over": False,
                        "_under": False,
                    }
                row[f"{side}_price"] = None if o.price is None else int(o.price)
                row[f"_{side}"] = True
    ladders: dict[tuple, list[dict]] = {}
    for (book, player, snapshot, _), row in lines.items():
        ladders.setdefault((book, player, snapshot), []).append(row)
    for rows in ladders.values():
        _mark_main(rows)
    return event.id, commence, list(lines.values()), outcomes


def build(body: bytes, game_date: date) -> pa.Table:
    data = load_json(body, TABLE, game_date)
    kind = is_odds(data)
    if kind == "events":
        return to_table(TABLE, [])
    if kind is None:
        raise invalid(TABLE, game_date, "not an Odds API event-odds or events response")
    event_id, commence, rows, _ = event_lines(data, game_date)
    if eastern_date(commence) != game_date:
        raise invalid(TABLE, game_date, f"event {event_id} tips off on {eastern_date(commence)}")
    return to_table(TABLE, [{**r, "game_date": game_date} for r in rows])


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=KEYS,
    build=build,
    inputs=(Input("scrape.odds_props"),),
    step=Step.PARSE,
    gates=(
        Unique(),
        Range("line", 0.0, 80.0),
        Check("snapshot before tip-off", lambda t: t.snapshot_at <= t.commence_time),
        Check("American odds outside (-100, 100)",
              lambda t: (t.over_price.abs() >= 100) & (t.under_price.abs() >= 100)),
    ),
    expectation=Expectation.ANY,
    description="Player points prop lines per bookmaker and snapshot; alternate ladders kept, main line marked.",
    extra={"expects": "scheduled"},
)
