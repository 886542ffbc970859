"""Commands that write: backfill, scrape, heal, import, demo and the long-running `run`.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from fullcourt import errors
from fullcourt.catalog import selection
from fullcourt.catalog.spec import Phase
from fullcourt.commands.common import (
    DRY,
    END,
    JSON,
    SEASON,
    START,
    WAIT,
    State,
    app,
    exit_with,
    plan_dry,
    read_home,
    record_source,
    run_command,
    seasons_of,
    sources_app,
    state_of,
)
from fullcourt.commands.report import grade_report, status
from fullcourt.console import err, out, print_json
from fullcourt.engine.executor import Request
from fullcourt.engine.runtime import load_catalog, open_writer
from fullcourt.engine.status import AttemptStatus, Outcome


@app.command()
def backfill(
    ctx: typer.Context,
    start: str | None = START,
    end: str | None = END,
    season: str | None = SEASON,
    phases: str | None = typer.Option(None, "--phases", help="Phases to build, e.g. 2-6 (default: all)."),
    tables: str | None = typer.Option(None, "--tables", help="Comma-separated tables."),
    force: bool = typer.Option(False, "--force", help="Rebuild partitions that are complete."),
    dry_run: bool = DRY,
    as_json: bool = JSON,
    wait: float = WAIT,
) -> None:
    """Build every phase for a date range, in dependency order, validating between phases."""
    state = state_of(ctx)
    catalog, _ = load_catalog()
    dates = selection.select_dates(start, end, season)
    chosen = selection.select_tables(catalog, tables, selection.parse_phases(phases))
    if dry_run:
        exit_with(plan_dry(state, chosen, dates, force, as_json))
        return
    exit_with(run_command(state, "backfill", chosen, dates, force, as_json, wait))


@app.command()
def scrape(
    ctx: typer.Context,
    start: str | None = START,
    end: str | None = END,
    season: str | None = SEASON,
    sources: str | None = typer.Option(None, "--sources", help="Comma-separated sources."),
    force: bool = typer.Option(False, "--force", help="Fetch again dates already fetched."),
    dry_run: bool = DRY,
    as_json: bool = JSON,
) -> None:
    """Fetch source payloads into the object store (phase 1)."""
    state = state_of(ctx)
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
        exit_with(plan_dry(state, chosen, dates, force, as_json))
        return
    exit_with(run_command(state, "scrape", chosen, dates, force, as_json))


@app.command()
def heal(
    ctx: typer.Context,
    season: str | None = SEASON,
    dry_run: bool = DRY,
    as_json: bool = JSON,
    wait: float = WAIT,
) -> None:
    """Plan every gap of every table and run it."""
    state = state_of(ctx)
    catalog, _ = load_catalog()
    if not state.home.exists():
        raise errors.HomeError(f"no fullcourt home at {state.home.root}; nothing to heal")
    with read_home(state) as rt:
        known = rt.seasons()
    dates = selection.select_dates(season=season, known_seasons=known, required=False)
    if dry_run:
        exit_with(plan_dry(state, catalog.names(), dates, False, as_json))
        return
    exit_with(run_command(state, "heal", catalog.names(), dates, False, as_json, wait))


@app.command()
def demo(
    ctx: typer.Context,
    seasons: str = typer.Option("2021-22:2024-25", "--seasons", help="Seasons to simulate and build."),
    as_json: bool = JSON,
) -> None:
    """Scrape the simulated league, build every phase, print the status and the grading report."""
    state = state_of(ctx)
    catalog, _ = load_catalog()
    names = selection.parse_seasons(seasons)
    dates = selection.select_dates(season=",".join(names))
    err.print(f"fullcourt demo: {', '.join(names)} into {state.home.root}")
    code = run_command(state, "demo", catalog.names(), dates, False, as_json)
    ctx.invoke(status, ctx=ctx, season=None, as_json=as_json, watch=False, interval=3.0)
    last = names[-1]
    try:
        ctx.invoke(
            grade_report, ctx=ctx, season=last, as_json=as_json, min_prior_games=5, train_through=None
        )
    except errors.FullcourtError as exc:
        err.print(f"[yellow]no grading report: {exc}[/]")
    exit_with(code)


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

    state = state_of(ctx)
    every = selection.parse_duration(sweep_every, "--sweep-every")
    pause = selection.parse_duration(interval, "--interval")
    stride = selection.parse_duration(step, "--step")
    stop_at = selection.parse_moment(until, "--until") if until else None
    clock = SimClock(selection.parse_moment(simulate, "--simulate")) if simulate else (lambda: datetime.now(UTC))
    bus = events.open_bus(bus_url)
    rt = open_writer(state.home, clock=clock, wait=3600.0)
    assert rt.executor is not None and rt.warehouse is not None
    record_source(state)

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


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Files or folders of captured provider responses."),
    provider: str | None = typer.Option(
        None, "--provider", help="nbacom, balldontlie, oddsapi or injuries (default: told by the content)."),
    on: str | None = typer.Option(None, "--date", help="Game date of bodies that carry none, YYYY-MM-DD."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and count the files; write nothing."),
    as_json: bool = JSON,
) -> None:
    """File captured provider responses (JSON, PDF) into the object store and the fetch ledger."""
    from fullcourt.sources import importer
    from fullcourt.sources.objectstore import ObjectStore

    state = state_of(ctx)
    day = selection.parse_date(on, "--date") if on else None
    if not dry_run:
        state.home.ensure()
    reports, filed = importer.import_paths(
        paths, ObjectStore(state.home.objects), provider=provider, day=day, dry_run=dry_run)
    if filed.rows:
        _record_import(state, filed)
    bad = [r for r in reports if r.status != "ok"]
    if as_json:
        print_json([r.to_json() for r in reports])
    else:
        t = Table(title=f"{'import (dry run, nothing written)' if dry_run else 'imported'}: "
                        f"{len(reports) - len(bad)} ok, {len(bad)} invalid")
        for col in ("file", "provider", "game_date", "records", "status", "reason"):
            t.add_column(col, overflow="fold")
        for r in reports:
            t.add_row(r.file, r.provider or "", r.game_date.isoformat() if r.game_date else "",
                      str(r.records), r.status, r.reason or "")
        out.print(t)
    exit_with(1 if bad else 0)


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
        feed = rt.catalog.feed(sched) if sched else None

        def record(table: str, outcomes: dict, fps: dict) -> None:
            ds = sorted(outcomes)
            batch = rt.ledger.begin(run_id, table, ds, holder, fps, rt.catalog.code_versions[table],
                                    code_modules=rt.catalog.code_modules[table])
            rt.ledger.finish(batch, table, {d: Outcome(AttemptStatus.SUCCESS, r, g, fp) for d, (r, g, fp) in outcomes.items()})

        if feed in by_table:
            outcomes = by_table.pop(feed)
            record(feed, outcomes, dict.fromkeys(outcomes, importer.scrape_input_fp()))
        days = sorted({d for outcomes in by_table.values() for d in outcomes})
        if days and sched:
            rt.executor.run(Request((sched,), tuple(days)), run_id)
        statuses = rt.executor.statuses(seasons_of(days)) if days else {}
        for table, outcomes in sorted(by_table.items()):
            fps = {d: getattr(statuses.get((table, d)), "input_fp", "") for d in outcomes}
            record(table, outcomes, fps)
        rt.ledger.end_run(run_id, "ok")
    finally:
        rt.close()
