"""The operator's view: the coverage matrix, pre-flight checks and the dashboard.
"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from fullcourt import errors
from fullcourt.catalog import selection
from fullcourt.commands.common import (
    END,
    JSON,
    SEASON,
    START,
    State,
    app,
    check_watch,
    exit_with,
    quiet_reader,
    read_home,
    state_of,
    watch_loop,
)
from fullcourt.console import err, out, print_json
from fullcourt.engine.planner import GAP_STATUSES
from fullcourt.engine.runtime import load_catalog


@app.command("coverage")
def coverage_cmd(
    ctx: typer.Context,
    start: str | None = START,
    end: str | None = END,
    season: str | None = SEASON,
    phases: str | None = typer.Option(None, "--phases", help="Layers to show, e.g. 2-5B (default 2-6)."),
    as_json: bool = JSON,
    as_csv: bool = typer.Option(False, "--csv", help="One CSV row per game date."),
    watch: bool = typer.Option(False, "--watch", help="Redraw every --interval seconds (Ctrl-C stops)."),
    interval: float = typer.Option(3.0, "--interval", help="Seconds between redraws with --watch."),
) -> None:
    """Per game date: games scheduled, games in each layer with %, and the worst status."""
    from fullcourt.engine import coverage as cov_mod

    state = state_of(ctx)
    chosen = selection.parse_phases(phases)
    if as_json and as_csv:
        raise errors.UsageError("give --json or --csv, not both")
    check_watch(watch, interval, as_json, as_csv)
    if start or end or season:
        selection.select_dates(start, end, season)  # a typo fails before the home is opened

    def report():
        with read_home(state) if not watch else quiet_reader(state) as rt:
            known = rt.seasons()
            dates = selection.select_dates(start, end, season, known_seasons=known, required=False)
            return cov_mod.from_runtime(rt, dates, chosen or cov_mod.DEFAULT_PHASES), rt.note

    if watch:
        watch_loop(lambda: _coverage_view(*report()), interval)
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



@app.command()
def doctor(
    ctx: typer.Context,
    start: str | None = START,
    end: str | None = END,
    season: str | None = SEASON,
    phases: str | None = typer.Option(None, "--phases", help="Phases the backfill would build."),
    tables: str | None = typer.Option(None, "--tables", help="Comma-separated tables."),
    force: bool = typer.Option(False, "--force", help="Plan as `backfill --force` would."),
    as_json: bool = JSON,
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
    exit_with(1 if failed else 0)


@app.command()
def web(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8766, "--port", min=1, max=65535),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback --host."),
) -> None:
    """Serve the read-only dashboard: coverage heatmap, runs, gaps, predictions (and /api/)."""
    from fullcourt import extras

    state = state_of(ctx)
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
