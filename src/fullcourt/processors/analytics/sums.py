"""Sums, means and deviations whose result does not depend on the order rows are added in.

Floating-point addition is not associative, and DuckDB adds the rows of a group or a
window frame in an order nobody fixes: parallel hash aggregation splits a group across
threads, and a window's segment tree is shaped by the size of its partition, so the
same season-to-date mean came out one way from a one-shot build and another (in the
last bit) from a build in monthly chunks — and a fingerprint would then depend on how a
build was batched. Integer addition is exact, so every aggregate here adds integers:

- counts (points, attempts, games) are summed as they are;
- measured quantities (minutes, usage, pace, profit) are first put on a fixed grid of
  `GRID` units per one (`fixed`), an integer that depends on the row alone. Stored
  floats carry 9 decimals, so a stored value lands on the grid exactly; a value computed
  on the fly is rounded there, 1e-9 being far below any meaningful precision.

A mean or a ratio of exact sums is then one division, the same bits whatever the order.
Every function returns an expression built from reductions, usable in `aggregate` or
with `.over(window)`; like the plain reductions, each skips NULLs, and a mean or
deviation of no values is NULL.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from fullcourt.processors.analytics.rates import ratio

__all__ = ["GRID", "fixed", "mean", "std", "total"]

GRID = 10**9


def fixed(x: ir.NumericValue) -> ir.IntegerValue:
    """`x` as an integer number of 1/GRID units (NULL for NULL, NaN or infinity);
    integers are returned as they are."""
    if x.type().is_integer():
        return x
    v = x.cast("float64")
    return ibis.ifelse(
        v.isnan() | v.isinf(), ibis.null("int64"), (v * GRID).round().cast("int64")
    )


def total(x: ir.NumericValue) -> ir.FloatingValue:
    """The sum of `x` (NULL when there are no values)."""
    s = fixed(x).sum().cast("float64")
    return s if x.type().is_integer() else s / GRID


def mean(x: ir.NumericValue) -> ir.FloatingValue:
    """The mean of `x`; booleans count as 0/1."""
    if x.type().is_boolean():
        x = x.cast("int64")
    f = fixed(x)
    return ratio(f.sum(), f.count() if x.type().is_integer() else f.count() * GRID)


def std(x: ir.IntegerValue) -> ir.FloatingValue:
    """The sample standard deviation of integers (NULL for fewer than two values), from
    exact integer moments: sqrt((n * sum(x^2) - sum(x)^2) / (n * (n - 1)))."""
    if not x.type().is_integer():
        raise TypeError(f"std of integers only, not {x.type()}")
    n = x.count()
    return ratio(n * (x * x).sum() - x.sum() * x.sum(), n * (n - 1)).sqrt()
