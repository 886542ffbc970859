"""The planner's promises, checked on random catalogs, calendars and ledgers.

`derive` is the only code that decides what is missing, so its guarantees are stated
here as properties over random inputs rather than a handful of hand-picked cases: one
status per partition, nothing `complete` over a gap, `blocked` always names a root
cause that is itself the thing to fix, and a perfect executor that follows the plan
ends with no gaps at all. Literal examples at the end pin the wording operators read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta

import pytest
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

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

Key = tuple[str, date]


def _build(inputs, dates):  # the planner never calls it; a catalog requires one
    raise AssertionError("the planner must not build")


def _hex(*parts: object) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).hexdigest()


# -- generated inputs --------------------------------------------------------------------

windows = st.one_of(st.just(0), st.integers(1, 5), st.sampled_from(["season", "all"]))


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
    first = draw(st.integers(0, len(SEASONS) - 1))
    count = draw(st.integers(1, len(SEASONS) - first))
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
        self.calendar = calendar
        self.universe = universe_of(calendar)
        self.facts: dict[str, dict[date, Facts]] = {}
        self.attempts: dict[Key, Attempt] = {}
        self.leases: dict[Key, str] = {}
        self.runs = 0

    def derive(self) -> dict[Key, PartitionStatus]:
        return derive(
            self.catalog, self.calendar, self.universe, self.facts, self.attempts,
            self.leases, holder=HOLDER,
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
            code_version=self.catalog.code_versions[st_.table], error=None, holder=HOLDER,
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
