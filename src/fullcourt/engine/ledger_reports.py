"""What the ledger says about runs, for operators: outcomes per run and table, and timings.

Kept beside `ledger` rather than in it: these are read-only reports over the same
SQLite file (a runs view, a pre-flight's estimate), not part of what a runner needs to
plan and record. Each is one grouped query, so a ledger of many runs answers quickly,
and each works on a read-only ledger while a run writes.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from fullcourt.engine.ledger import Ledger

__all__ = ["request_spans", "runs", "timings"]


def runs(ledger: Ledger, limit: int = 50) -> list[dict]:
    """The newest runs (`Ledger.runs`), each with, per table, its partitions by the outcome of their last
    attempt in the run (a batch narrowed after a failure retries most of its dates) and
    the span of its attempts (first start, last end)."""
    db = ledger.db
    rows = ledger.runs(limit)  # the ledger judges which holders died
    if not rows:
        return []
    ids = [r["run_id"] for r in rows]
    marks = ",".join("?" * len(ids))
    outcomes: dict[str, list[dict]] = {}
    for run_id, table, status, n in db.execute(
        "SELECT run_id, table_name, status, count(*) FROM attempts WHERE id IN"
        f" (SELECT max(id) FROM attempts WHERE run_id IN ({marks})"
        "  GROUP BY run_id, table_name, game_date)"
        " GROUP BY run_id, table_name, status", ids,
    ).fetchall():
        outcomes.setdefault(run_id, []).append({"table": table, "status": status, "partitions": n})
    spans: dict[str, dict[str, tuple[float, float | None]]] = {}
    for run_id, table, lo, hi in db.execute(
        "SELECT run_id, table_name, min(started_at), max(ended_at) FROM attempts"
        f" WHERE run_id IN ({marks}) GROUP BY run_id, table_name", ids,
    ).fetchall():
        spans.setdefault(run_id, {})[table] = (lo, hi)
    return [
        {**r, "attempts": outcomes.get(r["run_id"], []), "spans": spans.get(r["run_id"], {})}
        for r in rows
    ]


def request_spans(ledger: Ledger, run_id: str) -> list[tuple[str, date, date]]:
    """(season, first, last) of the dates a run was asked to cover."""
    try:
        rows = ledger.db.execute(
            "SELECT season, first_date, last_date FROM requests WHERE run_id = ?", (run_id,)
        ).fetchall()
    except sqlite3.OperationalError:  # a ledger written before requests were recorded
        return []
    return [(s, date.fromisoformat(a), date.fromisoformat(b)) for s, a, b in rows]


def timings(ledger: Ledger) -> dict[str, tuple[int, float]]:
    """Per table: (partitions, seconds) over every finished batch — a batch's dates share
    one query, so its time is spread evenly over them."""
    out: dict[str, tuple[int, float]] = {}
    for table, n, secs in ledger.db.execute(
        "SELECT table_name, sum(n), sum(secs) FROM (SELECT table_name, count(*) AS n,"
        " max(ended_at) - min(started_at) AS secs FROM attempts"
        " WHERE ended_at IS NOT NULL AND status != 'running'"
        " GROUP BY batch_id, table_name) GROUP BY table_name"
    ).fetchall():
        out[table] = (int(n or 0), float(secs or 0.0))
    return out
