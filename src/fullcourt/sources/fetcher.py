"""Fetching source payloads politely, keeping every response, telling empty from failed.

`Fetcher(source, dates, games, skip)` is the one seam the executor calls for phase 1.
For each date it runs the source's scraper (`sources.scrapers`) with a `Context` whose
`get` is the only way out: every request goes through its service's token bucket, is
retried with exponential backoff on 5xx, 429 and timeouts (never on other 4xx, which a
retry cannot fix), carries the service's key (BallDontLie in `Authorization`, The Odds
API as `apiKey`) and is recorded — without the key — as a row of the fetch ledger with
its status, bytes, records, object key and, for The Odds API, the quota headers. A
request that would take the Odds API quota below its reserve is not made: the run stops
fetching lines with one clear reason.

Every usable response body is stored as received (`ObjectStore`), and the partition's
manifest written: the new bodies, plus those kept from before (the games a partial
partition already had, or earlier snapshots and reports, which add up). A body that is
not what the provider sends (undecodable JSON, an unreadable PDF) is kept under the
quarantine and its game is missing. Each date ends as one `PartitionResult`:

- success: records and games counted over the partition's bodies; `error` names the
  games still missing, if any (the planner then says `partial`);
- failed: nothing usable came back, `error` says why;
- unavailable: the provider says it has none of this source (a replayed folder without
  play-by-play: 404 with `{"unavailable": "<reason>"}`), neither empty nor failed.

Dates are fetched concurrently by a small thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import httpx
import tenacity

from fullcourt import errors
from fullcourt.sources.objectstore import Entry, ObjectStore, digest
from fullcourt.sources.providers import Exchange, Fetched, Game, Scraper, missing_text
from fullcourt.sources.ratelimit import TokenBucket
from fullcourt.sources.scrapers import PER_GAME, SCRAPERS

__all__ = ["FetchRow", "Fetcher", "PartitionResult", "QuotaReserve", "RetryPolicy", "Service"]


class QuotaReserve(errors.FetchError):
    """The next request would take a metered API's quota below its reserve."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_wait: float = 8.0


@dataclass
class Service:
    """One HTTP service (host) and how to talk to it."""

    name: str
    client: httpx.Client
    key: str | None = field(default=None, repr=False)  # a secret: never printed
    key_header: str | None = None  # e.g. "Authorization"
    key_param: str | None = None  # e.g. "apiKey"
    bucket: TokenBucket | None = None
    reserve: int = 0  # requests of a metered quota never spent


@dataclass(frozen=True)
class FetchRow:
    """One request, as the fetch ledger keeps it."""

    source: str
    game_date: date
    item: str | None
    service: str
    url: str
    status: int | str  # the HTTP status; "imported" for a body `fullcourt import` filed
    bytes: int
    records: int
    object_key: str | None
    fetched_at: datetime
    error: str | None
    quota_remaining: int | None = None
    quota_used: int | None = None


@dataclass
class PartitionResult:
    source: str
    game_date: date
    status: str  # success | failed | unavailable
    records: int
    games: int
    fingerprint: str | None
    error: str | None
    fetched_at: datetime
    rows: list[FetchRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "success"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _describe(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"status {status}"


def _snippet(body: bytes, limit: int = 120) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return text + ("..." if len(body) > limit else "")


def _cost(service: str, path: str) -> int:
    """Odds API credits of one request: 10 per market and region for historical odds."""
    if service != "oddsapi":
        return 0
    if "/historical/" in path:
        return 10 if path.endswith("/odds") else 1
    return 1 if path.endswith("/odds") else 0


class _Session:
    """The `Context` of one partition's scrape: requests, and what they brought."""

    def __init__(self, fetcher: Fetcher, shared: dict, lock: threading.Lock):
        self.fetcher = fetcher
        self.calls: list[Exchange] = []
        self._shared = shared
        self._lock = lock

    def now(self) -> datetime:
        return self.fetcher.clock()

    def shared(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            future = self._shared.get(key)
            owner = future is None
            if owner:
                future = self._shared[key] = Future()
        if owner:
            try:
                future.set_result(make())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def get(self, service: str, path: str, params: Mapping[str, Any] | None = None) -> Exchange:
        ex = self.fetcher.request(service, path, dict(params or {}))
        self.calls.append(ex)
        return ex


@dataclass
class Fetcher:
    services: Mapping[str, Service]
    store: ObjectStore
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    workers: int = 4
    clock: Callable[[], datetime] = _utcnow
    scrapers: Mapping[str, Scraper] = field(default_factory=lambda: dict(SCRAPERS))

    def __post_init__(self) -> None:
        self._quota: dict[str, tuple[int | None, int | None]] = {}
        self._quota_lock = threading.Lock()
        self._secrets = sorted({s.key for s in self.services.values() if s.key}, key=len, reverse=True)

    # -- the seam ----------------------------------------------------------------------------

    def __call__(
        self,
        source: str,
        dates: Sequence[date],
        games: Mapping[date, Sequence[Game]] | None = None,
        skip: Mapping[date, Iterable[str]] | None = None,
    ) -> list[PartitionResult]:
        scraper = self.scrapers.get(source)
        if scraper is None:
            known = ", ".join(sorted(self.scrapers))
            raise errors.UsageError(f"unknown source {source!r}; sources are {known}")
        games, skip = games or {}, skip or {}
        shared: dict = {}
        lock = threading.Lock()

        def one(d: date) -> PartitionResult:
            return self.partition(scraper, d, games.get(d, ()), frozenset(skip.get(d, ())), shared, lock)

        days = list(dates)
        if self.workers <= 1 or len(days) <= 1:
            results = [one(d) for d in days]
        else:
            with ThreadPoolExecutor(min(self.workers, len(days)), "fullcourt-fetch") as pool:
                results = list(pool.map(one, days))
        return results

    def close(self) -> None:
        for client in {id(s.client): s.client for s in self.services.values()}.values():
            client.close()

    def scrub(self, text: str) -> str:
        """`text` with every configured key replaced: keys never reach a log or a ledger."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    # -- one request -------------------------------------------------------------------------

    def request(self, name: str, path: str, params: dict[str, Any]) -> Exchange:
        service = self.services.get(name)
        if service is None:
            raise errors.UsageError(f"no service {name!r} configured; services are {', '.join(sorted(self.services))}")
        url = path + ("?" + urlencode(params, doseq=True) if params else "")
        cost = _cost(name, path)
        with self._quota_lock:  # the cost is set aside before asking, so threads cannot overspend
            remaining, used = self._quota.get(name, (None, None))
            if cost and remaining is not None:
                if remaining - cost < service.reserve:
                    raise QuotaReserve(
                        f"{name} quota: {remaining} requests left and the next costs {cost}, below the "
                        f"reserve of {service.reserve}; stopped before it runs out (raise "
                        "[sources.oddsapi] reserve or wait for the quota to reset)"
                    )
                self._quota[name] = (remaining - cost, used)
        headers = {service.key_header: service.key} if service.key and service.key_header else {}
        sent = {**params, service.key_param: service.key} if service.key and service.key_param else params
        tries = f"gave up after {self.retry.attempts} attempts"
        fetched_at = self.clock()
        try:
            response = self._retrying(service, path, sent, headers)
        except errors.FetchError as exc:
            return Exchange(name, url, exc.status or 0, None, fetched_at, self.scrub(f"{exc}; {tries}"))
        except httpx.TimeoutException as exc:
            return Exchange(name, url, 0, None, fetched_at, self.scrub(f"timeout ({type(exc).__name__}: {exc}); {tries}"))
        except httpx.HTTPError as exc:
            return Exchange(name, url, 0, None, fetched_at, self.scrub(f"{type(exc).__name__}: {exc}; {tries}"))
        quota = (_int(response.headers.get("x-requests-remaining")), _int(response.headers.get("x-requests-used")))
        if quota[0] is not None:
            with self._quota_lock:
                held, _ = self._quota.get(name, (None, None))
                self._quota[name] = (min(quota[0], held) if held is not None else quota[0], quota[1])
        error = None
        if response.status_code != 200:
            error = self.scrub(f"HTTP {response.status_code} {_describe(response.status_code)}, not retried: "
                               f"{_snippet(response.content)}")
        return Exchange(name, url, response.status_code, response.content, fetched_at, error, quota=quota)

    def _retrying(self, service: Service, path: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> httpx.Response:
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(
                (errors.TransientFetchError, httpx.TimeoutException, httpx.TransportError)
            ),
            stop=tenacity.stop_after_attempt(max(1, self.retry.attempts)),
            wait=tenacity.wait_exponential(multiplier=self.retry.backoff, max=self.retry.max_wait),
            reraise=True,
        )
        return retrying(self._once, service, path, params, headers)

    def _once(self, service: Service, path: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> httpx.Response:
        if service.bucket is not None:
            service.bucket.acquire()
        response = service.client.get(path, params=params, headers=headers)
        if response.status_code >= 500 or response.status_code == 429:
            raise errors.TransientFetchError(
                self.scrub(f"HTTP {response.status_code} {_describe(response.status_code)} from {path}: "
                           f"{_snippet(response.content)}"),
                status=response.status_code,
            )
        return response

    # -- one partition -------------------------------------------------------------------------

    def partition(self, scraper: Scraper, day: date, games: Sequence[Game], skip: frozenset[str],
                  shared: dict, lock: threading.Lock) -> PartitionResult:
        session = _Session(self, shared, lock)
        started = self.clock()
        owed = scraper.owed(games)
        try:
            fetched = scraper.fetch(session, day, owed, skip)
        except QuotaReserve as exc:
            fetched = Fetched(failed=str(exc))
        except errors.FullcourtError as exc:
            fetched = Fetched(failed=self.scrub(str(exc)))
        keys: dict[int, str] = {}
        source = scraper.source
        entries: list[Entry] = []
        for item in fetched.items:
            many = len(item.bodies) > 1
            for part, ex in enumerate(item.bodies, start=1):
                body = ex.body or b""
                if id(ex) not in keys and item.shared is not None:  # stored once for every date
                    keys[id(ex)] = session.shared(("stored", item.shared, id(ex)), lambda ex=ex, item=item: (
                        self.store.put_shared(source, item.shared, ex.fetched_at, ex.body or b"", ex.ext)))
                elif id(ex) not in keys:
                    keys[id(ex)] = self.store.put(source, day, ex.fetched_at, body, item.name, ex.ext,
                                                  part if many else None)
                entries.append(Entry(item.name, keys[id(ex)], digest(body),
                                     ex.records if many else item.records, tuple(sorted(item.games))))
        kept_bad: list[str] = []
        for ex in session.calls:  # bodies that came back but are not the provider's: kept aside
            if ex.status == 200 and ex.body is not None and ex.error and not ex.soft and id(ex) not in keys:
                key = self.store.put(source, day, ex.fetched_at, ex.body, "rejected", ex.ext)
                keys[id(ex)] = self.store.quarantine(key, ex.error)
                ex.error = f"{ex.error}; kept as {keys[id(ex)]}"
                kept_bad.append(keys[id(ex)])
        shared_bodies = {id(ex) for it in fetched.items if it.shared for ex in it.bodies}
        calls = []
        for ex in session.calls:
            if id(ex) in shared_bodies:  # a body many dates share was one request: one row
                with lock:
                    recorded = shared.setdefault("__recorded__", set())
                    if id(ex) in recorded:
                        continue
                    recorded.add(id(ex))
            calls.append(ex)
        rows = [self._row(source, day, ex, keys.get(id(ex))) for ex in calls]
        if fetched.unavailable:
            return PartitionResult(source, day, "unavailable", 0, 0, None, fetched.unavailable, started, rows)
        if fetched.failed and not fetched.items:
            reason = fetched.failed + (f"; kept as {kept_bad[0]}" if kept_bad and "kept as" not in fetched.failed else "")
            return PartitionResult(source, day, "failed", 0, 0, None, self.scrub(reason), started, rows)
        prior = self.store.manifest(source, day) or []
        fresh = {it.name for it in fetched.items}
        carried = [e for e in prior if e.item not in fresh and (scraper.accumulates or e.item in skip)]
        entries = carried + entries
        fp = self.store.commit(source, day, self.clock(), entries)
        covered = {g for e in entries for g in e.games} | set(fetched.games)
        covered |= {g.game_id for g in games if g.status == "postponed"} if scraper.expects != "final" else set()
        records = sum(e.records for e in entries)
        error = missing_text(fetched.missing) if fetched.missing else None
        # a game not published yet leaves the partition partial; a request that failed,
        # with nothing usable at all, fails it
        hard = any(ex.error and not ex.soft for ex in session.calls)
        if error and (source not in PER_GAME or (not fetched.items and hard)):
            return PartitionResult(source, day, "failed", records, len(covered), None, self.scrub(error), started, rows)
        return PartitionResult(source, day, "success", records, len(covered), fp, error, started, rows)

    def _row(self, source: str, day: date, ex: Exchange, key: str | None) -> FetchRow:
        item = key.split("/")[3] if key and key.startswith("raw/") and "/_shared/" not in key else None
        return FetchRow(source, day, item, ex.service, self.scrub(ex.url), ex.status, len(ex.body or b""),
                        ex.records, key, ex.fetched_at, self.scrub(ex.error) if ex.error else None, *ex.quota)


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None
