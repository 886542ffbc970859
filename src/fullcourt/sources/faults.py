"""Injected source failures: what a real provider does to a pipeline on a bad night.

A `FaultProfile` is consulted by the HTTP API on every request. Each `Fault` targets one
source (the scraper names: `bdl_stats`, `nbac_gamebook`, ...) and optionally one game
date, and can be limited to the first `times` requests or to requests made before
`until` — so a test can break a source, watch the pipeline report the gap, clear the
fault and watch it heal. A `StatCorrection` changes a finished game after the fact, the
way the league revises a box score days later: one more made three for one player, and
every source that carries that player's game (gamebook, BDL, team box, play-by-play,
schedule score) changes consistently.

The profile is mutable and thread-safe: tests add and clear faults while an app that holds
the profile keeps serving.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

__all__ = ["Fault", "FaultKind", "FaultProfile", "StatCorrection", "utc_naive"]


class FaultKind(enum.Enum):
    HTTP_500 = "http_500"  # the request fails with 500
    TIMEOUT = "timeout"  # the handler sleeps `seconds`, longer than any client timeout
    EMPTY = "empty"  # valid JSON with zero records
    MALFORMED = "malformed"  # a truncated, undecodable JSON body with status 200
    LATE = "late"  # the date's data is served empty until `until`
    NULL_MINUTES = "null_minutes"  # minutes sent as null for a share of the rows
    DUPLICATES = "duplicates"  # a share of the rows sent twice


# Faults that change the response before any record is served.
REQUEST_FAULTS = frozenset({FaultKind.HTTP_500, FaultKind.TIMEOUT, FaultKind.MALFORMED})


def utc_naive(moment: datetime) -> datetime:
    """The same instant as a naive UTC datetime; naive input is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass
class Fault:
    """One misbehaviour of one source, for one date or (game_date None) every date."""

    source: str
    kind: FaultKind
    game_date: date | None = None
    # LATE: data visible from this moment on; other kinds: the fault stops at this moment.
    until: datetime | None = None
    # Affect only the next `times` requests (None: every request while active).
    times: int | None = None
    share: float = 1.0  # NULL_MINUTES, DUPLICATES: fraction of rows affected
    seconds: float = 30.0  # TIMEOUT: how long the handler sleeps

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"fault share must be within [0, 1], got {self.share}")

    def matches(self, source: str, game_date: date | None, now: datetime) -> bool:
        if self.source != source:
            return False
        if self.game_date is not None and self.game_date != game_date:
            return False
        if self.times is not None and self.times <= 0:
            return False
        # A LATE fault is "active" while its data is still being withheld.
        return self.until is None or utc_naive(now) < utc_naive(self.until)


@dataclass(frozen=True)
class StatCorrection:
    """After `after`, `player_id` is credited one more made three in `game_id` (+3 points)."""

    game_id: str
    player_id: str
    after: datetime

    def applies(self, now: datetime) -> bool:
        return utc_naive(now) >= utc_naive(self.after)


@dataclass
class FaultProfile:
    faults: list[Fault] = field(default_factory=list)
    corrections: list[StatCorrection] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, *items: Fault | StatCorrection) -> FaultProfile:
        with self._lock:
            for item in items:
                if isinstance(item, StatCorrection):
                    self.corrections.append(item)
                else:
                    self.faults.append(item)
        return self

    def clear(self, source: str | None = None, game_date: date | None = None) -> None:
        """Drop faults of `source` (all sources if None) on `game_date` (all dates if None)."""
        with self._lock:
            self.faults = [
                f
                for f in self.faults
                if not (
                    (source is None or f.source == source)
                    and (game_date is None or f.game_date == game_date)
                )
            ]
            if source is None and game_date is None:
                self.corrections = []

    def take(self, source: str, game_date: date | None, now: datetime) -> list[Fault]:
        """The faults that hit this request; counted ones are used up by it."""
        with self._lock:
            hit = [f for f in self.faults if f.matches(source, game_date, now)]
            for f in hit:
                if f.times is not None:
                    f.times -= 1
            return hit

    def corrections_at(self, now: datetime, game_ids: Iterable[str] | None = None) -> list[StatCorrection]:
        wanted = None if game_ids is None else set(game_ids)
        with self._lock:
            return [
                c
                for c in self.corrections
                if c.applies(now) and (wanted is None or c.game_id in wanted)
            ]
