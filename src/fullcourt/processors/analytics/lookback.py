"""Joining each row to what was known strictly before its game date.

Point-in-time context and every rolling feature are the same join: a target (a player
or team on a game date) meets the latest history row of the same key *dated before* the
target's date. History rows carry windowed aggregates computed "through this game"
(`rows=(-(n-1), 0)`), so the latest row before the target holds the last-n form exactly
as it stood before tip-off, whether the target game is final or still scheduled, and
whether the batch holds one date or a whole season. A player or team plays at most once
per date, so "dated before" is "earlier games only"; the target's own game never enters.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.calendar import SEASON_TURNS

__all__ = ["attach", "latest_before", "season_of"]


def latest_before(
    targets: ir.Table, history: ir.Table, by: Sequence[str], date: str = "game_date"
) -> ir.Table:
    """Every target row with the columns of the last `history` row of the same `by` keys
    dated strictly before the target's `date` (NULLs when there is none).

    `history` must hold `by`, `date` and the columns to carry, none of which may clash
    with the target's other columns.
    """
    h = history.rename({"_h_date": date})
    t = targets.mutate(_before=targets[date] - ibis.interval(days=1))
    j = t.asof_join(h, on=t._before >= h._h_date, predicates=[t[k] == h[k] for k in by])
    drop = ["_before", "_h_date", *(f"{k}_right" for k in by)]
    return j.drop(*(c for c in drop if c in j.columns))


def season_of(d: ir.DateValue) -> ir.StringValue:
    """`catalog.calendar.season_of` as an expression, for tables that carry no season."""
    start = ibis.ifelse(d.month() >= SEASON_TURNS, d.year(), d.year() - 1)
    nxt = ((start + 1) % 100).cast("string").lpad(2, "0")
    return start.cast("string") + "-" + nxt


def attach(left: ir.Table, right: ir.Table, keys: Sequence[str]) -> ir.Table:
    """`left` with the other columns of its matching `right` row (NULLs when none).

    `right` must be unique on `keys`, so `left` keeps exactly its rows.
    """
    j = left.left_join(right, list(keys))
    return j.drop(*(f"{k}_right" for k in keys if f"{k}_right" in j.columns))
