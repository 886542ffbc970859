"""The `fullcourt` command: the only module that knows about terminals.

Every command parses and checks its input first (one red line and exit 2 on a typo,
before the data home is touched), then hands plain values to the engine. Exit codes:
0 ok, 1 the work finished with failures or gaps left, 2 bad usage or an unusable home.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from fullcourt import errors
from fullcourt.catalog import selection
from fullcourt.catalog.calendar import season_of
from fullcourt.catalog.spec import Phase
from fullcourt.config import Home
from fullcourt.engine import observe
from fullcourt.engine.executor import Request, RunResult
from fullcourt.engine.planner import GAP_STATUSES, STATUSES, PartitionStatus, make_plan
from fullcourt.engine.runner import EASTERN
from fullcourt.engine.runtime import Runtime, load_catalog, open_reader, open_writer

__all__ = ["app", "main"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Backfill-first NBA player-points pipeline: scrape, build, predict, grade, export.",
)
sources_app = typer.Typer(no_args_is_help=True, help="The simulated league's source APIs.")
app.add_typer(sources_app, name="sources")


@dataclass
class State:
    home: Home
    debug: bool


class RichProgress:
    """The engine's Progress, drawn as one bar per phase with rate and ETA."""

    def __init__(self, enabled: bool = True):
        self._bar = Progress(
            TextColumn("[bold]{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, int] = {}
        self._t0: dict[str, float] = {}

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.stop()

    def start(self, key: str, label: str, total: int) -> None:
        self._t0[key] = time.perf_counter()
        self._tasks[key] = self._bar.add_task(label, total=max(total, 1), rate="")

    def advance(self, key: str, n: int = 1) -> None:
        task = self._tasks.get(key)
        if task is None:
            return
        done = self._bar.tasks[[t.id for t in self._bar.tasks].index(task)].completed + n
        rate = done / max(time.perf_counter() - self._t0[key], 1e-9)
        self._bar.update(task, advance=n, rate=f"{rate:,.0f} part/s")

    def finish(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None:
            t = self._bar.tasks[[x.id for x in self._bar.tasks].index(task)]
            self._bar.update(task, total=max(t.completed, 1), completed=max(t.completed, 1))

    def log(self, message: str) -> None:
        err.print(f"[dim]{message}[/]", markup=True, highlight=False)


# -- global options ------------------------------------------------------------------------


@app.callback()
def _global(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--home", envvar="FULLCOURT_HOME", help="Data home (warehouse, ledger, objects, exports)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
    source: str | None = typer.Option(
        None, "--source", help="sim (default) or replay: real files served like a provider."
    ),
    data: Path | None = typer.Option(None, "--data", help="Folder of real files for --source replay."),
) -> None:
    state = State(Home.resolve(home), debug)
    if source is not None or data is not None:
        _choose_source(state.home, source or "replay", data)
    ctx.obj = state


def _choose_source(home: Home, source: str, data: Path | None) -> None:
    """Record the source in the home's settings, so every later command reads the same one."""
    if source not in ("sim", "replay"):
        raise errors.UsageError(f"unknown source {source!r}; sources are sim and replay")
    if source == "replay":
        if data is None:
            raise errors.UsageError("--source replay needs --data DIR (a folder of real files)")
        if not data.is_dir():
            raise errors.UsageError(f"--data {data} is not a folder")
        os.environ["FULLCOURT_REPLAY_DIR"] = str(data.resolve())
    else:
        os.environ.pop("FULLCOURT_REPLAY_DIR", None)
    from fullcourt.sources import registry

    home.ensure()
    registry.save_source_setting(home, "replay", str(data.resolve()) if data else None)


def _state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


# -- shared machinery ------------------------------------------------------------------------


@contextmanager
def _reader(state: State) -> Iterator[Runtime]:
    rt = open_reader(state.home)
    try:
        yield rt
        if rt._snapshot is not None and rt.note:
            err.print(f"[yellow]{rt.note}[/]")
    finally:
        rt.close()


@contextmanager
def _planning_runtime(state: State) -> Iterator[Runtime]:
    """Statuses without writing anything: a missing home plans against an empty one."""
    if state.home.exists():
        with _reader(state) as rt:
            yield rt
        return
    with tempfile.TemporaryDirectory(prefix="fullcourt-plan-") as tmp:
        rt = open_writer(Home(Path(tmp)))
        try:
            yield rt
        finally:
            rt.close()


def _seasons(dates: Sequence[date]) -> list[str]:
    return sorted({s for d in dates if (s := season_of(d))})


def _plan(state: State, tables: list[str], dates: list[date], force: bool, as_json: bool) -> int:
    with _planning_runtime(state) as rt:
        statuses = rt.statuses(_seasons(dates))
        plan = make_plan(rt.catalog, statuses, tables, dates, force)
    wanted, dset = set(tables), set(dates)
    planned = {(st.table, d) for st in plan.steps for d in (*st.dates, *st.waiting)}
    held = [
        s for (t, d), s in statuses.items()
        if t in wanted and d in dset and s.status == "blocked" and (t, d) not in planned
    ]
    if as_json:
        _print_json({"dry_run": True, "steps": plan.to_json(), "partitions": plan.partitions,
                     "blocked_outside_request": len(held)})
        return 0
    table = Table(title=f"plan: {plan.partitions} partitions (dry run, nothing written)")
    for col in ("phase", "table", "partitions", "ready now", "first", "last"):
        table.add_column(col)
    for row in plan.to_json():
        table.add_row(row["phase"], row["table"], str(row["dates"]), str(row["ready"]),
                      row["first"], row["last"])
    out.print(table)
    if held:
        out.print(f"{len(held)} partitions are blocked by inputs outside this request "
                  "(`fullcourt gaps` names the root causes)")
    return 0


def _execute(
    state: State,
    command: str,
    tables: list[str],
    dates: list[date],
    force: bool,
    as_json: bool,
    wait: float = 0.0,
) -> int:
    with RichProgress(enabled=err.is_terminal and not as_json) as progress:
        rt = open_writer(state.home, progress=progress, wait=wait)
        try:
            assert rt.executor is not None
            run_id = rt.ledger.start_run(command, rt.executor.holder)
            try:
                result = rt.executor.run(Request(tuple(tables), tuple(dates), force), run_id)
            except BaseException:
                rt.ledger.end_run(run_id, "crashed")
                raise
            gaps = result.gaps(tables, dates)
            rt.ledger.end_run(run_id, "interrupted" if result.interrupted else ("gaps" if gaps else "ok"))
        finally:
            rt.close()
    _report_run(result, gaps, as_json)
    return 0 if not gaps and not result.interrupted else 1


def _report_run(result: RunResult, gaps: list[PartitionStatus], as_json: bool) -> None:
    by_status = Counter(g.status for g in gaps)
    if as_json:
        _print_json({
            "run_id": result.run_id,
            "written": result.written,
            "failed": result.failed,
            "gate_failed": result.gate_failed,
            "interrupted": result.interrupted,
            "gaps": len(gaps),
            "gaps_by_status": dict(by_status),
            "seconds_by_phase": {k: round(v, 3) for k, v in result.seconds_by_phase.items()},
        })
        return
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds_by_phase.items())
    out.print(f"run {result.run_id}: {result.written} partitions written"
              + (f" ({phases})" if phases else ""))
    if result.interrupted:
        out.print("[yellow]interrupted: run the same command again to resume[/]")
    if gaps:
        summary = ", ".join(f"{n} {s}" for s, n in by_status.most_common())
        out.print(f"[red]{len(gaps)} gaps left[/]: {summary} (`fullcourt gaps` for reasons)")
    else:
        out.print("[green]no gaps[/]")


def _print_json(value) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


# -- commands ----------------------------------------------------------------------------------

_START = typer.Option(None, "--start", help="First game date, YYYY-MM-DD.")
_END = typer.Option(None, "--end", help="Last game date, YYYY-MM-DD.")
_SEASON = typer.Option(None, "--season", help="Season(s): 2023-24, 2021-22:2024-25.")
_JSON = typer.Option(False, "--json", help="Machine-readable output.")
_DRY = typer.Option(False, "--dry-run", help="Print the plan; write nothing.")
_WAIT = typer.Option(
    0.0, "--wait", min=0.0, help="Seconds to wait for another runner to release the warehouse."
)


@app.command()
def backfill(
    ctx: typer.Context,
    start: str | None = _START,
    end: str | None = _END,
    season: str | None = _SEASON,
    phases: str | None = typer.Option(None, "--phases", help="Phases to build, e.g. 2-6 (default: all)."),
    tables: str | None = typer.Option(None, "--tables", help="Comma-separated tables."),
    force: bool = typer.Option(False, "--force", help="Rebuild partitions that are complete."),
    dry_run: bool = _DRY,
    as_json: bool = _JSON,
    wait: float = _WAIT,
) -> None:
    """Build every phase for a date range, in dependency order, validating between phases."""
    state = _state(ctx)
    catalog, _ = load_catalog()
    dates = selection.select_dates(start, end, season)
    chosen = selection.select_tables(catalog, tables, selection.parse_phases(phases))
    if dry_run:
        _exit(_plan(state, chosen, dates, force, as_json))
        return
    _exit(_execute(state, "backfill", chosen, dates, force, as_json, wait))


@app.command()
def scrape(
    ctx: typer.Context,
    start: str | None = _START,
    end: str | None = _END,
    season: str | None = _SEASON,
    sources: str | None = typer.Option(None, "--sources", help="Comma-separated sources."),
    force: bool = typer.Option(False, "--force", help="Fetch again dates already fetched."),
    dry_run: bool = _DRY,
    as_json: bool = _JSON,
) -> None:
    """Fetch source payloads into the object store (phase 1)."""
    state = _state(ctx)
    catalog, _ = load_catalog()
    dates = selection.select_dates(start, end, season)
    known = [n for n in catalog.names() if catalog[n].phase is Phase.SCRAPE]
    if sources:
        chosen = []
        for s in (x.strip() for x in sources.split(",") if x.strip()):
            name = s if s.startswith("scrape.") else f"scrape.{s}"
            if name not in known:
                names = ", ".join(k.removeprefix("scrape.") for k in known)
                raise errors.UnknownTable(f"unknown source {s!r}; sources are {names}")
            chosen.append(name)
    else:
        chosen = known
    # The dates that have games are known once the schedule is built, so scraping the
    # other sources needs the schedule's raw table too (and nothing beyond it).
    if catalog.schedule and catalog.schedule not in chosen:
        chosen = [*chosen, catalog.schedule]
    if dry_run:
        _exit(_plan(state, chosen, dates, force, as_json))
        return
    _exit(_execute(state, "scrape", chosen, dates, force, as_json))


@app.command()
def heal(
    ctx: typer.Context,
    season: str | None = _SEASON,
    dry_run: bool = _DRY,
    as_json: bool = _JSON,
    wait: float = _WAIT,
) -> None:
    """Plan every gap of every table and run it."""
    state = _state(ctx)
    catalog, _ = load_catalog()
    if not state.home.exists():
        raise errors.HomeError(f"no fullcourt home at {state.home.root}; nothing to heal")
    with _reader(state) as rt:
        known = rt.seasons()
    dates = selection.select_dates(season=season, known_seasons=known, required=False)
    if dry_run:
        _exit(_plan(state, catalog.names(), dates, False, as_json))
        return
    _exit(_execute(state, "heal", catalog.names(), dates, False, as_json, wait))


@app.command()
def status(
    ctx: typer.Context,
    season: str | None = _SEASON,
    as_json: bool = _JSON,
) -> None:
    """Per table: its phase and how many partitions are in each status."""
    state = _state(ctx)
    seasons = selection.parse_seasons(season) if season else []
    with _reader(state) as rt:
        statuses = rt.statuses(seasons)
        catalog = rt.catalog
    keep = set(seasons)
    counts: dict[str, Counter] = {n: Counter() for n in catalog.names()}
    for st in statuses.values():
        if not keep or season_of(st.game_date) in keep:
            counts[st.table][st.status] += 1
    rows = [
        {"table": n, "phase": catalog[n].phase.value, "counts": dict(counts[n])}
        for n in sorted(catalog.names(), key=lambda n: catalog[n].phase.order)  # stable: deps order
    ]
    if as_json:
        _print_json({"tables": rows})
        return
    present = [s for s in STATUSES if any(r["counts"].get(s) for r in rows)]
    table = Table(title=f"fullcourt status — {state.home.root}")
    table.add_column("phase")
    table.add_column("table")
    for s in present:
        table.add_column(s, justify="right", style="red" if s in GAP_STATUSES else None)
    for r in rows:
        table.add_row(r["phase"], r["table"], *(str(r["counts"].get(s, "")) for s in present))
    out.print(table)
    gaps = sum(n for r in rows for s, n in r["counts"].items() if s in GAP_STATUSES)
    out.print(f"[red]{gaps} gaps[/] (`fullcourt gaps`)" if gaps else "[green]no gaps[/]")


@app.command()
def gaps(
    ctx: typer.Context,
    start: str | None = _START,
    end: str | None = _END,
    season: str | None = _SEASON,
    table: str | None = typer.Option(None, "--table", help="Only this table."),
    as_json: bool = _JSON,
) -> None:
    """Every gap partition with its status and reason (the root cause when blocked)."""
    state = _state(ctx)
    catalog, _ = load_catalog()
    if table:
        selection.select_tables(catalog, table)
    ranged = bool(start or end or season)
    dates = set(selection.select_dates(start, end, season)) if ranged else None
    with _reader(state) as rt:
        statuses = rt.statuses(_seasons(sorted(dates)) if dates else [])
    found = sorted(
        (s for s in statuses.values() if s.is_gap
         and (dates is None or s.game_date in dates) and (not table or s.table == table)),
        key=lambda s: (catalog.levels[s.table], s.table, s.game_date),
    )
    rows = [_gap_row(s) for s in found]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        out.print("[green]no gaps[/]")
        return
    t = Table(title=f"{len(rows)} gaps")
    for col in ("table", "game_date", "status", "reason"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["table"], r["game_date"], r["status"], r["reason"])
    out.print(t)


def _gap_row(s: PartitionStatus) -> dict:
    reason = s.reason
    if s.status == "blocked" and s.root_cause:
        reason = f"{reason} (root cause {s.root_cause[0]} {s.root_cause[1].isoformat()})"
    return {"table": s.table, "game_date": s.game_date.isoformat(), "status": s.status,
            "reason": reason}


@app.command()
def history(
    ctx: typer.Context,
    table: str | None = typer.Option(None, "--table"),
    on: str | None = typer.Option(None, "--date", help="Only this game date."),
    limit: int = typer.Option(50, "--limit", min=1),
    as_json: bool = _JSON,
) -> None:
    """Ledger rows: every attempt, newest first."""
    state = _state(ctx)
    catalog, _ = load_catalog()
    if table:
        selection.select_tables(catalog, table)
    day = selection.parse_date(on, "--date") if on else None
    with _reader(state) as rt:
        rows = rt.ledger.history(table, day, limit)
    if as_json:
        _print_json(rows)
        return
    t = Table(title=f"{len(rows)} attempts")
    for col in ("run_id", "table", "game_date", "status", "rows", "attempt", "error"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["run_id"], r["table_name"], r["game_date"], r["status"],
                  "" if r["rows"] is None else str(r["rows"]), str(r["attempt"]), r["error"] or "")
    out.print(t)


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Files or folders of captured provider responses."),
    provider: str | None = typer.Option(
        None, "--provider", help="nbacom, balldontlie, oddsapi or injuries (default: told by the content)."),
    on: str | None = typer.Option(None, "--date", help="Game date of bodies that carry none, YYYY-MM-DD."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and count the files; write nothing."),
    as_json: bool = _JSON,
) -> None:
    """File captured provider responses (JSON, PDF) into the object store and the fetch ledger."""
    from fullcourt.sources import importer
    from fullcourt.sources.objectstore import ObjectStore

    state = _state(ctx)
    day = selection.parse_date(on, "--date") if on else None
    if not dry_run:
        state.home.ensure()
    reports, filed = importer.import_paths(
        paths, ObjectStore(state.home.objects), provider=provider, day=day, dry_run=dry_run)
    if filed.rows:
        _record_import(state, filed)
    bad = [r for r in reports if r.status != "ok"]
    if as_json:
        _print_json([r.to_json() for r in reports])
    else:
        t = Table(title=f"{'import (dry run, nothing written)' if dry_run else 'imported'}: "
                        f"{len(reports) - len(bad)} ok, {len(bad)} invalid")
        for col in ("file", "provider", "game_date", "records", "status", "reason"):
            t.add_column(col, overflow="fold")
        for r in reports:
            t.add_row(r.file, r.provider or "", r.game_date.isoformat() if r.game_date else "",
                      str(r.records), r.status, r.reason or "")
        out.print(t)
    _exit(1 if bad else 0)


def _record_import(state: State, filed) -> None:
    """The fetch-ledger rows of an import, and a successful attempt on every scrape
    partition it filled. A scrape partition's input is its date's schedule, so the
    schedule of the imported dates is built first (from the import, or from what the
    home has) and each attempt records the input it was filed against; otherwise the
    next backfill would take the imported bodies for out of date and fetch them again."""
    from fullcourt.sources import importer

    rt = open_writer(state.home)
    try:
        assert rt.executor is not None
        holder = rt.executor.holder
        run_id = rt.ledger.start_run("import", holder)
        rt.ledger.record_fetches(run_id, filed.rows)
        by_table: dict[str, dict] = {}
        for (source, d), outcome in filed.partitions.items():
            if f"scrape.{source}" in rt.catalog.names():
                by_table.setdefault(f"scrape.{source}", {})[d] = outcome
        sched = rt.catalog.schedule
        feed = next((i.table for i in rt.catalog[sched].inputs if i.table.startswith("scrape.")), None) if sched else None

        def record(table: str, outcomes: dict, fps: dict) -> None:
            ds = sorted(outcomes)
            batch = rt.ledger.begin(run_id, table, ds, holder, fps, rt.catalog.code_versions[table],
                                    code_modules=rt.catalog.code_modules[table])
            rt.ledger.finish(batch, table, {d: ("success", r, g, fp, None) for d, (r, g, fp) in outcomes.items()})

        if feed in by_table:
            outcomes = by_table.pop(feed)
            record(feed, outcomes, dict.fromkeys(outcomes, importer.scrape_input_fp()))
        days = sorted({d for outcomes in by_table.values() for d in outcomes})
        if days and sched:
            rt.executor.run(Request((sched,), tuple(days)), run_id)
        statuses = rt.executor.statuses(_seasons(days)) if days else {}
        for table, outcomes in sorted(by_table.items()):
            fps = {d: getattr(statuses.get((table, d)), "input_fp", "") for d in outcomes}
            record(table, outcomes, fps)
        rt.ledger.end_run(run_id, "ok")
    finally:
        rt.close()


@app.command("grade-report")
def grade_report(
    ctx: typer.Context,
    season: str | None = _SEASON,
    as_json: bool = _JSON,
) -> None:
    """MAE, hit rate, bets and ROI of every prediction system, against the line and the best possible."""
    from fullcourt.models import report
    from fullcourt.sources import registry

    state = _state(ctx)
    name = selection.parse_seasons(season)[0] if season else None
    with _reader(state) as rt, rt.reading() as wh:
        if not wh.has_table("prediction_accuracy"):
            raise errors.UsageError("nothing graded yet: run a backfill through phase 5B first")
        seasons = [name] if name else observe.read_calendar(wh, rt.catalog.schedule).seasons()
        result = report.grade_report(
            wh.execute,
            {"prediction_accuracy": wh.table("prediction_accuracy")},
            name,
            registry.oracle(state.home, seasons) if seasons else None,
        )
    if as_json:
        _print_json(result)
    else:
        out.print(report.render(result))


@app.command()
def demo(
    ctx: typer.Context,
    seasons: str = typer.Option("2021-22:2024-25", "--seasons", help="Seasons to simulate and build."),
    as_json: bool = _JSON,
) -> None:
    """Scrape the simulated league, build every phase, print the status and the grading report."""
    state = _state(ctx)
    catalog, _ = load_catalog()
    names = selection.parse_seasons(seasons)
    dates = selection.select_dates(season=",".join(names))
    err.print(f"fullcourt demo: {', '.join(names)} into {state.home.root}")
    code = _execute(state, "demo", catalog.names(), dates, False, as_json)
    ctx.invoke(status, ctx=ctx, season=None, as_json=as_json)
    last = names[-1]
    try:
        ctx.invoke(grade_report, ctx=ctx, season=last, as_json=as_json)
    except errors.FullcourtError as exc:
        err.print(f"[yellow]no grading report: {exc}[/]")
    _exit(code)


class SimClock:
    """A clock the user advances: sources answer, and the runner plans, as of then."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, step: timedelta) -> None:
        # wall-clock arithmetic in Eastern time: 09:00 stays 09:00 across DST changes
        self.now = (self.now.astimezone(EASTERN) + step).astimezone(UTC)


def _duration(text: str, flag: str) -> timedelta:
    """A positive duration: a zero or negative step would tick on the same moment forever."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        value = timedelta(seconds=float(text[:-1]) * units[text[-1]])
    except (KeyError, ValueError, IndexError):
        raise errors.UsageError(f"{flag} {text!r} is not a duration (use 30s, 15m, 1h, 1d)") from None
    if value <= timedelta(0):
        raise errors.UsageError(f"{flag} {text!r} must be longer than zero (e.g. 1d)")
    return value


def _moment(text: str, flag: str) -> datetime:
    """A date means 09:00 US/Eastern that day: last night's games are over, tonight's ahead."""
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime.combine(day, dtime(9, 0), EASTERN).astimezone(UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise errors.UsageError(f"{flag} {text!r} is not a date or ISO date-time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=EASTERN)).astimezone(UTC)


@app.command("run")
def run_forever(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="One tick (fetch, react, sweep), then exit."),
    sweep_every: str = typer.Option("1h", "--sweep-every", help="How often to plan everything."),
    interval: str = typer.Option("15m", "--interval", help="Wall-clock time between ticks."),
    until: str | None = typer.Option(None, "--until", help="Stop once the clock passes this date/time."),
    simulate: str | None = typer.Option(
        None, "--simulate", help="Run on a simulated clock starting at this date (09:00 ET)."
    ),
    step: str = typer.Option("1d", "--step", help="Simulated time between ticks."),
    recheck_days: int = typer.Option(3, "--recheck-days", min=0, help="Days fetched again for late data and corrections."),
    bus_url: str | None = typer.Option(None, "--bus", envvar="FULLCOURT_BUS", help="memory://, null:// or redis://host:port/db"),
    webhook: str | None = typer.Option(None, "--webhook", envvar="FULLCOURT_WEBHOOK", help="Gap alerts are POSTed here."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per tick."),
) -> None:
    """The long-running mode: fetch after games end, react to events, sweep for gaps."""
    from fullcourt.engine import alerts, events
    from fullcourt.engine.runner import Runner

    state = _state(ctx)
    every = _duration(sweep_every, "--sweep-every")
    pause = _duration(interval, "--interval")
    stride = _duration(step, "--step")
    stop_at = _moment(until, "--until") if until else None
    clock = SimClock(_moment(simulate, "--simulate")) if simulate else (lambda: datetime.now(UTC))
    bus = events.open_bus(bus_url)
    rt = open_writer(state.home, clock=clock, wait=3600.0)
    assert rt.executor is not None and rt.warehouse is not None

    def alert(report: alerts.AlertReport) -> None:
        for line in report.lines():
            err.print(f"[yellow]{line}[/]")
        if webhook:
            alerts.post_webhook(webhook, report)

    runner = Runner(
        rt.executor, rt.ledger, bus, clock, sweep_every=every, recheck_days=recheck_days,
        on_alert=alert, memory=alerts.GapMemory.in_home(state.home),
    )
    try:
        while True:
            rt.warehouse.resume()
            rt.executor.refresh()
            final = once or (stop_at is not None and clock() >= stop_at)
            report = runner.tick(sweep=True if final else None)  # the last tick always sweeps
            rt.warehouse.suspend()
            line = {
                "at": report.at.isoformat(), "today": report.today.isoformat(),
                "written": report.written, "failed": report.failed, "events": report.events,
                "swept": report.swept, "gaps": report.gaps,
            }
            if as_json:
                sys.stdout.write(json.dumps(line) + "\n")
                sys.stdout.flush()
            else:
                out.print(
                    f"{report.today} tick: {report.written} written, {report.failed} failed, "
                    f"{report.events} events" + (f", sweep: {report.gaps} gaps" if report.swept else "")
                )
            if final or report.interrupted:
                break
            if isinstance(clock, SimClock):
                clock.advance(stride)
            else:
                time.sleep(pause.total_seconds())
    finally:
        bus.close()
        rt.close()


@sources_app.command("serve")
def sources_serve(
    port: int = typer.Option(8765, "--port", min=1, max=65535),
    seed: int = typer.Option(7, "--seed", help="Simulated league seed."),
) -> None:
    """Serve the simulated league's APIs on 127.0.0.1 (the scrapers need no socket by default)."""
    from fullcourt.sources import api

    err.print(f"serving the simulated league (seed {seed}) on http://127.0.0.1:{port}")
    api.serve(port=port, seed=seed)


# -- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # Without standalone mode click returns the code of a `typer.Exit` instead of exiting.
        code = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("[yellow]aborted[/]")
        sys.exit(130)
    except click.ClickException as exc:
        err.print(f"[red]error:[/] {exc.format_message()}")
        sys.exit(2)
    except errors.FullcourtError as exc:
        if debug:
            err.print_exception()
        err.print(f"[red]error:[/] {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: run the same command again to resume[/]")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        if errors.is_disk_full(exc):
            err.print(f"[red]error:[/] {errors.disk_full('the data home')}")
            sys.exit(1)
        if type(exc).__module__.split(".")[0] == "redis":
            err.print(f"[red]error:[/] lost the event bus: {exc} (start Redis, or pass --bus memory://)")
            sys.exit(1)
        err.print(f"[red]internal error:[/] {type(exc).__name__}: {exc} (--debug shows the traceback)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
