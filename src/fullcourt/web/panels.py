"""The runs, gaps and alerts panels: plain values from the ledger and the planner.

Runs come from the ledger alone (the run table and one grouped query over attempts),
so they read the same while a backfill writes. A run in flight reports what it has
finished, how fast, and an estimate of what is left: the gaps the planner sees today in
the dates the run was asked to cover — an upper bound, since a run asked for some
phases only leaves the others' gaps alone. Alerts are the same classification a `run`
sweep makes (`engine.alerts.classify`) over today's gaps and the first-seen times the
sweeps remembered, recomputed here without writing the memory.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from fullcourt.catalog.graph import Catalog
from fullcourt.config import Home
from fullcourt.engine import alerts, ledger_reports
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.planner import PartitionStatus

__all__ = ["alert_report", "gap_rows", "runs"]

_WRITTEN = ("success", "gate_failed", "unavailable")


def runs(
    catalog: Catalog,
    ledger: Ledger,
    statuses: Mapping[tuple[str, date], PartitionStatus] | None = None,
    limit: int = 50,
    now: float | None = None,
) -> dict[str, Any]:
    """The newest runs with seconds and partitions per phase; the live ones with progress."""
    now = time.time() if now is None else now
    live = {r["run_id"] for r in ledger.active_runs()}
    out = []
    for r in ledger_reports.runs(ledger, limit):
        phases: dict[str, dict[str, Any]] = {}
        for a in r["attempts"]:
            p = _phase_of(phases, catalog, a["table"])
            if a["status"] in _WRITTEN:
                p["written"] += a["partitions"]
            elif a["status"] == "failed":
                p["failed"] += a["partitions"]
            elif a["status"] == "running":
                p["running"] += a["partitions"]
        for table, (lo, hi) in r["spans"].items():
            p = _phase_of(phases, catalog, table)
            p["start"] = lo if p["start"] is None else min(p["start"], lo)
            if hi is not None:
                p["end"] = hi if p["end"] is None else max(p["end"], hi)
        ordered = sorted(phases.values(), key=lambda p: _phase_order(p["phase"]))
        for p in ordered:
            start, end = p.pop("start"), p.pop("end")
            p["seconds"] = round((end or now) - start, 2) if start is not None else None
        running = r["run_id"] in live
        ended = r["ended_at"] or (now if running else None)
        row = {
            "run_id": r["run_id"], "command": r["command"], "holder": r["holder"],
            "status": "running" if running else r["status"],
            "started_at": _iso(r["started_at"]), "ended_at": _iso(r["ended_at"]),
            "seconds": round(ended - r["started_at"], 1) if ended and r["started_at"] else None,
            "written": sum(p["written"] for p in ordered),
            "failed": sum(p["failed"] for p in ordered),
            "phases": ordered,
        }
        if running:
            row["progress"] = _progress(ledger, r, row, statuses or {}, now)
        out.append(row)
    return {"runs": out, "active": [r for r in out if r["status"] == "running"]}


def _phase_of(phases: dict[str, dict[str, Any]], catalog: Catalog, table: str) -> dict[str, Any]:
    value = catalog[table].phase.value if table in catalog else "?"
    return phases.setdefault(value, {"phase": value, "written": 0, "failed": 0, "running": 0,
                                     "start": None, "end": None})


def _progress(ledger: Ledger, run: dict, row: dict, statuses, now: float) -> dict[str, Any]:
    done = row["written"] + row["failed"]
    elapsed = max(now - (run["started_at"] or now), 1e-9)
    spans = ledger_reports.request_spans(ledger, run["run_id"])
    left = sum(
        1 for (_, d), st in statuses.items()
        if st.is_gap and any(lo <= d <= hi for _, lo, hi in spans)
    )
    rate = done / elapsed
    return {
        "done": done,
        "remaining_estimate": left,
        "rate_per_second": round(rate, 2),
        "eta_seconds": round(left / rate) if rate > 0 and left else (0 if not left else None),
        "percent": round(100.0 * done / (done + left), 1) if done + left else 100.0,
    }


def _phase_order(value: str) -> tuple[int, str]:
    order = ["1", "2", "3", "4", "5", "5B", "6"]
    return (order.index(value) if value in order else 99, value)


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def gap_rows(
    catalog: Catalog,
    statuses: Mapping[tuple[str, date], PartitionStatus],
    table: str | None = None,
    status: str | None = None,
    season_of=None,
    season: str | None = None,
) -> list[dict[str, Any]]:
    """Every gap, in dependency order then date, with its root cause — `gaps --json` rows."""
    found = sorted(
        (s for s in statuses.values() if s.is_gap
         and (not table or s.table == table) and (not status or s.status == status)
         and (not season or season_of(s.game_date) == season)),
        key=lambda s: (catalog.levels.get(s.table, 0), s.table, s.game_date),
    )
    return [
        {
            "table": s.table, "phase": catalog[s.table].phase.value, "game_date": s.game_date.isoformat(),
            "season": season_of(s.game_date) if season_of else None, "status": s.status,
            "reason": s.reason,
            "root_cause": (
                {"table": s.root_cause[0], "game_date": s.root_cause[1].isoformat()}
                if s.root_cause else None
            ),
        }
        for s in found
    ]


def alert_report(home: Home, statuses: Mapping[tuple[str, date], PartitionStatus],
                 game_dates: list[date], now: datetime | None = None) -> dict[str, Any]:
    """The `run` sweep's alert classification of today's gaps, from its remembered first
    sightings (nothing when no sweep ran in this home). Thresholds are the runner's."""
    from fullcourt.engine.runner import Runner

    memory = alerts.GapMemory.in_home(home)
    if not memory.path.is_file():
        return {"swept": False, "lines": [], "note": "no `fullcourt run` sweep has run in this home"}
    defaults = Runner.__init__.__kwdefaults__ or {}
    now = now or datetime.now(UTC)
    today = now.date()
    report = alerts.classify(
        [s for s in statuses.values() if s.game_date <= today], memory.load(), now,
        defaults.get("old_after"), defaults.get("large_at"), universe=game_dates,
    )
    return {"swept": True, **report.to_json(), "lines": report.lines()}
