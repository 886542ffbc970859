"""Fetching source payloads politely and telling empty from failed.

`Fetcher(source, dates)` is the one seam the executor calls for phase 1. Every request
goes through the service's token bucket and is retried with exponential backoff on 5xx,
429 and timeouts — never on other 4xx, which a retry cannot fix. Each date ends as one
`FetchResult`:

- fetched with data:  status 200, body, records > 0
- fetched and empty:  status 200 (or 404, the provider's "nothing on that date"),
                      body `[]`-like, records 0
- failed:             `error` set and no body — the executor records the reason
- source provides none: status 404 with the JSON body `{"unavailable": "<reason>"}`,
                      `unavailable` set to the reason and no body — the provider says
                      it has none of this source on that date (a replayed folder
                      without play-by-play), which is neither empty nor failed

A body that is not JSON at all is a failed fetch, not an empty one; its bytes are kept
under the object store's quarantine so the bad response can still be inspected. Dates
are fetched concurrently by a small thread pool; one `httpx.Client` serves them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Any

import httpx
import tenacity

from fullcourt import errors
from fullcourt.sources.objectstore import ObjectStore
from fullcourt.sources.ratelimit import TokenBucket
from fullcourt.sources.scrapers import SCRAPERS, Scraper

__all__ = ["FetchResult", "Fetcher", "RetryPolicy"]

EMPTY_BODY = b"[]"


@dataclass(frozen=True)
class FetchResult:
    source: str
    game_date: date
    status: int
    body: bytes | None
    records: int
    error: str | None
    fetched_at: datetime
    unavailable: str | None = None  # the provider's reason for providing none

    @property
    def ok(self) -> bool:
        return self.error is None and self.body is not None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_wait: float = 8.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Fetcher:
    client: httpx.Client
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    buckets: Mapping[str, TokenBucket] = field(default_factory=dict)
    keys: Mapping[str, str] = field(default_factory=dict, repr=False)  # service -> API key
    workers: int = 4
    clock: Callable[[], datetime] = _utcnow
    quarantine: ObjectStore | None = None  # where undecodable bodies are kept
    scrapers: Mapping[str, Scraper] = field(default_factory=lambda: dict(SCRAPERS))

    def __call__(self, source: str, dates: Sequence[date]) -> Iterable[FetchResult]:
        scraper = self.scrapers.get(source)
        if scraper is None:
            known = ", ".join(sorted(self.scrapers))
            raise errors.UsageError(f"unknown source {source!r}; sources are {known}")
        days = list(dates)
        if self.workers <= 1 or len(days) <= 1:
            return [self.fetch(scraper, d) for d in days]
        with ThreadPoolExecutor(min(self.workers, len(days)), "fullcourt-fetch") as pool:
            return list(pool.map(lambda d: self.fetch(scraper, d), days))

    def close(self) -> None:
        self.client.close()

    # -- one date ----------------------------------------------------------------------

    def fetch(self, scraper: Scraper, day: date) -> FetchResult:
        def result(status: int, body: bytes | None, records: int, error: str | None) -> FetchResult:
            return FetchResult(scraper.source, day, status, body, records, error, self.clock())

        tries = f"gave up after {self.retry.attempts} attempts"
        try:
            status, body = scraper.fetch(self._get, day)
        except errors.FetchError as exc:
            return result(exc.status or 0, None, 0, f"{exc}; {tries}")
        except httpx.TimeoutException as exc:
            return result(0, None, 0, f"timeout ({type(exc).__name__}: {exc}); {tries}")
        except httpx.HTTPError as exc:
            return result(0, None, 0, f"{type(exc).__name__}: {exc}; {tries}")
        if status == 404:
            reason = _unavailable(body)
            if reason is not None:
                return FetchResult(scraper.source, day, 404, None, 0, None, self.clock(), reason)
            return result(404, EMPTY_BODY, 0, None)
        if status != 200:  # other 4xx: a retry cannot fix a bad request or a missing key
            return result(status, None, 0, f"{_describe(status)}, not retried: {_snippet(body)}")
        try:
            records = scraper.count(json.loads(body))
        except ValueError as exc:
            reason = f"malformed JSON ({len(body)} bytes): {exc}"
            return result(200, None, 0, self._keep_bad(scraper.source, day, body, reason))
        except (KeyError, TypeError, AttributeError):
            # decodable but not the provider's shape: phase 2 rejects and quarantines it
            records = 0
        return result(200, body, records, None)

    def _keep_bad(self, source: str, day: date, body: bytes, reason: str) -> str:
        if self.quarantine is None:
            return reason
        key = self.quarantine.put(source, day, self.clock(), body)
        return f"{reason}; kept as {self.quarantine.quarantine(key, reason)}"

    def _get(self, service: str, path: str, params: Mapping[str, Any]) -> httpx.Response:
        """One GET, rate-limited and retried on 5xx, 429 and timeouts."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(
                (errors.TransientFetchError, httpx.TimeoutException, httpx.TransportError)
            ),
            stop=tenacity.stop_after_attempt(max(1, self.retry.attempts)),
            wait=tenacity.wait_exponential(
                multiplier=self.retry.backoff, max=self.retry.max_wait
            ),
            reraise=True,
        )
        return retrying(self._get_once, service, path, params)

    def _get_once(self, service: str, path: str, params: Mapping[str, Any]) -> httpx.Response:
        bucket = self.buckets.get(service)
        if bucket is not None:
            bucket.acquire()
        headers = {"Authorization": self.keys[service]} if service in self.keys else {}
        response = self.client.get(path, params=params, headers=headers)
        if response.status_code >= 500 or response.status_code == 429:
            raise errors.TransientFetchError(
                f"{_describe(response.status_code)} from {path}: {_snippet(response.content)}",
                status=response.status_code,
            )
        return response


def _unavailable(body: bytes) -> str | None:
    """The reason in a 404 body `{"unavailable": "<reason>"}`, else None (plain "nothing")."""
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return None
    reason = data.get("unavailable") if isinstance(data, dict) else None
    return str(reason) if isinstance(reason, str) and reason.strip() else None


def _describe(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"status {status}"


def _snippet(body: bytes, limit: int = 120) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return text + ("..." if len(body) > limit else "")
