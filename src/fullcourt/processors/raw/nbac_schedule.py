"""NBA.com schedule of one date: every game, final or not, with its season type.

The schedule is the calendar of the whole pipeline: a date's expectations (how many
games every other table must hold) come from these rows, so scheduled games are kept
with NULL scores and postponed ones are kept as 'postponed' — a game that is not final
is not owed anywhere yet.
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from fullcourt.catalog.gates import Check, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.raw.payload import Model, decode, dedupe, invalid, to_table, utc

__all__ = ["SPEC", "build"]

TABLE = "nbac_schedule"
_SEASON_TYPES = {
    "regular season": "regular",
    "regular": "regular",
    "playin": "play_in",
    "play-in": "play_in",
    "play in": "play_in",
    "play_in": "play_in",
    "playoffs": "playoffs",
}


class _Team(Model):
    teamTricode: str
    score: int | None = None


class _Game(Model):
    gameId: str
    gameStatus: int
    gameStatusText: str = ""
    gameDateTimeUTC: datetime
    seasonYear: str
    seasonType: str
    homeTeam: _Team
    awayTeam: _Team


class _GameDate(Model):
    gameDate: str
    games: list[_Game]


class _Schedule(Model):
    seasonYear: str | None = None
    gameDates: list[_GameDate]


class _Payload(Model):
    leagueSchedule: _Schedule


def _status(g: _Game) -> str:
    if g.gameStatus == 3:
        return "final"
    if "ppd" in g.gameStatusText.lower() or "postponed" in g.gameStatusText.lower():
        return "postponed"
    return "scheduled"  # 1 not started, 2 in progress: not final yet


def build(body: bytes, game_date: date) -> pa.Table:
    payload = decode(body, _Payload, TABLE, game_date)
    rows = []
    for gd in payload.leagueSchedule.gameDates:
        try:
            day = datetime.strptime(gd.gameDate.split()[0], "%m/%d/%Y").date()
        except ValueError:
            raise invalid(TABLE, game_date, f"unreadable gameDate {gd.gameDate!r}") from None
        if day != game_date:
            raise invalid(TABLE, game_date, f"payload holds games of {day}")
        for g in gd.games:
            season_type = _SEASON_TYPES.get(g.seasonType.strip().lower())
            if season_type is None:
                raise invalid(TABLE, game_date, f"game {g.gameId}: unknown seasonType {g.seasonType!r}")
            status = _status(g)
            final = status == "final"
            if final and (g.homeTeam.score is None or g.awayTeam.score is None):
                raise invalid(TABLE, game_date, f"final game {g.gameId} has no score")
            rows.append(
                {
                    "game_id": g.gameId,
                    "game_date": day,
                    "season": g.seasonYear,
                    "season_type": season_type,
                    "tipoff_utc": utc(g.gameDateTimeUTC),
                    "home_team": g.homeTeam.teamTricode.upper(),
                    "away_team": g.awayTeam.teamTricode.upper(),
                    "status": status,
                    "home_score": g.homeTeam.score if final else None,
                    "away_score": g.awayTeam.score if final else None,
                }
            )
    return to_table(TABLE, dedupe(rows, ("game_id",)))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id",),
    build=build,
    inputs=(Input("scrape.nbac_schedule"),),
    gates=(
        Unique(),
        Check("status is final|scheduled|postponed",
              lambda t: t.status.isin(["final", "scheduled", "postponed"])),
        Check("season_type is regular|play_in|playoffs",
              lambda t: t.season_type.isin(["regular", "play_in", "playoffs"])),
        Check("final games have scores",
              lambda t: (t.status != "final") | (t.home_score.notnull() & t.away_score.notnull())),
    ),
    expectation=Expectation.ROWS,
    description="NBA.com schedule: one row per game of the date, final or not.",
)
