"""The executor: runs what the planner decided, level by level, in batches of dates.

It plans, runs every ready partition of the lowest dependency level (tables of one
level concurrently, each in batches of whole seasons: one query per batch), records the
outcome, and plans again — until nothing ready is left. So resuming after a crash or a
Ctrl-C is simply the next run: the ledger and the warehouse already say what is done.

A batch that fails is narrowed by halves down to the dates that fail on their own, so
one bad date does not fail a month. Transient errors are retried with backoff first.
"""

from __future__ import annotations

import inspect
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import tenacity

from fullcourt import errors
from fullcourt.catalog.calendar import Calendar
from fullcourt.catalog.context import BuildContext
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.schemas import arrow_schema
from fullcourt.catalog.spec import Phase, TableSpec
from fullcourt.config import Home
from fullcourt.engine import gates as gates_mod
from fullcourt.engine import observe
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.planner import (
    Facts,
    PartitionStatus,
    Status,
    derive,
    make_plan,
)
from fullcourt.engine.progress import Progress, Silent
from fullcourt.files import write_atomic
from fullcourt.warehouse.base import Warehouse

__all__ = ["Executor", "Outcome", "RunResult", "Request"]

Outcome = tuple[str, int | None, int | None, str | None, str | None]


@dataclass(frozen=True)
class Request:
    tables: tuple[str, ...]
    dates: tuple[date, ...]
    force: bool = False


@dataclass
class RunResult:
    run_id: str
    written: int = 0
    failed: int = 0
    gate_failed: int = 0
    interrupted: bool = False
    statuses: dict[tuple[str, date], PartitionStatus] = field(default_factory=dict)
    seconds_by_phase: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, written: int = 0, failed: int = 0, gate_failed: int = 0) -> None:
        """Add to the counters; batches of one level finish on several threads."""
        with self._lock:
            self.written += written
            self.failed += failed
            self.gate_failed += gate_failed

    def gaps(self, tables: Iterable[str], dates: Iterable[date]) -> list[PartitionStatus]:
        ts, ds = set(tables), set(dates)
        return [
            s for (t, d), s in self.statuses.items() if t in ts and d in ds and s.is_gap
        ]


class Executor:
    def __init__(
        self,
        home: Home,
        catalog: Catalog,
        warehouse: Warehouse,
        ledger: Ledger,
        holder: str,
        *,
        progress: Progress | None = None,
        fetcher: Callable[[str, Sequence[date]], Iterable[Any]] | None = None,
        store: Any = None,
        workers: int = 2,
        batch_days: int = 400,
        lease_ttl: float = 900.0,
        schemas: Mapping[str, Mapping[str, str]] | None = None,
        on_written: Callable[[str, Sequence[date], Sequence[str | None], str], None] | None = None,
    ):
        self.home = home
        self.catalog = catalog
        self.wh = warehouse
        self.ledger = ledger
        self.holder = holder
        self.progress = progress or Silent()
        self.fetcher = fetcher
        self.store = store
        self.workers = workers
        self.batch_days = batch_days
        self.lease_ttl = lease_ttl
        self.schemas = schemas or {}
        self.on_written = on_written
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards _facts, updated by a level's worker threads
        self._run_id = "adhoc"
        self._planned_at = 0.0
        self._facts: dict[str, dict[date, Facts]] | None = None
        self._calendar: Calendar | None = None
        self.ctx = BuildContext(home=home.root, execute=self.wh.execute)

    # -- observing -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Read facts and the calendar from the data itself (one grouped query per table),
        and mirror them into the ledger for readers that find the warehouse busy."""
        facts = observe.read_facts(self.wh, self.catalog)
        for name, fs in facts.items():
            self.ledger.save_facts(name, fs, replace_all=True)
        self._calendar = self._read_calendar()
        with self._lock:
            self._facts = facts

    def _read_calendar(self) -> Calendar:
        cal = observe.read_calendar(self.wh, self.catalog.schedule)
        self.ledger.save_calendar(cal.to_payload())
        return cal

    @property
    def calendar(self) -> Calendar:
        if self._calendar is None:
            self.refresh()
        assert self._calendar is not None
        return self._calendar

    def universe(self, seasons: Iterable[str] = ()) -> list[date]:
        return observe.universe(self.calendar, seasons, self.ledger.requested_seasons())

    def statuses(self, seasons: Iterable[str] = ()) -> dict[tuple[str, date], PartitionStatus]:
        if self._facts is None:
            self.refresh()
        with self._lock:
            facts = self._facts
        assert facts is not None
        return derive(
            self.catalog,
            self.calendar,
            self.universe(seasons),
            facts,
            self.ledger.latest(),
            self.ledger.leases(),
            holder=self.holder,
            recorded_modules=self.ledger.recorded_modules(),
        )

    # -- running -------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the run to stop after the writes in flight (what Ctrl-C does)."""
        self._stop.set()

    def execute(self, command: str, request: Request) -> RunResult:
        """`run`, recorded in the ledger as one run of `command`: `crashed` if it raises,
        else `interrupted`, `gaps` (some asked-for partition is still a gap) or `ok`."""
        run_id = self.ledger.start_run(command, self.holder)
        try:
            result = self.run(request, run_id)
        except BaseException:
            self.ledger.end_run(run_id, "crashed")
            raise
        gaps = result.gaps(request.tables, request.dates)
        self.ledger.end_run(run_id, "interrupted" if result.interrupted else ("gaps" if gaps else "ok"))
        return result

    def run(self, request: Request, run_id: str) -> RunResult:
        result = RunResult(run_id)
        self._run_id = run_id
        seasons = {self.calendar.season_of(d) for d in request.dates}
        self.ledger.remember_request(run_id, request.dates, self.calendar.season_of)
        tried: set[tuple[str, date]] = set()  # each partition runs at most once per run
        restore = self._install_sigint()
        started: dict[str, float] = {}
        try:
            shared = getattr(self.wh, "shared", False)
            rounds = 0
            while not self._stop.is_set():
                if shared and rounds:
                    self.refresh()  # other runners write the same warehouse meanwhile
                rounds += 1
                self._planned_at = time.time()
                statuses = self.statuses(seasons)
                plan = make_plan(self.catalog, statuses, request.tables, request.dates, request.force)
                self._progress_plan(plan, statuses, started)
                ready: dict[str, list[date]] = {}
                for step in plan.steps:
                    ds = [d for d in step.dates if (step.table, d) not in tried]
                    if ds:
                        ready[step.table] = ds
                if not ready:
                    if shared and self._others_at_work(statuses, request):
                        self._stop.wait(1.0)  # another runner holds what is left: wait for it
                        continue
                    break
                # phase by phase (validation between phases), level by level within one
                rank = {t: (self.catalog[t].phase.order, self.catalog.levels[t]) for t in ready}
                low = min(rank.values())
                batch = {t: ds for t, ds in ready.items() if rank[t] == low}
                tried.update((t, d) for t, ds in batch.items() for d in ds)
                t0 = time.perf_counter()
                self._run_level(batch, statuses, run_id, result)
                phases = sorted({self.catalog[t].phase.value for t in batch})
                for p in phases:
                    key = f"phase {p}"
                    spent = (time.perf_counter() - t0) / len(phases)
                    result.seconds_by_phase[key] = result.seconds_by_phase.get(key, 0.0) + spent
            result.interrupted = self._stop.is_set()
            result.statuses = self.statuses(seasons)
        finally:
            restore()
            for key in started:
                self.progress.finish(key)
            self.ledger.release(self.holder)
        return result

    def _progress_plan(self, plan, statuses, started: dict[str, float]) -> None:
        for step in plan.steps:
            key = f"phase {step.phase.value}"
            if key not in started:
                started[key] = time.perf_counter()
                total = sum(
                    len(s.dates) + len(s.waiting) for s in plan.steps if s.phase is step.phase
                )
                self.progress.start(key, f"phase {step.phase.label}", total)

    def _install_sigint(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum, frame):  # noqa: ARG001
            if self._stop.is_set():
                raise KeyboardInterrupt
            self.progress.log("stopping after the writes in flight; run the same command to resume")
            self._stop.set()

        signal.signal(signal.SIGINT, handler)
        return lambda: signal.signal(signal.SIGINT, previous)

    def _run_level(self, batch: Mapping[str, list[date]], statuses, run_id, result) -> None:
        jobs = []
        for table, ds in batch.items():
            for chunk in self._chunks(ds):
                jobs.append((table, chunk))
        if self.workers > 1 and len(batch) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                list(pool.map(lambda j: self._run_batch(j[0], j[1], statuses, run_id, result), jobs))
        else:
            for table, chunk in jobs:
                if self._stop.is_set():
                    break
                self._run_batch(table, chunk, statuses, run_id, result)

    def _chunks(self, ds: Sequence[date]) -> list[list[date]]:
        by_season: dict[str | None, list[date]] = {}
        for d in sorted(ds):
            by_season.setdefault(self.calendar.season_of(d), []).append(d)
        out = []
        for seq in by_season.values():
            for i in range(0, len(seq), self.batch_days):
                out.append(seq[i : i + self.batch_days])
        return out

    def _run_batch(self, table: str, dates: list[date], statuses, run_id, result) -> None:
        if self._stop.is_set():
            return
        spec = self.catalog[table]
        granted = self.ledger.acquire(self.holder, table, dates, self.lease_ttl)
        done = self._done_elsewhere(table, granted)
        if done:  # another runner built them after this plan was made: plan again first
            self.ledger.release(self.holder, table, done)
            granted = [d for d in granted if d not in set(done)]
        if not granted:
            return
        try:
            self._attempt(spec, granted, statuses, run_id, result)
        finally:
            self.ledger.release(self.holder, table, granted)
        self.progress.advance(f"phase {spec.phase.value}", len(granted))

    def _others_at_work(self, statuses, request: Request) -> bool:
        """Whether another runner holds a lease on a partition this request covers."""
        tables, dates = set(request.tables), set(request.dates)
        return any(
            s.status is Status.RUNNING for (t, d), s in statuses.items() if t in tables and d in dates
        )

    def _done_elsewhere(self, table: str, dates: list[date]) -> list[date]:
        """Dates another holder finished since this round's plan (several runners)."""
        latest = self.ledger.latest([table])
        return [
            d for d in dates
            if (a := latest.get((table, d))) is not None and a.holder != self.holder
            and a.status != "running" and (a.ended_at or 0.0) >= self._planned_at
        ]

    def _attempt(self, spec: TableSpec, dates: list[date], statuses, run_id, result) -> None:
        input_fps = {d: statuses[(spec.name, d)].input_fp for d in dates}
        version = self.catalog.code_versions[spec.name]
        batch_id = self.ledger.begin(
            run_id, spec.name, dates, self.holder, input_fps, version,
            code_modules=self.catalog.code_modules[spec.name],
        )
        try:
            outcomes = self._retrying(lambda: self._build(spec, dates, statuses))
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then narrowed
            if errors.is_disk_full(exc):
                raise errors.disk_full(self.home.root) from exc
            message = _one_line(exc)
            if len(dates) > 1:
                self.ledger.finish(
                    batch_id, spec.name,
                    {d: ("failed", None, None, None, f"batch failed, narrowing: {message}") for d in dates},
                )
                mid = len(dates) // 2
                self._attempt(spec, dates[:mid], statuses, run_id, result)
                self._attempt(spec, dates[mid:], statuses, run_id, result)
                return
            status = "unavailable" if isinstance(exc, errors.SourceUnavailable) else "failed"
            self.ledger.finish(batch_id, spec.name, {dates[0]: (status, None, None, None, message)})
            result.count(failed=int(status == "failed"))
            self.progress.log(f"{spec.name} {dates[0]}: {message}")
            return
        self.ledger.finish(batch_id, spec.name, outcomes)
        written = [d for d, o in outcomes.items() if o[0] in ("success", "gate_failed")]
        result.count(
            written=len(written),
            failed=sum(o[0] == "failed" for o in outcomes.values()),
            gate_failed=sum(o[0] == "gate_failed" for o in outcomes.values()),
        )
        for d, o in outcomes.items():
            if o[0] in ("failed", "gate_failed"):
                self.progress.log(f"{spec.name} {d}: {o[0]}: {o[4]}")
        if written and self.on_written is not None:
            self.on_written(spec.name, written, [outcomes[d][3] for d in written], run_id)

    def _retrying(self, fn: Callable[[], dict[date, Outcome]]) -> dict[date, Outcome]:
        retry = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(errors.TransientError),
            stop=tenacity.stop_after_attempt(3),
            wait=tenacity.wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        )
        return retry(fn)

    # -- building one batch --------------------------------------------------------------

    def _build(self, spec: TableSpec, dates: list[date], statuses=None) -> dict[date, Outcome]:
        if spec.phase is Phase.SCRAPE:
            return self._scrape(spec, dates, statuses or {})
        if spec.phase is Phase.RAW and any(i.table.startswith("scrape.") for i in spec.inputs):
            return self._parse(spec, dates)
        inputs = {}
        for i in spec.inputs:
            if not self.wh.has_table(i.table) and i.table in self.schemas:
                self.wh.ensure_table(i.table, self.schemas[i.table])
            if not self.wh.has_table(i.table):
                # The planner found every input partition ready, so a missing table means
                # all of them are legitimately empty (bootstrap days, no lines yet).
                return {d: ("success", 0, 0, None, None) for d in dates}
            inputs[i.table] = self.wh.table(i.table)
        build = spec.build
        assert build is not None
        if "ctx" in inspect.signature(build).parameters:
            expr = build(inputs, dates, ctx=self.ctx)
        else:
            expr = build(inputs, dates)
        return self._store(spec, dates, expr, {})

    def _store(
        self, spec: TableSpec, dates: list[date], expr: Any, failed: Mapping[date, str]
    ) -> dict[date, Outcome]:
        good = [d for d in dates if d not in failed]
        outcomes: dict[date, Outcome] = {
            d: ("failed", None, None, None, msg) for d, msg in failed.items()
        }
        if not good:
            return outcomes
        self.wh.replace_partitions(spec.name, good, expr)
        facts = self.wh.facts(spec.name, good)
        self.ledger.save_facts(spec.name, facts)
        with self._lock:
            if self._facts is not None:
                tf = dict(self._facts.get(spec.name, {}))
                for d in good:
                    f = facts.get(d)
                    if f is None:
                        tf.pop(d, None)
                    else:
                        tf[d] = f
                self._facts = {**self._facts, spec.name: tf}
        if spec.name == self.catalog.schedule:
            self._calendar = self._read_calendar()
        failures: dict[date, list[str]] = {}
        if spec.gates:
            ctx = _Tables(self.wh)
            for f in gates_mod.evaluate(
                spec.name, self.wh.table(spec.name), spec.gates, spec.keys, good, ctx,
                lambda e: self.wh.rows(e),
            ):
                failures.setdefault(f.game_date, []).append(f.message)
        if spec.phase is Phase.EXPORT:
            self._write_exports(spec, good)
        for d in good:
            f = facts.get(d)
            rows, games, fp = (f.rows, f.games, f.fingerprint) if f else (0, 0, None)
            if d in failures:
                outcomes[d] = ("gate_failed", rows, games, fp, f"{d}: " + "; ".join(failures[d]))
            else:
                outcomes[d] = ("success", rows, games, fp, None)
        return outcomes

    def _scrape(self, spec: TableSpec, dates: list[date], statuses) -> dict[date, Outcome]:
        """Fetch the dates' payloads (the fetcher stores them), record every request in the
        fetch ledger. The schedule's games are handed over so per-game sources know what
        to ask for; a partial partition asks only for what it lacks."""
        if self.fetcher is None or self.store is None:
            raise errors.PartitionError("no source configured for scraping", spec.name, dates)
        source = spec.name.removeprefix("scrape.")
        schedule_source = self._schedule_source()
        games = self._games(dates) if source != schedule_source else {}
        skip = {}
        for d in dates:
            st = statuses.get((spec.name, d))
            if st is not None and st.status == "partial":
                skip[d] = [e.item for e in self.store.manifest(source, d) or []]
        results = list(self.fetcher(source, dates, games=games, skip=skip))
        self.ledger.record_fetches(self._run_id, [row for r in results for row in r.rows])
        outcomes: dict[date, Outcome] = {}
        for res in results:
            d = res.game_date
            if res.status == "unavailable":
                outcomes[d] = ("unavailable", 0, None, None, f"source provides none: {res.error}")
            elif res.status != "success":
                outcomes[d] = ("failed", None, None, None, res.error or "no response")
            else:
                outcomes[d] = ("success", int(res.records), int(res.games), res.fingerprint, res.error)
        for d in dates:
            outcomes.setdefault(d, ("failed", None, None, None, "no response"))
        return outcomes

    def _schedule_source(self) -> str | None:
        sched = self.catalog.schedule
        if sched is None or sched not in self.catalog.names():
            return None
        src = next((i.table for i in self.catalog[sched].inputs if i.table.startswith("scrape.")), None)
        return src.removeprefix("scrape.") if src else None

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

    def _parse(self, spec: TableSpec, dates: list[date]) -> dict[date, Outcome]:
        """Every body of each date's partition parsed, put together, duplicates across
        bodies dropped (the newest body wins); a body that fails validation is
        quarantined with the reason and its date fails."""
        if self.store is None:
            raise errors.PartitionError("no object store configured", spec.name, dates)
        src = next((i.table for i in spec.inputs if i.table.startswith("scrape.")), None)
        if src is None:
            raise errors.CatalogError(f"raw table {spec.name} has no scrape input")
        source = src.removeprefix("scrape.")
        tables: list[pa.Table] = []
        failed: dict[date, str] = {}
        schema = self.schemas.get(spec.name)
        provided = self.ledger.latest([src])
        unavailable = {
            d: a.error for d in dates
            if (a := provided.get((src, d))) is not None and a.status == "unavailable"
        }
        shared: dict[str, bytes] = {}  # a body many dates share (a season's schedule), read once
        for d in dates:
            if d in unavailable:
                continue
            entries = self.store.manifest(source, d)
            if entries is None:
                failed[d] = f"no payload for {source} {d}"
                continue
            parts: list[pa.Table] = []
            for e in sorted(entries, key=lambda e: e.key.rsplit("/", 1)[-1], reverse=True):
                try:
                    body = shared[e.key] if e.key in shared else self.store.get(e.key)
                except FileNotFoundError:
                    continue  # quarantined since: its fetch is owed again
                if "/_shared/" in e.key:
                    shared[e.key] = body
                try:
                    parts.append(spec.build(body, d))
                except errors.PayloadInvalid as exc:
                    self.store.quarantine(e.key, str(exc))
                    failed[d] = f"payload quarantined: {exc}"
                    break
            if d in failed or not parts:
                continue
            # bodies of distinct games cannot share a key; others (snapshots, a game log
            # beside box scores) may: the newest body's row wins
            per_game = all(e.item.isdigit() for e in entries)
            try:
                merged = pa.concat_tables(parts, promote_options="default") if per_game else _distinct(parts, spec.keys)
                tables.append(_conform(merged, schema, spec.name, d) if schema else merged)
            except errors.PayloadInvalid as exc:
                failed[d] = str(exc)
        self._refetch(src, {d: m for d, m in failed.items() if m.startswith("payload quarantined")})
        if unavailable:  # a raw table holds nothing its source does not provide
            self.wh.replace_partitions(spec.name, sorted(unavailable), _empty(schema) if schema
                                       else pa.table({"game_date": pa.array([], pa.date32())}))
        if tables:
            data = pa.concat_tables(tables, promote_options="default")
        elif schema:
            data = _empty(schema)
        else:
            data = pa.table({"game_date": pa.array([], pa.date32())})
        outcomes = self._store(spec, [d for d in dates if d not in unavailable], data, failed)
        outcomes.update({d: ("unavailable", 0, 0, None, why) for d, why in unavailable.items()})
        return outcomes

    def _refetch(self, scrape: str, reasons: Mapping[date, str]) -> None:
        """A quarantined payload fails its fetch too, so the planner fetches it again."""
        if not reasons:
            return
        ds = sorted(reasons)
        batch = self.ledger.begin(
            self._run_id, scrape, ds, self.holder, {}, self.catalog.code_versions[scrape]
        )
        self.ledger.finish(batch, scrape, {d: ("failed", None, None, None, reasons[d]) for d in ds})

    def _write_exports(self, spec: TableSpec, dates: list[date]) -> None:
        rows = self.wh.partition_rows(spec.name, dates, ("path", "payload"))
        root = self.home.exports
        for path, payload in rows:
            write_atomic(root / path, payload, durable=False)  # rebuilt from the warehouse


class _Tables(dict):
    """Warehouse tables looked up on first use: gates name one or two of them."""

    def __init__(self, wh: Warehouse):
        super().__init__()
        self._wh = wh

    def __missing__(self, name: str):
        if not self._wh.has_table(name):
            raise KeyError(name)
        self[name] = t = self._wh.table(name)
        return t

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._wh.has_table(name)




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


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:500]

