"""Opening a home: the catalog, warehouse, ledger and executor wired together.

Writers open the warehouse for the whole run (DuckDB allows one process per file) and
mirror what they observe into the ledger. Readers write nothing: they open the ledger
and the warehouse read-only, hold the warehouse only while they read it, and when a
writer holds it they fall back to what the writer recorded in the ledger, and say so —
`status` must work in a second terminal mid-backfill, and must not get in its way.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from fullcourt import errors, warehouse
from fullcourt import settings as settings_mod
from fullcourt.catalog.calendar import Calendar
from fullcourt.catalog.graph import Catalog
from fullcourt.config import Home
from fullcourt.engine import observe
from fullcourt.engine.executor import Executor
from fullcourt.engine.holders import new_holder
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.planner import Facts, PartitionStatus, derive
from fullcourt.engine.progress import Progress
from fullcourt.warehouse.base import Warehouse

__all__ = ["READER_GRACE", "Runtime", "load_catalog", "open_reader", "open_writer"]

# A writer that finds the warehouse held by a reader (a `status` a moment earlier)
# waits this long for it before the `--wait` rules apply.
READER_GRACE = 10.0


def load_catalog(spec: str | None = None) -> tuple[Catalog, dict]:
    """The catalog named by `module:attribute` (env FULLCOURT_CATALOG), default the real one."""
    spec = spec or os.environ.get("FULLCOURT_CATALOG") or "fullcourt.pipeline:build_catalog"
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
class _Snapshot:
    facts: dict[str, dict[date, Facts]]
    calendar: Calendar
    note: str = ""  # why these facts are not the warehouse's own, when they are not


@dataclass
class Runtime:
    home: Home
    catalog: Catalog
    ledger: Ledger
    warehouse: Warehouse | None
    executor: Executor | None
    extras: dict
    busy_reason: str = ""
    settings: settings_mod.Settings | None = None
    _snapshot: _Snapshot | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.warehouse is not None:
            self.warehouse.close()
        self.ledger.close()

    @property
    def read_only(self) -> bool:
        return self.executor is None

    def _observed(self) -> _Snapshot:
        """A reader's view of the data, read once: from the warehouse when it can be opened
        read-only, else from the ledger's mirror (busy) or from nothing (file lost)."""
        if self._snapshot is None:
            mirror = Calendar.from_payload(self.ledger.load_calendar())
            try:
                wh = warehouse.open(self.home, self.settings, read_only=True)
            except errors.WarehouseMissing:
                self._snapshot = _Snapshot({}, mirror, (
                    f"warehouse {self.home.warehouse_path} is missing: every built partition "
                    "shows as a gap; `fullcourt heal` rebuilds it from the object store"))
            except errors.HomeBusy:
                runs = self.ledger.active_runs()
                who = f"run {runs[0]['run_id']} ({runs[0]['command']})" if runs else "another process"
                facts = {
                    t: {d: Facts(*v) for d, v in fs.items()}
                    for t, fs in self.ledger.load_facts().items()
                }
                self.busy_reason = f"warehouse busy: {who}; showing facts as last recorded by it"
                self._snapshot = _Snapshot(facts, mirror, self.busy_reason)
            else:
                try:
                    self._snapshot = _Snapshot(
                        observe.read_facts(wh, self.catalog),
                        observe.read_calendar(wh, self.catalog.schedule),
                    )
                finally:
                    wh.close()
        return self._snapshot

    @property
    def note(self) -> str:
        """What a reader should be told about where its facts came from ("" when the
        warehouse itself was read)."""
        return self._observed().note if self.read_only else ""

    def statuses(self, seasons: Iterable[str] = ()) -> dict[tuple[str, date], PartitionStatus]:
        if self.executor is not None:
            return self.executor.statuses(seasons)
        snap = self._observed()
        dates = observe.universe(snap.calendar, seasons, self.ledger.requested_seasons())
        return derive(
            self.catalog, snap.calendar, dates, snap.facts, self.ledger.latest(), self.ledger.leases(),
            recorded_modules=self.ledger.recorded_modules(),
        )

    def facts(self) -> dict[str, dict[date, Facts]]:
        """Rows, games and fingerprint per partition: the same facts `statuses` derives from
        (the warehouse's own, or the ledger's mirror when a writer holds it)."""
        if self.executor is not None:
            self.executor.statuses()  # observes the warehouse once, if not yet
            return dict(self.executor._facts or {})
        return self._observed().facts

    @property
    def calendar(self) -> Calendar:
        if self.executor is not None:
            return self.executor.calendar
        return self._observed().calendar

    def seasons(self) -> list[str]:
        """Every season the home knows: scheduled, or ever requested."""
        return sorted({*self.calendar.seasons(), *self.ledger.requested_seasons()})

    @contextmanager
    def reading(self) -> Iterator[Warehouse]:
        """The warehouse opened read-only for the length of one report's queries."""
        if self.warehouse is not None:
            yield self.warehouse
            return
        try:
            wh = warehouse.open(self.home, self.settings, read_only=True)
        except errors.HomeBusy as exc:
            raise errors.HomeBusy(f"{exc}; this report needs the warehouse itself") from None
        except errors.WarehouseMissing as exc:
            raise errors.HomeError(f"{exc}; run `fullcourt heal` to rebuild it") from None
        try:
            yield wh
        finally:
            wh.close()


def _wiring(home: Home, extras: dict, clock=None) -> dict:
    """Source clients and stores for this home; `clock` makes sources answer as of then."""
    factory = extras.get("wiring")
    if not factory:
        return {}
    return factory(home, clock=clock) if clock is not None else factory(home)


def _open_warehouse(
    home: Home, settings: settings_mod.Settings, ledger: Ledger, wait: float
) -> Warehouse:
    """The warehouse for writing. A reader holds it for a moment: wait for it; another
    runner holds it for a whole run: refuse at once unless asked to wait."""
    try:
        return warehouse.open(home, settings, wait=wait)
    except errors.HomeBusy:
        runs = ledger.active_runs()
        if runs and wait <= 0:
            run = runs[0]
            raise errors.HomeBusy(
                f"warehouse {home.warehouse_path} is held by run {run['run_id']} "
                f"({run['command']}, {run['holder']}); wait for it to finish or pass --wait "
                "(`fullcourt status` reads the ledger meanwhile)"
            ) from None
        return warehouse.open(home, settings, wait=max(wait, READER_GRACE))


def ledger_target(home: Home, settings: settings_mod.Settings) -> str | os.PathLike:
    """Where the home's ledger lives: `ledger.sqlite` in it, or the settings' file or URL."""
    return settings.ledger or home.ledger_path


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
    chosen = settings_mod.load(home)
    catalog, extras = load_catalog(catalog_spec)
    ledger = Ledger(ledger_target(home, chosen))
    try:
        wh = _open_warehouse(home, chosen, ledger, wait)
    except BaseException:
        ledger.close()
        raise
    wiring = _wiring(home, extras, clock)
    wiring.update(kwargs)
    ex = Executor(home, catalog, wh, ledger, new_holder(), progress=progress, **wiring)
    return Runtime(home, catalog, ledger, wh, ex, extras, settings=chosen)


def open_reader(
    home: Home, catalog_spec: str | None = None, loaded: tuple[Catalog, dict] | None = None
) -> Runtime:
    """The home as it is, for reports: nothing is opened for writing, nothing written.
    `loaded` is a catalog already loaded (a long-lived reader such as `web` loads it once)."""
    if not home.root.is_dir():
        raise errors.HomeError(f"no fullcourt home at {home.root}; run a backfill first or pass --home")
    chosen = settings_mod.load(home)
    target = ledger_target(home, chosen)
    if not chosen.ledger and not home.ledger_path.is_file():
        raise errors.HomeError(f"no fullcourt home at {home.root}; run a backfill first or pass --home")
    catalog, extras = loaded or load_catalog(catalog_spec)
    ledger = Ledger(target, read_only=True)
    return Runtime(home, catalog, ledger, None, None, extras, settings=chosen)
