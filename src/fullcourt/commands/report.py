"""Reports: status, gaps, history and the grading report. They write nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import typer
from rich.table import Table

from fullcourt import errors
from fullcourt.catalog import selection
from fullcourt.catalog.calendar import season_of
from fullcourt.commands.common import (
    END,
    JSON,
    SEASON,
    START,
    State,
    app,
    check_watch,
    read_home,
    seasons_of,
    state_of,
    watch_loop,
)
from fullcourt.console import err, out, print_json
from fullcourt.engine import observe
from fullcourt.engine.planner import GAP_STATUSES, STATUSES, PartitionStatus
from fullcourt.engine.runtime import load_catalog, open_reader


@app.command()
def status(
    ctx: typer.Context,
    season: str | None = SEASON,
    as_json: bool = JSON,
    watch: bool = typer.Option(False, "--watch", help="Redraw every --interval seconds (Ctrl-C stops)."),
    interval: float = typer.Option(3.0, "--interval", help="Seconds between redraws with --watch."),
) -> None:
    """Per table: its phase and how many partitions are in each status."""
    state = state_of(ctx)
    seasons = selection.parse_seasons(season) if season else []
    check_watch(watch, interval, as_json)
    if watch:
        watch_loop(lambda: _status_view(state, seasons)[0], interval)
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
    start: str | None = START,
    end: str | None = END,
    season: str | None = SEASON,
    table: str | None = typer.Option(None, "--table", help="Only this table."),
    as_json: bool = JSON,
) -> None:
    """Every gap partition with its status and reason (the root cause when blocked)."""
    state = state_of(ctx)
    catalog, _ = load_catalog()
    if table:
        selection.select_tables(catalog, table)
    ranged = bool(start or end or season)
    dates = set(selection.select_dates(start, end, season)) if ranged else None
    with read_home(state) as rt:
        statuses = rt.statuses(seasons_of(sorted(dates)) if dates else [])
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
    as_json: bool = JSON,
) -> None:
    """Ledger rows: every attempt (or run), newest first. Work whose runner died is `interrupted`."""
    state = state_of(ctx)
    catalog, _ = load_catalog()
    if table:
        selection.select_tables(catalog, table)
    day = selection.parse_date(on, "--date") if on else None
    if runs and (table or day):
        raise errors.UsageError("--runs lists whole runs; --table and --date select attempts")
    with read_home(state) as rt:
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
    season: str | None = SEASON,
    as_json: bool = JSON,
    min_prior_games: int = typer.Option(
        5, "--min-prior-games", min=0,
        help="Only player-games with at least this many earlier games that season.",
    ),
    train_through: str | None = typer.Option(
        None, "--train-through",
        help="Also train one model on every game through this date (YYYY-MM-DD) and grade "
        "its predictions of the season beside the walk-forward ones.",
    ),
) -> None:
    """MAE of every prediction system on all player-games and on those with a line, with
    bets, hit rate, ROI and calibration against the line, the season-to-date average and
    the best possible."""
    from fullcourt.models import evaluation, report
    from fullcourt.sources import registry

    state = state_of(ctx)
    name = selection.parse_seasons(season)[0] if season else None
    frozen_at = selection.parse_date(train_through, "--train-through") if train_through else None
    if frozen_at is not None and name is None:
        raise errors.UsageError("--train-through needs --season: the season the frozen model predicts")
    with read_home(state) as rt, rt.reading() as wh:
        if not wh.has_table("prediction_accuracy"):
            raise errors.UsageError("nothing graded yet: run a backfill through phase 5B first")
        seasons = [name] if name else observe.read_calendar(wh, rt.catalog.schedule).seasons()
        tables = {"prediction_accuracy": wh.table("prediction_accuracy")}
        if wh.has_table("ml_feature_store"):
            tables["ml_feature_store"] = wh.table("ml_feature_store")
        result = report.grade_report(
            wh.execute,
            tables,
            name,
            registry.oracle(state.home, seasons, state.settings) if seasons else None,
            min_prior_games=min_prior_games,
        )
        if frozen_at is not None:
            assert name is not None
            if frozen_at >= min(selection.select_dates(season=name)):
                raise errors.UsageError(
                    f"--train-through {frozen_at} must be before the season {name} it predicts"
                )
            inputs = {t: wh.table(t) for t in ("ml_feature_store", "player_game_summary")}
            result["frozen"] = evaluation.frozen(wh.execute, inputs, name, frozen_at, min_prior_games)
    if as_json:
        print_json(result)
    else:
        out.print(report.render(result))
