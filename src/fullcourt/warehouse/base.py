"""What the engine asks of a warehouse, whatever engine is behind it.

The executor, the planner's observers, the runtime and the reports speak only this
interface; `warehouse.duck` (DuckDB, the embedded default) and `warehouse.spark`
(PySpark through Ibis, `local[N]` or any Spark master) implement it. Processors never
see it: they receive Ibis table expressions and return one, so the same transforms run
on every engine.

`replace_partitions` is the only write of data, and it is atomic per partition: after a
crash at any moment every (table, game_date) holds its old rows or its new rows, never a
mix. `facts` measures rows, games and a content fingerprint per date in one grouped
query per table; fingerprints are comparable only within one engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Protocol, runtime_checkable

import ibis.expr.types as ir
import pyarrow as pa

from fullcourt.warehouse.facts import Facts

__all__ = ["Warehouse"]


@runtime_checkable
class Warehouse(Protocol):
    """Tables partitioned by `game_date`, read as Ibis expressions, replaced by dates."""

    read_only: bool
    query_seconds: float  # time spent in the engine (read by benchmarks)
    # Whether a second process may write the same warehouse at the same time (then
    # leases, not a file lock, keep runners apart).
    shared: bool

    def has_table(self, name: str) -> bool: ...

    def list_tables(self) -> set[str]: ...

    def table(self, name: str) -> ir.Table: ...

    def execute(self, expr: ir.Table) -> pa.Table: ...

    def rows(self, expr: ir.Table) -> list[dict]: ...

    def partition_rows(
        self, table: str, dates: Sequence[date], columns: Sequence[str]
    ) -> list[tuple]:
        """`columns` of the rows of `table` on `dates` (what exports write out)."""
        ...

    def ensure_table(self, name: str, schema: Mapping[str, str]) -> None: ...

    def facts(self, table: str, dates: Iterable[date] | None = None) -> dict[date, Facts]: ...

    def replace_partitions(
        self, table: str, dates: Sequence[date], expr: ir.Table | pa.Table
    ) -> int: ...

    def suspend(self) -> None: ...

    def resume(self, wait: float = 3600.0) -> None: ...

    def close(self) -> None: ...
