"""Phase 1 per provider: which requests make up one (source, date) partition.

Each source speaks one provider's real protocol (`nbacom`: the NBA.com CDN and stats
site; `balldontlie`; `oddsapi`: The Odds API v4; `injuries`: the league's injury report
PDF). A scraper turns a date and the schedule's games of that date into requests —
one per game, per event and snapshot, per page or per publication — and its responses
into `Item`s: what the partition keeps, each with the records it holds and the games it
covers. It knows nothing about retries, rate limits, keys, threads or storage; those are
the `Context` it is handed (`fetcher.Fetcher`). What it could not get is `missing`,
keyed by the game or item and worded for the operator, so a partition with a game
missing is `partial` naming the game, and the next scrape asks only for what is missing
(`skip` lists the items already kept).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

__all__ = ["Context", "Exchange", "Fetched", "Game", "Item", "Scraper", "decoded", "missing_text", "provides_none"]


@dataclass(frozen=True)
class Game:
    """One game of the schedule, as the scrapers need it."""

    game_id: str
    game_date: date
    home: str
    away: str
    status: str  # final | scheduled | postponed
    tipoff_utc: datetime | None
    season_type: str
    season: str


@dataclass
class Exchange:
    """One request and its response; `url` never carries a key."""

    service: str
    url: str
    status: int  # HTTP status; 0 when no response came
    body: bytes | None
    fetched_at: datetime
    error: str | None = None  # why the response is not usable (worded for the operator)
    records: int = 0
    ext: str = "json"
    quota: tuple[int | None, int | None] = (None, None)  # Odds API: remaining, used
    # not published yet (403/404) or published empty: owed, but nothing went wrong
    soft: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.body is not None and self.error is None


@dataclass
class Item:
    """What a partition keeps of one thing fetched: a game's box score, a snapshot of an
    event's odds, a report; `bodies` holds more than one body only for pages."""

    name: str
    bodies: list[Exchange]
    records: int
    games: frozenset[str] = frozenset()
    shared: str | None = None  # a body many partitions share (a season's schedule): its name


@dataclass
class Fetched:
    items: list[Item] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # game or item -> why
    calls: list[Exchange] = field(default_factory=list)  # every request made
    unavailable: str | None = None  # the provider says it has none of this
    failed: str | None = None  # nothing of the partition could be fetched, and why
    games: frozenset[str] = frozenset()  # games accounted for besides the items'


class Context(Protocol):
    def get(self, service: str, path: str, params: Mapping[str, Any] | None = None) -> Exchange: ...

    def now(self) -> datetime: ...

    def shared(self, key: Any, make: Callable[[], Any]) -> Any: ...


ScrapeFn = Callable[[Context, date, Sequence[Game], frozenset[str]], Fetched]


@dataclass(frozen=True)
class Scraper:
    source: str
    provider: str  # the settings section: nbacom | balldontlie | oddsapi | injuries
    fetch: ScrapeFn
    # games whose responses the partition owes: final ones (box scores) or every
    # scheduled one (lines, reports)
    expects: str = "final"
    # publications in time (snapshots, reports) add up over fetches; box scores replace
    accumulates: bool = False

    def owed(self, games: Sequence[Game]) -> list[Game]:
        if self.expects == "final":
            return [g for g in games if g.status == "final"]
        return [g for g in games if g.status != "postponed"]


def decoded(ex: Exchange, what: str) -> Any | None:
    """The JSON of a 200 response, or None with `ex.error` saying why it is unusable."""
    if not ex.ok:
        return None
    try:
        return json.loads(ex.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        ex.error = f"{what}: malformed JSON ({len(ex.body or b'')} bytes): {exc}"
        return None


def provides_none(ex: Exchange) -> str | None:
    """The reason in a 404 body `{"unavailable": "<reason>"}` (a replayed folder without
    this source), else None: the provider saying it has none of this, not "not found"."""
    if ex.status != 404 or not ex.body:
        return None
    try:
        data = json.loads(ex.body)
    except (ValueError, UnicodeDecodeError):
        return None
    reason = data.get("unavailable") if isinstance(data, dict) else None
    return str(reason) if isinstance(reason, str) and reason.strip() else None


def missing_text(missing: Mapping[str, str], shown: int = 3) -> str:
    """"missing 0022300123 (HTTP 500: ...), 0022300124 (...)" for the ledger and reports."""
    names = sorted(missing)
    parts = [f"{n} ({missing[n]})" for n in names[:shown]]
    more = len(names) - shown
    return "missing " + ", ".join(parts) + (f" and {more} more" if more > 0 else "")
