"""What every `fullcourt` command shares: the app, its global options, the shared options
and the machinery that opens a home for reading or writing and reports a run.

Every command parses and checks its input first (one red line and exit 2 on a typo,
before the data home is touched), then hands plain values to the engine. Exit codes:
0 ok, 1 the work finished with failures or gaps left, 2 bad usage, bad settings or an
unusable home.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import typer

from fullcourt import errors, settings
from fullcourt.catalog.calendar import season_of
from fullcourt.config import Home
from fullcourt.console import RichProgress, err, out, print_json, render_plan, report_run
from fullcourt.engine.executor import Request
from fullcourt.engine.planner import make_plan
from fullcourt.engine.runtime import Runtime, open_reader, open_writer

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
    command that writes data records it in the home's settings (`record_source`)."""
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


def record_source(state: State) -> None:
    """Remember `--source`/`--data` for later commands; only commands that write data call
    this, so reading a home with another source leaves it untouched."""
    if state.source_given:
        settings.save(state.home, "sources.replay", state.replay)


def state_of(ctx: typer.Context) -> State:
    """The invocation's state, with its settings validated: every command calls this after
    its own options parsed, so `--help` and option typos come before a settings error."""
    state: State = ctx.find_root().obj
    if state.settings is None:
        state.settings = settings.load(state.home)
    return state


# -- shared machinery ------------------------------------------------------------------------


@contextmanager
def read_home(state: State) -> Iterator[Runtime]:
    rt = open_reader(state.home)
    try:
        yield rt
        if rt._snapshot is not None and rt.note:
            err.print(f"[yellow]{rt.note}[/]")
    finally:
        rt.close()


@contextmanager
def planning_runtime(state: State) -> Iterator[Runtime]:
    """Statuses without writing anything: a missing home plans against an empty one."""
    if state.home.exists():
        with read_home(state) as rt:
            yield rt
        return
    with tempfile.TemporaryDirectory(prefix="fullcourt-plan-") as tmp:
        rt = open_writer(Home(Path(tmp)))
        try:
            yield rt
        finally:
            rt.close()


def seasons_of(dates: Sequence[date]) -> list[str]:
    return sorted({s for d in dates if (s := season_of(d))})


def plan_dry(state: State, tables: list[str], dates: list[date], force: bool, as_json: bool) -> int:
    with planning_runtime(state) as rt:
        statuses = rt.statuses(seasons_of(dates))
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


def run_command(
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
            record_source(state)
            result = rt.executor.execute(command, Request(tuple(tables), tuple(dates), force))
            gaps = result.gaps(tables, dates)
        finally:
            rt.close()
    report_run(result, gaps, as_json)
    return 0 if not gaps and not result.interrupted else 1


def exit_with(code: int) -> None:
    if code:
        raise typer.Exit(code)


# -- commands ----------------------------------------------------------------------------------

START = typer.Option(None, "--start", help="First game date, YYYY-MM-DD.")
END = typer.Option(None, "--end", help="Last game date, YYYY-MM-DD.")
SEASON = typer.Option(None, "--season", help="Season(s): 2023-24, 2021-22:2024-25.")
JSON = typer.Option(False, "--json", help="Machine-readable output.")
DRY = typer.Option(False, "--dry-run", help="Print the plan; write nothing.")
WAIT = typer.Option(
    0.0, "--wait", min=0.0, help="Seconds to wait for another runner to release the warehouse."
)


def check_watch(watch: bool, interval: float, *exclusive: bool) -> None:
    if not interval > 0:
        raise errors.UsageError(f"--interval {interval:g} must be more than 0 seconds")
    if watch and any(exclusive):
        raise errors.UsageError("--watch draws a live view: drop --json/--csv")


def watch_loop(render, interval: float) -> None:
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


@contextmanager
def quiet_reader(state: State) -> Iterator[Runtime]:
    rt = open_reader(state.home)
    try:
        yield rt
    finally:
        rt.close()
