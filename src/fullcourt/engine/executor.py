"""The executor: runs what the planner decided, level by level, in batches of dates.

It plans, runs every ready partition of the lowest dependency level (tables of one
level concurrently, each in batches of whole seasons: one query per batch), records the
outcome, and plans again — until nothing ready is left. So resuming after a crash or a
Ctrl-C is simply the next run: the ledger and the warehouse already say what is done.

A batch that fails is narrowed by halves down to the dates that fail on their own, so
one bad date does not fail a month. Transient errors are retried with backoff first.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import tenacity

from fullcourt import errors
from fullcourt.catalog import steps
from fullcourt.catalog.calendar import Calendar
from fullcourt.catalog.context import BuildContext
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Phase, Step, TableSpec
from fullcourt.config import Home
from fullcourt.engine import gates as gates_mod
from fullcourt.engine import observe
from fullcourt.engine.ingest import Ingest
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.planner import (
    Facts,
    PartitionStatus,
    Status,
    derive,
    make_plan,
)
from fullcourt.engine.progress import Progress, Silent
from fullcourt.engine.status import AttemptStatus, Outcome
from fullcourt.files import write_atomic
from fullcourt.warehouse.base import Warehouse

__all__ = ["Executor", "Outcome", "RunResult", "Request"]


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
    # every partition of the run's seasons up to its last date
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
        parse_workers: int | None = None,
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
        self.ingest = Ingest(catalog, warehouse, ledger, holder, fetcher=fetcher, store=store,
                             schemas=self.schemas,
                             parse_workers=(os.cpu_count() or 1) if parse_workers is None else parse_workers)

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

    def statuses(
        self,
        seasons: Iterable[str] = (),
        previous: Mapping[tuple[str, date], PartitionStatus] | None = None,
        changed: Iterable[str] | None = None,
        through: date | None = None,
    ) -> dict[tuple[str, date], PartitionStatus]:
        """Every partition's status; with `previous` and `changed`, an update of `previous`
        after only the `changed` tables were written (see `planner.derive`). `through`
        leaves out later dates: windows only look back, so they cannot change the status
        of a date up to it, and a run for tonight need not re-derive the season ahead."""
        if self._facts is None:
            self.refresh()
        with self._lock:
            facts = self._facts
        assert facts is not None
        return derive(
            self.catalog,
            self.calendar,
            [d for d in self.universe(seasons) if through is None or d <= through],
            facts,
            self.ledger.latest(),
            self.ledger.leases(),
            holder=self.holder,
            recorded_modules=self.ledger.recorded_modules(),
            previous=previous,
            changed=changed,
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
        through = max(request.dates, default=None)
        self.ledger.remember_request(run_id, request.dates, self.calendar.season_of)
        tried: set[tuple[str, date]] = set()  # each partition runs at most once per run
        restore = self._install_sigint()
        started: dict[str, float] = {}
        try:
            shared = getattr(self.wh, "shared", False)
            rounds = 0
            statuses: dict[tuple[str, date], PartitionStatus] | None = None
            written: set[str] | None = None  # what the last level wrote; None: plan anew
            while not self._stop.is_set():
                if shared and rounds:
                    self.refresh()  # other runners write the same warehouse meanwhile
                rounds += 1
                self._planned_at = time.time()
                statuses = self.statuses(seasons, statuses, written, through)
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
                # the next plan updates this one: only what this level wrote (a parse step
                # also records its feed's refetches) and what lies downstream can change;
                # a new schedule may change the calendar, other runners anything
                feeds = {f for t in batch if (f := self.catalog.feed(t)) is not None}
                written = None if shared or self.catalog.schedule in batch else {*batch, *feeds}
                phases = sorted({self.catalog[t].phase.value for t in batch})
                for p in phases:
                    key = f"phase {p}"
                    spent = (time.perf_counter() - t0) / len(phases)
                    result.seconds_by_phase[key] = result.seconds_by_phase.get(key, 0.0) + spent
            result.interrupted = self._stop.is_set()
            result.statuses = self.statuses(seasons, statuses, written, through)
        finally:
            restore()
            self.ingest.close()
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
        # an export's files on disk, by the fingerprint of the attempt that wrote them: read
        # before `begin` records this attempt as the latest
        on_disk = _on_disk(self.ledger.latest([spec.name]), dates) if spec.phase is Phase.EXPORT else {}
        batch_id = self.ledger.begin(
            run_id, spec.name, dates, self.holder, input_fps, version,
            code_modules=self.catalog.code_modules[spec.name],
        )
        try:
            outcomes = self._retrying(lambda: self._build(spec, dates, statuses, on_disk))
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then narrowed
            if errors.is_disk_full(exc):
                raise errors.disk_full(self.home.root) from exc
            message = _one_line(exc)
            if len(dates) > 1:
                self.ledger.finish(
                    batch_id, spec.name,
                    {d: Outcome.failed(f"batch failed, narrowing: {message}") for d in dates},
                )
                mid = len(dates) // 2
                self._attempt(spec, dates[:mid], statuses, run_id, result)
                self._attempt(spec, dates[mid:], statuses, run_id, result)
                return
            unavailable = isinstance(exc, errors.SourceUnavailable)
            status = AttemptStatus.UNAVAILABLE if unavailable else AttemptStatus.FAILED
            self.ledger.finish(batch_id, spec.name, {dates[0]: Outcome(status, error=message)})
            result.count(failed=int(not unavailable))
            self.progress.log(f"{spec.name} {dates[0]}: {message}")
            return
        self.ledger.finish(batch_id, spec.name, outcomes)
        written = [d for d, o in outcomes.items() if o.written]
        result.count(
            written=len(written),
            failed=sum(o.status is AttemptStatus.FAILED for o in outcomes.values()),
            gate_failed=sum(o.status is AttemptStatus.GATE_FAILED for o in outcomes.values()),
        )
        for d, o in outcomes.items():
            if o.status in (AttemptStatus.FAILED, AttemptStatus.GATE_FAILED):
                self.progress.log(f"{spec.name} {d}: {o.status}: {o.error}")
        if written and self.on_written is not None:
            self.on_written(spec.name, written, [outcomes[d].fingerprint for d in written], run_id)

    def _retrying(self, fn: Callable[[], dict[date, Outcome]]) -> dict[date, Outcome]:
        retry = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(errors.TransientError),
            stop=tenacity.stop_after_attempt(3),
            wait=tenacity.wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        )
        return retry(fn)

    # -- building one batch --------------------------------------------------------------

    def _build(self, spec: TableSpec, dates: list[date], statuses, on_disk: Mapping[date, str]) -> dict[date, Outcome]:
        """One batch of one table, called as its step kind says (`catalog.steps`)."""
        if spec.step is Step.FETCH:
            return self.ingest.fetch(spec, dates, statuses, self._run_id)
        if spec.step is Step.PARSE:
            return self.ingest.parse(spec, dates, self._run_id, self._store)
        return self._transform(spec, dates, on_disk)

    def _transform(self, spec: TableSpec, dates: list[date], on_disk: Mapping[date, str]) -> dict[date, Outcome]:
        """A transform or model step: one expression over the batch, stored at once."""
        inputs = {}
        for i in spec.inputs:
            if not self.wh.has_table(i.table) and i.table in self.schemas:
                self.wh.ensure_table(i.table, self.schemas[i.table])
            if not self.wh.has_table(i.table):
                # The planner found every input partition ready, so a missing table means
                # all of them are legitimately empty (bootstrap days, no lines yet).
                return {d: Outcome(AttemptStatus.SUCCESS, 0, 0) for d in dates}
            inputs[i.table] = self.wh.table(i.table)
        build = spec.build
        assert build is not None
        expr = build(inputs, dates, ctx=self.ctx) if spec.step is Step.MODEL else build(inputs, dates)
        return self._store(spec, dates, steps.check_result(spec.name, spec.step, build, expr), {}, on_disk)

    def _store(
        self, spec: TableSpec, dates: list[date], expr: Any, failed: Mapping[date, str],
        on_disk: Mapping[date, str] | None = None,
    ) -> dict[date, Outcome]:
        good = [d for d in dates if d not in failed]
        outcomes: dict[date, Outcome] = {d: Outcome.failed(msg) for d, msg in failed.items()}
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
            self._write_exports(spec, good, facts, on_disk or {})
        for d in good:
            f = facts.get(d)
            rows, games, fp = (f.rows, f.games, f.fingerprint) if f else (0, 0, None)
            if d in failures:
                outcomes[d] = Outcome(AttemptStatus.GATE_FAILED, rows, games, fp, f"{d}: " + "; ".join(failures[d]))
            else:
                outcomes[d] = Outcome(AttemptStatus.SUCCESS, rows, games, fp)
        return outcomes

    def _write_exports(
        self, spec: TableSpec, dates: list[date], facts: Mapping[date, Facts], on_disk: Mapping[date, str]
    ) -> None:
        """Each document of the partitions as a file, rewritten only when its content
        changed: a rebuild that changes nothing leaves the files (and whatever syncs them
        to a website) alone. Not fsynced: the warehouse can always write them again.

        A partition whose fingerprint equals that of its last finished attempt holds the
        very documents that attempt wrote (an attempt finishes only after its files are
        written), so its files are only checked to have the size written, not read back
        and compared: a rebuild that changed nothing costs a `stat` per document."""
        same = {d for d in dates if (f := facts.get(d)) is not None and on_disk.get(d) == f.fingerprint}
        root = self.home.exports
        for d, path, payload in self.wh.partition_rows(spec.name, dates, ("game_date", "path", "payload")):
            target = root / path
            data = payload.encode() if isinstance(payload, str) else payload
            try:
                if d in same:
                    if target.stat().st_size == len(data):
                        continue
                elif target.read_bytes() == data:
                    continue
            except (FileNotFoundError, NotADirectoryError):
                pass
            write_atomic(target, data, durable=False)


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


def _on_disk(latest: Mapping[tuple[str, date], Any], dates: Sequence[date]) -> dict[date, str]:
    """The fingerprint of each date's last finished attempt that wrote files."""
    wanted = set(dates)
    return {
        d: a.fingerprint for (_, d), a in latest.items()
        if d in wanted and a.fingerprint and a.status in _WROTE_FILES
    }


_WROTE_FILES = frozenset({AttemptStatus.SUCCESS, AttemptStatus.GATE_FAILED})


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:500]

