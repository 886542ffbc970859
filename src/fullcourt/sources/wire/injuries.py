"""The league's injury report as it publishes it: a PDF named for its publication time.

`Injury-Report_2026-02-08_06_30PM.pdf`, landscape, a title with the publication time
("Injury Report: 02/08/26 06:30 PM", US/Eastern), a header row, then one row per listed
player, grouped by game and team: Game Date, Game Time ("07:30 (ET)"), Matchup
("MIL@SAS") and Team are printed only on the first row of their group (the date only
when it changes, the time only when the slot changes) and carry on across page breaks; a
Reason longer than its column wraps onto a line above and one below its row; "Page N of
M" at the foot of every page. Names are "Last, First".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fullcourt.sources.teams import TEAM_NAMES
from fullcourt.sources.wire import eastern
from fullcourt.sources.wire.pdf import Page, Text, render

__all__ = ["COLUMN_X", "file_name", "report"]

Row = Mapping[str, Any]
COLUMN_X = (23.0, 119.0, 200.0, 264.0, 425.0, 585.0, 666.0)
HEADERS = ("Game Date", "Game Time", "Matchup", "Team", "Player Name", "Current Status", "Reason")
_TOP = 459.0  # baseline of the first row under the header
_BOTTOM = 80.0
_ROW = 22.0  # between rows; a wrapped row takes the same, its two lines 7 points off it
_WRAP = 34  # characters of a Reason before it wraps


def file_name(published: datetime) -> str:
    """`Injury-Report_YYYY-MM-DD_hh_mmPM.pdf` of a naive-UTC publication time."""
    local = eastern(published)
    return f"Injury-Report_{local:%Y-%m-%d}_{local:%I}_{local:%M}{local:%p}.pdf"


def _name(full: str | None) -> str:
    first, _, last = (full or "").partition(" ")
    return f"{last}, {first}" if last else first


def _wrap(text: str) -> list[str]:
    if len(text) <= _WRAP:
        return [text]
    cut = text.rfind(" ", 0, _WRAP)
    cut = cut if cut > 0 else _WRAP
    return [text[:cut].rstrip(), text[cut:].strip()]


def report(rows: Sequence[Row], published: datetime, tips: Mapping[tuple, datetime]) -> bytes:
    """The PDF of one publication; `tips` maps (game_date, matchup) to the tip-off (UTC)."""
    local = eastern(published)
    order = sorted(rows, key=lambda r: (r["game_date"], tips.get((r["game_date"], r["matchup"])) or published,
                                        r["matchup"], r["team"] != r["matchup"].split("@")[0],
                                        _name(r["player_name"])))
    pages: list[Page] = []
    page: Page | None = None
    y = _TOP
    last: dict[str, Any] = {}
    for r in order:
        reason = _wrap(r["reason"] or "")
        if page is None or y < _BOTTOM:
            page = Page()
            page.texts.append(Text(289.0, 533.3, f"Injury Report: {local:%m/%d/%y %I:%M %p}", 22.0, "bold"))
            page.texts += [Text(x, 480.1, h, 10.0, "bold") for x, h in zip(COLUMN_X, HEADERS, strict=True)]
            pages.append(page)
            y = _TOP
        tip = tips.get((r["game_date"], r["matchup"]))
        slot = f"{eastern(tip):%I:%M} (ET)" if tip else ""
        cells = ["", "", "", "", _name(r["player_name"]), (r["status"] or "").capitalize(), ""]
        if r["game_date"] != last.get("date"):
            cells[0] = f"{r['game_date']:%m/%d/%Y}"
            last = {"date": r["game_date"]}
        if r["matchup"] != last.get("matchup"):
            if slot != last.get("slot"):
                cells[1] = slot
            cells[2] = r["matchup"]
            last.update(matchup=r["matchup"], slot=slot, team=None)
        if r["team"] != last.get("team"):
            cells[3] = TEAM_NAMES.get(r["team"], r["team"])
            last["team"] = r["team"]
        for x, text in zip(COLUMN_X, cells, strict=True):
            if text:
                page.texts.append(Text(x + 1.0, y, text))
        if len(reason) == 1:
            page.texts.append(Text(COLUMN_X[6] + 1.0, y, reason[0]))
        else:
            page.texts.append(Text(COLUMN_X[6] + 1.0, y + 7.0, reason[0]))
            page.texts.append(Text(COLUMN_X[6] + 1.0, y - 7.0, reason[1]))
        y -= _ROW
    if not pages:
        page = Page()
        page.texts.append(Text(289.0, 533.3, f"Injury Report: {local:%m/%d/%y %I:%M %p}", 22.0, "bold"))
        page.texts += [Text(x, 480.1, h, 10.0, "bold") for x, h in zip(COLUMN_X, HEADERS, strict=True)]
        pages.append(page)
    for n, p in enumerate(pages, start=1):
        p.texts.append(Text(398.5, 49.9, f"Page {n} of {len(pages)}"))
    return render(pages, title="Injury Report", created=f"D:{local:%Y%m%d%H%M%S}")
