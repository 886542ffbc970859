"""`fullcourt run`: tonight's games and history through the same plan-then-execute path.

Each tick does three things, in order:

1. **Fetch what may have changed upstream.** Scrapes of the last `recheck_days` game
   dates and today are fetched again: games end, late box scores arrive, a stat
   correction lands days later. An unchanged payload changes no fingerprint, so
   nothing downstream moves.
2. **React to events.** Every written partition is published on the bus; the tick
   plans the dates those events name, up to today, for every table. Events are hints:
   the planner decides, so a duplicate event costs one cheap plan.
3. **Sweep.** Every `sweep_every`, everything known is planned, and the gaps left are
   classified (new, old, large) and reported. A lost event therefore delays work until
   the next sweep and never drops it.

The clock is injected: production passes wall time, tests and demos a simulated clock
advanced day by day.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fullcourt.catalog.calendar import EASTERN, eastern_date, in_window
from fullcourt.catalog.spec import Phase
from fullcourt.engine import alerts as alerts_mod
from fullcourt.engine.events import Bus, Event
from fullcourt.engine.executor import Executor, Request, RunResult
from fullcourt.engine.ledger import Ledger
from fullcourt.warehouse.base import Warehouse

__all__ = ["Runner", "SimClock", "TickReport"]

class SimClock:
    """A clock the user advances: sources answer, and the runner plans, as of then."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, step: timedelta) -> None:
        # wall-clock arithmetic in Eastern time: 09:00 stays 09:00 across DST changes
        self.now = (self.now.astimezone(EASTERN) + step).astimezone(UTC)


@dataclass
class TickReport:
    at: datetime
    today: date
    written: int = 0
    failed: int = 0
    events: int = 0
    swept: bool = False
    gaps: int = 0
    alerts: list[str] = field(default_factory=list)
    interrupted: bool = False


class Runner:
    def __init__(
        self,
        executor: Executor,
        ledger: Ledger,
        bus: Bus,
        clock: Callable[[], datetime],
        *,
        sweep_every: timedelta = timedelta(hours=1),
        recheck_days: int = 3,
        consumer: str = "runner",
        old_after: timedelta = timedelta(days=2),
        large_at: int = 10,
        on_alert: Callable[[alerts_mod.AlertReport], None] | None = None,
        memory: alerts_mod.GapMemory | None = None,
    ):
        self.executor = executor
        self.catalog = executor.catalog
        self.ledger = ledger
        self.bus = bus
        self.clock = clock
        self.sweep_every = sweep_every
        self.recheck_days = recheck_days
        self.consumer = consumer
        self.old_after = old_after
        self.large_at = large_at
        self.on_alert = on_alert
        self.memory = memory
        self._last_sweep: datetime | None = None
        executor.on_written = self._publish

    # -- events ---------------------------------------------------------------------------

    def _publish(self, table: str, dates: Sequence[date], fps: Sequence[str | None], run_id: str) -> None:
        self.bus.publish(Event(table, tuple(dates), tuple(fps), run_id, self.clock()))

    # -- one tick -------------------------------------------------------------------------

    def tick(self, *, sweep: bool | None = None) -> TickReport:
        now = self.clock()
        today = eastern_date(now)
        report = TickReport(now, today)
        scrapes = [n for n in self.catalog.names() if self.catalog[n].phase is Phase.SCRAPE]
        builds = [n for n in self.catalog.names() if n not in scrapes]
        recent = _in_seasons(today - timedelta(days=i) for i in range(self.recheck_days, -1, -1))

        if scrapes and recent:
            # the schedule is rebuilt within the fetch, so the day's other sources are due
            feed = [self.catalog.schedule] if self.catalog.schedule in self.catalog else []
            self._run("run: fetch", scrapes + feed, recent, report, force=True)
        events = self.bus.poll(self.consumer, timeout=0.0)
        report.events = len(events)
        touched = {d for e in events for d in e.dates if d <= today} | set(recent)
        if touched and not self.executor.stopping:
            self._run("run: events", builds, _through(min(touched), today), report)
        self.bus.ack(self.consumer, events)

        due = self._last_sweep is None or now - self._last_sweep >= self.sweep_every
        if (sweep if sweep is not None else due) and not self.executor.stopping:
            self._sweep(today, report)
            self._last_sweep = now
        report.interrupted = self.executor.stopping
        return report

    def loop(
        self,
        warehouse: Warehouse,
        *,
        once: bool = False,
        stop_at: datetime | None = None,
        step: timedelta = timedelta(days=1),
        pause: timedelta = timedelta(minutes=15),
        on_tick: Callable[[TickReport], None] = lambda report: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Tick until `stop_at` (or once), letting go of the warehouse between ticks so a
        `backfill --wait` on the same home takes its turn. A `SimClock` is advanced by
        `step`; the wall clock is waited on for `pause`. The last tick always sweeps."""
        while True:
            warehouse.resume()
            self.executor.refresh()
            final = once or (stop_at is not None and self.clock() >= stop_at)
            report = self.tick(sweep=True if final else None)
            warehouse.suspend()
            on_tick(report)
            if final or report.interrupted:
                return
            if isinstance(self.clock, SimClock):
                self.clock.advance(step)
            else:
                sleep(pause.total_seconds())

    def _sweep(self, today: date, report: TickReport) -> None:
        seasons = self.executor.calendar.seasons()
        dates = [d for d in self.executor.universe() if d <= today]
        if not dates:
            return
        result = self._run("run: sweep", self.catalog.names(), dates, report)
        report.swept = True
        gaps = [s for s in result.statuses.values() if s.game_date <= today]
        report.gaps = sum(1 for g in gaps if g.is_gap)
        if self.memory is not None:
            alert = alerts_mod.review(
                gaps, self.memory, report.at, self.old_after, self.large_at,
                universe=[d for s in seasons for d in self.executor.calendar.game_dates(s)],
            )
            report.alerts = alert.lines()
            if alert.alerting and self.on_alert is not None:
                self.on_alert(alert)

    def _run(self, command: str, tables: list[str], dates: list[date], report: TickReport, force: bool = False) -> RunResult:
        result = self.executor.execute(command, Request(tuple(tables), tuple(dates), force))
        report.written += result.written
        report.failed += result.failed
        return result


def _in_seasons(days: Iterable[date]) -> list[date]:
    return sorted(d for d in days if in_window(d))


def _through(first: date, last: date) -> list[date]:
    return _in_seasons(first + timedelta(days=i) for i in range((last - first).days + 1))
