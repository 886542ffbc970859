"""The league injury report: who is listed for each game, as of each publication.

One body is one publication of the league's official report, a PDF
(`Injury-Report_YYYY-MM-DD_hh_mmPM.pdf`), read back into its table by `report_pdf`. A
report lists the games of its day and often of the next, so one body can hold several
game dates; a partition keeps the rows of its own. Every publication is kept
(`report_at`, the time printed in its title), so analytics can take the last report
before tip-off for any historical date.

The report prints people, not ids: a game is its matchup ("MIA@WAS", away @ home), a
team its full name (translated to a tricode), a player "Last, First" (turned around;
analytics matches the name to a player of the team). Statuses arrive capitalised ("Out";
"Game Time Decision" is read as questionable).
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from fullcourt.catalog.features import INJURY_STATUS_CODES
from fullcourt.catalog.gates import Check, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, Step, TableSpec
from fullcourt.processors.raw import report_pdf
from fullcourt.processors.raw.payload import clean_name, dedupe, invalid, to_table
from fullcourt.sources.teams import tricode_of_name

__all__ = ["KEYS", "SPEC", "build", "report_rows"]

TABLE = "nbac_injury_report"
KEYS = ("game_date", "team", "player_name", "report_at")
_ALIASES = {"game time decision": "questionable", "gtd": "questionable"}


def _status(text: str, day: date | None) -> str:
    s = " ".join(text.split()).lower()
    s = _ALIASES.get(s, s)
    if s not in INJURY_STATUS_CODES:
        raise invalid(TABLE, day, f"unknown injury status {text!r}")
    return s


def report_rows(body: bytes, day: date | None) -> tuple[datetime, list[dict]]:
    """The publication time and every player row of a report PDF (all its game dates),
    in the table's columns."""
    try:
        published, rows = report_pdf.read(body)
    except report_pdf.ReportError as exc:
        raise invalid(TABLE, day, f"injury report PDF: {exc}") from None
    out = []
    for r in rows:
        team = tricode_of_name(r.team)
        if team is None:
            raise invalid(TABLE, day, f"page {r.page}: unknown team {r.team!r}")
        out.append(
            {
                "game_date": r.game_date,
                "matchup": r.matchup.upper(),
                "report_at": published,
                "team": team,
                "player_name": clean_name(r.player),
                "status": _status(r.status, day),
                "reason": r.reason,
            }
        )
    return published, out


def build(body: bytes, game_date: date) -> pa.Table:
    _, rows = report_rows(body, game_date)
    rows = [r for r in rows if r["game_date"] == game_date]
    return to_table(TABLE, dedupe(rows, KEYS))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=KEYS,
    build=build,
    inputs=(Input("scrape.nbac_injury_report"),),
    step=Step.PARSE,
    gates=(
        Unique(),
        Check("status is a known injury status",
              lambda t: t.status.isin(list(INJURY_STATUS_CODES))),
    ),
    expectation=Expectation.ANY,
    description="League injury report entries per publication time.",
    extra={"expects": "scheduled"},
)
