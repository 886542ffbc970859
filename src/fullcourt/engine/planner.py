"""The planner: the only code that decides what is missing and what to run.

`derive` is a pure function of plain values — catalog, calendar, warehouse facts,
the ledger's latest attempts, live leases and the modules of recorded code versions —
returning exactly one status per (table, game_date). `make_plan` turns the gaps into ordered steps. No database is
imported here, so the whole decision can be tested against literal inputs.

Windows are checked with sorted gap lists and prefix sums, so a partition whose input
reaches back a whole season costs the same as one that reads a single date.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from fullcourt.catalog.calendar import Calendar
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Expectation, Phase
from fullcourt.engine.status import AttemptStatus, Reason, Status
from fullcourt.warehouse.facts import Facts

__all__ = [
    "GAP_STATUSES",
    "READY_STATUSES",
    "RUNNABLE_STATUSES",
    "STATUSES",
    "Facts",
    "PartitionStatus",
    "Plan",
    "Step",
    "derive",
    "expected_games",
    "make_plan",
]

STATUSES = tuple(Status)
READY_STATUSES = frozenset(s for s in Status if s.is_ready)
GAP_STATUSES = frozenset(s for s in Status if s.is_gap)
RUNNABLE_STATUSES = frozenset(s for s in Status if s.is_runnable)

_U64 = 1 << 64
_BUILT = frozenset(a for a in AttemptStatus if a.built)
_FORCEABLE = frozenset({Status.COMPLETE, Status.NO_DATA, Status.UNAVAILABLE})


@dataclass(frozen=True)
class PartitionStatus:
    table: str
    game_date: date
    status: Status
    reason: str = ""
    root_cause: tuple[str, date] | None = None
    input_fp: str = ""
    code: Reason | None = None  # what code branches on; `reason` is for people

    @property
    def is_gap(self) -> bool:
        return self.status in GAP_STATUSES


@dataclass(frozen=True)
class Step:
    table: str
    phase: Phase
    dates: tuple[date, ...]
    waiting: tuple[date, ...] = ()  # blocked now, runnable once upstream steps succeed


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)

    @property
    def partitions(self) -> int:
        return sum(len(s.dates) + len(s.waiting) for s in self.steps)

    def to_json(self) -> list[dict]:
        return [
            {
                "table": s.table,
                "phase": s.phase.value,
                "dates": len(s.dates) + len(s.waiting),
                "ready": len(s.dates),
                "first": min((*s.dates, *s.waiting)).isoformat(),
                "last": max((*s.dates, *s.waiting)).isoformat(),
            }
            for s in self.steps
        ]


def _mix(fp: str, d: date) -> int:
    try:
        v = int(fp[:16], 16)
    except ValueError:
        v = int(hashlib.blake2b(fp.encode(), digest_size=8).hexdigest(), 16)
    return (v * (2 * d.toordinal() + 1) + d.toordinal()) % _U64


class _Series:
    """Per-table sorted view over the universe of dates: gaps and fingerprint prefix sums."""

    def __init__(self, universe: list[date]):
        self.universe = universe
        self.prefix = [0] * (len(universe) + 1)
        self.gaps: list[date] = []
        self.hard: list[date] = []  # gaps that a rebuild of something stale will not fix
        self._acc = 0
        self._i = 0

    def push(self, d: date, fp: str | None, is_gap: bool, is_hard: bool = True) -> None:
        if fp:
            self._acc = (self._acc + _mix(fp, d)) % _U64
        self._i += 1
        self.prefix[self._i] = self._acc
        if is_gap:
            self.gaps.append(d)
            if is_hard:
                self.hard.append(d)

    def window_sum(self, lo: date, hi: date) -> int:
        a = bisect_left(self.universe, lo)
        b = bisect_right(self.universe, hi)
        return (self.prefix[b] - self.prefix[a]) % _U64

    def last_gap(self, lo: date, hi: date) -> date | None:
        return _last(self.gaps, lo, hi)

    def last_hard_gap(self, lo: date, hi: date) -> date | None:
        return _last(self.hard, lo, hi)


def _last(seq: list[date], lo: date, hi: date) -> date | None:
    b = bisect_right(seq, hi)
    if b and seq[b - 1] >= lo:
        return seq[b - 1]
    return None


def _soft(st: PartitionStatus, out) -> bool:
    """A gap that rebuilding its stale root resolves (so downstream is stale, not blocked)."""
    if st.status == Status.STALE:
        return True
    return (st.status == Status.BLOCKED and st.root_cause is not None
            and out[st.root_cause].status == Status.STALE)


def derive(
    catalog: Catalog,
    calendar: Calendar,
    universe: Iterable[date],
    facts: Mapping[str, Mapping[date, Facts]],
    attempts: Mapping[tuple[str, date], object],
    leases: Mapping[tuple[str, date], str] | None = None,
    holder: str | None = None,
    code_versions: Mapping[str, str] | None = None,
    recorded_modules: Mapping[str, Mapping[str, str]] | None = None,
    code_modules: Mapping[str, Mapping[str, str]] | None = None,
    previous: Mapping[tuple[str, date], PartitionStatus] | None = None,
    changed: Iterable[str] | None = None,
) -> dict[tuple[str, date], PartitionStatus]:
    """Every partition of every table over `universe` gets exactly one status.

    `code_versions` and `code_modules` (per table; default the catalog's) are the code
    now; `recorded_modules` ({version: {module: hash}}, from the ledger) says what each
    recorded version was made of, so a partition stale by code names the modules that
    changed since it was built.

    `previous` and `changed` make it an update: when only the facts, attempts and leases
    of the `changed` tables differ from what `previous` was derived from, a table that
    is neither changed nor downstream of one keeps its previous statuses (a status is a
    function of its own table's records and of its inputs' statuses only). The executor
    updates its plan this way after each level instead of deriving every table again.
    """
    dates = sorted(set(universe))
    leases = leases or {}
    code_versions = code_versions if code_versions is not None else catalog.code_versions
    code_modules = code_modules if code_modules is not None else catalog.code_modules
    recorded_modules = recorded_modules or {}
    series: dict[str, _Series] = {}
    out = Derived(series=series)
    game_index = {
        d: i for s in calendar.seasons() for i, d in enumerate(calendar.game_dates(s))
    }

    sched = catalog.schedule
    feed = set(catalog._closure(catalog.specs, sched)) if sched else set()
    redo = set(catalog.downstream(changed)) if previous is not None and changed is not None else None
    for spec in catalog:
        name = spec.name
        ser = series[name] = _Series(dates)
        tfacts = facts.get(name, {})
        if redo is not None and name not in redo and _kept(previous, name, dates, series, tfacts, attempts, spec, out):
            continue
        version = code_versions.get(name, "")
        code_change = _CodeChange(code_modules.get(name, {}), recorded_modules)
        gate_table = None if (sched is None or name in feed) else sched
        for d in dates:
            st = _status(
                spec, name, d, calendar, game_index, series, out, tfacts, attempts,
                leases, holder, version, code_change, gate_table, name in feed,
            )
            out[(name, d)] = st
            ser.push(d, _fingerprint(spec, name, d, tfacts, attempts), st.status not in READY_STATUSES,
                     not _soft(st, out))
    return out


class Derived(dict):
    """The statuses `derive` returns, with the per-table series it summed on the way, so
    an update (`previous`) reuses the series of the tables it keeps."""

    def __init__(self, *args, series: dict[str, _Series] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.series = series if series is not None else {}


def _kept(previous, name, dates, series, tfacts, attempts, spec, out) -> bool:
    """Copy a table's previous statuses into `out` (and its series), if it has them all."""
    kept = [previous.get((name, d)) for d in dates]
    if any(st is None for st in kept):
        return False
    out.update(zip(((name, d) for d in dates), kept, strict=True))
    old = getattr(previous, "series", {}).get(name)
    if old is not None and old.universe == dates:
        series[name] = old
        return True
    ser = series[name]
    for d, st in zip(dates, kept, strict=True):
        ser.push(d, _fingerprint(spec, name, d, tfacts, attempts), st.status not in READY_STATUSES, not _soft(st, out))
    return True


def _fingerprint(spec, name, d, tfacts, attempts) -> str | None:
    if spec.phase is Phase.SCRAPE:
        att = attempts.get((name, d))
        return getattr(att, "fingerprint", None) if att is not None else None
    f = tfacts.get(d)
    return f.fingerprint if f is not None else None


class _CodeChange:
    """Why a table's recorded code version is not today's, worded once per version."""

    SHOWN = 3

    def __init__(self, current: Mapping[str, str], recorded: Mapping[str, Mapping[str, str]]):
        self.current = current
        self.recorded = recorded
        self.reasons: dict[str | None, str] = {}

    def reason(self, version: str | None) -> str:
        if version not in self.reasons:
            self.reasons[version] = self._word(self.recorded.get(version or "") or {})
        return self.reasons[version]

    def _word(self, then: Mapping[str, str]) -> str:
        now = self.current
        changed = sorted(m for m in then.keys() | now.keys() if then.get(m) != now.get(m))
        if not then or not now or not changed:  # not recorded, or only the spec version
            return "code changed since built"
        more = len(changed) - self.SHOWN
        return f"code changed in {', '.join(changed[: self.SHOWN])}" + (
            f" and {more} more" if more > 0 else ""
        )


def _status(
    spec, name, d, calendar, game_index, series, out, tfacts, attempts, leases, holder,
    version, code_change, sched_table, in_feed,
) -> PartitionStatus:
    def mk(status: Status, code: Reason, reason: str = "", root=None, fp: str = "") -> PartitionStatus:
        return PartitionStatus(name, d, status, reason, root, fp, code)

    lease = leases.get((name, d))
    if lease is not None and lease != holder:
        return mk(Status.RUNNING, Reason.LEASED, f"leased by {lease}")
    att = attempts.get((name, d))

    def behind(root: tuple[str, date], soft: bool) -> PartitionStatus:
        """Waiting on `root`. If only stale partitions stand in the way (a correction
        upstream) and this one was built, it is out of date too and is rebuilt after them."""
        if soft and getattr(att, "status", None) in _BUILT:
            return mk(Status.STALE, Reason.UPSTREAM_CHANGED, f"input {root[0]} {root[1]} changed; rebuilt after it", root)
        return mk(Status.BLOCKED, Reason.WAITING, f"waiting for {root[0]} {root[1]} ({_root_status(out, root)})", root)

    day = calendar.days.get(d)
    season = calendar.season_of(d)
    expected = 0
    if not in_feed:
        # Until the schedule of a date is built its expectations are unknown: blocked.
        # Once built, a date without games of this table's season types needs no attempt.
        if sched_table is not None:
            sst = out.get((sched_table, d))
            if sst is None or sst.status not in READY_STATUSES:
                root = (sst.root_cause if sst else None) or (sched_table, d)
                return behind(root, sst is not None and _soft(sst, out))
        expected = expected_games(spec, day)
        if expected == 0:
            scheduled = day.games(spec.season_types, False) if day else 0
            if scheduled and _final_only(spec):
                return mk(Status.NO_DATA, Reason.NOT_FINAL, "no games of this date are final yet")
            return mk(Status.NO_DATA, Reason.NO_GAMES, "no games scheduled" if not day else "no games of this table's season types")
        idx = game_index.get(d)
        if spec.bootstrap_days and idx is not None and idx < spec.bootstrap_days:
            return mk(Status.BOOTSTRAP, Reason.BOOTSTRAP, f"game day {idx + 1} of {season}; needs {spec.bootstrap_days} days of history")

    # inputs: blocked when any partition in a window is a gap; fingerprint otherwise
    parts: list[str] = []
    for inp in spec.inputs:
        ser = series.get(inp.table)
        if ser is None:
            continue
        lo = _window_lo(inp.window, d, calendar)
        hard = ser.last_hard_gap(lo, d)
        gap = hard or ser.last_gap(lo, d)
        if gap is not None:
            return behind(out[(inp.table, gap)].root_cause or (inp.table, gap), hard is None)
        parts.append(f"{inp.table}:{inp.window}:{ser.window_sum(lo, d):016x}")
    input_fp = hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()

    if att is None:
        return mk(Status.NEVER_RAN, Reason.NEVER_RAN, "never fetched" if spec.phase is Phase.SCRAPE else "no attempt recorded", fp=input_fp)
    status = att.status
    if status in (AttemptStatus.RUNNING, AttemptStatus.INTERRUPTED):  # no live lease: its holder stopped
        return mk(Status.FAILED, Reason.INTERRUPTED, f"interrupted: runner {att.holder} stopped mid-write (run {att.run_id})", fp=input_fp)
    if status == AttemptStatus.FAILED:
        what = "fetch failed" if spec.phase is Phase.SCRAPE else "failed"
        return mk(Status.FAILED, Reason.ERROR, f"{what}: {att.error or 'unknown error'}", fp=input_fp)
    if status == AttemptStatus.UNAVAILABLE:
        return mk(Status.UNAVAILABLE, Reason.SOURCE_NONE, att.error or "source provides none", fp=input_fp)
    if att.code_version != version:
        return mk(Status.STALE, Reason.CODE_CHANGED, code_change.reason(att.code_version), fp=input_fp)
    if att.input_fp != input_fp:
        return mk(Status.STALE, Reason.INPUT_CHANGED, "an input partition changed since built", fp=input_fp)
    if status == AttemptStatus.GATE_FAILED:
        return mk(Status.GATE_FAILED, Reason.GATE, att.error or "gate failed", fp=input_fp)
    if spec.phase is not Phase.SCRAPE:
        f = tfacts.get(d)
        have_fp = f.fingerprint if f is not None else None
        if (att.fingerprint or None) != have_fp and (att.rows or f is not None):
            return mk(Status.STALE, Reason.CONTENT_CHANGED, "warehouse content changed outside fullcourt", fp=input_fp)
    rows = att.rows or 0
    games = att.games or 0
    if spec.expectation is Expectation.GAMES and expected and games < expected:
        what = "fetched" if spec.phase is Phase.SCRAPE else "built"
        why = f": {att.error}" if att.error else ""
        return mk(Status.PARTIAL, Reason.SHORT, f"{what} {games} of {expected} games{why}", fp=input_fp)
    if spec.expectation is Expectation.ROWS and expected and rows == 0:
        what = "fetched and empty" if spec.phase is Phase.SCRAPE else "built empty"
        return mk(Status.PARTIAL, Reason.SHORT, f"{what}; schedule has {expected} games", fp=input_fp)
    if rows == 0:
        return mk(Status.NO_DATA, Reason.EMPTY, "fetched and empty" if spec.phase is Phase.SCRAPE else "built, no rows", fp=input_fp)
    return mk(Status.COMPLETE, Reason.FETCHED if spec.phase is Phase.SCRAPE else Reason.BUILT,
              "fetched with data" if spec.phase is Phase.SCRAPE else "", fp=input_fp)


def _final_only(spec) -> bool:
    return spec.extra.get("expects", "final") == "final"


def expected_games(spec, day) -> int:
    """Games the schedule implies a partition of `spec` holds on `day` (a `GameDay` or
    None): the final games of its season types, or the scheduled ones for tables built
    ahead of tip-off. Coverage reports divide by this, so it is stated once, here."""
    return day.games(spec.season_types, _final_only(spec)) if day else 0


def _root_status(out, root) -> str:
    st = out.get(root)
    if st is None:
        return "unknown"
    if not st.reason:
        return st.status
    if st.reason.startswith(st.status):  # "failed: ..." already names its status
        return st.reason
    return f"{st.status}: {st.reason}"


def _window_lo(window, d: date, calendar: Calendar) -> date:
    if window == "all":
        return date.min
    if window == "season":
        gd = calendar.game_dates(calendar.season_of(d))
        return gd[0] if gd and gd[0] <= d else d
    if not window:
        return d
    return calendar.window_start(d, int(window))


def make_plan(
    catalog: Catalog,
    statuses: Mapping[tuple[str, date], PartitionStatus],
    tables: Sequence[str],
    dates: Sequence[date],
    force: bool = False,
) -> Plan:
    """Gaps of the chosen tables and dates, in dependency order.

    Blocked partitions whose root cause is itself going to run (or is in the plan) are
    included as `waiting`; blocked partitions whose cause lies outside the request are
    left out, and reported by `gaps`.
    """
    wanted = set(tables)
    dset = set(dates)
    planned: set[tuple[str, date]] = set()
    steps: list[Step] = []
    for spec in catalog:
        if spec.name not in wanted:
            continue
        ready, waiting = [], []
        for d in sorted(dset):
            st = statuses.get((spec.name, d))
            if st is None:
                continue
            if (st.status in RUNNABLE_STATUSES and not st.root_cause) or (
                force and st.status in _FORCEABLE and not _calendar_no_data(st)
            ):
                ready.append(d)
            elif st.status in (Status.BLOCKED, Status.STALE) and st.root_cause and (
                st.root_cause in planned
                or (st.root_cause[0] in wanted and statuses[st.root_cause].status in RUNNABLE_STATUSES)
            ):
                waiting.append(d)
            else:
                continue
            planned.add((spec.name, d))
        if ready or waiting:
            steps.append(Step(spec.name, spec.phase, tuple(ready), tuple(waiting)))
    return Plan(steps)


def _calendar_no_data(st: PartitionStatus) -> bool:
    return st.code in (Reason.NO_GAMES, Reason.NOT_FINAL)
