"""Completion events: hints that wake the planner early, never the source of truth.

The predecessor system chained its stages with notifications, so a lost or never-sent
message meant data that silently never moved on. Here an event only says "these
partitions of this table were just written, with these fingerprints"; the consumer
plans the affected dates and their downstream, and the planner alone decides what
actually runs. A periodic sweep plans everything, so a lost event delays work and
never drops it — `NullBus` exists to prove exactly that in tests.

Delivery is at-least-once: an event stays pending until its consumer group
acknowledges it, and a delivery left unacknowledged for `claim_idle` seconds (its
consumer died mid-work) is handed to whichever consumer polls next. Consumers are
idempotent because planning is: a re-delivered event plans nothing new.

Buses:
    InProcessBus     one process, thread-safe; the default
    NullBus          drops everything
    RedisStreamsBus  Redis Streams with a consumer group, for several processes
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit, urlunsplit

from fullcourt import errors, extras

__all__ = [
    "DEFAULT_GROUP",
    "DEFAULT_STREAM",
    "Bus",
    "Event",
    "InProcessBus",
    "NullBus",
    "RedisStreamsBus",
    "open_bus",
]

log = logging.getLogger(__name__)

DEFAULT_STREAM = "fullcourt:events"
DEFAULT_GROUP = "fullcourt"
_FORMAT = 1


@dataclass(frozen=True)
class Event:
    """Partitions of one table were written: `dates[i]` now has content `fingerprints[i]`.

    `id` is the delivery id a bus assigns when it hands the event out; it is what `ack`
    refers to, it is not part of the payload and it does not take part in equality.
    A `None` fingerprint means the writer did not know the content (e.g. a failed scrape).
    """

    table: str
    dates: tuple[date, ...]
    fingerprints: tuple[str | None, ...]
    run_id: str
    at: datetime
    id: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        dates = tuple(self.dates)
        fingerprints = tuple(self.fingerprints) if self.fingerprints else (None,) * len(dates)
        if len(fingerprints) != len(dates):
            raise errors.PartitionError(
                f"event for {self.table} has {len(dates)} dates but "
                f"{len(fingerprints)} fingerprints",
                self.table,
                dates,
            )
        at = self.at if self.at.tzinfo is not None else self.at.replace(tzinfo=UTC)
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "fingerprints", fingerprints)
        object.__setattr__(self, "at", at)

    @property
    def partitions(self) -> tuple[tuple[date, str | None], ...]:
        return tuple(zip(self.dates, self.fingerprints, strict=True))

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": _FORMAT,
                "table": self.table,
                "dates": [d.isoformat() for d in self.dates],
                "fingerprints": list(self.fingerprints),
                "run_id": self.run_id,
                "at": self.at.isoformat(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes, id: str = "") -> Event:
        try:
            data = json.loads(text)
            if data.get("v", _FORMAT) != _FORMAT:
                raise ValueError(f"unknown event format {data.get('v')!r}")
            return cls(
                table=str(data["table"]),
                dates=tuple(date.fromisoformat(d) for d in data["dates"]),
                fingerprints=tuple(
                    None if fp is None else str(fp) for fp in data.get("fingerprints") or ()
                ),
                run_id=str(data.get("run_id", "")),
                at=datetime.fromisoformat(data["at"]),
                id=id,
            )
        except errors.PartitionError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise errors.PartitionError(f"malformed event {id or ''}: {exc}".strip()) from exc


class Bus(Protocol):
    """Publish hints; hand unacknowledged ones to the consumers of one group."""

    def publish(self, event: Event) -> None: ...

    def poll(self, consumer: str, timeout: float = 0.0) -> list[Event]:
        """Events this consumer should handle now, waiting up to `timeout` seconds for any.

        New events, plus deliveries left unacknowledged longer than the bus's idle
        timeout (their consumer is presumed dead), plus — on a consumer's first poll —
        what this consumer name had been handed before and never acknowledged.
        """
        ...

    def ack(self, consumer: str, events: Sequence[Event]) -> None: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- in-process


@dataclass
class _Delivery:
    event: Event
    consumer: str
    at: float
    count: int = 1


class InProcessBus:
    """A bounded in-memory stream with one consumer group; safe across threads.

    Same delivery rules as `RedisStreamsBus`, so the run loop cannot tell them apart.
    When more than `maxlen` events wait undelivered the oldest are dropped, like a
    trimmed stream: the sweep picks up whatever they would have triggered.

    `clock` (seconds, monotonic) and `wait` (block on the bus's condition for up to that
    many seconds, woken early by a publish) default to the real ones; tests pass fakes.
    """

    def __init__(
        self,
        *,
        claim_idle: float = 60.0,
        maxlen: int = 100_000,
        count: int = 100,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[threading.Condition, float], bool] = threading.Condition.wait,
    ):
        self.claim_idle = claim_idle
        self.count = count
        self._new: deque[Event] = deque(maxlen=maxlen)
        self._pending: dict[str, _Delivery] = {}
        self._seen: set[str] = set()
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._closed = False
        self._clock = clock
        self._wait = wait

    def publish(self, event: Event) -> None:
        with self._cond:
            if self._closed:
                return
            self._new.append(replace(event, id=f"{next(self._ids)}-0"))
            self._cond.notify_all()

    def poll(self, consumer: str, timeout: float = 0.0) -> list[Event]:
        deadline = self._clock() + max(timeout, 0.0)
        with self._cond:
            while True:
                got = self._take(consumer)
                remaining = deadline - self._clock()
                if got or self._closed or remaining <= 0:
                    return got
                wait = remaining
                if self._pending:  # wake up when the oldest delivery becomes claimable
                    oldest = min(d.at for d in self._pending.values())
                    wait = min(wait, max(oldest + self.claim_idle - self._clock(), 0.001))
                self._wait(self._cond, wait)

    def _take(self, consumer: str) -> list[Event]:
        now = self._clock()
        first_poll = consumer not in self._seen
        self._seen.add(consumer)
        got: list[Event] = []
        for d in self._pending.values():
            if len(got) >= self.count:
                break
            if now - d.at >= self.claim_idle or (first_poll and d.consumer == consumer):
                d.consumer, d.at, d.count = consumer, now, d.count + 1
                got.append(d.event)
        while self._new and len(got) < self.count:
            event = self._new.popleft()
            self._pending[event.id] = _Delivery(event, consumer, now)
            got.append(event)
        return got

    def ack(self, consumer: str, events: Sequence[Event]) -> None:
        with self._cond:
            for event in events:
                self._pending.pop(event.id, None)

    def pending(self) -> int:
        """Deliveries handed out and not acknowledged yet."""
        with self._cond:
            return len(self._pending)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class NullBus:
    """Drops every event. A run on it relies on the sweep alone, which must suffice.

    A poll still waits out its timeout (`wait`, injectable for tests), until closed.
    """

    def __init__(
        self, *, wait: Callable[[threading.Event, float], bool] = threading.Event.wait
    ) -> None:
        self._closed = threading.Event()
        self._wait = wait

    def publish(self, event: Event) -> None:
        pass

    def poll(self, consumer: str, timeout: float = 0.0) -> list[Event]:
        if timeout > 0 and not self._closed.is_set():
            self._wait(self._closed, timeout)
        return []

    def ack(self, consumer: str, events: Sequence[Event]) -> None:
        pass

    def close(self) -> None:
        self._closed.set()


# --------------------------------------------------------------------------- redis


class RedisStreamsBus:
    """Redis Streams: XADD to one stream, XREADGROUP/XACK in one consumer group.

    The group is created from the start of the stream if missing, so events published
    before the first consumer ever ran are still delivered. Entries left pending longer
    than `claim_idle` seconds are taken over with XAUTOCLAIM. The stream is trimmed to
    `maxlen` entries on every XADD; what trimming drops, the sweep heals.
    """

    def __init__(
        self,
        url: str,
        stream: str = DEFAULT_STREAM,
        group: str = DEFAULT_GROUP,
        *,
        claim_idle: float = 60.0,
        maxlen: int = 100_000,
        count: int = 100,
    ):
        redis = extras.need("redis", "redis", f"event bus {url}")
        self._redis_errors = redis.exceptions
        self.url = url
        self.stream = stream
        self.group = group
        self.claim_idle = claim_idle
        self.maxlen = maxlen
        self.count = count
        self._client: Any = redis.Redis.from_url(url, decode_responses=True)
        self._seen: set[str] = set()
        try:
            self._ensure_group()
        except redis.exceptions.ConnectionError as exc:
            raise errors.EnvironmentFault(
                f"cannot reach the event bus at {url}: {exc} (start Redis, or pass --bus memory://)"
            ) from exc

    def _ensure_group(self) -> None:
        try:
            self._client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except self._redis_errors.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def publish(self, event: Event) -> None:
        self._client.xadd(
            self.stream, {"event": event.to_json()}, maxlen=self.maxlen, approximate=False
        )

    def poll(self, consumer: str, timeout: float = 0.0) -> list[Event]:
        try:
            return self._poll(consumer, timeout)
        except self._redis_errors.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            log.warning("consumer group %s on %s vanished; recreating it", self.group, self.stream)
            self._ensure_group()
            return self._poll(consumer, timeout)

    def _poll(self, consumer: str, timeout: float) -> list[Event]:
        entries: dict[str, dict[str, str] | None] = {}
        _, claimed, *_ = self._client.xautoclaim(
            self.stream,
            self.group,
            consumer,
            min_idle_time=int(self.claim_idle * 1000),
            start_id="0-0",
            count=self.count,
        )
        entries.update(claimed)
        if consumer not in self._seen:
            self._seen.add(consumer)
            entries.update(self._read(consumer, "0", block=None))
        block = int(timeout * 1000) if timeout > 0 and not entries else 0
        entries.update(self._read(consumer, ">", block=block or None))
        return self._decode(entries.items())

    def _read(
        self, consumer: str, start: str, block: int | None
    ) -> list[tuple[str, dict[str, str] | None]]:
        reply = self._client.xreadgroup(
            self.group, consumer, {self.stream: start}, count=self.count, block=block
        )
        if not reply:
            return []
        if isinstance(reply, dict):  # RESP3 replies map stream -> entries
            return [e for stream_entries in reply.values() for e in stream_entries[0]]
        return [e for _, stream_entries in reply for e in stream_entries]

    def _decode(self, entries: Iterable[tuple[str, dict[str, str] | None]]) -> list[Event]:
        events: list[Event] = []
        poison: list[str] = []
        for entry_id, fields in entries:
            if not fields or "event" not in fields:
                poison.append(entry_id)  # trimmed away while pending, or not ours
                continue
            try:
                events.append(Event.from_json(fields["event"], id=entry_id))
            except errors.PartitionError as exc:
                log.warning("dropping event %s from %s: %s", entry_id, self.stream, exc)
                poison.append(entry_id)
        if poison:
            self._client.xack(self.stream, self.group, *poison)
        return events

    def ack(self, consumer: str, events: Sequence[Event]) -> None:
        ids = [e.id for e in events if e.id]
        if ids:
            self._client.xack(self.stream, self.group, *ids)

    def pending(self) -> int:
        """Deliveries handed out and not acknowledged yet, across the group."""
        return int(self._client.xpending(self.stream, self.group)["pending"])

    def close(self) -> None:
        self._client.close()


# --------------------------------------------------------------------------- opening


def open_bus(url: str | None, **options: Any) -> Bus:
    """The bus a configuration names.

    `None`/`memory://` -> InProcessBus, `null://` -> NullBus, `redis://`, `rediss://`,
    `unix://` -> RedisStreamsBus. A Redis URL may carry `stream`, `group`, `claim_idle`
    and `maxlen` as query parameters, e.g. `redis://host:6379/0?group=runners`.
    """
    if not url or url == "memory://":
        return InProcessBus(**options)
    scheme = urlsplit(url).scheme
    if url == "null://":
        return NullBus()
    if scheme in ("redis", "rediss", "unix"):
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        ours = {"stream": str, "group": str, "claim_idle": float, "maxlen": int}
        for key, kind in ours.items():
            if key in query:
                try:
                    options.setdefault(key, kind(query.pop(key)))
                except ValueError as exc:
                    raise errors.UsageError(f"bad {key} in event bus URL {url}") from exc
        rest = "&".join(f"{k}={v}" for k, v in query.items())
        return RedisStreamsBus(urlunsplit(parts._replace(query=rest)), **options)
    raise errors.UsageError(
        f"unknown event bus URL {url!r}: use memory://, null:// or redis://host:port/db"
    )
