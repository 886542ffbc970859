"""Coverage: per game date, how many games each layer holds against what the schedule implies.

The predecessor's operators ran a multi-layer validation query after every backfill
(games per date in raw, analytics and precompute, with a percentage and a status) and
still missed a layer at 15.8%. This is that query for every layer at once, with one
difference that matters: the status of a date is not re-decided here from the counts.
It is the worst of the statuses the planner derived for the date's partitions, so a
`bootstrap`, `no_data` or `unavailable` date reads as such and never as a gap, and a
blocked date names the partition at its root.

`coverage` is pure: statuses, facts and the calendar in, rows and season summaries out.
Counts come from the facts the planner already has (games per partition, observed in the
warehouse with one grouped query per table, or mirrored in the ledger mid-run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from fullcourt.catalog.calendar import Calendar
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Expectation, Phase
from fullcourt.engine.planner import GAP_STATUSES, Facts, PartitionStatus, expected_games

__all__ = [
    "LAYERS",
    "SEVERITY",
    "Coverage",
    "DateRow",
    "LayerCell",
    "SeasonSummary",
    "coverage",
    "worst",
]

# What each phase is called in a coverage report, in pipeline order.
LAYERS: dict[Phase, str] = {
    Phase.SCRAPE: "scraped",
    Phase.RAW: "raw",
    Phase.ANALYTICS: "analytics",
    Phase.PRECOMPUTE: "precompute",
    Phase.PREDICT: "predictions",
    Phase.GRADE: "graded",
    Phase.EXPORT: "exported",
}
DEFAULT_PHASES = tuple(p for p in Phase if p is not Phase.SCRAPE)

# Worst first. A root failure outranks what it blocks, so a date's worst status is the
# one to act on. Below the gaps: `bootstrap` (the layer is skipped by design that day),
# then `complete`, which outranks `unavailable` and `no_data` — a layer whose box scores
# are complete but whose provider has no play-by-play is complete, with that noted, and
# reads `unavailable` only when nothing of it is available.
SEVERITY: tuple[str, ...] = (
    "failed",
    "gate_failed",
    "partial",
    "never_ran",
    "stale",
    "blocked",
    "running",
    "bootstrap",
    "complete",
    "unavailable",
    "no_data",
)
_RANK = {s: i for i, s in enumerate(SEVERITY)}


def worst(statuses: Iterable[PartitionStatus]) -> PartitionStatus | None:
    """The status to act on first among `statuses` (ties: the earliest table given)."""
    best: PartitionStatus | None = None
    for st in statuses:
        if best is None or _RANK.get(st.status, 0) < _RANK.get(best.status, 0):
            best = st
    return best


@dataclass(frozen=True)
class LayerCell:
    """One layer on one date: games present in its thinnest table, and its worst status."""

    games: int | None  # None: the layer's tables do not count games (exports, scrapes)
    expected: int
    status: str
    table: str  # the table whose status (or count) speaks for the layer
    reason: str = ""
    root_cause: tuple[str, date] | None = None
    unavailable: tuple[str, ...] = ()  # tables of the layer the source provides none of

    @property
    def pct(self) -> float | None:
        """Share of the expected games present; None where the schedule expects none or
        the layer is skipped by design (a bootstrap date is not 0% covered)."""
        if self.games is None or not self.expected or self.status in (
            "bootstrap", "no_data", "unavailable"
        ):
            return None
        return round(100.0 * min(self.games, self.expected) / self.expected, 1)

    def to_json(self) -> dict:
        return {
            "games": self.games, "expected": self.expected, "pct": self.pct,
            "status": self.status, "table": self.table, "reason": self.reason,
            "root_cause": _root_json(self.root_cause), "unavailable": list(self.unavailable),
        }


@dataclass(frozen=True)
class DateRow:
    game_date: date
    season: str
    season_type: str
    scheduled: int | None  # None: the schedule of this date is not built yet
    final: int | None
    layers: dict[str, LayerCell]
    worst: PartitionStatus | None

    @property
    def status(self) -> str:
        return self.worst.status if self.worst else "no_data"

    @property
    def is_gap(self) -> bool:
        return self.status in GAP_STATUSES

    @property
    def root_cause(self) -> tuple[str, date] | None:
        w = self.worst
        if w is None or w.status not in GAP_STATUSES:
            return None
        return w.root_cause or (w.table, w.game_date)

    def to_json(self) -> dict:
        w = self.worst
        return {
            "game_date": self.game_date.isoformat(),
            "season": self.season,
            "season_type": self.season_type,
            "scheduled": self.scheduled,
            "final": self.final,
            "layers": {k: c.to_json() for k, c in self.layers.items()},
            "status": self.status,
            "table": w.table if w else None,
            "reason": w.reason if w else "",
            "root_cause": _root_json(self.root_cause),
        }


@dataclass
class SeasonSummary:
    season: str
    dates: int = 0
    scheduled: int = 0
    games: dict[str, int | None] = field(default_factory=dict)  # layer -> games present
    dates_by_status: dict[str, dict[str, int]] = field(default_factory=dict)  # layer -> status -> dates
    unavailable: dict[str, dict[str, int]] = field(default_factory=dict)  # layer -> table -> dates

    @property
    def gap_dates(self) -> dict[str, int]:
        return {
            layer: n
            for layer, by in self.dates_by_status.items()
            if (n := sum(c for s, c in by.items() if s in GAP_STATUSES))
        }

    def line(self) -> str:
        """`2023-24: 1,323 games scheduled · raw 1,323 · precompute 1,295 + 28 bootstrap dates`"""
        parts = [f"{self.season}: {self.scheduled:,} games scheduled"]
        for layer, games in self.games.items():
            by = self.dates_by_status.get(layer, {})
            done = by.get("complete", 0)
            pieces = [f"{games:,}" if games is not None else
                      (f"{done:,} date{'s' if done != 1 else ''} complete" if done else "")]
            for s in ("bootstrap", "unavailable", "no_data"):
                if by.get(s):
                    pieces.append(f"{by[s]:,} {s.replace('_', '-')} date{'s' if by[s] != 1 else ''}")
            text = f"{layer} " + (" + ".join(p for p in pieces if p) or "none complete")
            none_of = self.unavailable.get(layer, {})
            if none_of:
                text += f" ({', '.join(sorted(none_of))} unavailable)"
            gaps = self.gap_dates.get(layer)
            if gaps:
                text += f" ({gaps:,} gap date{'s' if gaps != 1 else ''})"
            parts.append(text)
        return " · ".join(parts)

    def to_json(self) -> dict:
        return {
            "season": self.season, "dates": self.dates, "scheduled": self.scheduled,
            "games": dict(self.games), "dates_by_status": self.dates_by_status,
            "unavailable_tables": self.unavailable, "gap_dates": self.gap_dates, "line": self.line(),
        }


@dataclass
class Coverage:
    layers: list[str]
    rows: list[DateRow]
    seasons: list[SeasonSummary]

    @property
    def gaps(self) -> int:
        return sum(1 for r in self.rows if r.is_gap)

    def to_json(self) -> dict:
        return {
            "layers": self.layers,
            "rows": [r.to_json() for r in self.rows],
            "seasons": [s.to_json() for s in self.seasons],
            "gap_dates": self.gaps,
        }


def coverage(
    catalog: Catalog,
    calendar: Calendar,
    statuses: Mapping[tuple[str, date], PartitionStatus],
    facts: Mapping[str, Mapping[date, Facts]],
    dates: Sequence[date],
    phases: Sequence[Phase] = DEFAULT_PHASES,
) -> Coverage:
    """One row per game date of `dates` (and per other date where a layer has a gap)."""
    chosen = [p for p in Phase if p in set(phases)]
    tables = {p: [s for s in catalog if s.phase is p] for p in chosen}
    tables = {p: specs for p, specs in tables.items() if specs}
    layers = [LAYERS[p] for p in tables]
    counting: set[str] = set()
    for specs in tables.values():
        counting |= _counting(specs, facts, catalog.schedule)
    rows: list[DateRow] = []
    summaries: dict[str, SeasonSummary] = {}
    for d in sorted(set(dates)):
        day = calendar.days.get(d)
        cells: dict[str, LayerCell] = {}
        everything: list[PartitionStatus] = []
        for phase, specs in tables.items():
            sts = [st for s in specs if (st := statuses.get((s.name, d))) is not None]
            if not sts:
                continue
            everything.extend(sts)
            cells[LAYERS[phase]] = _cell(specs, sts, d, day, facts, counting)
        scheduled = sum(day.scheduled.values()) if day else None
        if not scheduled and not any(c.status in GAP_STATUSES for c in cells.values()):
            continue  # a day without games that nothing is missing on
        row = DateRow(
            d, calendar.season_of(d), day.season_type if day else "", scheduled,
            sum(day.final.values()) if day else None, cells, worst(everything),
        )
        rows.append(row)
        _add(summaries.setdefault(row.season, SeasonSummary(row.season)), row, layers)
    return Coverage(layers, rows, [summaries[s] for s in sorted(summaries)])


def _counting(specs, facts: Mapping[str, Mapping[date, Facts]], schedule: str | None) -> set[str]:
    """The tables whose games speak for a layer: the schedule and those promising a row
    per game; in a layer with neither, those whose rows are finer than their distinct
    game ids (predictions: a row per player and system). An export file per date, or a
    scrape, has no game count: its status speaks alone."""
    promised = {s.name for s in specs if s.name == schedule or s.expectation is Expectation.GAMES}
    if promised or (specs and specs[0].phase is Phase.SCRAPE):
        return promised
    return {s.name for s in specs if any(f.games < f.rows for f in facts.get(s.name, {}).values())}


def _cell(specs, sts, d, day, facts, counting) -> LayerCell:
    """The layer's games are those of its thinnest counting table the source provides."""
    by_name = {st.table: st for st in sts}
    none_of = tuple(st.table for st in sts if st.status == "unavailable")
    present = [s for s in specs if s.name in by_name]
    provided = [s for s in present if s.name not in none_of] or present
    thinnest: tuple[float, int | None, int, str] | None = None
    for spec in provided:
        expected = expected_games(spec, day)
        games: int | None = None
        ratio = 2.0  # a table without a count speaks for the layer only when none counts
        if spec.name in counting:
            f = facts.get(spec.name, {}).get(d)
            games = f.games if f is not None else 0
            ratio = min(games, expected) / expected if expected else 1.0
        if thinnest is None or ratio < thinnest[0]:
            thinnest = (ratio, games, expected, spec.name)
    w = worst(sts)
    assert w is not None and thinnest is not None
    _, games, expected, name = thinnest
    speaks = w.status in GAP_STATUSES or w.status in ("bootstrap", "unavailable", "running")
    return LayerCell(
        games=games, expected=expected, status=w.status, table=w.table if speaks else name,
        reason=w.reason if speaks else "", root_cause=w.root_cause,
        unavailable=none_of if w.status != "unavailable" else (),
    )


def _add(summary: SeasonSummary, row: DateRow, layers: list[str]) -> None:
    summary.dates += 1
    summary.scheduled += row.scheduled or 0
    for layer in layers:
        cell = row.layers.get(layer)
        by = summary.dates_by_status.setdefault(layer, {})
        if cell is None:
            summary.games.setdefault(layer, None)
            continue
        for table in cell.unavailable:
            tables = summary.unavailable.setdefault(layer, {})
            tables[table] = tables.get(table, 0) + 1
        if cell.games is None:
            summary.games.setdefault(layer, None)
        else:
            held = cell.games if cell.status not in ("bootstrap", "no_data") else 0
            summary.games[layer] = (summary.games.get(layer) or 0) + held
        by[cell.status] = by.get(cell.status, 0) + 1


def _root_json(root: tuple[str, date] | None) -> dict | None:
    return None if root is None else {"table": root[0], "game_date": root[1].isoformat()}


def from_runtime(rt, dates: Sequence[date], phases: Sequence[Phase] = DEFAULT_PHASES) -> Coverage:
    """Coverage of `dates` in the home `rt` (a `Runtime`) has open, as its planner sees it."""
    seasons = sorted({rt.calendar.season_of(d) for d in dates})
    statuses = rt.statuses(seasons)
    return coverage(
        rt.catalog, rt.calendar, statuses, rt.facts(), dates, phases or DEFAULT_PHASES
    )


def cell_text(cell: LayerCell | None) -> str:
    """How a layer reads on one date: `9 100%`, `6 67% partial`, or a by-design status."""
    if cell is None:
        return ""
    if cell.status in ("no_data", "bootstrap", "unavailable", "running"):
        return cell.status.replace("_", " ")
    mark = "*" if cell.unavailable else ""  # some of the layer's tables: none at the source
    if cell.games is None:
        return ("✓" if cell.status == "complete" else cell.status) + mark
    text = f"{cell.games}" + (f" {cell.pct:g}%" if cell.pct is not None else "") + mark
    return text if cell.status == "complete" else f"{text} {cell.status}"


def to_csv(cov: Coverage) -> str:
    """One row per date: counts, percentage and status of each layer, then the worst."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["game_date", "season", "season_type", "scheduled", "final"]
    for layer in cov.layers:
        head += [f"{layer}_games", f"{layer}_expected", f"{layer}_pct", f"{layer}_status"]
    w.writerow([*head, "status", "table", "reason", "root_cause_table", "root_cause_date"])
    for r in cov.rows:
        row: list = [r.game_date.isoformat(), r.season, r.season_type, r.scheduled, r.final]
        for layer in cov.layers:
            c = r.layers.get(layer)
            row += [c.games, c.expected, c.pct, c.status] if c else ["", "", "", ""]
        root = r.root_cause
        row += [r.status, r.worst.table if r.worst else "", r.worst.reason if r.worst else "",
                root[0] if root else "", root[1].isoformat() if root else ""]
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()
