"""Gates measured on the dates just written: the right dates fail, with the measured value."""

from __future__ import annotations

from datetime import date

import ibis
import pyarrow as pa

from fullcourt.catalog.gates import Check, NullRate, Range, Unique
from fullcourt.engine.gates import evaluate

D1, D2, D3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)


def _table():
    con = ibis.duckdb.connect()
    data = pa.table({
        "game_date": [D1, D1, D2, D2, D3],
        "game_id": ["a", "b", "c", "c", "e"],
        "status": ["active", "active", "active", "dnp", "dnp"],
        "minutes": [30.0, None, 80.0, None, None],
        "points": [10, 12, 7, 0, 0],
    })
    con.create_table("t", data)
    return con


GATES = (
    Unique(),
    Range("minutes", 0.0, 70.0),
    Check("points <= 60", lambda t: t.points <= 60),
    NullRate("minutes", 0.0, where=lambda t: t.status == "active", label="active players"),
)


def test_each_gate_fails_the_dates_it_measures_out_of_bounds_in_two_queries():
    con = _table()
    queries = []

    def execute(expr):
        queries.append(expr)
        return con.to_pyarrow(expr).to_pylist()

    failures = evaluate("t", con.table("t"), GATES, ("game_id",), [D1, D2, D3], {}, execute)
    got = sorted((f.game_date, f.gate, f.message) for f in failures)
    assert got == [
        (D1, "null_rate:minutes:active players",
         "t.minutes NULL rate 50.0% among active players outside [0.0%, 0.0%]"),
        (D2, "range:minutes", "1 rows of t.minutes outside [0.0, 70.0]"),
        (D2, "unique_keys", "1 duplicate key rows in t"),
    ]  # D3 has no active player: no NULL rate to measure, so no failure
    assert len(queries) == 2  # the three row-wise gates together, unique keys on its own


def test_only_the_dates_asked_for_are_measured():
    con = _table()
    failures = evaluate("t", con.table("t"), GATES, ("game_id",), [D3], {},
                        lambda e: con.to_pyarrow(e).to_pylist())
    assert failures == []
