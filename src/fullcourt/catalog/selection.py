"""What a user asked for: tables, phases and dates, checked before anything is opened.

Every command that takes `--start/--end`, `--season`, `--phases` or `--tables` goes
through here, so a typo is one clear line and exit 2 on every command alike, and no
command has touched the data home by the time it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from fullcourt import errors
from fullcourt.catalog.calendar import (
    EASTERN,
    in_window,
    parse_season,
    season_dates,
    season_of,
    season_window,
)
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Phase

__all__ = [
    "parse_date",
    "parse_duration",
    "parse_moment",
    "parse_phases",
    "parse_seasons",
    "select_dates",
    "select_tables",
]


def parse_date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise errors.BadDateRange(f"{flag} {text!r} is not a date (use YYYY-MM-DD)") from None


def parse_phases(text: str | None) -> list[Phase]:
    """`2-6`, `3,4`, `5B` or `4-5B`: phases in pipeline order."""
    if not text:
        return []
    order = list(Phase)
    out: list[Phase] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo_text, _, hi_text = part.partition("-")
            lo, hi = Phase.parse(lo_text), Phase.parse(hi_text)
            if hi.order < lo.order:
                raise errors.UnknownPhase(f"phase range {part!r} runs backwards")
            out.extend(order[lo.order : hi.order + 1])
        else:
            out.append(Phase.parse(part))
    return sorted(set(out), key=lambda p: p.order)


def parse_seasons(text: str) -> list[str]:
    """`2023-24`, `2021-22:2024-25` or `2022-23,2024-25`."""
    out: list[str] = []
    for part in text.split(","):
        part = part.strip()
        if ":" in part:
            lo, _, hi = part.partition(":")
            a, b = int(parse_season(lo)[:4]), int(parse_season(hi)[:4])
            if b < a:
                raise errors.BadDateRange(f"season range {part!r} runs backwards")
            out.extend(f"{y}-{(y + 1) % 100:02d}" for y in range(a, b + 1))
        elif part:
            out.append(parse_season(part))
    if not out:
        raise errors.BadDateRange("no season given")
    return out


def select_dates(
    start: str | None = None,
    end: str | None = None,
    season: str | None = None,
    *,
    known_seasons: Sequence[str] = (),
    required: bool = True,
) -> list[date]:
    """The dates of `--season` or of `--start/--end` (clipped to seasons, never empty)."""
    if season and (start or end):
        raise errors.BadDateRange("give either --season or --start/--end, not both")
    if season:
        return [d for s in parse_seasons(season) for d in season_dates(s)]
    if not start and not end:
        if required:
            raise errors.BadDateRange("give --season S or --start D --end D")
        return [d for s in known_seasons for d in season_dates(s)]
    lo = parse_date(start, "--start") if start else None
    hi = parse_date(end, "--end") if end else None
    if lo is None:
        assert hi is not None
        if not in_window(hi):
            raise errors.DateOutsideSeasons(f"--end {hi} lies outside every season")
        lo = season_window(season_of(hi))[0]
    if hi is None:
        hi = lo
    if hi < lo:
        raise errors.BadDateRange(f"--end {hi} is before --start {lo}")
    days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    inside = [d for d in days if in_window(d)]
    if not inside:
        raise errors.DateOutsideSeasons(
            f"{lo} to {hi} lies outside every season (seasons run October to June)"
        )
    return inside


def select_tables(
    catalog: Catalog, tables: str | None, phases: Sequence[Phase] = (), default_phases=()
) -> list[str]:
    names = [t.strip() for t in (tables or "").split(",") if t.strip()]
    for n in names:
        if n not in catalog:
            raise errors.UnknownTable(
                f"unknown table {n!r}; `fullcourt status` lists the tables"
            )
    chosen = catalog.select(names or None, list(phases) or list(default_phases) or None)
    if not chosen:
        raise errors.UnknownTable("no table matches the given --tables and --phases")
    return chosen


def parse_duration(text: str, flag: str) -> timedelta:
    """A positive duration: a zero or negative step would tick on the same moment forever."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        value = timedelta(seconds=float(text[:-1]) * units[text[-1]])
    except (KeyError, ValueError, IndexError):
        raise errors.UsageError(f"{flag} {text!r} is not a duration (use 30s, 15m, 1h, 1d)") from None
    if value <= timedelta(0):
        raise errors.UsageError(f"{flag} {text!r} must be longer than zero (e.g. 1d)")
    return value


def parse_moment(text: str, flag: str) -> datetime:
    """A date means 09:00 US/Eastern that day: last night's games are over, tonight's ahead."""
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime.combine(day, dtime(9, 0), EASTERN).astimezone(UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise errors.UsageError(f"{flag} {text!r} is not a date or ISO date-time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=EASTERN)).astimezone(UTC)
