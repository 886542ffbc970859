"""Opening a home: the catalog, warehouse, ledger and executor wired together.

Writers open the warehouse for the whole run (DuckDB allows one process per file).
Readers that find it busy fall back to what the runner recorded in the ledger, and say
so, instead of failing: `status` must work in a second terminal mid-backfill.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from fullcourt import errors
from fullcourt.catalog.calendar import Calendar, season_dates
from fullcourt.catalog.graph import Catalog
from fullcourt.config import Home
from fullcourt.engine.executor import Executor
from fullcourt.engine.ledger import Ledger, new_holder
from fullcourt.engine.planner import Facts, PartitionStatus, derive
from fullcourt.engine.progress import Progress
from fullcourt.warehouse.duck import Warehouse

__all__ = ["Runtime", "load_catalog", "open_reader", "open_writer"]


def load_catalog(spec: str | None = None) -> tuple[Catalog, dict]:
    """The catalog named by `module:attribute` (env FULLCOURT_CATALOG), default the real one."""
    spec = spec or os.environ.get("FULLCOURT_CATALOG") or "fullcourt.catalog.tables:build_catalog"
    module, _, attr = spec.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr or "build_catalog")
    except (ImportError, AttributeError) as exc:
        raise errors.CatalogError(f"cannot load catalog {spec!r}: {exc}") from exc
    built = obj() if callable(obj) else obj
    if isinstance(built, tuple):
        return built
    return built, {}


@dataclass
class Runtime:
    home: Home
    catalog: Catalog
    ledger: Ledger
    warehouse: Warehouse | None
    executor: Executor | None
    extras: dict
    busy_reason: str = ""

    def close(self) -> None:
        if self.warehouse is not None:
            self.warehouse.close()
        self.ledger.close()

    def statuses(self, seasons: Iterable[str] = ()) -> dict[tuple[str, date], PartitionStatus]:
        if self.executor is not None:
            return self.executor.statuses(seasons)
        # warehouse busy: plan from what the runner recorded
        cal = Calendar.from_payload(self.ledger.load_calendar())
        facts = {
            t: {d: Facts(*v) for d, v in fs.items()} for t, fs in self.ledger.load_facts().items()
        }
        universe: set[date] = set()
        for s in {*seasons, *cal.seasons()}:
            universe.update(season_dates(s))
        return derive(
            self.catalog, cal, sorted(universe), facts, self.ledger.latest(), self.ledger.leases(),
            recorded_modules=self.ledger.recorded_modules(),
        )

    @property
    def calendar(self) -> Calendar:
        if self.executor is not None:
            return self.executor.calendar
        return Calendar.from_payload(self.ledger.load_calendar())


def _wiring(home: Home, extras: dict, clock=None) -> dict:
    """Source clients and stores for this home; `clock` makes sources answer as of then."""
    factory = extras.get("wiring")
    if not factory:
        return {}
    return factory(home, clock=clock) if clock is not None else factory(home)


def open_writer(
    home: Home,
    catalog_spec: str | None = None,
    progress: Progress | None = None,
    clock=None,
    wait: float = 0.0,
    **kwargs,
) -> Runtime:
    """Everything a run needs; `wait` seconds for another runner to let go of the warehouse."""
    home.ensure()
    catalog, extras = load_catalog(catalog_spec)
    ledger = Ledger(home.ledger_path)
    wh = Warehouse(home.warehouse_path, wait=wait)
    wiring = _wiring(home, extras, clock)
    wiring.update(kwargs)
    ex = Executor(home, catalog, wh, ledger, new_holder(), progress=progress, **wiring)
    return Runtime(home, catalog, ledger, wh, ex, extras)


def open_reader(home: Home, catalog_spec: str | None = None) -> Runtime:
    if not home.root.exists():
        raise errors.HomeError(f"no fullcourt home at {home.root}; run a backfill first or pass --home")
    catalog, extras = load_catalog(catalog_spec)
    ledger = Ledger(home.ledger_path)
    try:
        wh = Warehouse(home.warehouse_path)
    except errors.HomeBusy:
        runs = ledger.active_runs()
        who = f"run {runs[0]['run_id']} ({runs[0]['command']})" if runs else "another process"
        return Runtime(home, catalog, ledger, None, None, extras,
                       busy_reason=f"warehouse busy: {who}; showing facts as last recorded by it")
    # a reader plans and reports; it never fetches, so no source clients are built
    ex = Executor(home, catalog, wh, ledger, new_holder())
    return Runtime(home, catalog, ledger, wh, ex, extras)
