"""Declarative quality gates, declared with a table and checked right after a partition is written.

A gate is declared in a table's spec and measured set-based: one grouped query over all
the dates just written gives one number per date; a date whose number is out of bounds
fails the gate and is recorded `gate_failed` with a message naming table, date and the
measured value. The predecessor let `minutes_played` run 99.5% NULL for three seasons;
a `NullRate` gate turns that into a red line on the first night.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

__all__ = [
    "Check",
    "CoversSchedule",
    "Gate",
    "NullRate",
    "Range",
    "Unique",
]

Predicate = Callable[[ir.Table], ir.BooleanValue]


class Gate:
    """A measure per date and a bound on it."""

    name: str = "gate"

    def per_date(self, t: ir.Table) -> ir.FloatingScalar | None:
        """The measure as one aggregate over a date's rows of `t`, for a gate that reads
        each row on its own: the gates of a table that do are measured together, in one
        grouped query. None for a gate that groups or joins otherwise (`measure`)."""
        return None

    def measure(self, t: ir.Table, keys: Sequence[str], ctx: Mapping[str, ir.Table]) -> ir.Table:
        """Grouped expression with columns `game_date` and `value`, one row per date, for
        a gate whose `per_date` is None."""
        raise NotImplementedError

    def failed(self, value: float) -> bool:
        raise NotImplementedError

    def describe(self, table: str, value: float) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Unique(Gate):
    """No two rows share the table's key."""

    name: str = "unique_keys"

    def measure(self, t, keys, ctx):
        dup = t.group_by(["game_date", *(k for k in keys if k != "game_date")]).aggregate(n=t.count())
        dup = dup.filter(dup.n > 1)
        return dup.group_by("game_date").aggregate(value=(dup.n - 1).sum().cast("float64"))

    def failed(self, value):
        return value > 0

    def describe(self, table, value):
        return f"{int(value)} duplicate key rows in {table}"


@dataclass(frozen=True)
class NullRate(Gate):
    """The share of NULLs in `column` among rows matching `where` stays within bounds."""

    column: str
    max_rate: float
    min_rate: float = 0.0
    where: Predicate | None = None
    label: str = ""

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"null_rate:{self.column}" + (f":{self.label}" if self.label else "")

    def per_date(self, t):
        null = t[self.column].isnull().cast("float64")
        if self.where is not None:  # the mean among matching rows: NULL (no measure) if none
            null = ibis.ifelse(self.where(t).fill_null(False), null, ibis.null("float64"))
        return null.mean()

    def failed(self, value):
        return value > self.max_rate + 1e-12 or value < self.min_rate - 1e-12

    def describe(self, table, value):
        scope = f" among {self.label}" if self.label else ""
        return (
            f"{table}.{self.column} NULL rate {value:.1%}{scope} outside "
            f"[{self.min_rate:.1%}, {self.max_rate:.1%}]"
        )


@dataclass(frozen=True)
class Check(Gate):
    """Every row satisfies `predicate` (NULLs count as satisfying)."""

    label: str
    predicate: Predicate

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"check:{self.label}"

    def per_date(self, t):
        bad = (~self.predicate(t)).fill_null(False).cast("int64")
        return bad.sum().cast("float64")

    def failed(self, value):
        return value > 0

    def describe(self, table, value):
        return f"{int(value)} rows of {table} violate {self.label}"


@dataclass(frozen=True)
class Range(Gate):
    column: str
    lo: float
    hi: float

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"range:{self.column}"

    def per_date(self, t):
        c = t[self.column]
        bad = ((c < self.lo) | (c > self.hi)).fill_null(False).cast("int64")
        return bad.sum().cast("float64")

    def failed(self, value):
        return value > 0

    def describe(self, table, value):
        return f"{int(value)} rows of {table}.{self.column} outside [{self.lo}, {self.hi}]"


@dataclass(frozen=True)
class CoversSchedule(Gate):
    """Distinct games per date equal the schedule's final games of the season types covered."""

    schedule: str = "nbac_schedule"
    season_types: frozenset[str] = frozenset({"regular", "play_in", "playoffs"})
    name: str = "covers_schedule"

    def measure(self, t, keys, ctx):
        s = ctx[self.schedule]
        s = s.filter((s.status == "final") & s.season_type.isin(list(self.season_types)))
        want = s.group_by("game_date").aggregate(want=s.game_id.nunique())
        have = t.group_by("game_date").aggregate(have=t.game_id.nunique())
        j = have.join(want, "game_date", how="left")
        return j.select(
            "game_date", value=(j.want.fill_null(0) - j.have).abs().cast("float64")
        )

    def failed(self, value):
        return value > 0

    def describe(self, table, value):
        return f"{table} games differ from the schedule's final games by {int(value)}"
