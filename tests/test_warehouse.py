"""The warehouse adapter: atomic partition replacement and facts from one grouped query."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import ibis
import pyarrow as pa
import pytest

from fullcourt.warehouse.duck import Warehouse

DAYS = [date(2023, 10, 24) + timedelta(days=i) for i in range(216)]


def rows(n: int, bump: int = 0) -> pa.Table:
    return pa.table({
        "game_id": [f"G{i % 500}" for i in range(n)],
        "game_date": [DAYS[i % len(DAYS)] for i in range(n)],
        "points": [i % 40 + bump for i in range(n)],
    })


def test_first_write_of_a_large_table_is_seen_by_facts_at_once(tmp_path):
    # More than two row groups, written into a table that did not exist yet.
    wh = Warehouse(tmp_path / "w.duckdb")
    assert wh.replace_partitions("t", DAYS, rows(300_000)) == 300_000
    facts = wh.facts("t", DAYS)
    assert len(facts) == len(DAYS)
    assert sum(f.rows for f in facts.values()) == 300_000


def test_replace_touches_only_the_given_dates_and_fingerprints_follow_content(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.replace_partitions("t", DAYS, rows(5_000))
    before = wh.facts("t")
    wh.replace_partitions("t", DAYS[:1], rows(5_000, bump=1))
    after = wh.facts("t")
    assert after[DAYS[0]].fingerprint != before[DAYS[0]].fingerprint
    assert {d: f for d, f in after.items() if d != DAYS[0]} == {
        d: f for d, f in before.items() if d != DAYS[0]
    }
    wh.replace_partitions("t", DAYS[:1], rows(5_000))
    assert wh.facts("t") == before


def test_a_failing_write_leaves_the_old_partition(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.replace_partitions("t", DAYS, rows(1_000))
    before = wh.facts("t")
    bad = ibis.memtable(rows(1_000)).mutate(points=ibis.literal("x").cast("int64"))
    with pytest.raises(duckdb.ConversionException):
        wh.replace_partitions("t", DAYS, bad)
    assert wh.facts("t") == before


def test_an_ibis_expression_with_in_memory_data_is_written(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    t = ibis.memtable(rows(100))
    assert wh.replace_partitions("t", DAYS[:3], t) == sum(1 for i in range(100) if i % 216 < 3)
    assert wh.has_table("t") and not any(n.startswith("ibis_") for n in wh.list_tables())


def test_a_query_compiled_once_serves_every_batch_with_its_own_dates(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    start = date(2024, 1, 1)
    wh.sql("CREATE TABLE t AS SELECT ?::DATE + i::INT AS game_date, i AS x FROM range(60) r(i)", [start])
    t = wh.table("t")

    def build(dates, reach):  # two date sets in one query, as a windowed input makes
        days = t.filter(t.game_date.isin(dates))
        back = t.filter(t.game_date.isin(reach)).aggregate(back=t.x.sum())
        return days.cross_join(back).select("game_date", "x", "back").order_by("game_date")

    batches = [
        ([start + timedelta(days=d) for d in ds], [start + timedelta(days=d) for d in rs])
        for ds, rs in (((5, 6), (1, 2, 3)), ((40,), (30, 31)), ((7, 8, 9), (7, 8, 9)), ((3,), ()))
        if ds
    ]
    for dates, reach in batches:
        expr = build(dates, reach or [start - timedelta(days=1)])
        fresh = wh.con.to_pyarrow(expr).to_pylist()  # Ibis compiling this very expression
        assert wh.execute(expr).to_pylist() == fresh
        assert [r["game_date"] for r in fresh] == sorted(dates)
    # one template for the two-set shape, one where both sets are the same set
    assert len(wh._compiled) == 2
    wh.close()


def test_a_query_over_the_memory_limit_is_one_line_naming_the_setting(tmp_path):
    from fullcourt import errors

    wide = Warehouse(tmp_path / "w.duckdb")
    wide.sql("CREATE TABLE t AS SELECT i, repeat('x', 50000) AS doc FROM range(2048) r(i)")
    wide.close()
    tight = Warehouse(tmp_path / "w.duckdb", memory="16MB")  # a vector of docs is 100 MB
    with pytest.raises(errors.EnvironmentFault) as caught:
        tight.sql("SELECT max(strlen(doc)) FROM t")
    message = str(caught.value)
    assert "\n" not in message and "16MB" in message and "FULLCOURT_WAREHOUSE_MEMORY" in message
    tight.close()
