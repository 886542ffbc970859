"""The league injury report: who is listed for each game, as of each publication.

Every publication is kept (`report_at`), so analytics can take the last report before
tip-off for any historical date. Names arrive as "Last, First" and are turned around;
statuses arrive capitalised ("Out", "Game Time Decision" is read as questionable).
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from fullcourt.catalog.features import INJURY_STATUS_CODES
from fullcourt.catalog.gates import Check, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.raw.payload import (
    Model,
    clean_name,
    decode,
    dedupe,
    invalid,
    to_table,
    utc,
)

__all__ = ["SPEC", "build"]

TABLE = "nbac_injury_report"
_ALIASES = {"game time decision": "questionable", "gtd": "questionable"}


class _Entry(Model):
    gameDate: str
    gameId: str
    teamTricode: str
    personId: str | int
    playerName: str
    currentStatus: str
    reason: str | None = None


class _Report(Model):
    reportTime: datetime
    entries: list[_Entry]


class _Payload(Model):
    gameDate: str
    reports: list[_Report]


def _status(text: str, game_date: date) -> str:
    s = " ".join(text.split()).lower()
    s = _ALIASES.get(s, s)
    if s not in INJURY_STATUS_CODES:
        raise invalid(TABLE, game_date, f"unknown injury status {text!r}")
    return s


def build(body: bytes, game_date: date) -> pa.Table:
    payload = decode(body, _Payload, TABLE, game_date)
    rows = []
    for report in payload.reports:
        at = utc(report.reportTime)
        for e in report.entries:
            try:
                day = datetime.strptime(e.gameDate, "%m/%d/%Y").date()
            except ValueError:
                raise invalid(TABLE, game_date, f"unreadable gameDate {e.gameDate!r}") from None
            if day != game_date:
                raise invalid(TABLE, game_date, f"entry for game {e.gameId} is dated {day}")
            rows.append(
                {
                    "game_date": game_date,
                    "game_id": e.gameId,
                    "report_at": at,
                    "team": e.teamTricode.upper(),
                    "player_id": str(e.personId),
                    "player_name": clean_name(e.playerName),
                    "status": _status(e.currentStatus, game_date),
                    "reason": e.reason,
                }
            )
    return to_table(TABLE, dedupe(rows, ("game_id", "player_id", "report_at")))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id", "player_id", "report_at"),
    build=build,
    inputs=(Input("scrape.nbac_injury_report"),),
    gates=(
        Unique(),
        Check("status is a known injury status",
              lambda t: t.status.isin(list(INJURY_STATUS_CODES))),
    ),
    expectation=Expectation.ANY,
    description="League injury report entries per publication time.",
    extra={"expects": "scheduled"},
)
