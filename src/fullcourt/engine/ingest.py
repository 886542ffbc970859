"""The two step kinds that meet the providers: fetch (phase 1) and parse (phase 2).

Fetching asks the fetcher for a batch of dates (one partition may be many requests, one
per game or event), records every request in the fetch ledger and reports each date's
outcome. Parsing reads every stored body of a date's partition through the table's
`build(body, game_date)`, puts the bodies together, and hands one Arrow table for the
whole batch to the executor's store. A body that fails validation is quarantined with
its reason, and its fetch is failed too, so the planner fetches it again.

Parsing is Python (JSON, validation, rows), so a backfill's thousands of bodies go to
worker processes, a few dates a task; a day's handful is parsed here. Either way a
date's result is the same `_Day`, and only this process quarantines, refetches and
writes.
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from fullcourt import errors
from fullcourt.catalog import steps
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.schemas import arrow_schema
from fullcourt.catalog.spec import Step, TableSpec
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.status import AttemptStatus, Outcome, Status
from fullcourt.warehouse.base import Warehouse

__all__ = ["Ingest"]

# The executor's store: write a batch's data, then evaluate gates and report per date.
Store = Callable[[TableSpec, list[date], Any, Mapping[date, str]], dict[date, Outcome]]


class Ingest:
    def __init__(
        self,
        catalog: Catalog,
        warehouse: Warehouse,
        ledger: Ledger,
        holder: str,
        *,
        fetcher: Callable[..., Iterable[Any]] | None,
        store: Any,
        schemas: Mapping[str, Mapping[str, str]],
        parse_workers: int = 1,
    ):
        self.catalog = catalog
        self.wh = warehouse
        self.ledger = ledger
        self.holder = holder
        self.fetcher = fetcher
        self.store = store
        self.schemas = schemas
        self.parse_workers = parse_workers
        self._workers: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    # -- fetch -----------------------------------------------------------------------------

    def fetch(self, spec: TableSpec, dates: list[date], statuses, run_id: str) -> dict[date, Outcome]:
        """Fetch the dates' payloads (the fetcher stores them), record every request in the
        fetch ledger. The schedule's games are handed over so per-game sources know what
        to ask for; a partial partition asks only for what it lacks."""
        if self.fetcher is None or self.store is None:
            raise errors.PartitionError("no source configured for scraping", spec.name, dates)
        source = spec.name.removeprefix("scrape.")
        sched = self.catalog.schedule
        games = self._games(dates) if sched is None or self.catalog.feed(sched) != spec.name else {}
        skip = {}
        for d in dates:
            st = statuses.get((spec.name, d))
            if st is not None and st.status == Status.PARTIAL:
                skip[d] = [e.item for e in self.store.manifest(source, d) or []]
        results = list(self.fetcher(source, dates, games=games, skip=skip))
        self.ledger.record_fetches(run_id, [row for r in results for row in r.rows])
        outcomes: dict[date, Outcome] = {}
        for res in results:
            d = res.game_date
            if res.status == "unavailable":
                outcomes[d] = Outcome(AttemptStatus.UNAVAILABLE, 0, error=f"source provides none: {res.error}")
            elif res.status != "success":
                outcomes[d] = Outcome.failed(res.error or "no response")
            else:
                outcomes[d] = Outcome(AttemptStatus.SUCCESS, int(res.records), int(res.games),
                                      res.fingerprint, res.error)
        for d in dates:
            outcomes.setdefault(d, Outcome.failed("no response"))
        return outcomes

    def _games(self, dates: list[date]) -> dict[date, list[Any]]:
        """The schedule's games of `dates`, as the scrapers take them."""
        from fullcourt.sources.providers import Game

        sched = self.catalog.schedule
        if sched is None or not self.wh.has_table(sched):
            return {}
        out: dict[date, list[Any]] = {}
        for row in self.wh.sql(
            f'SELECT game_id, game_date, home_team, away_team, status, tipoff_utc, season_type, season'
            f' FROM "{sched}" WHERE game_date IN (SELECT unnest(?::DATE[])) ORDER BY game_date, game_id',
            [dates],
        ):
            out.setdefault(row[1], []).append(Game(*row))
        return out

    # -- parse -----------------------------------------------------------------------------

    def parse(self, spec: TableSpec, dates: list[date], run_id: str, store: Store) -> dict[date, Outcome]:
        """Every body of each date's partition parsed, put together, duplicates across
        bodies dropped (the newest body wins); a body that fails validation is
        quarantined with the reason and its date fails."""
        if self.store is None:
            raise errors.PartitionError("no object store configured", spec.name, dates)
        feed = self.catalog.feed(spec.name)
        assert feed is not None and spec.build is not None  # the catalog checked both
        source = feed.removeprefix("scrape.")
        tables: list[pa.Table] = []
        failed: dict[date, str] = {}
        schema = self.schemas.get(spec.name)
        provided = self.ledger.latest([feed])
        unavailable = {
            d: a.error for d in dates
            if (a := provided.get((feed, d))) is not None and a.status == AttemptStatus.UNAVAILABLE
        }
        wanted: list[tuple[date, list[Any]]] = []
        for d in dates:
            if d in unavailable:
                continue
            entries = self.store.manifest(source, d)
            if entries is None:
                failed[d] = f"no payload for {source} {d}"
            else:
                wanted.append((d, entries))
        quarantined: dict[date, str] = {}
        for d, day in zip((d for d, _ in wanted), self._parse_days(spec, schema, wanted), strict=True):
            if day.quarantine is not None:
                key, reason = day.quarantine
                self.store.quarantine(key, reason)
                failed[d] = quarantined[d] = f"payload quarantined: {reason}"
            elif day.failed is not None:
                failed[d] = day.failed
            elif day.table is not None:
                tables.append(day.table)
        self._refetch(feed, quarantined, run_id)
        empty = _empty(schema) if schema else pa.table({"game_date": pa.array([], pa.date32())})
        if unavailable:  # a raw table holds nothing its source does not provide
            self.wh.replace_partitions(spec.name, sorted(unavailable), empty)
        data = pa.concat_tables(tables, promote_options="default") if tables else empty
        outcomes = store(spec, [d for d in dates if d not in unavailable], data, failed)
        outcomes.update({d: Outcome(AttemptStatus.UNAVAILABLE, 0, 0, error=why) for d, why in unavailable.items()})
        return outcomes

    def _parse_days(
        self, spec: TableSpec, schema: Mapping[str, str] | None, wanted: list[tuple[date, list[Any]]]
    ) -> list[_Day]:
        """Each date's bodies parsed: in worker processes for a backfill's many bodies
        (parsing is Python — JSON, validation, rows — and one process has one core's
        worth of it), in this process for a few, or where the parser cannot be sent."""
        job = _Job(spec.name, spec.step, spec.build, tuple(spec.keys), dict(schema) if schema else None, self.store)
        bodies = sum(len(entries) for _, entries in wanted)
        pool = self._pool(job) if bodies >= PARALLEL_BODIES else None
        if pool is None:
            shared: dict[str, bytes] = {}
            return [_parse_day(job, d, entries, shared) for d, entries in wanted]
        chunks = [wanted[i : i + _CHUNK] for i in range(0, len(wanted), _CHUNK)]
        return [day for days in pool.map(_parse_chunk, [job] * len(chunks), chunks) for day in days]

    def _pool(self, job: _Job) -> ProcessPoolExecutor | None:
        """The worker processes (started on first use, kept for the run), or None when
        one is not worth it (one core) or the job cannot cross to another process."""
        if self.parse_workers <= 1:
            return None
        try:
            pickle.dumps(job)
        except Exception:  # noqa: BLE001 - a lambda or local parser: parse here instead
            return None
        with self._pool_lock:
            if self._workers is None:
                # forkserver, not fork: this process runs threads and holds DuckDB open
                method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
                ctx = multiprocessing.get_context(method)
                self._workers = ProcessPoolExecutor(self.parse_workers, mp_context=ctx)
            return self._workers

    def close(self) -> None:
        """Stop the parse workers, if any were started."""
        with self._pool_lock:
            if self._workers is not None:
                self._workers.shutdown(cancel_futures=True)
                self._workers = None

    def _refetch(self, feed: str, reasons: Mapping[date, str], run_id: str) -> None:
        """A quarantined payload fails its fetch too, so the planner fetches it again."""
        if not reasons:
            return
        ds = sorted(reasons)
        batch = self.ledger.begin(run_id, feed, ds, self.holder, {}, self.catalog.code_versions[feed])
        self.ledger.finish(batch, feed, {d: Outcome.failed(reasons[d]) for d in ds})


# A batch with at least this many bodies is parsed by worker processes; fewer (a day of the
# runner's, a test's handful) costs less to parse here than to start them.
PARALLEL_BODIES = 256
_CHUNK = 8  # dates per task sent to a worker


@dataclass(frozen=True)
class _Job:
    """What parsing a table's bodies needs, sent once per task to a worker process."""

    table: str
    step: Step
    build: Callable[..., Any]
    keys: tuple[str, ...]
    schema: dict[str, str] | None
    store: Any


@dataclass(frozen=True)
class _Day:
    """One date's bodies parsed: its table, or why it failed, or the body to quarantine."""

    table: pa.Table | None = None
    failed: str | None = None
    quarantine: tuple[str, str] | None = None  # (key, reason): done by the parent


def _parse_day(job: _Job, d: date, entries: Sequence[Any], shared: dict[str, bytes]) -> _Day:
    """Every body of one date's partition through the parser, newest first, put together;
    the first body that fails validation stops the date, to be quarantined."""
    parts: list[pa.Table] = []
    for e in sorted(entries, key=lambda e: e.key.rsplit("/", 1)[-1], reverse=True):
        try:
            body = shared[e.key] if e.key in shared else job.store.get(e.key)
        except FileNotFoundError:
            continue  # quarantined since: its fetch is owed again
        if "/_shared/" in e.key:  # a body many dates share (a season's schedule): read once
            shared[e.key] = body
        try:
            parts.append(steps.check_result(job.table, job.step, job.build, job.build(body, d)))
        except errors.PayloadInvalid as exc:
            return _Day(quarantine=(e.key, str(exc)))
    if not parts:
        return _Day()
    # bodies of distinct games cannot share a key; others (snapshots, a game log beside
    # box scores) may: the newest body's row wins
    per_game = all(e.item.isdigit() for e in entries)
    try:
        merged = pa.concat_tables(parts, promote_options="default") if per_game else _distinct(parts, job.keys)
        return _Day(table=_conform(merged, job.schema, job.table, d) if job.schema else merged)
    except errors.PayloadInvalid as exc:
        return _Day(failed=str(exc))


_WORKER_SHARED: dict[str, bytes] = {}  # a worker's shared bodies, kept across its tasks


def _parse_chunk(job: _Job, days: Sequence[tuple[date, Sequence[Any]]]) -> list[_Day]:
    if len(_WORKER_SHARED) > 16:
        _WORKER_SHARED.clear()
    return [_parse_day(job, d, entries, _WORKER_SHARED) for d, entries in days]


def _distinct(parts: list[pa.Table], keys: Sequence[str]) -> pa.Table:
    """The parts put together, one row per key: the first part holding a key wins."""
    table = pa.concat_tables(parts, promote_options="default") if len(parts) > 1 else parts[0]
    if len(parts) == 1 or not keys or not all(k in table.column_names for k in keys):
        return table
    order = pa.array(range(table.num_rows), pa.int64())
    first = table.append_column("__row", order).group_by(list(keys), use_threads=False).aggregate(
        [("__row", "min")])
    if first.num_rows == table.num_rows:
        return table
    rows = first.column("__row_min")
    return table.take(pc.take(rows, pc.sort_indices(rows)))


def _empty(schema: Mapping[str, str]) -> pa.Table:
    return arrow_schema(schema).empty_table()


def _conform(table: pa.Table, schema: Mapping[str, str], name: str, d: date) -> pa.Table:
    """Exactly the declared columns and types, so stored content (and its fingerprint)
    never depends on which columns one payload happened to carry."""
    missing = [c for c in schema if c not in table.column_names]
    if missing:
        raise errors.PayloadInvalid(f"parsed {name} lacks columns {missing}", name, [d])
    target = arrow_schema(schema)
    try:
        return table.select(list(schema)).cast(target)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise errors.PayloadInvalid(f"{name}: {exc}", name, [d]) from exc
