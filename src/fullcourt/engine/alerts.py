"""Gap alerts: what the sweep tells operators about partitions that are still missing.

The predecessor system's worst failures were quiet ones: a season of grading skipped,
a phase stuck at 15.8% coverage for months, and nobody told. After every sweep the open
gaps are classified three ways and reported separately, because each asks for a
different reaction:

    new    first seen in this sweep            -> something just broke
    old    open for longer than `old_after`    -> healing is not working
    large  a table with >= `large_at` gaps,    -> an outage or a backfill hole,
           or a run of consecutive gap dates      not a stray partition

`classify` is pure (values in, a report out). `GapMemory` keeps when each gap was
first seen, in a small JSON file in the home written atomically, so "old" survives
restarts. `post_webhook` sends the report to an optional URL and never lets a failing
receiver take the sweep down.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx
import tenacity

from fullcourt.config import Home
from fullcourt.engine.planner import PartitionStatus
from fullcourt.files import write_atomic

__all__ = [
    "AlertReport",
    "GapMemory",
    "GapRun",
    "LargeGap",
    "classify",
    "post_webhook",
    "review",
]

log = logging.getLogger(__name__)

GapKey = tuple[str, date]
_MEMORY_FILE = "gap-memory.json"


@dataclass(frozen=True)
class GapRun:
    """Consecutive gap dates of one table sharing a status, reported as one line."""

    table: str
    status: str
    first: date
    last: date
    count: int
    reason: str = ""
    root_cause: tuple[str, date] | None = None
    since: datetime | None = None  # earliest first-seen time in the run

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "status": self.status,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "count": self.count,
            "reason": self.reason,
            "root_cause": (
                None
                if self.root_cause is None
                else {"table": self.root_cause[0], "game_date": self.root_cause[1].isoformat()}
            ),
            "since": None if self.since is None else self.since.isoformat(),
        }


@dataclass(frozen=True)
class LargeGap:
    """A table whose gaps are many, or contiguous over many dates."""

    table: str
    count: int
    longest: tuple[date, date, int]  # first, last, length of the longest run
    runs: int  # how many separate runs the gaps form
    statuses: tuple[tuple[str, int], ...]  # gaps per status, most frequent first

    def to_json(self) -> dict[str, Any]:
        first, last, n = self.longest
        return {
            "table": self.table,
            "count": self.count,
            "runs": self.runs,
            "longest": {"first": first.isoformat(), "last": last.isoformat(), "count": n},
            "statuses": dict(self.statuses),
        }


@dataclass(frozen=True)
class AlertReport:
    at: datetime
    open: int  # every open gap partition seen by the sweep
    new: tuple[GapRun, ...] = ()
    old: tuple[GapRun, ...] = ()
    large: tuple[LargeGap, ...] = ()
    old_after: timedelta = timedelta(days=1)
    large_at: int = 20
    run_at: int = 20

    @property
    def alerting(self) -> bool:
        """Whether anything deserves a notification."""
        return bool(self.new or self.old or self.large)

    @property
    def new_partitions(self) -> int:
        return sum(r.count for r in self.new)

    @property
    def old_partitions(self) -> int:
        return sum(r.count for r in self.old)

    def lines(self, limit: int = 20) -> list[str]:
        """Human lines for the log and `gaps`: a summary, then each section, capped."""
        tables = len(self.large)
        out = [
            f"gaps: {self.open} open, {self.new_partitions} new, "
            f"{self.old_partitions} open longer than {_span(self.old_after)}, "
            f"{tables} table{'s' if tables != 1 else ''} with large gaps"
        ]
        sections: list[tuple[str, Sequence[Any]]] = [
            ("new", self.new),
            ("old", self.old),
            ("large", self.large),
        ]
        for label, items in sections:
            for item in items[:limit]:
                out.append(f"{label}: {self._line(item)}")
            if len(items) > limit:
                out.append(f"{label}: ... and {len(items) - limit} more")
        return out

    def _line(self, item: GapRun | LargeGap) -> str:
        if isinstance(item, LargeGap):
            first, last, n = item.longest
            kinds = ", ".join(f"{s} {c}" for s, c in item.statuses)
            return (
                f"{item.table} {item.count} gap partitions in {item.runs} "
                f"run{'s' if item.runs != 1 else ''}, longest {_range(first, last)} "
                f"({n} dates) [{kinds}]"
            )
        text = f"{item.table} {_range(item.first, item.last)}"
        if item.count > 1:
            text += f" ({item.count} dates)"
        text += f" {item.status}"
        if item.reason:  # the planner's reason already names any root cause
            text += f": {item.reason}"
        elif item.root_cause is not None:
            text += f" (root cause {item.root_cause[0]} {item.root_cause[1].isoformat()})"
        if item.since is not None and item.since < self.at:
            since = item.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
            text += f" (open since {since}Z, "
            text += f"{_span(self.at - item.since)})"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "open": self.open,
            "old_after_seconds": self.old_after.total_seconds(),
            "large_at": self.large_at,
            "run_at": self.run_at,
            "new": [r.to_json() for r in self.new],
            "old": [r.to_json() for r in self.old],
            "large": [g.to_json() for g in self.large],
        }


def _range(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {rest // 60}m" if rest >= 60 else f"{hours}h"
    return f"{max(rest // 60, 0)}m"


# --------------------------------------------------------------------------- classify


class _Adjacency:
    """Whether two dates are neighbours among the dates that can have partitions."""

    def __init__(self, universe: Sequence[date] | None):
        self.index = {d: i for i, d in enumerate(sorted(set(universe)))} if universe else None

    def __call__(self, earlier: date, later: date) -> bool:
        if self.index is None:
            return (later - earlier).days == 1
        a, b = self.index.get(earlier), self.index.get(later)
        return a is not None and b is not None and b - a == 1


def _runs(
    gaps: Sequence[PartitionStatus], adjacent: _Adjacency, same: bool = True
) -> list[list[PartitionStatus]]:
    """Split one table's gaps (sorted by date) into runs of consecutive dates.

    With `same`, a run also breaks where the status changes.
    """
    runs: list[list[PartitionStatus]] = []
    prev: PartitionStatus | None = None
    for g in gaps:
        if (
            prev is not None
            and adjacent(prev.game_date, g.game_date)
            and (not same or g.status == prev.status)
        ):
            runs[-1].append(g)
        else:
            runs.append([g])
        prev = g
    return runs


def _gap_run(run: Sequence[PartitionStatus], first_seen: Mapping[GapKey, datetime]) -> GapRun:
    seen = [first_seen[(g.table, g.game_date)] for g in run if (g.table, g.game_date) in first_seen]
    head = run[0]
    return GapRun(
        table=head.table,
        status=head.status,
        first=head.game_date,
        last=run[-1].game_date,
        count=len(run),
        reason=head.reason,
        root_cause=head.root_cause,
        since=min(seen) if seen else None,
    )


def classify(
    gaps: Sequence[PartitionStatus],
    first_seen: Mapping[GapKey, datetime],
    now: datetime,
    old_after: timedelta,
    large_at: int,
    *,
    run_at: int | None = None,
    universe: Sequence[date] | None = None,
) -> AlertReport:
    """Sort open gaps into new, old and large.

    `gaps` may hold every status of a sweep; only real gaps (`is_gap`) count.
    `first_seen` maps (table, game_date) to when a gap was first observed; a gap missing
    from it, or first seen at `now` or later, is new. Old means open longer than
    `old_after`. A table is large when it has at least `large_at` gap partitions or a run
    of at least `run_at` (default `large_at`) consecutive gap dates. Consecutive is
    counted over `universe` (the game dates, so an off day does not split a run) when
    given, else over calendar days.
    """
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    run_at = large_at if run_at is None else run_at
    adjacent = _Adjacency(universe)
    open_gaps = sorted((g for g in gaps if g.is_gap), key=lambda g: (g.table, g.game_date))

    def when(g: PartitionStatus) -> datetime:
        t = first_seen.get((g.table, g.game_date), now)
        return t if t.tzinfo is not None else t.replace(tzinfo=UTC)

    seen = {(g.table, g.game_date): when(g) for g in open_gaps}
    new: list[GapRun] = []
    old: list[GapRun] = []
    large: list[LargeGap] = []
    for table, rows in groupby(open_gaps, key=lambda g: g.table):
        table_gaps = list(rows)
        fresh = [g for g in table_gaps if seen[(table, g.game_date)] >= now]
        aged = [g for g in table_gaps if now - seen[(table, g.game_date)] > old_after]
        new.extend(_gap_run(r, seen) for r in _runs(fresh, adjacent))
        old.extend(_gap_run(r, seen) for r in _runs(aged, adjacent))
        contiguous = _runs(table_gaps, adjacent, same=False)
        longest = max(contiguous, key=len)
        if len(table_gaps) >= large_at or len(longest) >= run_at:
            counts: dict[str, int] = {}
            for g in table_gaps:
                counts[g.status] = counts.get(g.status, 0) + 1
            large.append(
                LargeGap(
                    table=table,
                    count=len(table_gaps),
                    longest=(longest[0].game_date, longest[-1].game_date, len(longest)),
                    runs=len(contiguous),
                    statuses=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
                )
            )
    return AlertReport(
        at=now,
        open=len(open_gaps),
        new=tuple(new),
        old=tuple(old),
        large=tuple(sorted(large, key=lambda g: (-g.count, g.table))),
        old_after=old_after,
        large_at=large_at,
        run_at=run_at,
    )


# --------------------------------------------------------------------------- memory


@dataclass
class GapMemory:
    """When each open gap was first seen, kept across sweeps and restarts.

    A JSON file (`{table: {game_date: first_seen}}`) replaced atomically, so a reader
    such as `gaps` in another process sees the previous or the next version, never
    half of one. A healed gap is forgotten: if it opens again it is new again.
    """

    path: Path
    _cache: dict[GapKey, datetime] | None = field(default=None, repr=False)

    @classmethod
    def in_home(cls, home: Home) -> GapMemory:
        return cls(home.root / _MEMORY_FILE)

    def load(self) -> dict[GapKey, datetime]:
        if self._cache is not None:
            return dict(self._cache)
        try:
            raw = json.loads(self.path.read_text())
            loaded = {
                (table, date.fromisoformat(d)): datetime.fromisoformat(at)
                for table, dates in raw["first_seen"].items()
                for d, at in dates.items()
            }
        except FileNotFoundError:
            loaded = {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("gap memory %s unreadable (%s); starting afresh", self.path, exc)
            loaded = {}
        self._cache = loaded
        return dict(loaded)

    def observe(
        self,
        gaps: Iterable[PartitionStatus],
        now: datetime,
        *,
        forget_missing: bool = True,
    ) -> dict[GapKey, datetime]:
        """Record this sweep's gaps and return first-seen times including them.

        New gaps are stamped `now`. With `forget_missing` (a sweep over everything),
        remembered gaps absent from `gaps` are healed and dropped; a partial scan passes
        False and only drops partitions it saw with a non-gap status.
        """
        now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        before = self.load()
        after: dict[GapKey, datetime] = {} if forget_missing else dict(before)
        for g in gaps:
            key = (g.table, g.game_date)
            if g.is_gap:
                after[key] = before.get(key, now)
            else:
                after.pop(key, None)
        if after != before:
            self._save(after)
        self._cache = after
        return dict(after)

    def _save(self, first_seen: Mapping[GapKey, datetime]) -> None:
        nested: dict[str, dict[str, str]] = {}
        for (table, d), at in sorted(first_seen.items()):
            nested.setdefault(table, {})[d.isoformat()] = at.isoformat()
        payload = json.dumps({"version": 1, "first_seen": nested}, separators=(",", ":"))
        write_atomic(self.path, payload)


def review(
    statuses: Sequence[PartitionStatus],
    memory: GapMemory,
    now: datetime,
    old_after: timedelta,
    large_at: int,
    *,
    run_at: int | None = None,
    universe: Sequence[date] | None = None,
) -> AlertReport:
    """One sweep's alert step: remember the gaps, then classify them."""
    first_seen = memory.observe(statuses, now)
    return classify(
        statuses, first_seen, now, old_after, large_at, run_at=run_at, universe=universe
    )


# --------------------------------------------------------------------------- webhook


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def post_webhook(
    url: str,
    report: AlertReport,
    client: httpx.Client | None = None,
    *,
    timeout: float = 10.0,
    retry_wait: float = 1.0,
) -> bool:
    """POST the report as JSON; True when the receiver accepted it.

    The body carries the structured report plus a `text` field with the log lines, which
    chat incoming-webhooks display as is. Timeouts, connection errors, 429 and 5xx are
    retried once; any failure is logged and reported as False, never raised, so an
    unreachable receiver cannot stop the sweep that heals the gaps.
    """
    body = {"text": "\n".join(report.lines()), **report.to_json()}
    owned = client is None
    http = client or httpx.Client(timeout=timeout)

    def send() -> httpx.Response:
        response = http.post(url, json=body, timeout=timeout)
        if response.status_code == 429 or response.status_code >= 500:
            raise _RetryableStatus(response)
        return response

    try:
        response = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(2),
            wait=tenacity.wait_fixed(retry_wait),
            retry=tenacity.retry_if_exception_type((httpx.TransportError, _RetryableStatus)),
            reraise=True,
        )(send)
        if response.is_success:
            return True
        log.warning("gap alert webhook %s refused the report: HTTP %s", url, response.status_code)
    except _RetryableStatus as exc:
        log.warning("gap alert webhook %s failed twice: %s", url, exc)
    except httpx.HTTPError as exc:
        log.warning("gap alert webhook %s failed: %s: %s", url, type(exc).__name__, exc)
    except Exception as exc:  # a broken receiver or URL must never end the sweep
        log.warning("gap alert webhook %s failed unexpectedly: %r", url, exc)
    finally:
        if owned:
            http.close()
    return False
