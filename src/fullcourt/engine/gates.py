"""Checking the gates a table declares (`catalog.gates`) on the dates just written.

Set-based: one grouped query per gate gives one number per date, whatever the number of
dates; a date whose number is out of bounds fails with a message naming the table, the
date and the measured value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import ibis.expr.types as ir

from fullcourt.catalog.gates import Gate

__all__ = ["GateFailure", "evaluate"]


@dataclass(frozen=True)
class GateFailure:
    gate: str
    game_date: date
    message: str


def evaluate(
    table: str,
    t: ir.Table,
    gates: Sequence[Gate],
    keys: Sequence[str],
    dates: Sequence[date],
    ctx: Mapping[str, ir.Table],
    execute: Callable[[ir.Table], list[dict]],
) -> list[GateFailure]:
    """Measure every gate on `dates` of `t`: one query per gate, whatever the number of dates."""
    t = t.filter(t.game_date.isin(list(dates)))
    failures: list[GateFailure] = []
    for gate in gates:
        for row in execute(gate.measure(t, keys, ctx)):
            value = row["value"]
            if value is not None and gate.failed(float(value)):
                failures.append(
                    GateFailure(gate.name, row["game_date"], gate.describe(table, float(value)))
                )
    return failures

