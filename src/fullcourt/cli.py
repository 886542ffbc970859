"""The `fullcourt` command: the only module that knows about terminals.

Every command parses and checks its input first (one red line and exit 2 on a typo,
before the data home is touched), then hands plain values to the engine. Exit codes:
0 ok, 1 the work finished with failures or gaps left, 2 bad usage, bad settings or an
unusable home.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from fullcourt import errors, settings, usage
from fullcourt.catalog import selection
from fullcourt.catalog.calendar import season_of
from fullcourt.catalog.spec import Phase
from fullcourt.config import Home
from fullcourt.console import RichProgress, err, out, print_json, render_plan, report_run
from fullcourt.engine import observe
from fullcourt.engine.executor import Request
from fullcourt.engine.planner import GAP_STATUSES, STATUSES, PartitionStatus, make_plan
from fullcourt.engine.runtime import Runtime, load_catalog, open_reader, open_writer

__all__ = ["app", "main"]

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
    # `--source`/`--data` as given: applied to this process, recorded only by a writer
    replay: Path | None = None
    source_given: bool = False
    settings: settings.Settings | None = None


# -- global options ------------------------------------------------------------------------


@app.callback()
def _global(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--home", envvar="FULLCOURT_HOME", help="Data home (warehouse, ledger, objects, exports)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
    source: str | None = typer.Option(
        None, "--source",
        help="sim (default) or replay: real files served like a provider. Commands that "
        "write data record it in the home's settings.toml; read commands only use it.",
    ),
    data: Path | None = typer.Option(None, "--data", help="Folder of real files for --source replay."),
) -> None:
    state = State(Home.resolve(home), debug)
    if source is not None or data is not None:
        state.replay, state.source_given = _choose_source(source or "replay", data), True
    ctx.obj = state


def _choose_source(source: str, data: Path | None) -> Path | None:
    """Apply the source to this process (and its children) through the environment; a
    command that writes data records it in the home's settings (`_record_source`)."""
    if source not in ("sim", "replay"):
        raise errors.UsageError(f"--source {source!r}: the sources are sim and replay")
    if source == "sim":
        if data is not None:
            raise errors.UsageError("--data is for --source replay; --source sim needs no folder")
        os.environ["FULLCOURT_REPLAY_DIR"] = ""  # empty: no replay, whatever the file says
        return None
    if data is None:
        raise errors.UsageError("--source replay needs --data DIR (a folder of real files)")
    if not data.is_dir():
        raise errors.UsageError(f"--data {data} is not a folder")
    os.environ["FULLCOURT_REPLAY_DIR"] = str(data.resolve())
    return data.resolve()


def _record_source(state: State) -> None:
    """Remember `--source`/`--data` for later commands; only commands that write data call
    this, so reading a home with another source leaves it untouched."""
    if state.source_given:
        settings.save(state.home, "sources.replay", state.replay)


def _state(ctx: typer.Context) -> State:
    """The invocation's state, with its settings validated: every command calls this after
    its own options parsed, so `--help` and option typos come before a settings error."""
    state: State = ctx.find_root().obj
    if state.settings is None:
        state.settings = settings.load(state.home)
    return state


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
        print_json({"dry_run": True, "steps": plan.to_json(), "partitions": plan.partitions,
                     "blocked_outside_request": len(held)})
        return 0
    render_plan(plan, len(held))
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
            _record_source(state)
            result = rt.executor.execute(command, Request(tuple(tables), tuple(dates), force))
            gaps = result.gaps(tables, dates)
        finally:
            rt.close()
    report_run(result, gaps, as_json)
    return 0 if not gaps and not result.interrupted else 1


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
    watch: bool = typer.Option(False, "--watch", help="Redraw every --interval seconds (Ctrl-C stops)."),
    interval: float = typer.Option(3.0, "--interval", help="Seconds between redraws with --watch."),
) -> None:
    """Per table: its phase and how many partitions are in each status."""
    state = _state(ctx)
    seasons = selection.parse_seasons(season) if season else []
    _check_watch(watch, interval, as_json)
    if watch:
        _watch(lambda: _status_view(state, seasons)[0], interval)
        return
    if as_json:
        print_json({"tables": _status_view(state, seasons, quiet=False)[1]})
        return
    view, _ = _status_view(state, seasons, quiet=False)
    out.print(view)


def _status_view(state: State, seasons: list[str], quiet: bool = True):
    """The status table as a rich renderable, and its rows; `quiet` folds the reader's
    note (warehouse busy) into the view instead of printing it."""
    from rich.console import Group

    rt = open_reader(state.home)
    try:
        statuses = rt.statuses(seasons)
        catalog = rt.catalog
        note = rt.note
    finally:
        rt.close()
    if note and not quiet:
        err.print(f"[yellow]{note}[/]")
    keep = set(seasons)
    counts: dict[str, Counter] = {n: Counter() for n in catalog.names()}
    for st in statuses.values():
        if not keep or season_of(st.game_date) in keep:
            counts[st.table][st.status] += 1
    rows = [
        {"table": n, "phase": catalog[n].phase.value, "counts": dict(counts[n])}
        for n in sorted(catalog.names(), key=lambda n: catalog[n].phase.order)  # stable: deps order
    ]
    present = [s for s in STATUSES if any(r["counts"].get(s) for r in rows)]
    table = Table(title=f"fullcourt status — {state.home.root}")
    table.add_column("phase")
    table.add_column("table")
    for s in present:
        table.add_column(s, justify="right", style="red" if s in GAP_STATUSES else None)
    for r in rows:
        table.add_row(r["phase"], r["table"], *(str(r["counts"].get(s, "")) for s in present))
    gaps = sum(n for r in rows for s, n in r["counts"].items() if s in GAP_STATUSES)
    tail = f"[red]{gaps} gaps[/] (`fullcourt gaps`)" if gaps else "[green]no gaps[/]"
    parts = [table, tail]
    if note and quiet:
        parts.insert(0, f"[yellow]{note}[/]")
    return Group(*parts), rows


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
        print_json(rows)
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
    runs: bool = typer.Option(False, "--runs", help="List runs instead of attempts."),
    as_json: bool = _JSON,
) -> None:
    """Ledger rows: every attempt (or run), newest first. Work whose runner died is `interrupted`."""
    state = _state(ctx)
    catalog, _ = load_catalog()
    if table:
        selection.select_tables(catalog, table)
    day = selection.parse_date(on, "--date") if on else None
    if runs and (table or day):
        raise errors.UsageError("--runs lists whole runs; --table and --date select attempts")
    with _reader(state) as rt:
        rows = rt.ledger.runs(limit) if runs else rt.ledger.history(table, day, limit)
    if as_json:
        print_json(rows)
        return
    seen = any(r["last_seen"] is not None for r in rows)
    if runs:
        t = Table(title=f"{len(rows)} runs")
        cols = ["run_id", "command", "status", "started", "ended"]
    else:
        t = Table(title=f"{len(rows)} attempts")
        cols = ["run_id", "table", "game_date", "status", "rows", "attempt", "error"]
    for col in cols + (["last seen"] if seen else []):
        t.add_column(col, overflow="fold")
    for r in rows:
        if runs:
            cells = [r["run_id"], r["command"], r["status"], _when(r["started_at"]),
                     _when(r["ended_at"])]
        else:
            cells = [r["run_id"], r["table_name"], r["game_date"], r["status"],
                     "" if r["rows"] is None else str(r["rows"]), str(r["attempt"]), r["error"] or ""]
        t.add_row(*cells, *([_when(r["last_seen"])] if seen else []))
    out.print(t)


def _when(stamp: float | None) -> str:
    return "" if stamp is None else datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


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
            registry.oracle(state.home, seasons, state.settings) if seasons else None,
        )
    if as_json:
        print_json(result)
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
    from fullcourt.engine.runner import Runner, SimClock

    state = _state(ctx)
    every = selection.parse_duration(sweep_every, "--sweep-every")
    pause = selection.parse_duration(interval, "--interval")
    stride = selection.parse_duration(step, "--step")
    stop_at = selection.parse_moment(until, "--until") if until else None
    clock = SimClock(selection.parse_moment(simulate, "--simulate")) if simulate else (lambda: datetime.now(UTC))
    bus = events.open_bus(bus_url)
    rt = open_writer(state.home, clock=clock, wait=3600.0)
    assert rt.executor is not None and rt.warehouse is not None
    _record_source(state)

    def alert(report: alerts.AlertReport) -> None:
        for line in report.lines():
            err.print(f"[yellow]{line}[/]")
        if webhook:
            alerts.post_webhook(webhook, report)

    runner = Runner(
        rt.executor, rt.ledger, bus, clock, sweep_every=every, recheck_days=recheck_days,
        on_alert=alert, memory=alerts.GapMemory.in_home(state.home),
    )
    def show(report) -> None:
        if as_json:
            line = {
                "at": report.at.isoformat(), "today": report.today.isoformat(),
                "written": report.written, "failed": report.failed, "events": report.events,
                "swept": report.swept, "gaps": report.gaps,
            }
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
        else:
            out.print(
                f"{report.today} tick: {report.written} written, {report.failed} failed, "
                f"{report.events} events" + (f", sweep: {report.gaps} gaps" if report.swept else "")
            )

    try:
        runner.loop(rt.warehouse, once=once, stop_at=stop_at, step=stride, pause=pause, on_tick=show)
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


# -- operator's views: coverage, doctor, web; live terminal views ------------------------------


def _check_watch(watch: bool, interval: float, *exclusive: bool) -> None:
    if not interval > 0:
        raise errors.UsageError(f"--interval {interval:g} must be more than 0 seconds")
    if watch and any(exclusive):
        raise errors.UsageError("--watch draws a live view: drop --json/--csv")


def _watch(render, interval: float) -> None:
    """Redraw `render()` every `interval` seconds until Ctrl-C, reading afresh each time
    (the ledger, while another process writes). Not a terminal: one view after another."""
    import time

    from rich.console import Group
    from rich.live import Live

    def frame():
        stamp = datetime.now().strftime("%H:%M:%S")
        try:
            body = render()
        except errors.FullcourtError as exc:
            body = f"[red]{exc}[/]"
        return Group(body, f"[dim]{stamp} · every {interval:g}s · Ctrl-C stops[/]")

    try:
        if not out.is_terminal:
            while True:
                out.print(frame())
                sys.stdout.flush()
                time.sleep(interval)
        with Live(frame(), console=out, auto_refresh=False, screen=False) as live:
            while True:
                time.sleep(interval)
                live.update(frame(), refresh=True)
    except KeyboardInterrupt:
        return


@app.command("coverage")
def coverage_cmd(
    ctx: typer.Context,
    start: str | None = _START,
    end: str | None = _END,
    season: str | None = _SEASON,
    phases: str | None = typer.Option(None, "--phases", help="Layers to show, e.g. 2-5B (default 2-6)."),
    as_json: bool = _JSON,
    as_csv: bool = typer.Option(False, "--csv", help="One CSV row per game date."),
    watch: bool = typer.Option(False, "--watch", help="Redraw every --interval seconds (Ctrl-C stops)."),
    interval: float = typer.Option(3.0, "--interval", help="Seconds between redraws with --watch."),
) -> None:
    """Per game date: games scheduled, games in each layer with %, and the worst status."""
    from fullcourt.engine import coverage as cov_mod

    state = _state(ctx)
    chosen = selection.parse_phases(phases)
    if as_json and as_csv:
        raise errors.UsageError("give --json or --csv, not both")
    _check_watch(watch, interval, as_json, as_csv)
    if start or end or season:
        selection.select_dates(start, end, season)  # a typo fails before the home is opened

    def report():
        with _reader(state) if not watch else _quiet_reader(state) as rt:
            known = rt.seasons()
            dates = selection.select_dates(start, end, season, known_seasons=known, required=False)
            return cov_mod.from_runtime(rt, dates, chosen or cov_mod.DEFAULT_PHASES), rt.note

    if watch:
        _watch(lambda: _coverage_view(*report()), interval)
        return
    cov, _ = report()
    if as_json:
        print_json(cov.to_json())
    elif as_csv:
        sys.stdout.write(cov_mod.to_csv(cov))
    else:
        from rich.console import Console

        wide = out if out.is_terminal else Console(highlight=False, width=160)
        wide.print(_coverage_view(cov, ""))


_CELL_STYLE = {"complete": "green", "no_data": "dim", "bootstrap": "cyan", "unavailable": "blue",
               "running": "yellow"}


def _coverage_view(cov, note: str):
    """The coverage rows as a table (last dates last), the season lines beneath."""
    from rich.console import Group

    from fullcourt.engine import coverage as cov_mod

    t = Table(title=f"coverage: {len(cov.rows)} game dates, {cov.gaps} with gaps")
    for col in ("game_date", "games", *cov.layers, "status", "root cause"):
        t.add_column(col, justify="right" if col in cov.layers or col == "games" else "left",
                     overflow="fold")
    for r in cov.rows:
        cells = []
        for layer in cov.layers:
            c = r.layers.get(layer)
            style = "red" if c and c.status in GAP_STATUSES else _CELL_STYLE.get(c.status if c else "", "")
            text = cov_mod.cell_text(c)
            cells.append(f"[{style}]{text}[/]" if style else text)
        st = r.status
        style = "red" if r.is_gap else _CELL_STYLE.get(st, "")
        root = r.root_cause
        cause = f"{root[0]} {root[1]}: {r.worst.reason}" if root and r.worst else ""
        t.add_row(r.game_date.isoformat(), "?" if r.scheduled is None else str(r.scheduled),
                  *cells, f"[{style}]{st}[/]", cause, end_section=False)
    parts = [t, *(s.line() for s in cov.seasons)]
    if any(c.unavailable for r in cov.rows for c in r.layers.values()):
        parts.insert(1, "[dim]* some tables of the layer: the source provides none (named below)[/]")
    if not cov.rows:
        parts = ["no game dates in view (run a backfill, or give --season)"]
    if note:
        parts.insert(0, f"[yellow]{note}[/]")
    return Group(*parts)


@contextmanager
def _quiet_reader(state: State) -> Iterator[Runtime]:
    rt = open_reader(state.home)
    try:
        yield rt
    finally:
        rt.close()


@app.command()
def doctor(
    ctx: typer.Context,
    start: str | None = _START,
    end: str | None = _END,
    season: str | None = _SEASON,
    phases: str | None = typer.Option(None, "--phases", help="Phases the backfill would build."),
    tables: str | None = typer.Option(None, "--tables", help="Comma-separated tables."),
    force: bool = typer.Option(False, "--force", help="Plan as `backfill --force` would."),
    as_json: bool = _JSON,
) -> None:
    """Pre-flight for a backfill: home, warehouse, ledger, settings, providers, code, plan."""
    from fullcourt import doctor as doctor_mod

    state: State = ctx.find_root().obj  # unvalidated: invalid settings are one of the checks
    catalog, _ = load_catalog()
    ranged = bool(start or end or season)
    dates = selection.select_dates(start, end, season) if ranged else []
    chosen = selection.select_tables(catalog, tables, selection.parse_phases(phases))
    request = doctor_mod.DoctorRequest(tuple(chosen) if (tables or phases) else None, tuple(dates), force)
    checks = doctor_mod.run(state.home, request)
    failed = [c for c in checks if not c.ok]
    if as_json:
        print_json({"ok": not failed, "checks": [c.to_json() for c in checks]})
    else:
        for c in checks:
            mark = "[green]✓[/]" if c.ok else "[red]✗[/]"
            fix = f"  [yellow]→ {c.fix}[/]" if not c.ok and c.fix else ""
            out.print(f"{mark} {c.name:<18} {c.detail}{fix}")
        out.print(f"[red]{len(failed)} of {len(checks)} checks failed[/]" if failed
                  else f"[green]all {len(checks)} checks passed[/]")
    _exit(1 if failed else 0)


@app.command()
def web(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8766, "--port", min=1, max=65535),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback --host."),
) -> None:
    """Serve the read-only dashboard: coverage heatmap, runs, gaps, predictions (and /api/)."""
    from fullcourt import extras

    state = _state(ctx)
    for module in ("jinja2", "uvicorn"):
        extras.need(module, "serve", "the dashboard")
    from fullcourt.web import app as web_app

    if not web_app.is_loopback(host):
        if not allow_remote:
            raise errors.UsageError(f"--host {host} is not loopback: pass --allow-remote to serve it")
        err.print(f"[yellow]warning: serving {state.home.root} on {host}: anyone who can reach it "
                  "can read this home (there is no login)[/]")
    if not state.home.exists():
        raise errors.HomeError(f"no fullcourt home at {state.home.root}; run a backfill first or pass --home")
    err.print(f"fullcourt dashboard of {state.home.root} on http://{host}:{port} (read-only; Ctrl-C stops)")
    web_app.serve(state.home, host, port)


# -- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    debug = "--debug" in args
    try:
        # Without standalone mode typer returns the code of a `typer.Exit` instead of exiting.
        code = app(args=args, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("[yellow]aborted[/]")
        sys.exit(130)
    except typer.TyperException as exc:  # what the parser rejects: a usage error, exit 2
        line = usage.explain(exc, args, typer.main.get_command(app))
        if line:
            err.print(f"[red]error:[/] {escape(line)}")
        sys.exit(exc.exit_code)
    except errors.FullcourtError as exc:
        if debug:
            err.print_exception()
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: run the same command again to resume[/]")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        if errors.is_disk_full(exc):
            err.print(f"[red]error:[/] {escape(str(errors.disk_full('the data home')))}")
            sys.exit(1)
        if type(exc).__module__.split(".")[0] == "redis":
            err.print(f"[red]error:[/] lost the event bus: {escape(str(exc))} "
                      "(start Redis, or pass --bus memory://)")
            sys.exit(1)
        err.print(f"[red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')} "
                  "(--debug shows the traceback)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
