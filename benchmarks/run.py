"""The figures that make a backfill a non-event, measured in one run through the real engine.

The predecessor spent ~30 s per date in Phase 4 and hours per season in Phase 3; an
operator's question is "how long is a four-season rebuild, and what does it cost to
heal one corrected box score". Every figure here goes through `Executor.run` with a
`Request`, exactly what the CLI and the runner do, on the simulated league in-process:

1. full rebuild: phases 2-6 of the seasons from already-scraped payloads, every partition
   forced, in a child process (so its peak RSS is the rebuild's own, imports included);
2. set-based vs per-date: the same Phase 3 + 4 month once with the executor's batching
   and once with one date per query (the predecessor's day-by-day pattern);
3. overhead: rebuild wall time over the time spent inside warehouse queries;
4. planner: statuses of every partition of the built home, and of the synthetic
   4- and 20-season homes of `benchmarks.planner`;
5. incremental: one new game date through every phase on the runner's event path;
6. heal: a stat correction in a past game, re-fetched, then healed by the planner.

Ratios are comparable across machines; absolute seconds are not. The machine is recorded
with the figures (load average included: a busy machine makes every number worse).

Run from the repository root: `python benchmarks/run.py [--quick] [--home DIR]`
(or `python -m benchmarks.run`, or `make bench`). Writes `benchmarks/results.json`
(`--quick`: `benchmarks/results-quick.json`, a smoke run over one season).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` puts benchmarks/ first, not the root
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from benchmarks import planner as synthetic  # noqa: E402
from fullcourt.catalog import selection  # noqa: E402
from fullcourt.catalog.calendar import EASTERN, season_dates  # noqa: E402
from fullcourt.catalog.spec import Phase  # noqa: E402
from fullcourt.config import Home  # noqa: E402
from fullcourt.engine import runtime  # noqa: E402
from fullcourt.engine.events import InProcessBus  # noqa: E402
from fullcourt.engine.executor import Executor, Request, RunResult  # noqa: E402
from fullcourt.engine.holders import new_holder  # noqa: E402
from fullcourt.engine.progress import Silent  # noqa: E402
from fullcourt.engine.runner import Runner, SimClock  # noqa: E402
from fullcourt.sources import registry  # noqa: E402
from fullcourt.sources.faults import FaultProfile, StatCorrection  # noqa: E402
from fullcourt.sources.sim import League  # noqa: E402
from fullcourt.warehouse.duck import Warehouse  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"
QUICK_RESULTS = ROOT / "benchmarks" / "results-quick.json"
DEFAULT_SEASONS = "2021-22:2024-25"
WARMUP_DAYS = 20  # days of a season the runner builds before the timed day

# figure -> (comparison, target); figures without a target are reported, not judged
TARGETS: dict[str, tuple[str, float]] = {
    "full_rebuild_s": ("<=", 60.0),
    "full_rebuild_peak_mb": ("<=", 1000.0),
    "set_vs_per_date_ratio": (">=", 30.0),
    "overhead_ratio": ("<=", 1.3),
    "planner_4_seasons_s": ("<", 0.5),
    "planner_20_seasons_s": ("<", 2.0),
    "incremental_day_s": ("<=", 2.0),
    "heal_correction_s": ("<=", 10.0),
    "sim_season_s": ("<", 3.0),
}
FIGURES = (
    "full_rebuild_s",
    "full_rebuild_peak_mb",
    "set_vs_per_date_ratio",
    "overhead_ratio",
    "planner_4_seasons_s",
    "planner_20_seasons_s",
    "incremental_day_s",
    "heal_correction_s",
    "heal_partitions",
    "sim_season_s",
)


# -- measuring -----------------------------------------------------------------------------


class QueryClock(Silent):
    """Silent progress that charges warehouse query time to the phase of each finished batch.

    The executor runs one dependency level (always of one phase) at a time and reports
    each batch when it is done, so the query time accumulated since the previous report
    belongs to the phase reported now.
    """

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.seconds: dict[str, float] = {}
        self._seen = warehouse.query_seconds

    def advance(self, key: str, n: int = 1) -> None:
        now = self.warehouse.query_seconds
        self.seconds[key] = self.seconds.get(key, 0.0) + now - self._seen
        self._seen = now


@dataclass
class Timed:
    seconds: float
    result: RunResult
    query_seconds: float


def run_timed(rt: runtime.Runtime, command: str, request: Request, ex: Executor | None = None) -> Timed:
    """One `Executor.run`, recorded in the ledger like any CLI run, with its wall time."""
    ex = ex or rt.executor
    assert ex is not None and rt.warehouse is not None
    q0 = rt.warehouse.query_seconds
    t0 = time.perf_counter()
    result = ex.execute(command, request)
    seconds = time.perf_counter() - t0
    return Timed(seconds, result, rt.warehouse.query_seconds - q0)


def open_home(root: Path, **kwargs: Any) -> runtime.Runtime:
    return runtime.open_writer(Home(root), progress=Silent(), **kwargs)


def names_of(rt: runtime.Runtime, *phases: Phase) -> tuple[str, ...]:
    return tuple(n for n in rt.catalog.names() if rt.catalog[n].phase in phases)


def build_phases(rt: runtime.Runtime) -> tuple[str, ...]:
    return tuple(n for n in rt.catalog.names() if rt.catalog[n].phase is not Phase.SCRAPE)


def peak_mb() -> tuple[float, str]:
    """This process's peak resident memory in MB, and how it was read.

    Linux's VmHWM belongs to the process image, so it starts afresh at exec; ru_maxrss
    survives exec and would report the parent's size at fork if that was larger.
    """
    hwm = _status_mb("self", "VmHWM")
    if hwm is not None:
        return hwm, "VmHWM of /proc/self/status"
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # KiB on Linux, bytes on macOS
    return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024), "ru_maxrss (RUSAGE_SELF)"


class TreePeak:
    """The peak summed resident memory of this process and every process under it (the
    parse workers), sampled every 0.1 s from /proc: VmHWM sees this process alone.
    Pages shared after a fork count once per process, so the sum errs high."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreePeak:
        if Path("/proc/self/status").is_file():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_mb = max(self.peak_mb, sum(_status_mb(p, "VmRSS") or 0.0 for p in _tree(os.getpid())))


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):  # a process that just ended
                todo += [int(c) for c in task.read_text().split()]
    return out


def _status_mb(pid: int | str, field: str) -> float | None:
    """A memory field of /proc/<pid>/status in MB; None where there is none (not Linux,
    or the process just ended)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def best_of(n: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def morning(d: date) -> datetime:
    """09:00 US/Eastern: the previous night's games are over, tonight's are ahead."""
    return datetime.combine(d, clock_time(9, 0), EASTERN).astimezone(UTC)


def _round(x: float, digits: int = 3) -> float:
    return round(float(x), digits)


# -- 1. scrape (untimed) and the full rebuild (timed, child process) ------------------------


def scrape(root: Path, dates: Sequence[date]) -> dict[str, Any]:
    """Phase 1 plus the schedule (every other source's dates come from it); not timed."""
    rt = open_home(root)
    try:
        tables = (*names_of(rt, Phase.SCRAPE), rt.catalog.schedule)
        timed = run_timed(rt, "bench: scrape", Request(tables, tuple(dates)))
        return {"seconds": _round(timed.seconds), "written": timed.result.written,
                "failed": timed.result.failed}
    finally:
        rt.close()


def rebuild(root: str, dates: Sequence[date]) -> dict[str, Any]:
    """Phases 2-6, every partition forced; runs in a child process and reports its own peak RSS."""
    baseline, _ = peak_mb()
    home = Home(Path(root))
    shutil.rmtree(home.models, ignore_errors=True)  # cached models would skip the training
    opened = time.perf_counter()
    rt = open_home(home.root)
    try:
        assert rt.executor is not None and rt.warehouse is not None
        clock = QueryClock(rt.warehouse)
        rt.executor.progress = clock
        opened = time.perf_counter() - opened
        tables = build_phases(rt)
        planning = _time_planning(rt.executor)
        with TreePeak() as tree:
            timed = run_timed(rt, "bench: full rebuild", Request(tables, tuple(dates), force=True))
        gaps = timed.result.gaps(tables, dates)
        result = timed.result
    finally:
        rt.close()
    peak, how = peak_mb()
    return {
        "seconds": timed.seconds,
        "query_seconds": timed.query_seconds,
        "seconds_by_phase": dict(result.seconds_by_phase),
        "query_seconds_by_phase": clock.seconds,
        "written": result.written,
        "failed": result.failed,
        "gate_failed": result.gate_failed,
        "gaps_after": len(gaps),
        "open_seconds": opened,
        "planning_seconds": planning[0],
        "plans": planning[1],
        "baseline_mb": baseline,
        "peak_mb": max(peak, tree.peak_mb),
        "process_peak_mb": peak,
        "process_tree_peak_mb": tree.peak_mb,
        "peak_measured_by": f"the larger of {how} and the process tree's summed VmRSS, sampled",
    }


def _time_planning(ex: Executor) -> list[float]:
    """[seconds, calls] of the executor deriving statuses, filled in as it runs."""
    spent = [0.0, 0]
    derive = ex.statuses

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return derive(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t
            spent[1] += 1

    ex.statuses = timed  # type: ignore[method-assign]
    return spent


def full_rebuild(root: Path, dates: Sequence[date]) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no memory inherited
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(rebuild, str(root), list(dates)).result()


def overhead(full: dict[str, Any]) -> dict[str, Any]:
    wall, query = full["seconds_by_phase"], full["query_seconds_by_phase"]
    lower = ("phase 2", "phase 3", "phase 4")
    lower_wall = sum(wall.get(p, 0.0) for p in lower)
    lower_query = sum(query.get(p, 0.0) for p in lower)
    return {
        "overhead_ratio": full["seconds"] / full["query_seconds"] if full["query_seconds"] else float("inf"),
        "overhead_ratio_phases_2_4": lower_wall / lower_query if lower_query else float("inf"),
        "ratio_by_phase": {
            p: _round(wall[p] / query[p], 2) for p in sorted(wall) if query.get(p)
        },
    }


# -- 2. set-based vs per-date ------------------------------------------------------------------


def set_vs_per_date(root: Path, month: Sequence[date]) -> dict[str, Any]:
    rt = open_home(root)
    try:
        assert rt.executor is not None and rt.warehouse is not None
        tables = names_of(rt, Phase.ANALYTICS, Phase.PRECOMPUTE)
        request = Request(tables, tuple(month), force=True)
        batched = run_timed(rt, "bench: batched", request)
        per_date_ex = Executor(
            rt.home, rt.catalog, rt.warehouse, rt.ledger, new_holder(), progress=Silent(),
            batch_days=1, schemas=rt.executor.schemas,
        )
        per_date = run_timed(rt, "bench: per date", request, per_date_ex)
    finally:
        rt.close()
    return {
        "month": f"{month[0]:%Y-%m}",
        "tables": len(tables),
        "batched_s": _round(batched.seconds),
        "batched_query_s": _round(batched.query_seconds),
        "batched_written": batched.result.written,
        "per_date_s": _round(per_date.seconds),
        "per_date_query_s": _round(per_date.query_seconds),
        "per_date_written": per_date.result.written,
        "ratio": per_date.seconds / batched.seconds,
    }


# -- 4. planner --------------------------------------------------------------------------------


def planner_real(root: Path, seasons: Sequence[str]) -> dict[str, Any]:
    rt = open_home(root)
    try:
        assert rt.executor is not None
        t0 = time.perf_counter()
        rt.executor.refresh()  # facts read from the data: one grouped query per table
        refresh = time.perf_counter() - t0
        seconds, statuses = best_of(3, lambda: rt.executor.statuses(seasons))
    finally:
        rt.close()
    return {
        "statuses_s": _round(seconds, 4),
        "partitions": len(statuses),
        "refresh_facts_s": _round(refresh),
        "by_status": dict(Counter(s.status for s in statuses.values())),
    }


# -- 5. incremental ----------------------------------------------------------------------------


def incremental(root: Path, season: str, game_dates: Sequence[date]) -> dict[str, Any]:
    """The runner on a simulated clock builds the season's first days, then one day is timed."""
    shutil.rmtree(root, ignore_errors=True)  # the timed day must be new to this home
    opening = game_dates[0]
    day = next(d for d in game_dates if d >= opening + timedelta(days=WARMUP_DAYS))
    clock = SimClock(morning(opening))
    rt = open_home(root, clock=clock)
    try:
        assert rt.executor is not None
        runner = Runner(rt.executor, rt.ledger, InProcessBus(), clock, sweep_every=timedelta(days=1))
        t0 = time.perf_counter()
        d = opening
        while d < day:
            clock.now = morning(d + timedelta(days=1))
            runner.tick()
            d += timedelta(days=1)
        warmup = time.perf_counter() - t0
        before = rt.warehouse.query_seconds if rt.warehouse else 0.0

        clock.now = morning(day + timedelta(days=1))
        t0 = time.perf_counter()
        report = runner.tick(sweep=False)
        seconds = time.perf_counter() - t0
        query = (rt.warehouse.query_seconds if rt.warehouse else 0.0) - before
        gaps = [s for (_, g), s in rt.executor.statuses([season]).items()
                if g <= day and s.is_gap]
        t0 = time.perf_counter()
        again = runner.tick(sweep=True)  # same morning: nothing new, fetch + sweep only
        sweep = time.perf_counter() - t0
    finally:
        rt.close()
    return {
        "day": day.isoformat(),
        "warmup_days": (day - opening).days,
        "warmup_s": _round(warmup),
        "seconds": seconds,
        "query_s": _round(query),
        "written": report.written,
        "failed": report.failed,
        "events": report.events,
        "gaps_through_day": len(gaps),
        "quiet_tick_with_sweep_s": _round(sweep),
        "quiet_tick_written": again.written,
    }


# -- 6. heal after a stat correction -------------------------------------------------------------


def pick_correction(wh: Warehouse, game_dates: Sequence[date]) -> tuple[date, str, str]:
    """A mid-season game of a player with a line, so predictions and exports change too."""
    mid = game_dates[len(game_dates) // 2]
    rows = wh.sql(
        "SELECT game_id, player_id FROM nbac_gamebook_player_stats"
        " WHERE game_date = ? AND status = 'active' AND player_name IN"
        " (SELECT player_name FROM odds_player_points_props WHERE game_date = ?)"
        " ORDER BY game_id, player_id LIMIT 1",
        [mid, mid],
    )
    if not rows:
        raise SystemExit(f"no active player with a line on {mid}: is the home built?")
    game_id, player_id = rows[0]
    return mid, game_id, player_id


def summary_points(wh: Warehouse, game_id: str, player_id: str) -> int | None:
    got = wh.sql(
        "SELECT points FROM player_game_summary WHERE game_id = ? AND player_id = ?",
        [game_id, player_id],
    )
    return int(got[0][0]) if got and got[0][0] is not None else None


def forget_models_after(home: Home, day: date) -> int:
    """Drop cached models whose training cutoff follows `day` (folders named `<cutoff>_...`).

    A kept home may still hold the models trained on the corrected data by an earlier run;
    the heal must pay for that training again. Models of earlier cutoffs stay: a real heal
    reuses them as well.
    """
    dropped = 0
    for folder in home.models.glob("*"):
        try:
            cutoff = date.fromisoformat(folder.name[:10])
        except ValueError:
            continue
        if cutoff > day and folder.is_dir():
            shutil.rmtree(folder)
            dropped += 1
    return dropped


def heal(root: Path, season: str, game_dates: Sequence[date]) -> dict[str, Any]:
    home = Home(root)
    season_days = tuple(season_dates(season))
    rt = open_home(root)
    try:
        assert rt.warehouse is not None
        day, game_id, player_id = pick_correction(rt.warehouse, game_dates)
        scrapes = names_of(rt, Phase.SCRAPE)
        everything = tuple(rt.catalog.names())
        # A kept home may hold the correction from an earlier run: fetch the original first.
        reset = run_timed(rt, "bench: refetch original", Request(scrapes, (day,), force=True))
        reset_heal = run_timed(rt, "bench: heal original", Request(everything, season_days))
        points = summary_points(rt.warehouse, game_id, player_id)
    finally:
        rt.close()

    dropped = forget_models_after(home, day)
    profile = FaultProfile().add(StatCorrection(game_id, player_id, after=datetime(2000, 1, 1, tzinfo=UTC)))
    rt = open_home(root, **registry.wiring(home, faults=profile))
    try:
        assert rt.warehouse is not None
        run_timed(rt, "bench: refetch corrected", Request(scrapes, (day,), force=True))
        timed = run_timed(rt, "bench: heal", Request(everything, season_days))
        run_id = timed.result.run_id
        by_table = Counter(t for (t, _), a in rt.ledger.latest().items()
                           if a.run_id == run_id and a.status == "success")
        after = summary_points(rt.warehouse, game_id, player_id)
        gaps = timed.result.gaps(everything, season_days)
    finally:
        rt.close()
    return {
        "game_date": day.isoformat(),
        "game_id": game_id,
        "player_id": player_id,
        "points_before": points,
        "points_after": after,
        "seconds": timed.seconds,
        "query_s": _round(timed.query_seconds),
        "written": timed.result.written,
        "failed": timed.result.failed,
        "gaps_after": len(gaps),
        "written_by_table": dict(sorted(by_table.items())),
        "untimed_reset_written": reset.result.written + reset_heal.result.written,
        "cached_models_dropped": dropped,
    }


# -- reporting -----------------------------------------------------------------------------------


# -- 7. the simulated league ----------------------------------------------------------------


def sim_season(name: str = "2024-25", seed: int = 11) -> dict[str, Any]:
    """One season of a fresh simulated league: what a sim source pays before its first answer."""
    seconds, data = best_of(3, lambda: League(seed).season(name))
    return {"seconds": seconds, "season": name, "seed": seed, "games": data.tables["nbac_schedule"].num_rows}


def machine() -> dict[str, Any]:
    import ibis
    import lightgbm

    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "lightgbm": lightgbm.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def dirty() -> bool:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "src", "benchmarks"],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        return bool(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return False


def verdict(name: str, value: float) -> str:
    if name not in TARGETS:
        return ""
    op, target = TARGETS[name]
    ok = {"<": value < target, "<=": value <= target, ">=": value >= target}[op]
    return f"{'PASS' if ok else 'MISS'} ({op} {target:g})"


def render(figures: dict[str, float | int], details: dict[str, Any]) -> str:
    lines = [f"{'figure':<24} {'value':>12}  target", "-" * 52]
    for name in FIGURES:
        value = figures[name]
        shown = f"{value:d}" if isinstance(value, int) else f"{value:.3f}"
        lines.append(f"{name:<24} {shown:>12}  {verdict(name, value)}")
    full = details["full_rebuild"]
    lines += ["", "full rebuild, seconds by phase (wall / inside warehouse queries):"]
    for phase, wall in full["seconds_by_phase"].items():
        q = full["query_seconds_by_phase"].get(phase, 0.0)
        lines.append(f"  {phase:<10} {wall:8.2f} / {q:8.2f}")
    lines.append(f"  planning   {full['planning_seconds']:8.2f} s over {full['plans']} plans")
    sv = details["set_vs_per_date"]
    lines += [
        f"overhead phases 2-4 only: {details['overhead']['overhead_ratio_phases_2_4']:.2f}",
        f"set-based {sv['month']}: batched {sv['batched_s']:.2f} s, one date per query "
        f"{sv['per_date_s']:.2f} s ({sv['per_date_written']} partitions)",
        f"planner on the built home: {details['planner']['statuses_s']:.3f} s for "
        f"{details['planner']['partitions']} partitions",
    ]
    return "\n".join(lines)


def before_after(before: dict[str, Any], after: dict[str, Any]) -> str:
    """A Markdown table of two results files: the figures, then the rebuild per phase."""
    def cell(v: Any) -> str:
        return "—" if v is None else (f"{v:d}" if isinstance(v, int) else f"{v:.3g}" if v < 10 else f"{v:.1f}")

    lines = [f"| figure | before ({before['commit'][:7]}) | after ({after['commit'][:7]}) | target |",
             "|---|---|---|---|"]
    for name in FIGURES:
        op, target = TARGETS.get(name, ("", None))
        goal = f"{op} {target:g}" if target is not None else "—"
        lines.append(f"| `{name}` | {cell(before['figures'].get(name))} | {cell(after['figures'].get(name))} | {goal} |")
    b, a = before["details"]["full_rebuild"], after["details"]["full_rebuild"]
    lines += ["", "| rebuild phase | before: wall / in queries (s) | after: wall / in queries (s) |", "|---|---|---|"]
    def pair(r: dict[str, Any], phase: str) -> str:
        wall = r["seconds_by_phase"].get(phase)
        return "—" if wall is None else f"{wall:.1f} / {r['query_seconds_by_phase'].get(phase, 0.0):.1f}"

    for phase in a["seconds_by_phase"]:
        lines.append(f"| {phase} | {pair(b, phase)} | {pair(a, phase)} |")
    lines.append(f"| planning | {b.get('planning_seconds', 0.0):.1f} | {a.get('planning_seconds', 0.0):.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seasons", default=DEFAULT_SEASONS,
                        help="seasons to build, e.g. 2021-22:2024-25 (default)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: only the last season of --seasons")
    parser.add_argument("--home", type=Path, default=None,
                        help="keep the homes in DIR (DIR/full, DIR/incremental) instead of a temp dir")
    parser.add_argument("--month", default=None,
                        help="YYYY-MM of the set-based vs per-date comparison "
                             "(default: December of the last season)")
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON results")
    parser.add_argument("--before", type=Path, default=None, metavar="RESULTS",
                        help="an earlier results file: print a before/after table (Markdown) too")
    args = parser.parse_args(argv)
    before = json.loads(args.before.read_text()) if args.before else None

    seasons = selection.parse_seasons(args.seasons)
    if args.quick:
        seasons = seasons[-1:]
    out = args.out or (QUICK_RESULTS if args.quick else RESULTS)
    dates = [d for s in seasons for d in season_dates(s)]
    last = seasons[-1]
    first = date.fromisoformat(args.month + "-01") if args.month else date(int(last[:4]), 12, 1)
    month = [d for d in dates if (d.year, d.month) == (first.year, first.month)]
    if not month:
        raise SystemExit(f"month {first:%Y-%m} is outside the seasons {', '.join(seasons)}")

    info = machine()
    keep = args.home is not None
    base = args.home.resolve() if keep else Path(tempfile.mkdtemp(prefix="fullcourt-bench-"))
    full_home, incr_home = base / "full", base / "incremental"

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    try:
        say(f"scraping {', '.join(seasons)} into {full_home} (not timed)")
        scraped = scrape(full_home, dates)
        say(f"full rebuild of phases 2-6 (child process), {scraped['written']} scrape partitions written")
        full = full_rebuild(full_home, dates)
        say(f"full rebuild {full['seconds']:.1f} s; set-based vs per-date over {first:%Y-%m}")
        sv = set_vs_per_date(full_home, month)
        say("planner")
        real = planner_real(full_home, seasons)
        synth = synthetic.measure()
        say("heal after a stat correction")
        rt = open_home(full_home)
        game_dates = rt.calendar.game_dates(last)
        rt.close()
        healed = heal(full_home, last, game_dates)
        say("incremental day on the runner's event path")
        incr = incremental(incr_home, last, game_dates)
        say("one simulated season")
        sim = sim_season()
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)

    over = overhead(full)
    figures: dict[str, float | int] = {
        "full_rebuild_s": _round(full["seconds"]),
        "full_rebuild_peak_mb": _round(full["peak_mb"], 1),
        "set_vs_per_date_ratio": _round(sv["ratio"], 2),
        "overhead_ratio": _round(over["overhead_ratio"], 3),
        "planner_4_seasons_s": float(synth["planner_4_seasons_s"]),
        "planner_20_seasons_s": float(synth["planner_20_seasons_s"]),
        "incremental_day_s": _round(incr["seconds"]),
        "heal_correction_s": _round(healed["seconds"]),
        "heal_partitions": int(healed["written"]),
        "sim_season_s": _round(sim["seconds"]),
    }
    full_detail = {
        **{k: v for k, v in full.items() if k not in ("seconds_by_phase", "query_seconds_by_phase")},
        "seconds_by_phase": {k: _round(v) for k, v in full["seconds_by_phase"].items()},
        "query_seconds_by_phase": {k: _round(v) for k, v in full["query_seconds_by_phase"].items()},
    }
    details: dict[str, Any] = {
        "seasons": seasons,
        "quick": args.quick,
        "home": str(base) if keep else None,
        "source_tree_dirty": dirty(),
        "scrape": scraped,
        "full_rebuild": {k: _round(v) if isinstance(v, float) else v for k, v in full_detail.items()},
        "overhead": {k: _round(v) if isinstance(v, float) else v for k, v in over.items()},
        "set_vs_per_date": {**sv, "ratio": _round(sv["ratio"], 2)},
        "planner": {**real, "synthetic": synth},
        "incremental": {**incr, "seconds": _round(incr["seconds"])},
        "heal": {**healed, "seconds": _round(healed["seconds"])},
        "sim_season": {**sim, "seconds": _round(sim["seconds"])},
        "notes": NOTES,
    }
    results = {"figures": figures, "machine": info, "commit": commit(), "details": details}
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(render(figures, details))
    if before is not None:
        print("\n" + before_after(before, results))
    print(f"\nwritten {out}")
    return 0


NOTES = [
    "full_rebuild_s: wall time of one Executor.run over phases 2-6 with force=True, from payloads "
    "scraped beforehand (untimed); the models folder is emptied first, so training is included.",
    "full_rebuild_peak_mb: peak resident memory of a spawned child process that ran only the "
    "rebuild, read by the child itself at its end (VmHWM on Linux, which restarts at exec, unlike "
    "ru_maxrss), interpreter and imports included, or if larger the peak summed VmRSS of the "
    "child and the parse workers under it, sampled every 0.1 s. baseline_mb is the child's "
    "reading just before the run.",
    "overhead_ratio: rebuild wall time / Warehouse.query_seconds (execute, replace_partitions, "
    "facts). Tables of one level run on two threads, so query seconds can add up to more than "
    "the wall time they overlap. Phase 5 trains models in Python outside any query, which is why "
    "overhead_ratio_phases_2_4 is reported too.",
    "set_vs_per_date_ratio: Phase 3 + 4 tables over one month, force=True, the executor's "
    "batching vs Executor(batch_days=1), same process and warehouse, batched first.",
    "planner_*_seasons_s: benchmarks.planner (synthetic catalog, fully built home, best of 3); "
    "details.planner.statuses_s is Executor.statuses on the real built home (best of 3, facts "
    "already read; ledger reads included).",
    "incremental_day_s: one Runner.tick(sweep=False) at 09:00 US/Eastern the morning after the "
    "timed day, on a separate home the runner built day by day from the season's opening "
    "(so walk-forward training sees only those days, not earlier seasons); the tick re-fetches "
    "the last days, then plans and runs every phase for the dates its events name.",
    "heal_correction_s: one Executor.run over every table and every date of the last season, "
    "not forced, after a StatCorrection (+3 points) was served for one mid-season game and that "
    "date's scrapes were re-fetched (untimed); heal_partitions = partitions written.",
    "sim_season_s: League(11).season('2024-25') from a fresh League (rosters, games, box "
    "scores, play-by-play, props, injury reports), best of 3.",
]


if __name__ == "__main__":
    sys.exit(main())
