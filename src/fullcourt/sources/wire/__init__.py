"""How each provider's responses look on the wire: raw-table rows rendered as bodies.

The simulator holds its data in the raw-table columns (`RAW_SCHEMAS`); real providers
do not. So the simulator's API renders rows in each provider's own protocol, one module
per provider — NBA.com's CDN and stats documents (`nbacom`), BallDontLie's pages
(`balldontlie`), The Odds API's events and historical snapshots (`oddsapi`), the
league's injury report PDF (`injuries`, printed by `pdf`) — and the phase-2 parsers have
real normalising to do: ISO-8601 and "MM:SS" minutes, `resultSets` tables and MATCHUP
strings, outcomes one side at a time, "Last, First" names in a printed table.
Renderers take plain row dicts (already filtered by visibility and faults) and return
JSON-ready values or bytes. The helpers here are the units every provider shares.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fullcourt.sources.faults import utc_naive

__all__ = ["EASTERN", "clock_minutes", "eastern", "iso_minutes", "iso_utc", "split_name"]

EASTERN = ZoneInfo("America/New_York")


def iso_utc(moment: datetime | None) -> str | None:
    """An instant as ISO-8601 UTC with a trailing Z, the way every provider sends times."""
    if moment is None:
        return None
    return utc_naive(moment).replace(microsecond=0).isoformat() + "Z"


def eastern(moment: datetime) -> datetime:
    """A naive-UTC instant as US/Eastern wall-clock time (aware)."""
    return utc_naive(moment).replace(tzinfo=ZoneInfo("UTC")).astimezone(EASTERN)


def clock_minutes(minutes: float | None) -> str | None:
    """Decimal minutes as "MM:SS" (whole seconds), the stats endpoints' v3 minutes."""
    if minutes is None:
        return None
    seconds = round(minutes * 60)
    return f"{seconds // 60}:{seconds % 60:02d}"


def iso_minutes(minutes: float | None) -> str | None:
    """Decimal minutes as NBA.com's ISO-8601 duration, e.g. "PT34M12.00S"."""
    if minutes is None:
        return None
    centis = round(minutes * 6000)
    return f"PT{centis // 6000:02d}M{(centis % 6000) / 100:05.2f}S"


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last
