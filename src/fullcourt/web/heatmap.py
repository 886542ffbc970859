"""The coverage heatmap: every table's partitions of one season as runs of one status.

Rows are tables grouped by phase, columns the season's partition dates, and each cell
the status the planner derived — nothing is re-decided here. Consecutive dates of one
status are merged into a span (a season is 273 dates; a complete table is a few dozen
spans broken only by off days), so the page stays small; the exact partition under the
pointer is looked up by date (`partition`), with its reason, root cause and attempts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fullcourt.catalog.calendar import Calendar
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Phase
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.planner import GAP_STATUSES, STATUSES, PartitionStatus

__all__ = ["heatmap", "partition"]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def heatmap(
    catalog: Catalog,
    calendar: Calendar,
    statuses: Mapping[tuple[str, date], PartitionStatus],
    season: str,
) -> dict[str, Any]:
    """Spans of equal status per table, tables grouped by phase, for `season`'s dates."""
    dates = calendar.dates(season)
    counts = dict.fromkeys(STATUSES, 0)
    phases = []
    for phase in Phase:
        rows = []
        for spec in (s for s in catalog if s.phase is phase):
            spans: list[dict[str, Any]] = []
            for i, d in enumerate(dates):
                st = statuses.get((spec.name, d))
                status = st.status if st is not None else "never_ran"
                counts[status] += 1
                if spans and spans[-1]["status"] == status:
                    spans[-1]["last"] = d.isoformat()
                    spans[-1]["n"] += 1
                else:
                    spans.append({"status": status, "first": d.isoformat(), "last": d.isoformat(),
                                  "n": 1, "start": i})
            gaps = sum(s["n"] for s in spans if s["status"] in GAP_STATUSES)
            rows.append({"table": spec.name, "spans": spans, "gaps": gaps})
        if rows:
            phases.append({"phase": phase.value, "label": phase.label, "tables": rows})
    return {
        "season": season,
        "dates": len(dates),
        "first": dates[0].isoformat() if dates else None,
        "last": dates[-1].isoformat() if dates else None,
        "months": _months(dates),
        "counts": {s: n for s, n in counts.items() if n},
        "phases": phases,
    }


def _months(dates: list[date]) -> list[dict[str, Any]]:
    """Where each month starts along the axis (index into the dates) and its label."""
    out = []
    for i, d in enumerate(dates):
        if i == 0 or d.day == 1:
            out.append({"start": i, "label": f"{_MONTHS[d.month - 1]} {d.year % 100:02d}"})
    return out


def partition(
    statuses: Mapping[tuple[str, date], PartitionStatus],
    ledger: Ledger,
    table: str,
    day: date,
    limit: int = 10,
) -> dict[str, Any]:
    """One partition: its status, reason and root cause, and its newest ledger attempts."""
    st = statuses.get((table, day))
    attempts = [
        {k: r[k] for k in ("run_id", "status", "rows", "games", "attempt", "error",
                           "code_version", "started_at", "ended_at")}
        for r in ledger.history(table, day, limit)
    ]
    return {
        "table": table,
        "game_date": day.isoformat(),
        "status": st.status if st else None,
        "reason": st.reason if st else "outside the seasons in view",
        "root_cause": (
            {"table": st.root_cause[0], "game_date": st.root_cause[1].isoformat()}
            if st and st.root_cause else None
        ),
        "attempts": attempts,
    }
