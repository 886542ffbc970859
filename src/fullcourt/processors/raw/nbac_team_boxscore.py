"""NBA.com team box scores: one row per team per game from a `resultSets` table.

Stats endpoints send a header list and positional rows, and say home or away only in
the MATCHUP text ("BOS vs. NYK" at home, "BOS @ NYK" away). Rows are read by header
name, so a provider reordering columns does not shift values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from fullcourt.catalog.gates import Check, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.raw.payload import Model, decode, dedupe, invalid, minutes, to_table

__all__ = ["SPEC", "build"]

TABLE = "nbac_team_boxscore"
_NEEDED = ("GAME_ID", "GAME_DATE", "SEASON", "TEAM_ABBREVIATION", "MATCHUP", "MIN", "PTS",
           "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB", "AST", "TOV")  # fmt: skip
_COUNTS = {"points": "PTS", "fgm": "FGM", "fga": "FGA", "fg3m": "FG3M", "fg3a": "FG3A",
           "ftm": "FTM", "fta": "FTA", "oreb": "OREB", "dreb": "DREB", "ast": "AST", "tov": "TOV"}  # fmt: skip


class _ResultSet(Model):
    name: str
    headers: list[str]
    rowSet: list[list[Any]]


class _Payload(Model):
    resultSets: list[_ResultSet]


def _int(value: Any, what: str, game_date: date) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise invalid(TABLE, game_date, f"{what} is not a whole number: {value!r}")
    return int(value)


def build(body: bytes, game_date: date) -> pa.Table:
    payload = decode(body, _Payload, TABLE, game_date)
    stats = next((s for s in payload.resultSets if s.name == "TeamStats"), None)
    if stats is None:
        raise invalid(TABLE, game_date, "no TeamStats result set")
    missing = [h for h in _NEEDED if h not in stats.headers]
    if missing:
        raise invalid(TABLE, game_date, f"TeamStats lacks columns {', '.join(missing)}")
    col = {h: stats.headers.index(h) for h in _NEEDED}
    rows = []
    for n, raw in enumerate(stats.rowSet):
        if len(raw) != len(stats.headers):
            raise invalid(TABLE, game_date, f"row {n} has {len(raw)} values for {len(stats.headers)} headers")
        get = {h: raw[i] for h, i in col.items()}
        if str(get["GAME_DATE"])[:10] != game_date.isoformat():
            raise invalid(TABLE, game_date, f"row {n} is dated {get['GAME_DATE']}")
        matchup = " ".join(str(get["MATCHUP"]).split())
        home = " vs. " in matchup
        if not home and " @ " not in matchup:
            raise invalid(TABLE, game_date, f"row {n}: unreadable MATCHUP {matchup!r}")
        opponent = matchup.split(" vs. " if home else " @ ")[-1].strip()
        try:
            mins = minutes(get["MIN"])
        except ValueError as exc:
            raise invalid(TABLE, game_date, f"row {n}: {exc}") from None
        rows.append(
            {
                "game_id": str(get["GAME_ID"]),
                "game_date": game_date,
                "season": str(get["SEASON"]),
                "team": str(get["TEAM_ABBREVIATION"]).upper(),
                "opponent": opponent.upper(),
                "is_home": home,
                "minutes": mins,
                **{k: _int(get[h], f"row {n} {h}", game_date) for k, h in _COUNTS.items()},
            }
        )
    return to_table(TABLE, dedupe(rows, ("game_id", "team")))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id", "team"),
    build=build,
    inputs=(Input("scrape.nbac_team_boxscore"),),
    gates=(
        Unique(),
        Check("minutes = 240 + 25 per overtime",
              lambda t: (t.minutes >= 240) & ((t.minutes - 240) % 25 == 0)),
        Check("points == 2*fgm + fg3m + ftm", lambda t: t.points == 2 * t.fgm + t.fg3m + t.ftm),
    ),
    expectation=Expectation.GAMES,
    description="NBA.com team box scores: one row per team per game.",
)
