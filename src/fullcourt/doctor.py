"""Pre-flight: everything a backfill needs, checked before it starts, with the fix for each miss.

The predecessor's operators ran a 14-check shell script before every backfill (auth,
datasets, topics, coverage, dry runs) because a run that dies an hour in, or silently
does nothing, costs the night. `doctor` is that script for a fullcourt home, and like
every read command it writes nothing: the home is probed with `os.access` and read-only
opens, the providers with one cheap request each through the same fetcher a run uses
(so a real provider plugs in as a scraper of its service, nothing here changes), and
the plan is made by the planner exactly as `backfill --dry-run` would make it.

Each check is a function returning a `Check`; `run` calls them in order, skipping the
ones whose prerequisite failed, and the CLI prints one line each.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from fullcourt import errors
from fullcourt.catalog.calendar import EASTERN
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Phase
from fullcourt.config import Home
from fullcourt.engine import ledger_reports
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.planner import make_plan
from fullcourt.engine.runtime import Runtime, load_catalog, open_reader, open_writer
from fullcourt.engine.status import Reason
from fullcourt.warehouse.duck import Warehouse

__all__ = ["MIN_FREE_BYTES", "Check", "DoctorRequest", "run"]

MIN_FREE_BYTES = 1 << 30  # a season of the simulated league takes ~100 MB; leave room
QUOTA_HEADERS = ("x-requests-remaining", "x-ratelimit-remaining")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix,
                **({"data": self.data} if self.data else {})}


@dataclass(frozen=True)
class DoctorRequest:
    """What `backfill` would be asked: tables (already selected) and dates ([] = every
    season the home knows)."""

    tables: tuple[str, ...] | None = None
    dates: tuple[date, ...] = ()
    force: bool = False


def run(home: Home, request: DoctorRequest, catalog_spec: str | None = None) -> list[Check]:
    """Every check, in the order an operator would fix them."""
    checks = [_home(home)]
    try:
        catalog, extras = load_catalog(catalog_spec)
    except errors.FullcourtError as exc:
        return [*checks, Check("catalog", False, str(exc), "fix the table spec it names")]
    checks.append(Check("catalog", True, f"{len(catalog.names())} tables, dependencies valid"))
    checks.append(_settings(home))
    checks.append(_ledger(home))
    checks.append(_warehouse(home))
    checks.extend(_providers(home, extras, request.dates))
    if all(c.ok for c in checks if c.name in ("ledger", "warehouse")):
        with _runtime(home, catalog_spec) as rt:
            checks.append(_code(rt))
            checks.append(_plan(rt, request))
    return checks


# -- the home ---------------------------------------------------------------------------


def _home(home: Home) -> Check:
    root = home.root
    probe = root
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return Check("home", False, f"{root}: {probe} is not a folder", "pass --home a folder path")
    if not os.access(probe, os.W_OK | os.X_OK):
        return Check("home", False, f"{probe} is not writable by this user",
                     f"chmod u+w {probe}, or pass --home somewhere writable")
    free = shutil.disk_usage(probe).free
    where = str(root) if root.exists() else f"{root} (not created yet; the first run creates it)"
    detail = f"{where}: writable, {_bytes(free)} free"
    if free < MIN_FREE_BYTES:
        return Check("home", False, detail, f"free at least {_bytes(MIN_FREE_BYTES)} on that disk",
                     {"free_bytes": free})
    return Check("home", True, detail, data={"free_bytes": free})


def _settings(home: Home) -> Check:
    from fullcourt import settings

    try:
        chosen = settings.load(home).sources
    except errors.FullcourtError as exc:
        return Check("settings", False, str(exc),
                     f"correct {settings.path(home)} or the FULLCOURT_* variables")
    if chosen.url:
        what = f"source service {chosen.url}" + (" with a key" if chosen.key else ", no key")
    elif chosen.replay:
        if not Path(chosen.replay).is_dir():
            return Check("settings", False, f"replay folder {chosen.replay} does not exist",
                         "point --data / FULLCOURT_REPLAY_DIR at a folder of real files")
        what = f"replayed real files from {chosen.replay}"
    else:
        what = f"simulated league, seed {chosen.seed}"
    return Check("settings", True, what)


def _ledger(home: Home) -> Check:
    if not home.ledger_path.is_file():
        return Check("ledger", True, "none yet (the first run creates it)")
    try:
        ledger = Ledger(home.ledger_path, read_only=True)
    except errors.FullcourtError as exc:
        return Check("ledger", False, str(exc), "restore the ledger or move it aside")
    try:
        problems = ledger.schema_problems()
        last = ledger_reports.runs(ledger, limit=1)
    finally:
        ledger.close()
    if problems:
        # a writer migrates an older ledger as it opens it; only one it cannot write stays behind
        if not os.access(home.ledger_path, os.W_OK):
            return Check("ledger", False, f"schema behind ({'; '.join(problems)}) and not writable",
                         f"make {home.ledger_path} writable: the next run migrates it")
        return Check("ledger", True, f"{home.ledger_path.name} readable; schema older than this "
                     f"code ({'; '.join(problems)}): the next run migrates it")
    when = (
        f", last run {last[0]['run_id']} ({last[0]['command']}, {last[0]['status']})" if last else ""
    )
    return Check("ledger", True, f"{home.ledger_path.name} readable, schema current{when}")


def _warehouse(home: Home) -> Check:
    path = home.warehouse_path
    if not path.is_file():
        if home.ledger_path.is_file() and _has_attempts(home):
            return Check("warehouse", False, f"{path} is missing though the ledger has runs",
                         "`fullcourt heal` rebuilds it from the object store")
        return Check("warehouse", True, "none yet (the first run creates it)")
    try:
        Warehouse(path, read_only=True).close()
    except errors.HomeBusy as exc:
        holder = _lock_holder(exc, home)
        return Check("warehouse", False, f"{path.name} is held by {holder['text']}",
                     "wait for that run to finish, or give the backfill --wait SECONDS",
                     {k: v for k, v in holder.items() if k != "text"})
    except errors.FullcourtError as exc:
        return Check("warehouse", False, str(exc), "move the file aside and run `fullcourt heal`")
    return Check("warehouse", True, f"{path.name} opens ({_bytes(path.stat().st_size)})")


def _has_attempts(home: Home) -> bool:
    try:
        ledger = Ledger(home.ledger_path, read_only=True)
    except errors.FullcourtError:
        return True  # an unreadable ledger (its own check fails) may well have had runs
    try:
        return bool(ledger_reports.runs(ledger, limit=1))
    finally:
        ledger.close()


def _lock_holder(exc: BaseException, home: Home) -> dict[str, Any]:
    """Which process holds the warehouse: DuckDB names its pid; the ledger its run."""
    text = str(exc.__cause__ or exc)
    m = re.search(r"PID (\d+)", text)
    pid = int(m.group(1)) if m else None
    since = _process_start(pid) if pid else None
    run = None
    runs: list[dict] = []
    if home.ledger_path.is_file():
        try:
            ledger = Ledger(home.ledger_path, read_only=True)
        except errors.FullcourtError:
            ledger = None
        try:
            runs = ledger.active_runs() if ledger else []
        finally:
            if ledger:
                ledger.close()
    if runs:
        # the run whose holder is that pid; with no pid to go by, the one run in flight
        run = next((r for r in runs if pid and f":{pid}:" in (r["holder"] or "")),
                   None if pid or len(runs) > 1 else runs[0])
        if run and since is None:
            since = run["started_at"]
    words = f"pid {pid}" if pid else "another process"
    if run:
        words += f", run {run['run_id']} ({run['command']})"
    if since:
        words += f", since {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(since))}"
    return {"text": words, "pid": pid, "since": since, "run_id": run["run_id"] if run else None}


def _process_start(pid: int) -> float | None:
    """When a local process started (Linux /proc), or None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime")
        )
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


# -- providers ----------------------------------------------------------------------------


def _providers(home: Home, extras: dict, dates: Sequence[date]) -> list[Check]:
    """One cheap request per service (nbac, bdl, bdb, odds) through the configured fetcher."""
    factory = extras.get("wiring")
    if not factory:
        return [Check("providers", True, "this catalog scrapes no provider")]
    try:
        wiring = factory(home)
    except errors.FullcourtError as exc:
        return [Check("providers", False, str(exc), "correct the source settings")]
    fetcher = wiring.get("fetcher")
    if fetcher is None:
        return [Check("providers", True, "this catalog scrapes no provider")]
    from fullcourt.sources.fetcher import RetryPolicy

    # one attempt, nothing kept: a probe must not wait out backoff, and writes no body
    fetcher.retry = RetryPolicy(attempts=1, backoff=0.0)
    day = min(dates) if dates else date.today()
    out = []
    try:
        for service in sorted(fetcher.services):
            path, params = _probe(service, day)
            t0 = time.perf_counter()
            exchange = fetcher.request(service, path, params)
            ms = (time.perf_counter() - t0) * 1000
            out.append(_provider_check(service, day, exchange, ms))
    finally:
        fetcher.close()
    return out


def _probe(service: str, day: date) -> tuple[str, dict[str, Any]]:
    """The cheapest request each provider's protocol offers for `day`."""
    from fullcourt.catalog.calendar import season_of
    from fullcourt.sources.providers import balldontlie, injuries, nbacom

    if service == "nbacdn":
        return nbacom.SCHEDULE_CDN, {}
    if service == "nbastats":
        return nbacom.GAME_LOG, {"LeagueID": "00", "PlayerOrTeam": "T", "Season": season_of(day),
                                 "SeasonType": "Regular Season",
                                 "DateFrom": f"{day:%m/%d/%Y}", "DateTo": f"{day:%m/%d/%Y}"}
    if service == "balldontlie":
        return balldontlie.PATH, {"dates[]": day.isoformat(), "per_page": 1}
    if service == "oddsapi":
        return "/v4/historical/sports/basketball_nba/events", {"date": f"{day.isoformat()}T12:00:00Z"}
    return injuries.PATH.format(injuries.file_name(datetime.combine(day, dtime(17, 30), EASTERN))), {}


def _provider_check(service: str, day: date, ex: Any, ms: float) -> Check:
    """Reachable means the host answered (a 404, or the report bucket's 403, for a report
    not published is an answer);
    a refused key (401/403) or no answer at all fails, with the setting to fix."""
    name = f"provider {service}"
    # the report bucket answers 403 for a report not published, as S3 does for absent keys
    if ex.status in (401, 403) and service != "injuries":
        return Check(name, False, f"{day}: HTTP {ex.status}: the key was refused",
                     "set the provider's key (e.g. FULLCOURT_ODDSAPI_KEY, or the provider's "
                     "`key` in settings.toml)")
    if not ex.status or ex.status >= 500:
        return Check(name, False, f"{day}: {ex.error or f'HTTP {ex.status}'}",
                     "check FULLCOURT_SOURCE_URL (or the provider's url) and the network")
    remaining = (getattr(ex, "quota", None) or (None, None))[0]
    detail = f"{day}: HTTP {ex.status}, {len(ex.body or b'')} bytes, {ms:.0f} ms"
    if service == "oddsapi":
        detail += f", quota left {remaining}" if remaining is not None else ", quota not reported by this source"
    return Check(name, True, detail, data={"quota_left": remaining} if remaining is not None else {})


# -- code and plan --------------------------------------------------------------------------


@contextmanager
def _runtime(home: Home, catalog_spec: str | None) -> Iterator[Runtime]:
    """A reader on the home; a home not created yet plans against an empty one elsewhere."""
    if home.ledger_path.is_file():
        rt = open_reader(home, catalog_spec)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="fullcourt-doctor-")
        rt = open_writer(Home(Path(tmp.name)), catalog_spec)
    try:
        yield rt
    finally:
        rt.close()
        if not home.ledger_path.is_file():
            tmp.cleanup()


def _code(rt: Runtime) -> Check:
    """Tables whose code changed since they were last built, and what that makes stale."""
    latest = rt.ledger.latest()
    built: dict[str, set[str]] = {}
    for (table, _), att in latest.items():
        if att.status in ("success", "gate_failed") and att.code_version:
            built.setdefault(table, set()).add(att.code_version)
    now = rt.catalog.code_versions
    changed = sorted(t for t, versions in built.items() if t in now and versions - {now[t]})
    if not changed:
        return Check("code", True, "no code change since the last run" if built else "nothing built yet")
    statuses = rt.statuses()
    own = {k for k, st in statuses.items() if st.status == "stale" and st.code is Reason.CODE_CHANGED}
    behind = sum(1 for k, st in statuses.items() if k not in own and st.is_gap and st.root_cause in own)
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return Check("code", True, f"{len(changed)} tables changed since last built ({shown}): "
                 f"{len(own):,} partitions stale by their code and {behind:,} more behind them, "
                 "rebuilt by the next run",
                 data={"tables": changed, "stale_partitions": len(own), "behind": behind})


def _plan(rt: Runtime, request: DoctorRequest) -> Check:
    dates = list(request.dates) or [d for s in rt.seasons() for d in rt.calendar.dates(s)]
    if not dates:
        return Check("plan", True, "nothing requested and nothing known: give --season to see a plan")
    seasons = sorted({rt.calendar.season_of(d) for d in dates})
    statuses = rt.statuses(seasons)
    tables = list(request.tables or rt.catalog.names())
    plan = make_plan(rt.catalog, statuses, tables, dates, request.force)
    seconds = _estimate(rt.catalog, plan, ledger_reports.timings(rt.ledger))
    per_phase: dict[str, int] = {}
    for step in sorted(plan.steps, key=lambda st: st.phase.order):
        per_phase[step.phase.value] = per_phase.get(step.phase.value, 0) + len(step.dates) + len(step.waiting)
    if not plan.partitions:
        return Check("plan", True, f"nothing to do for {_span(dates)}: every partition is built or by design")
    phases = ", ".join(f"phase {p} {n:,}" for p, n in per_phase.items())
    eta = f"about {_duration(seconds)} by past timings" if seconds is not None else "no past timings yet"
    return Check("plan", True, f"{plan.partitions:,} partitions for {_span(dates)} ({phases}); {eta}",
                 data={"partitions": plan.partitions, "by_phase": per_phase, "seconds": seconds})


def _estimate(catalog: Catalog, plan, timings: dict[str, tuple[int, float]]) -> float | None:
    """Seconds the plan should take: each table's past seconds per partition, else its
    phase's, else nothing (never a made-up rate). Tables of one level run side by side,
    so this is an upper bound within a level."""
    if not timings:
        return None
    by_phase: dict[Phase, list[float]] = {}
    for t, (n, s) in timings.items():
        if t in catalog and n:
            by_phase.setdefault(catalog[t].phase, []).append(s / n)
    total = 0.0
    for step in plan.steps:
        n, s = timings.get(step.table, (0, 0.0))
        rates = by_phase.get(step.phase)
        rate = s / n if n else (sum(rates) / len(rates) if rates else None)
        if rate is None:
            return None
        total += rate * (len(step.dates) + len(step.waiting))
    return total


# -- words ------------------------------------------------------------------------------------


def _span(dates: Sequence[date]) -> str:
    lo, hi = min(dates), max(dates)
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m {seconds % 60:02.0f}s"
    return f"{seconds // 3600:.0f}h {(seconds % 3600) // 60:02.0f}m"

