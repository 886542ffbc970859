"""The planner's promises, checked on random catalogs, calendars and ledgers.

`derive` is the only code that decides what is missing, so its guarantees are stated
here as properties over random inputs rather than a handful of hand-picked cases: one
status per partition, nothing `complete` over a gap, `blocked` always names a root
cause that is itself the thing to fix, and a perfect executor that follows the plan
ends with no gaps at all. Literal examples at the end pin the wording operators read.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fullcourt.catalog.calendar import Calendar, season_dates, season_of
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import SEASON_TYPES, Expectation, Input, Phase, TableSpec
from fullcourt.engine.ledger import Attempt
from fullcourt.engine.planner import (
    GAP_STATUSES,
    READY_STATUSES,
    RUNNABLE_STATUSES,
    STATUSES,
    Facts,
    PartitionStatus,
    derive,
    make_plan,
)

SCHED = "sched"
HOLDER = "me:1:aaaa"
OTHER = "them:2:bbbb"
SEASONS = ("2022-23", "2023-24")
LATER_PHASES = (Phase.RAW, Phase.ANALYTICS, Phase.PRECOMPUTE, Phase.PREDICT, Phase.GRADE, Phase.EXPORT)

# Derandomized so a CI run is reproducible; explore further with --hypothesis-seed=N.
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)

Key = tuple[str, date]


def _build(inputs, dates):  # the planner never calls it; a catalog requires one
    raise AssertionError("the planner must not build")


def _hex(*parts: object) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).hexdigest()


# -- generated inputs --------------------------------------------------------------------

windows = st.sampled_from([0, 0, 1, 2, 3, 5, "season", "season", "all"])


@st.composite
def specs(draw) -> list[TableSpec]:
    """A random DAG: `sched` at the root, 1-5 tables whose phases never go backwards."""
    n = draw(st.integers(1, 5))
    phases = sorted(
        draw(st.lists(st.sampled_from(LATER_PHASES), min_size=n, max_size=n)),
        key=lambda p: p.order,
    )
    out = [TableSpec(SCHED, Phase.RAW, ("game_id",), build=_build, expectation=Expectation.ANY)]
    for i, phase in enumerate(phases, start=1):
        earlier = [s.name for s in out]
        chosen = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=min(3, len(earlier))))
        out.append(
            TableSpec(
                f"t{i}",
                phase,
                ("game_id",),
                build=_build,
                inputs=tuple(Input(t, draw(windows)) for t in chosen),
                expectation=draw(st.sampled_from(list(Expectation))),
                bootstrap_days=draw(st.integers(0, 3)),
                season_types=draw(
                    st.frozensets(st.sampled_from(sorted(SEASON_TYPES)), min_size=1)
                ),
                extra={"expects": draw(st.sampled_from(["final", "scheduled"]))},
            )
        )
    return out


@st.composite
def calendars(draw) -> Calendar:
    """1-2 seasons of random game days; some games scheduled but not final yet."""
    count = draw(st.sampled_from([1, 2, 2]))  # two seasons put windows to the test
    first = draw(st.integers(0, len(SEASONS) - count))
    rows = []
    for season in SEASONS[first : first + count]:
        days = season_dates(season)
        offsets = draw(st.sets(st.integers(0, len(days) - 1), max_size=12))
        for off in sorted(offsets):
            types = draw(st.sets(st.sampled_from(sorted(SEASON_TYPES)), min_size=1, max_size=2))
            for t in sorted(types):
                scheduled = draw(st.integers(1, 6))
                final = draw(st.sampled_from([scheduled, scheduled, draw(st.integers(0, scheduled))]))
                rows.append(
                    {"game_date": days[off], "season": season, "season_type": t,
                     "scheduled": scheduled, "final": final}
                )
    if not rows:  # a season with no game days at all still names its season
        d = season_dates(SEASONS[first])[40]
        rows.append({"game_date": d, "season": SEASONS[first], "season_type": "regular",
                     "scheduled": 0, "final": 0})
    return Calendar.from_rows(rows)


def universe_of(calendar: Calendar) -> list[date]:
    seasons = {g.season for g in calendar.days.values()}
    return sorted(d for s in seasons for d in season_dates(s))


# -- an independent reading of the spec ------------------------------------------------


def declared_inputs(spec: TableSpec) -> tuple[Input, ...]:
    """Inputs as the spec promises them: every table but the schedule reads its date."""
    if spec.name == SCHED or SCHED in spec.input_names:
        return spec.inputs
    return (*spec.inputs, Input(SCHED, 0))


def expected_games(spec: TableSpec, calendar: Calendar, d: date) -> int:
    day = calendar.days.get(d)
    if day is None:
        return 0
    if spec.name == SCHED:
        return sum(day.scheduled.values())
    return day.games(spec.season_types, spec.extra.get("expects", "final") == "final")


def game_dates_all(calendar: Calendar) -> list[date]:
    return sorted(d for s in calendar.seasons() for d in calendar.game_dates(s))


def window_dates(window, d: date, calendar: Calendar) -> list[date]:
    """Game dates an input window reaches from `d` (plus `d` itself), per the spec text."""
    season = calendar.game_dates(season_of(d) or "")
    if window == "all":
        return sorted({g for g in game_dates_all(calendar) if g <= d} | {d})
    if window == "season":
        return sorted({g for g in season if g <= d} | {d})
    if not window:
        return [d]
    earlier = [g for g in season if g < d]
    return sorted({*earlier[-int(window):], d})


def upstream(catalog: Catalog, name: str) -> set[str]:
    seen: set[str] = set()
    stack = [name]
    while stack:
        for i in catalog[stack.pop()].input_names:
            if i not in seen:
                seen.add(i)
                stack.append(i)
    return seen


# -- a perfect executor in plain Python --------------------------------------------------


class World:
    """Catalog, calendar, warehouse facts and ledger: everything `derive` reads."""

    def __init__(self, table_specs: list[TableSpec], calendar: Calendar):
        self.specs = {s.name: s for s in table_specs}
        self.catalog = Catalog(table_specs, schedule=SCHED)
        # Versions as `derive` accepts them: hashing each generated catalog's processor
        # source (this module) would cost more than the planner itself. The catalog's own
        # versions are exercised by the literal examples below.
        self.versions = {s.name: _hex(s.name, s.version) for s in table_specs}
        self.calendar = calendar
        self.universe = universe_of(calendar)
        self.facts: dict[str, dict[date, Facts]] = {}
        self.attempts: dict[Key, Attempt] = {}
        self.leases: dict[Key, str] = {}
        self.runs = 0
        self.log: list[str] = []  # what was done to the ledger, for a readable failure

    def __repr__(self) -> str:
        tables = "; ".join(
            f"{s.name}({s.phase.value}, {s.expectation.value}, boot={s.bootstrap_days}, "
            f"types={sorted(s.season_types)}, expects={s.extra.get('expects', 'final')}, "
            f"inputs={[(i.table, i.window) for i in s.inputs]})"
            for s in self.specs.values()
        )
        days = "; ".join(
            f"{d} {dict(g.scheduled)}/{dict(g.final)}" for d, g in sorted(self.calendar.days.items())
        )
        return f"World(tables: {tables}\n calendar: {days}\n ledger: {self.log})"

    def derive(self) -> dict[Key, PartitionStatus]:
        return derive(
            self.catalog, self.calendar, self.universe, self.facts, self.attempts,
            self.leases, holder=HOLDER, code_versions=self.versions,
        )

    def write(self, st_: PartitionStatus, fingerprint: str | None = None) -> None:
        """What a successful build records: the attempt and the facts it observed."""
        spec = self.specs[st_.table]
        games = expected_games(spec, self.calendar, st_.game_date)
        rows = games * 3
        fp = fingerprint or (_hex(st_.table, st_.game_date, st_.input_fp, rows) if rows else None)
        self.attempts[(st_.table, st_.game_date)] = Attempt(
            run_id=f"run{self.runs}", status="success", rows=rows, games=games,
            fingerprint=fp, input_fp=st_.input_fp,
            code_version=self.versions[st_.table], error=None, holder=HOLDER,
            attempt=1,
        )
        tf = self.facts.setdefault(st_.table, {})
        if fp is None:
            tf.pop(st_.game_date, None)
        else:
            tf[st_.game_date] = Facts(rows, games, fp)

    def execute(self) -> dict[Key, PartitionStatus]:
        """Plan, run the lowest level's ready partitions, re-plan — until nothing is left.

        Levels never depend on themselves, so a correct planner settles in at most one
        round per level; more rounds than that means the plan keeps asking for work.
        """
        bound = len(set(self.catalog.levels.values())) + 1
        for _ in range(bound + 1):
            statuses = self.derive()
            plan = make_plan(self.catalog, statuses, self.catalog.names(), self.universe)
            ready = [s for s in plan.steps if s.dates]
            if not ready:
                return statuses
            self.runs += 1
            level = min(self.catalog.levels[s.table] for s in ready)
            for step in ready:
                if self.catalog.levels[step.table] == level:
                    for d in step.dates:
                        assert statuses[(step.table, d)].status in RUNNABLE_STATUSES
                        self.write(statuses[(step.table, d)])
        raise AssertionError(f"plan still not empty after {bound} rounds: {plan.to_json()}")


# -- random ledgers: a built warehouse, then things go wrong -----------------------------

MUTATIONS = ("drop", "status", "code", "input_fp", "fingerprint", "facts", "games", "lease", "fresh")
ATTEMPT_STATUSES = ("success", "failed", "gate_failed", "running", "interrupted", "unavailable")
FPS = ("0" * 16, "00000000000000ff", "abcdefabcdef0123", "not-hex")


@st.composite
def worlds(draw, mutate: bool = True, other_leases: bool = True) -> World:
    w = World(draw(specs()), draw(calendars()))
    if draw(st.booleans()):
        w.execute()  # start from a fully built warehouse half of the time
        w.log.append(f"built in {w.runs} rounds")
    if not mutate:
        return w
    games = set(game_dates_all(w.calendar))
    keys = [(t, d) for t in w.catalog.names() for d in w.universe if d in games]
    keys = keys or [(t, d) for t in w.catalog.names() for d in w.universe[:5]]
    for _ in range(draw(st.integers(0, 12))):
        k = draw(st.sampled_from(keys))
        kind = draw(st.sampled_from(MUTATIONS))
        att = w.attempts.get(k)
        w.log.append(f"{kind} {k[0]} {k[1]}")
        if kind == "drop":
            w.attempts.pop(k, None)
            w.facts.get(k[0], {}).pop(k[1], None)
        elif kind == "lease":
            holders = [OTHER, HOLDER] if other_leases else [HOLDER]
            w.leases[k] = draw(st.sampled_from(holders))
        elif kind == "facts":
            w.facts.setdefault(k[0], {})[k[1]] = Facts(
                draw(st.integers(0, 9)), draw(st.integers(0, 6)), draw(st.sampled_from(FPS))
            )
        elif kind == "fresh" or att is None:
            version = w.versions[k[0]]
            w.attempts[k] = Attempt(
                run_id="r0", status=draw(st.sampled_from(ATTEMPT_STATUSES)),
                rows=draw(st.integers(0, 9)), games=draw(st.integers(0, 6)),
                fingerprint=draw(st.sampled_from((None, *FPS))),
                input_fp=draw(st.sampled_from(("", *FPS))),
                code_version=draw(st.sampled_from([version, "old"])),
                error=draw(st.sampled_from([None, "boom"])), holder=OTHER, attempt=1,
            )
        elif kind == "status":
            w.attempts[k] = replace(att, status=draw(st.sampled_from(ATTEMPT_STATUSES)))
        elif kind == "code":
            w.attempts[k] = replace(att, code_version="old")
        elif kind == "input_fp":
            w.attempts[k] = replace(att, input_fp=draw(st.sampled_from(FPS)))
        elif kind == "fingerprint":
            w.attempts[k] = replace(att, fingerprint=draw(st.sampled_from((None, *FPS))))
        elif kind == "games":
            w.attempts[k] = replace(att, games=max(0, (att.games or 0) - 1))
        w.log.append(f"  -> {w.attempts.get(k)} {w.facts.get(k[0], {}).get(k[1])} {w.leases.get(k)}")
    return w


# -- properties of derive ----------------------------------------------------------------


@PROPERTY
@given(worlds())
def test_every_partition_gets_exactly_one_known_status(w: World) -> None:
    before = (repr(w.facts), repr(w.attempts), repr(w.leases))
    statuses = w.derive()
    assert set(statuses) == {(t, d) for t in w.catalog.names() for d in w.universe}
    for (t, d), st_ in statuses.items():
        assert (st_.table, st_.game_date) == (t, d)
        assert st_.status in STATUSES
    # pure: same answer twice, inputs untouched
    assert w.derive() == statuses
    assert (repr(w.facts), repr(w.attempts), repr(w.leases)) == before


@PROPERTY
@given(worlds())
def test_complete_only_when_built_and_every_input_in_the_window_is_ready(w: World) -> None:
    statuses = w.derive()
    for (t, d), st_ in statuses.items():
        if st_.status != "complete":
            continue
        att = w.attempts.get((t, d))
        assert att is not None and att.status == "success", (t, d, att)
        assert att.code_version == w.versions[t]
        assert att.input_fp == st_.input_fp
        spec = w.specs[t]
        if spec.expectation is Expectation.GAMES and t != SCHED:
            assert (att.games or 0) >= expected_games(spec, w.calendar, d)
        for inp in declared_inputs(spec):
            for y in window_dates(inp.window, d, w.calendar):
                assert statuses[(inp.table, y)].status in READY_STATUSES, (
                    f"{t} {d} complete over {inp.table} {y} "
                    f"({statuses[(inp.table, y)].status}, window {inp.window})"
                )


@PROPERTY
@given(worlds())
def test_root_causes_are_upstream_roots_that_are_not_blocked(w: World) -> None:
    """`blocked` always names what to fix; a correction's downstream is `stale` behind it."""
    statuses = w.derive()
    for (t, d), st_ in statuses.items():
        if st_.status == "blocked":
            assert st_.root_cause is not None, st_
        if st_.root_cause is None:
            continue
        assert st_.status in {"blocked", "stale"}, st_
        root_table, root_date = st_.root_cause
        root = statuses[st_.root_cause]
        # the root is the thing to fix (or wait for): never blocked, never ready, a root
        assert root.status in (GAP_STATUSES - {"blocked"}) | {"running"}, (st_, root)
        assert root.root_cause is None, (st_, root)
        assert root_table in upstream(w.catalog, t)
        assert root_date <= d
        assert f"{root_table} {root_date}" in st_.reason
        if st_.status == "stale":  # rebuilt after an upstream correction, so built before
            assert root.status == "stale", (st_, root)
            assert w.attempts[(t, d)].status in {"success", "gate_failed"}


@PROPERTY
@given(worlds())
def test_running_exactly_when_leased_by_another_holder(w: World) -> None:
    statuses = w.derive()
    for k, st_ in statuses.items():
        leased_by_other = w.leases.get(k) not in (None, HOLDER)
        assert (st_.status == "running") == leased_by_other, (k, st_, w.leases.get(k))
        if leased_by_other:
            assert w.leases[k] in st_.reason


@PROPERTY
@given(worlds())
def test_dates_without_games_are_never_gaps_once_the_schedule_is_built(w: World) -> None:
    statuses = w.derive()
    games = set(game_dates_all(w.calendar))
    for (t, d), st_ in statuses.items():
        if t == SCHED or d in games:
            continue
        if statuses[(SCHED, d)].status in READY_STATUSES:
            assert st_.status in {"no_data", "running"}, st_
        else:  # expectations of a date are unknown until its schedule is built
            # ... or, once built before, stale behind the schedule's own rebuild
            allowed = {"blocked", "running"} | (
                {"stale"} if statuses[(SCHED, d)].status == "stale" else set()
            )
            assert st_.status in allowed, st_
            assert st_.status == "running" or st_.root_cause == (SCHED, d)


@PROPERTY
@given(worlds())
def test_plan_runs_only_gaps_and_lists_inputs_first(w: World) -> None:
    statuses = w.derive()
    plan = make_plan(w.catalog, statuses, w.catalog.names(), w.universe)
    order = [s.table for s in plan.steps]
    assert len(order) == len(set(order))
    for i, step in enumerate(plan.steps):
        assert not set(order[i + 1 :]) & upstream(w.catalog, step.table)
        assert step.dates or step.waiting
        for d in step.dates:
            assert statuses[(step.table, d)].status in RUNNABLE_STATUSES
            assert statuses[(step.table, d)].root_cause is None
        for d in step.waiting:
            waits = statuses[(step.table, d)]
            assert waits.status in {"blocked", "stale"} and waits.root_cause is not None
    planned = {(s.table, d) for s in plan.steps for d in (*s.dates, *s.waiting)}
    for k, st_ in statuses.items():
        if st_.status in RUNNABLE_STATUSES:
            assert k in planned, st_


# -- executing the plan ------------------------------------------------------------------


@PROPERTY
@given(worlds(other_leases=False))
def test_executing_the_plan_then_replanning_leaves_no_gaps(w: World) -> None:
    statuses = w.execute()
    left = {k: s for k, s in statuses.items() if s.status not in READY_STATUSES}
    assert not left, sorted(left.values(), key=lambda s: (s.game_date, s.table))[:5]
    # and a second pass has nothing to do
    plan = make_plan(w.catalog, w.derive(), w.catalog.names(), w.universe)
    assert plan.steps == []


@PROPERTY
@given(worlds(other_leases=False))
def test_updating_the_plan_after_each_level_equals_deriving_it_anew(w: World) -> None:
    """What the executor does between levels: derive only what the level wrote and what
    lies downstream of it, keeping the rest of the previous statuses."""
    statuses = w.derive()
    for _ in range(len(set(w.catalog.levels.values())) + 1):
        plan = make_plan(w.catalog, statuses, w.catalog.names(), w.universe)
        ready = [s for s in plan.steps if s.dates]
        if not ready:
            break
        level = min(w.catalog.levels[s.table] for s in ready)
        wrote = {s.table for s in ready if w.catalog.levels[s.table] == level}
        for step in ready:
            if step.table in wrote:
                for d in step.dates:
                    w.write(statuses[(step.table, d)])
        updated = derive(
            w.catalog, w.calendar, w.universe, w.facts, w.attempts, w.leases,
            holder=HOLDER, code_versions=w.versions, previous=statuses, changed=wrote,
        )
        statuses = w.derive()
        assert updated == statuses, sorted(wrote)


@PROPERTY
@given(worlds(mutate=False), st.data())
def test_a_stat_correction_makes_exactly_its_windows_stale(w: World, data) -> None:
    w.execute()
    before = w.derive()
    changeable = sorted(
        (t, d) for t, fs in w.facts.items() for d in fs if w.attempts[(t, d)].status == "success"
    )
    assume(changeable)
    table, x = data.draw(st.sampled_from(changeable), label="corrected partition")
    # the corrected partition was rebuilt: new content in the warehouse and in its attempt
    new_fp = _hex("corrected", table, x)
    w.facts[table][x] = replace(w.facts[table][x], fingerprint=new_fp)
    w.attempts[(table, x)] = replace(w.attempts[(table, x)], fingerprint=new_fp)

    # Independently from the windows: a built partition that reads the corrected one
    # is stale; one whose window reaches a stale partition is stale behind it.
    direct: set[Key] = set()
    behind: set[Key] = set()
    for spec in w.specs.values():  # generated in dependency order
        for d in w.universe:
            if (spec.name, d) not in w.attempts or spec.name == SCHED:
                continue
            reach = {(i.table, y) for i in declared_inputs(spec)
                     for y in window_dates(i.window, d, w.calendar)}
            if reach & (direct | behind):
                behind.add((spec.name, d))
            elif (table, x) in reach:
                direct.add((spec.name, d))

    after = w.derive()
    assert after[(table, x)] == before[(table, x)]
    stale = {k for k, s in after.items() if s.status == "stale"}
    assert stale == direct | behind
    assert {k for k, s in after.items() if s.status == "blocked"} == set()
    for k in direct:
        assert after[k].reason == "an input partition changed since built"
        assert after[k].root_cause is None
    for k in behind:
        assert after[k].root_cause in direct
    for k, s in after.items():
        if k not in stale:
            assert s == before[k]

    healed = w.execute()
    assert all(s.status in READY_STATUSES for s in healed.values())


@PROPERTY
@given(worlds(mutate=False), st.data())
def test_a_code_change_is_stale_over_the_table_and_behind_it_downstream(w: World, data) -> None:
    w.execute()
    before = w.derive()
    built = sorted({t for t, _ in w.attempts if t != SCHED})
    assume(built)
    table = data.draw(st.sampled_from(built), label="changed table")
    w.versions = dict(w.versions, **{table: "changed"})

    own = {k for k in w.attempts if k[0] == table}
    behind: set[Key] = set()
    for spec in w.specs.values():
        for d in w.universe:
            if (spec.name, d) not in w.attempts or spec.name in (SCHED, table):
                continue
            reach = {(i.table, y) for i in declared_inputs(spec)
                     for y in window_dates(i.window, d, w.calendar)}
            if reach & (own | behind):
                behind.add((spec.name, d))

    after = w.derive()
    assert {k for k, s in after.items() if s.status == "stale"} == own | behind
    assert {k for k, s in after.items() if s.status == "blocked"} == set()
    for k in own:
        assert after[k].reason == "code changed since built" and after[k].root_cause is None
    for k in behind:
        assert after[k].root_cause in own
    for k, s in after.items():
        if k not in own | behind:
            assert s == before[k]
    assert all(s.status in READY_STATUSES for s in w.execute().values())


# -- literal examples: values in, statuses out -------------------------------------------
#
#   sched (2) -> box (2) -> feat (4, box over 2 previous game dates, 2 bootstrap days)
#                                -> pred (5, same date, due for scheduled games too)
#
# Game days of 2023-24: Oct 24, 25, 27, 28, 30 (two final games each) and Oct 31 (two
# games scheduled, none final yet). Oct 26 and 29 have no games.

D = {n: date(2023, 10, n) for n in range(20, 32)}
GAME_DAYS = [D[24], D[25], D[27], D[28], D[30]]
UNIVERSE = [D[n] for n in range(22, 32)]


def example_specs(box_version: str = "1") -> list[TableSpec]:
    return [
        TableSpec(SCHED, Phase.RAW, ("game_id",), build=_build, expectation=Expectation.ANY),
        TableSpec("box", Phase.RAW, ("game_id",), build=_build, version=box_version),
        TableSpec("feat", Phase.PRECOMPUTE, ("game_id",), build=_build,
                  inputs=(Input("box", 2),), bootstrap_days=2),
        TableSpec("pred", Phase.PREDICT, ("game_id",), build=_build,
                  inputs=(Input("feat", 0),), extra={"expects": "scheduled"}),
    ]


def example_calendar() -> Calendar:
    rows = [{"game_date": d, "season": "2023-24", "season_type": "regular", "scheduled": 2,
             "final": 2} for d in GAME_DAYS]
    rows.append({"game_date": D[31], "season": "2023-24", "season_type": "regular",
                 "scheduled": 2, "final": 0})
    return Calendar.from_rows(rows)


class Example(World):
    """The example catalog, with the catalog's own code versions, fully built."""

    def __init__(self, box_version: str = "1"):
        super().__init__(example_specs(box_version), example_calendar())
        self.universe = UNIVERSE
        self.versions = dict(self.catalog.code_versions)
        self.execute()

    def table(self, name: str) -> dict[date, str]:
        statuses = self.derive()
        return {d: statuses[(name, d)].status for d in self.universe}

    def fail(self, name: str, d: date, status: str, error: str | None = None, **kw) -> None:
        att = self.attempts[(name, d)]
        self.attempts[(name, d)] = replace(att, status=status, error=error, **kw)


def by_day(**statuses: str) -> dict[date, str]:
    """`by_day(d24="complete", ...)`, every other day of UNIVERSE `no_data`."""
    out = dict.fromkeys(UNIVERSE, "no_data")
    out.update({D[int(k[1:])]: v for k, v in statuses.items()})
    return out


def test_example_built_from_scratch() -> None:
    w = Example()
    assert w.table(SCHED) == dict.fromkeys(UNIVERSE, "no_data") | dict.fromkeys(
        [*GAME_DAYS, D[31]], "complete"
    )
    assert w.table("box") == by_day(d24="complete", d25="complete", d27="complete",
                                    d28="complete", d30="complete")
    # predictions are due for the scheduled games of Oct 31 already
    assert w.table("pred") == by_day(d24="complete", d25="complete", d27="complete",
                                     d28="complete", d30="complete", d31="complete")
    s = w.derive()
    assert s[("box", D[26])].reason == "no games scheduled"
    assert s[("box", D[31])].reason == "no games of this date are final yet"


def test_first_game_days_of_a_season_are_bootstrap() -> None:
    w = Example()
    assert w.table("feat") == by_day(d24="bootstrap", d25="bootstrap", d27="complete",
                                     d28="complete", d30="complete")
    s = w.derive()
    assert s[("feat", D[24])].reason == "game day 1 of 2023-24; needs 2 days of history"
    assert s[("feat", D[25])].reason == "game day 2 of 2023-24; needs 2 days of history"
    assert ("feat", D[24]) not in w.attempts


def test_nothing_but_the_schedule_runs_before_the_schedule_is_built() -> None:
    w = World(example_specs(), example_calendar())
    w.universe = UNIVERSE
    s = w.derive()
    assert {s[(SCHED, d)].status for d in UNIVERSE} == {"never_ran"}
    for d in UNIVERSE:  # even days without games: unknown until the schedule says so
        assert s[("box", d)].status == "blocked"
        assert s[("box", d)].root_cause == (SCHED, d)
        assert s[("pred", d)].root_cause == (SCHED, d)
    plan = make_plan(w.catalog, s, w.catalog.names(), UNIVERSE)
    assert [(st_.table, len(st_.dates), len(st_.waiting)) for st_ in plan.steps] == [
        (SCHED, 10, 0), ("box", 0, 10), ("feat", 0, 10), ("pred", 0, 10)
    ]


def test_blocked_names_the_root_cause_not_the_nearest_input() -> None:
    w = Example()
    w.fail("box", D[27], "failed", "HTTP 500 from stats.nba.com")
    assert w.table("box") == by_day(d24="complete", d25="complete", d27="failed",
                                    d28="complete", d30="complete")
    # feat reaches back two game dates: Oct 27 is in the windows of Oct 27, 28 and 30
    assert w.table("feat") == by_day(d24="bootstrap", d25="bootstrap", d27="blocked",
                                     d28="blocked", d30="blocked")
    assert w.table("pred") == by_day(d24="complete", d25="complete", d27="blocked",
                                     d28="blocked", d30="blocked", d31="complete")
    s = w.derive()
    for t, d in [("feat", D[28]), ("pred", D[30])]:
        assert s[(t, d)].root_cause == ("box", D[27])
        assert s[(t, d)].reason.startswith("waiting for box 2023-10-27 (failed")
        assert "HTTP 500 from stats.nba.com" in s[(t, d)].reason
    plan = make_plan(w.catalog, s, w.catalog.names(), UNIVERSE)
    assert [(p.table, p.dates, p.waiting) for p in plan.steps] == [
        ("box", (D[27],), ()),
        ("feat", (), (D[27], D[28], D[30])),
        ("pred", (), (D[27], D[28], D[30])),
    ]


def test_a_stat_correction_is_stale_over_the_windows_that_read_it() -> None:
    w = Example()
    fixed = _hex("box", D[25], "corrected")
    w.facts["box"][D[25]] = replace(w.facts["box"][D[25]], fingerprint=fixed)
    w.attempts[("box", D[25])] = replace(w.attempts[("box", D[25])], fingerprint=fixed)
    assert w.table("box") == by_day(d24="complete", d25="complete", d27="complete",
                                    d28="complete", d30="complete")
    # Oct 25 is in feat's windows of Oct 25 (bootstrap), 27 and 28, not of Oct 30
    assert w.table("feat") == by_day(d24="bootstrap", d25="bootstrap", d27="stale",
                                     d28="stale", d30="complete")
    assert w.table("pred") == by_day(d24="complete", d25="complete", d27="stale",
                                     d28="stale", d30="complete", d31="complete")
    s = w.derive()
    assert s[("feat", D[27])].reason == "an input partition changed since built"
    assert s[("pred", D[28])].root_cause == ("feat", D[28])
    assert s[("pred", D[28])].reason == "input feat 2023-10-28 changed; rebuilt after it"
    assert all(st_.status in READY_STATUSES for st_ in w.execute().values())


def test_a_code_change_makes_every_built_partition_of_the_table_stale() -> None:
    w = Example()
    bumped = Example(box_version="2")
    assert bumped.versions["box"] != w.versions["box"]
    assert bumped.versions["feat"] == w.versions["feat"]
    w.catalog, w.versions = bumped.catalog, bumped.versions
    assert w.table("box") == by_day(d24="stale", d25="stale", d27="stale", d28="stale",
                                    d30="stale")
    assert w.derive()[("box", D[24])].reason == "code changed since built"
    assert w.table("feat") == by_day(d24="bootstrap", d25="bootstrap", d27="stale",
                                     d28="stale", d30="stale")
    assert w.table(SCHED) == Example().table(SCHED)
    assert all(st_.status in READY_STATUSES for st_ in w.execute().values())


def test_a_code_change_names_the_modules_that_changed() -> None:
    w = Example()
    built = w.versions["box"]
    then = {"app.box": "b1", "app.lookback": "l1", "app.spec": "s1"}
    now = {"app.box": "b1", "app.lookback": "l2", "app.spec": "s1"}

    def derive_now(recorded, modules=now):
        return derive(
            w.catalog, w.calendar, w.universe, w.facts, w.attempts, holder=HOLDER,
            code_versions={**w.versions, "box": "new"}, code_modules={"box": modules},
            recorded_modules=recorded,
        )

    s = derive_now({built: then})
    assert s[("box", D[24])].status == "stale"
    assert s[("box", D[24])].reason == "code changed in app.lookback"
    assert s[("feat", D[27])].status == "stale"
    assert s[("feat", D[27])].reason == "input box 2023-10-27 changed; rebuilt after it"
    assert s[("pred", D[27])].status == "stale"
    # an import added or dropped is a change too; long lists are cut short
    wider = {**now, "app.rates": "r1", "app.conform": "c1", "app.box": "b2"}
    assert derive_now({built: then}, wider)[("box", D[24])].reason == (
        "code changed in app.box, app.conform, app.lookback and 1 more"
    )
    # a version the ledger holds no modules for (older ledgers) says no more than that
    assert derive_now({})[("box", D[24])].reason == "code changed since built"
    assert derive_now({built: now})[("box", D[24])].reason == "code changed since built"


def test_a_failed_gate_holds_back_downstream() -> None:
    w = Example()
    w.fail("box", D[28], "gate_failed", "2023-10-28: minutes_played NULL rate 0.99 > 0.05")
    s = w.derive()
    assert s[("box", D[28])].status == "gate_failed"
    assert s[("box", D[28])].reason == "2023-10-28: minutes_played NULL rate 0.99 > 0.05"
    assert w.table("feat") == by_day(d24="bootstrap", d25="bootstrap", d27="complete",
                                     d28="blocked", d30="blocked")
    assert s[("feat", D[30])].root_cause == ("box", D[28])


def test_fewer_games_than_the_schedule_is_partial() -> None:
    w = Example()
    w.fail("box", D[30], "success", games=1)
    s = w.derive()
    assert s[("box", D[30])].status == "partial"
    assert s[("box", D[30])].reason == "built 1 of 2 games"
    assert s[("feat", D[30])].status == "blocked"
    assert s[("pred", D[30])].root_cause == ("box", D[30])


def test_a_partition_leased_by_another_runner_is_running() -> None:
    w = Example()
    w.leases[("box", D[25])] = OTHER
    w.leases[("box", D[27])] = HOLDER
    assert w.table("box") == by_day(d24="complete", d25="running", d27="complete",
                                    d28="complete", d30="complete")
    s = w.derive()
    assert s[("box", D[25])].reason == f"leased by {OTHER}"
    # downstream waits for it, and nothing is planned behind another runner's lease
    assert s[("feat", D[27])].status == "blocked"
    assert s[("feat", D[27])].root_cause == ("box", D[25])
    assert make_plan(w.catalog, s, w.catalog.names(), UNIVERSE).steps == []


def test_an_attempt_left_running_without_a_lease_was_interrupted() -> None:
    w = Example()
    w.fail("box", D[24], "running", holder=OTHER, run_id="20240101T000000-abc123")
    s = w.derive()
    assert s[("box", D[24])].status == "failed"
    assert s[("box", D[24])].reason == (
        f"interrupted: runner {OTHER} stopped mid-write (run 20240101T000000-abc123)"
    )
    plan = make_plan(w.catalog, s, w.catalog.names(), UNIVERSE)
    assert plan.steps[0].table == "box" and plan.steps[0].dates == (D[24],)


def test_an_attempt_reported_interrupted_is_planned_as_one_left_running() -> None:
    """The ledger reports `interrupted` where its holder died; the planner does not care."""
    for leased in (False, True):
        left, cut = Example(), Example()
        for w, status in ((left, "running"), (cut, "interrupted")):
            w.fail("box", D[24], status, holder=OTHER, run_id="20240101T000000-abc123")
            if leased:  # a live lease still wins: someone is at work on it
                w.leases[("box", D[24])] = OTHER
        assert cut.derive() == left.derive()
        assert cut.derive()[("box", D[24])].status == ("running" if leased else "failed")


def test_a_season_window_stops_at_the_season_and_all_reaches_back_across_it() -> None:
    first, second = [date(2022, 10, 18), date(2023, 4, 9)], [date(2023, 10, 24), date(2023, 10, 25)]
    rows = [{"game_date": d, "season": season_of(d), "season_type": "regular", "scheduled": 1,
             "final": 1} for d in first + second]
    w = World(
        [
            TableSpec(SCHED, Phase.RAW, ("game_id",), build=_build, expectation=Expectation.ANY),
            TableSpec("box", Phase.RAW, ("game_id",), build=_build),
            TableSpec("form", Phase.PRECOMPUTE, ("game_id",), build=_build,
                      inputs=(Input("box", "season"),)),
            TableSpec("model", Phase.PREDICT, ("game_id",), build=_build,
                      inputs=(Input("box", "all"),)),
            TableSpec("recent", Phase.PRECOMPUTE, ("game_id",), build=_build,
                      inputs=(Input("box", 3),)),
        ],
        Calendar.from_rows(rows),
    )
    w.execute()
    last = date(2023, 4, 9)  # the last game day of 2022-23 is corrected
    w.facts["box"][last] = replace(w.facts["box"][last], fingerprint="2" * 16)
    w.attempts[("box", last)] = replace(w.attempts[("box", last)], fingerprint="2" * 16)
    s = w.derive()
    assert {d: s[("form", d)].status for d in first + second} == {
        first[0]: "complete", first[1]: "stale", second[0]: "complete", second[1]: "complete"
    }
    assert {d: s[("model", d)].status for d in first + second} == {
        first[0]: "complete", first[1]: "stale", second[0]: "stale", second[1]: "stale"
    }
    # a look-back of n game dates never crosses into the previous season either
    assert {d: s[("recent", d)].status for d in first + second} == {
        first[0]: "complete", first[1]: "stale", second[0]: "complete", second[1]: "complete"
    }


def test_a_schedule_code_change_is_stale_behind_the_schedule_downstream() -> None:
    w = Example()
    w.versions = dict(w.versions, sched="changed")
    s = w.derive()
    assert s[(SCHED, D[27])].status == "stale"
    assert s[("box", D[27])].status == "stale"  # built, and its input changed
    assert s[("box", D[27])].root_cause == (SCHED, D[27])


def test_a_failed_input_in_the_window_outranks_a_stale_one() -> None:
    outcomes = {}
    for failed, changed in [(27, 28), (28, 27)]:
        w = Example()
        w.fail("box", D[failed], "failed", "HTTP 500")
        w.facts["box"][D[changed]] = replace(w.facts["box"][D[changed]], fingerprint="1" * 16)
        st_ = w.derive()[("feat", D[30])]  # its window: Oct 27, 28, 30
        outcomes[failed] = (st_.status, st_.root_cause)
    assert outcomes == {27: ("blocked", ("box", D[27])), 28: ("blocked", ("box", D[28]))}
