"""A validated set of table specs: dependency order, levels, and code versions.

Validation happens when the catalog is built, not when a run reaches the table: an
unknown input, a cycle or a `build` that does not keep its step kind's contract
(`fullcourt.catalog.steps`) is a `CatalogError` naming the table, before anything is read or written.
"""

from __future__ import annotations

import graphlib
import hashlib
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property

from fullcourt import errors
from fullcourt.catalog import codehash, steps
from fullcourt.catalog.spec import Input, Phase, Step, TableSpec

__all__ = ["Catalog", "code_modules", "code_version"]


def code_modules(spec: TableSpec) -> dict[str, str]:
    """The first-party modules a table's build reaches, each with its code hash.

    See `fullcourt.catalog.codehash` for what is followed; a scrape (no build) has none.
    """
    module = getattr(spec.build, "__module__", None) if spec.build is not None else None
    return codehash.modules_of(module) if module else {}


def code_version(spec: TableSpec, modules: Mapping[str, str] | None = None) -> str:
    """Hash of what changes results: the table's name and spec version, and the code of
    every module its build reaches (`code_modules`), docstrings and comments aside."""
    parts = [spec.name, spec.version]
    if spec.build is not None:
        modules = code_modules(spec) if modules is None else modules
        parts.extend(f"{m}={h}" for m, h in sorted(modules.items()))
        if not modules:  # no readable source: the function's name is all there is
            parts.append(getattr(spec.build, "__qualname__", repr(spec.build)))
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).hexdigest()


class Catalog:
    """Table specs in dependency order.

    `schedule` names the table the calendar is derived from; every other table depends
    on its same-date partition implicitly (a date's expectations are unknown until the
    schedule for it is built), except the schedule's own phase-1 feed.
    """

    def __init__(self, specs: Iterable[TableSpec], schedule: str | None = "nbac_schedule"):
        specs = list(specs)
        names = [s.name for s in specs]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise errors.CatalogError(f"tables declared twice: {', '.join(sorted(dupes))}")
        self.schedule = schedule if schedule in names else None
        by_name = {s.name: s for s in specs}
        if self.schedule:
            sched_inputs = set(self._closure(by_name, self.schedule))
            for s in specs:
                if s.name not in sched_inputs and s.name != self.schedule and self.schedule not in s.input_names:
                    by_name[s.name] = replace(s, inputs=(*s.inputs, Input(self.schedule, 0)))
        for s in by_name.values():
            for i in s.inputs:
                if i.table not in by_name:
                    raise errors.CatalogError(f"table {s.name}: unknown input {i.table!r}")
            if (s.phase is Phase.SCRAPE) != (s.step is Step.FETCH):
                raise errors.CatalogError(f"table {s.name}: phase 1 tables, and only they, are fetch steps")
            if s.step is Step.PARSE and sum(by_name[i.table].step is Step.FETCH for i in s.inputs) != 1:
                raise errors.CatalogError(f"table {s.name}: a parse step reads exactly one fetched source")
            steps.check(s.name, s.step, s.build)
        self.specs: dict[str, TableSpec] = {n: by_name[n] for n in self._toposort(by_name)}

    @staticmethod
    def _closure(by_name: dict[str, TableSpec], name: str) -> list[str]:
        seen: list[str] = []
        stack = [name]
        while stack:
            n = stack.pop()
            if n in seen or n not in by_name:
                continue
            seen.append(n)
            stack.extend(by_name[n].input_names)
        return seen

    @staticmethod
    def _toposort(by_name: dict[str, TableSpec]) -> list[str]:
        """Dependencies first, then phase, then name: the order users see (status, plans)
        runs phase by phase wherever the dependencies allow."""
        graph = {n: {i for i in s.input_names if i != n} for n, s in by_name.items()}
        sorter = graphlib.TopologicalSorter(graph)
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            raise errors.CatalogError(f"dependency cycle: {' -> '.join(reversed(exc.args[1]))}") from None
        order: list[str] = []
        ready: list[tuple[int, str]] = []
        while sorter.is_active():
            for n in sorter.get_ready():
                heapq.heappush(ready, (by_name[n].phase.order, n))
            _, n = heapq.heappop(ready)
            order.append(n)
            sorter.done(n)
        return order

    def __getitem__(self, name: str) -> TableSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise errors.UnknownTable(
                f"unknown table {name!r}; see `fullcourt status` for the tables"
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self.specs

    def __iter__(self):
        return iter(self.specs.values())

    def names(self) -> list[str]:
        return list(self.specs)

    @cached_property
    def levels(self) -> dict[str, int]:
        """Longest path from a source: tables of one level never depend on each other."""
        lv: dict[str, int] = {}
        for n, s in self.specs.items():
            lv[n] = 1 + max((lv[i] for i in s.input_names if i != n), default=-1)
        return lv

    @cached_property
    def code_modules(self) -> dict[str, dict[str, str]]:
        """Per table, the modules its build reaches and each one's code hash."""
        return {n: code_modules(s) for n, s in self.specs.items()}

    @cached_property
    def code_versions(self) -> dict[str, str]:
        """Per table, one hash of its spec version and `code_modules`."""
        return {n: code_version(s, self.code_modules[n]) for n, s in self.specs.items()}

    def feed(self, name: str) -> str | None:
        """The fetch step a parse step reads its bodies from (None for other kinds)."""
        spec = self[name]
        if spec.step is not Step.PARSE:
            return None
        return next(i.table for i in spec.inputs if self.specs[i.table].step is Step.FETCH)

    def downstream(self, names: Iterable[str]) -> list[str]:
        want = set(names)
        for n, s in self.specs.items():
            if want & set(s.input_names):
                want.add(n)
        return [n for n in self.specs if n in want]

    def select(self, tables: Sequence[str] | None, phases: Sequence[Phase] | None) -> list[str]:
        chosen = [self[t].name for t in tables] if tables else list(self.specs)
        if phases:
            chosen = [n for n in chosen if self.specs[n].phase in phases]
        return chosen
