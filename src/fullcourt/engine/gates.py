"""Checking the gates a table declares (`catalog.gates`) on the dates just written.

Set-based: grouped queries give one number per gate and date, whatever the number of
dates — one query for all the gates that read rows one by one (checks, ranges, NULL
rates), one for each gate that groups or joins otherwise (unique keys, the schedule's
games); a date whose number is out of bounds fails with a message naming the table, the
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
    """Measure every gate on `dates` of `t`, whatever the number of dates: the gates that
    read rows one by one in one grouped query together, each other gate in its own."""
    t = t.filter(t.game_date.isin(list(dates)))
    rowwise: dict[str, tuple[Gate, ir.FloatingScalar]] = {}
    grouped: list[Gate] = []
    for i, gate in enumerate(gates):
        value = gate.per_date(t)
        if value is None:
            grouped.append(gate)
        else:
            rowwise[f"g{i}"] = (gate, value)
    measured: list[tuple[Gate, date, object]] = []
    if rowwise:
        rows = execute(t.group_by("game_date").aggregate(**{k: v for k, (_, v) in rowwise.items()}))
        measured += [(g, row["game_date"], row[k]) for row in rows for k, (g, _) in rowwise.items()]
    for gate in grouped:
        measured += [(gate, row["game_date"], row["value"]) for row in execute(gate.measure(t, keys, ctx))]
    return [
        GateFailure(gate.name, day, gate.describe(table, float(value)))
        for gate, day, value in measured
        if value is not None and gate.failed(float(value))
    ]
