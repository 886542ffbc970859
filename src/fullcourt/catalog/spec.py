"""What a table is: its phase, inputs and how far back each reaches, keys, expectation, gates.

A spec is plain frozen data. Each processor module declares its own `SPEC` next to
its `build` function, so the transform and the promises made about its output are
read together; `fullcourt.pipeline` collects them and validates the graph.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from fullcourt.catalog.steps import Step

__all__ = ["Expectation", "Input", "Phase", "SEASON_TYPES", "Step", "TableSpec", "Window"]

SEASON_TYPES = frozenset({"regular", "play_in", "playoffs"})


class Phase(enum.Enum):
    """Pipeline phases in execution order; the value is what users type (`--phases 2-6`)."""

    SCRAPE = "1"
    RAW = "2"
    ANALYTICS = "3"
    PRECOMPUTE = "4"
    PREDICT = "5"
    GRADE = "5B"
    EXPORT = "6"

    @property
    def order(self) -> int:
        return list(Phase).index(self)

    @property
    def label(self) -> str:
        return f"{self.value} {self.name.lower()}"

    @classmethod
    def parse(cls, text: str) -> Phase:
        for phase in cls:
            if phase.value.lower() == text.strip().lower() or phase.name.lower() == text.strip().lower():
                return phase
        from fullcourt.errors import UnknownPhase

        raise UnknownPhase(f"unknown phase {text!r}; phases are {', '.join(p.value for p in cls)}")


# How far back an input reaches, counted in game dates of the calendar:
#   0         the same game date only
#   n > 0     the same date and the n previous game dates of the same season
#   "season"  every game date of the same season up to and including this one
#   "all"     every earlier game date of every season (walk-forward training)
Window = int | Literal["season", "all"]


@dataclass(frozen=True)
class Input:
    table: str
    window: Window = 0


class Expectation(enum.Enum):
    """What the schedule implies a partition must hold on a date with final games."""

    GAMES = "games"  # one or more rows for every final game of the date
    ROWS = "rows"  # at least one row
    ANY = "any"  # zero rows is legitimate (e.g. no prop lines that day)


@dataclass(frozen=True)
class TableSpec:
    name: str
    phase: Phase
    keys: tuple[str, ...]
    build: Callable[..., Any] | None = None
    inputs: tuple[Input, ...] = ()
    gates: tuple[Any, ...] = ()
    expectation: Expectation = Expectation.GAMES
    # The first `bootstrap_days` game dates of every season are skipped by design.
    bootstrap_days: int = 0
    season_types: frozenset[str] = SEASON_TYPES
    # Bump when results change for reasons the source hash cannot see (e.g. a model file).
    version: str = "1"
    description: str = ""
    date_column: str = "game_date"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # How `build` is called (`fullcourt.catalog.steps`): phase 1 fetches, else a
    # transform unless declared a parse or a model step.
    step: Step | None = None

    def __post_init__(self) -> None:
        if self.step is None:
            object.__setattr__(self, "step", Step.FETCH if self.phase is Phase.SCRAPE else Step.TRANSFORM)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.table for i in self.inputs)
