"""What the data holds, and which dates are in view.

Writers and readers observe the warehouse the same way — facts per partition in one
grouped query per table, the calendar in one grouped query over the schedule — so a
`status` in a second terminal and the planner inside a backfill see the same truth.
Which dates are planned is decided here once: the seasons asked for, every earlier one
the home knows, and every season ever requested of it (so a season whose schedule never
arrived, or whose warehouse file was lost, shows as gaps rather than as nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from fullcourt.catalog.calendar import Calendar
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Phase
from fullcourt.engine.planner import Facts
from fullcourt.warehouse.base import Warehouse

__all__ = ["read_calendar", "read_facts", "universe"]


def read_facts(wh: Warehouse, catalog: Catalog) -> dict[str, dict[date, Facts]]:
    """Rows, games and fingerprint of every partition of every built table."""
    out: dict[str, dict[date, Facts]] = {}
    for name in catalog.names():
        if catalog[name].phase is Phase.SCRAPE:
            continue
        out[name] = wh.facts(name)
    return out


def read_calendar(wh: Warehouse, schedule: str | None) -> Calendar:
    """Game days per season, from the schedule table as built (empty before it is)."""
    if not schedule or not wh.has_table(schedule):
        return Calendar({})
    t = wh.table(schedule)
    counts = t.group_by(["game_date", "season", "season_type"]).aggregate(
        scheduled=t.count(), final=(t.status == "final").cast("int64").sum()
    )
    return Calendar.from_rows(wh.rows(counts))


def universe(calendar: Calendar, asked: Iterable[str] = (), remembered: Iterable[str] = ()) -> list[date]:
    """The dates to plan: the seasons asked for and every earlier known one (windows only
    look back, so a later season cannot change an earlier partition's status); with
    nothing asked, every season the schedule or the request history knows."""
    asked = {s for s in asked if s}
    known = set(calendar.seasons()) | set(remembered)
    chosen = asked | ({s for s in known if s <= max(asked)} if asked else known)
    out: set[date] = set()
    for s in chosen:
        out.update(calendar.dates(s))
    return sorted(out)
