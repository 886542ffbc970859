"""The league's official injury report: a PDF per publication, named for its time.

`referee/injury/Injury-Report_2026-02-08_06_30PM.pdf` (US/Eastern). The league
publishes through the day, on the half hour; for a date the scraper asks for the report
of the evening before (5:30 PM) and the last one an hour before the date's first
tip-off, stepping back half an hour at a time when a slot was not published (403/404:
the host answers so for a file it does not have), and, on the day itself, the latest
slot so far. Each report is kept whole (one report lists several dates' games; phase 2
keeps the date's rows) with its publication time; publications add up over fetches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from fullcourt.processors.raw import nbac_injury_report
from fullcourt.processors.raw.payload import EASTERN, eastern_date
from fullcourt.sources.faults import utc_naive
from fullcourt.sources.providers import Context, Fetched, Game, Item, provides_none

__all__ = ["file_name", "reports"]

PATH = "/referee/injury/{}"
STEP = timedelta(minutes=30)
TRIES = 3  # slots tried per wanted report, half an hour apart


def file_name(local: datetime) -> str:
    return f"Injury-Report_{local:%Y-%m-%d}_{local:%I}_{local:%M}{local:%p}.pdf"


def _slot(moment_utc: datetime) -> datetime:
    """The half-hour slot at or before an instant, as US/Eastern wall-clock time."""
    local = utc_naive(moment_utc).replace(tzinfo=UTC).astimezone(EASTERN)
    return local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0)


def reports(ctx: Context, day: date, games: Sequence[Game], skip: frozenset[str]) -> Fetched:
    out = Fetched()
    tips = [g.tipoff_utc for g in games if g.tipoff_utc is not None]
    if not games or not tips:
        return out
    now = utc_naive(ctx.now())
    wanted = [datetime.combine(day - timedelta(days=1), time(17, 30), EASTERN),
              _slot(min(tips) - timedelta(hours=1))]
    if eastern_date(now) == day:
        wanted.append(_slot(now))
    seen: set[datetime] = set()
    for want in sorted(set(wanted)):
        for k in range(TRIES):
            local = want - k * STEP
            if local in seen or utc_naive(local) > now:
                continue
            seen.add(local)
            name = f"report-{local:%Y%m%dT%H%M}"
            ex = ctx.get("injuries", PATH.format(file_name(local)))
            ex.ext = "pdf"
            out.calls.append(ex)
            if (reason := provides_none(ex)) is not None:
                return Fetched(calls=out.calls, unavailable=reason)
            if ex.status in (403, 404):
                continue  # not published at that slot: try the one before
            if ex.ok:
                try:
                    _, rows = nbac_injury_report.report_rows(ex.body or b"", day)
                    ex.records = sum(r["game_date"] == day for r in rows)
                except Exception as exc:  # noqa: BLE001 - an unreadable PDF is kept and reported
                    ex.error = f"report {local:%Y-%m-%d %I:%M %p}: {exc}"
            if ex.ok:
                if name not in skip:
                    out.items.append(Item(name, [ex], ex.records))
            else:
                out.missing[name] = ex.error or f"HTTP {ex.status}"
            break
    return out
