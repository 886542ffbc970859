"""What fullcourt shows a person: the two consoles, progress bars, plans and run results.

Only this module and `cli.py` import rich; the engine reports through the `Progress`
interface (`engine.progress`) and returns plain values, which are drawn here.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from fullcourt.engine.executor import RunResult
from fullcourt.engine.planner import PartitionStatus, Plan

__all__ = ["RichProgress", "err", "out", "print_json", "render_plan", "report_run"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _Rate(ProgressColumn):
    """Partitions per second, as rich measures it over the task's recent progress."""

    def render(self, task: Task) -> Text:
        return Text("" if task.speed is None else f"{task.speed:,.0f} part/s")


class RichProgress:
    """The engine's Progress, drawn as one bar per phase with rate and ETA."""

    def __init__(self, enabled: bool = True):
        self._bar = Progress(
            TextColumn("[bold]{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.stop()

    def start(self, key: str, label: str, total: int) -> None:
        self._tasks[key] = self._bar.add_task(label, total=max(total, 1))

    def advance(self, key: str, n: int = 1) -> None:
        task = self._tasks.get(key)
        if task is not None:
            self._bar.advance(task, n)

    def finish(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None:
            done = max(next(t.completed for t in self._bar.tasks if t.id == task), 1)
            self._bar.update(task, total=done, completed=done)

    def log(self, message: str) -> None:
        err.print(f"[dim]{escape(message)}[/]", markup=True, highlight=False)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def render_plan(plan: Plan, held: int) -> None:
    table = Table(title=f"plan: {plan.partitions} partitions (dry run, nothing written)")
    for col in ("phase", "table", "partitions", "ready now", "first", "last"):
        table.add_column(col)
    for row in plan.to_json():
        table.add_row(row["phase"], row["table"], str(row["dates"]), str(row["ready"]),
                      row["first"], row["last"])
    out.print(table)
    if held:
        out.print(f"{held} partitions are blocked by inputs outside this request "
                  "(`fullcourt gaps` names the root causes)")


def report_run(result: RunResult, gaps: list[PartitionStatus], as_json: bool) -> None:
    by_status = Counter(g.status for g in gaps)
    if as_json:
        print_json({
            "run_id": result.run_id,
            "written": result.written,
            "failed": result.failed,
            "gate_failed": result.gate_failed,
            "interrupted": result.interrupted,
            "gaps": len(gaps),
            "gaps_by_status": dict(by_status),
            "seconds_by_phase": {k: round(v, 3) for k, v in result.seconds_by_phase.items()},
        })
        return
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds_by_phase.items())
    out.print(f"run {result.run_id}: {result.written} partitions written"
              + (f" ({phases})" if phases else ""))
    if result.interrupted:
        out.print("[yellow]interrupted: run the same command again to resume[/]")
    if gaps:
        summary = ", ".join(f"{n} {s}" for s, n in by_status.most_common())
        out.print(f"[red]{len(gaps)} gaps left[/]: {summary} (`fullcourt gaps` for reasons)")
    else:
        out.print("[green]no gaps[/]")
