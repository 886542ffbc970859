"""Pin the storage types of a processor's output to the types Ibis believes they have.

DuckDB widens `sum(BIGINT)` to HUGEINT and reads a literal like `0.44` as DECIMAL, while
Ibis types both results int64/float64 and drops a cast to a type it thinks the value
already has. Written as is, a warehouse table would hold DECIMAL(38,2) possessions and
HUGEINT tallies that every reader then has to convert. Casting through the non-nullable
variant of the type is a cast Ibis keeps, so the stored column is exactly BIGINT or
DOUBLE; the second cast restores nullability (NULL tallies stay NULL).
"""

from __future__ import annotations

import ibis.expr.datatypes as dt
import ibis.expr.types as ir

__all__ = ["conform"]


def conform(t: ir.Table) -> ir.Table:
    """`t` with every integer column stored as int64 and every floating column as float64."""
    pinned: dict[str, ir.Value] = {}
    for name, dtype in t.schema().items():
        if dtype.is_integer():
            pinned[name] = t[name].cast(dt.Int64(nullable=False)).cast(dt.int64)
        elif dtype.is_floating() or dtype.is_decimal():
            pinned[name] = t[name].cast(dt.Float64(nullable=False)).cast(dt.float64)
    return t.mutate(**pinned) if pinned else t
