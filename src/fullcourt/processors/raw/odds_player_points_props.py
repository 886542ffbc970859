"""Player-points prop lines: one row per event, bookmaker, player and snapshot.

The Odds API nests event -> bookmaker -> market -> outcomes and sends the two sides of a
line as separate outcomes ("Over" and "Under", each with price and point); they are
paired here into one row with both prices. Books name teams in full ("LA Clippers"),
translated to tricodes; player names stay as the book wrote them (only whitespace is
normalised) because matching them to player ids is analytics' job and must be visible.
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from fullcourt.catalog.gates import Check, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.raw.payload import Model, clean_name, decode, invalid, to_table, utc
from fullcourt.sources.teams import tricode_of_name

__all__ = ["SPEC", "build"]

TABLE = "odds_player_points_props"
KEYS = ("event_id", "bookmaker", "player_name", "snapshot_at")
MARKET = "player_points"


class _Outcome(Model):
    name: str
    description: str
    price: int | None = None
    point: float


class _Market(Model):
    key: str
    outcomes: list[_Outcome]


class _Book(Model):
    key: str
    markets: list[_Market]


class _Event(Model):
    id: str
    commence_time: datetime
    home_team: str
    away_team: str
    bookmakers: list[_Book]


class _Snapshot(Model):
    timestamp: datetime
    data: list[_Event]


class _Payload(Model):
    snapshots: list[_Snapshot]


def _team(name: str, event: str, game_date: date) -> str:
    code = tricode_of_name(name)
    if code is None:
        raise invalid(TABLE, game_date, f"event {event}: unknown team {name!r}")
    return code


def build(body: bytes, game_date: date) -> pa.Table:
    payload = decode(body, _Payload, TABLE, game_date)
    lines: dict[tuple, dict] = {}
    for snap in payload.snapshots:
        at = utc(snap.timestamp)
        for e in snap.data:
            home = _team(e.home_team, e.id, game_date)
            away = _team(e.away_team, e.id, game_date)
            for book in e.bookmakers:
                for market in book.markets:
                    if market.key != MARKET:
                        continue
                    for o in market.outcomes:
                        side = o.name.strip().lower()
                        if side not in ("over", "under"):
                            raise invalid(TABLE, game_date, f"event {e.id}: outcome {o.name!r}")
                        player = clean_name(o.description)
                        key = (e.id, book.key, player, at)
                        row = lines.setdefault(
                            key,
                            {
                                "event_id": e.id,
                                "game_date": game_date,
                                "commence_time": utc(e.commence_time),
                                "home_team": home,
                                "away_team": away,
                                "bookmaker": book.key,
                                "player_name": player,
                                "line": o.point,
                                "over_price": None,
                                "under_price": None,
                                "snapshot_at": at,
                            },
                        )
                        if o.point != row["line"]:
                            raise invalid(
                                TABLE, game_date,
                                f"event {e.id} {book.key} {player}: over/under at different lines",
                            )
                        row[f"{side}_price"] = o.price
    return to_table(TABLE, list(lines.values()))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=KEYS,
    build=build,
    inputs=(Input("scrape.odds_props"),),
    gates=(
        Unique(),
        Range("line", 0.0, 80.0),
        Check("snapshot before tip-off", lambda t: t.snapshot_at <= t.commence_time),
        Check("American odds outside (-100, 100)",
              lambda t: (t.over_price.abs() >= 100) & (t.under_price.abs() >= 100)),
    ),
    expectation=Expectation.ANY,
    description="Player points prop lines per bookmaker, opening and closing snapshots.",
    extra={"expects": "scheduled"},
)
