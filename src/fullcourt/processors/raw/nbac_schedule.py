"""NBA.com schedule of one date: every game, final or not, with its season type.

The schedule is the calendar of the whole pipeline: a date's expectations (how many
games every other table must hold) come from these rows, so scheduled games are kept
with NULL scores and postponed ones are kept as 'postponed' — a game that is not final
is not owed anywhere yet.

The body is the season's `scheduleLeagueV2` document (CDN `staticData`, or stats
`scheduleleaguev2?Season=` for past seasons: one body a season, `gameDates` written
"10/02/2025 00:00:00" or "12/11/2020 12:00:00 AM"), sliced to the date; a stats
`scoreboardv2?GameDate=` body (one date: `GameHeader` and `LineScore`) reads too. The
feed has no season-type field: the game id says it (`002` regular season, `004`
playoffs, `005` play-in; preseason and All-Star games are not kept). Placeholder games
without both teams (a playoff game "if necessary" before the series is set) are skipped.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time
from typing import Any

import pyarrow as pa

from fullcourt import errors
from fullcourt.catalog.calendar import season_name
from fullcourt.catalog.gates import Check, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, Step, TableSpec
from fullcourt.processors.raw.payload import (
    EASTERN,
    Model,
    decode,
    dedupe,
    game_season,
    game_season_type,
    invalid,
    load_json,
    to_table,
    utc,
)
from fullcourt.sources.teams import tricode_of_id

__all__ = ["SPEC", "build", "game_day", "is_schedule", "is_scoreboard", "schedule_rows"]

TABLE = "nbac_schedule"
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*([ap])m\s*et\s*$", re.I)


class _Team(Model):
    teamTricode: str | None = None
    score: int | None = None


class _Game(Model):
    gameId: str
    gameStatus: int
    gameStatusText: str = ""
    gameDateTimeUTC: datetime | None = None
    postponedStatus: str | None = None
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


def is_schedule(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("leagueSchedule"), dict)


def is_scoreboard(data: Any) -> bool:
    sets = data.get("resultSets") if isinstance(data, dict) else None
    return isinstance(sets, list) and any(
        isinstance(s, dict) and s.get("name") == "GameHeader" for s in sets
    )


def game_day(text: str) -> date:
    """A `gameDates[].gameDate` as written: "10/02/2025 00:00:00", "12/11/2020 12:00:00 AM"."""
    return datetime.strptime(text.split()[0], "%m/%d/%Y").date()


def _status(code: int, text: str, postponed: str | None) -> str:
    if code == 3:
        return "final"
    words = text.lower()
    if (postponed or "").strip().upper() == "Y" or "ppd" in words or "postponed" in words:
        return "postponed"
    return "scheduled"  # 1 not started, 2 in progress: not final yet


def schedule_rows(data: Any, day: date | None) -> list[dict]:
    """Every kept game of a `scheduleLeagueV2` body (all dates), with its `game_date`."""
    payload = decode(data, _Payload, TABLE, day)
    rows = []
    for gd in payload.leagueSchedule.gameDates:
        try:
            played = game_day(gd.gameDate)
        except ValueError:
            raise invalid(TABLE, day, f"unreadable gameDate {gd.gameDate!r}") from None
        for g in gd.games:
            season_type = game_season_type(g.gameId)
            home, away = (g.homeTeam.teamTricode or "").upper(), (g.awayTeam.teamTricode or "").upper()
            if season_type is None or not home or not away:
                continue
            status = _status(g.gameStatus, g.gameStatusText, g.postponedStatus)
            final = status == "final"
            if final and (g.homeTeam.score is None or g.awayTeam.score is None):
                raise invalid(TABLE, day, f"final game {g.gameId} has no score")
            rows.append(
                {
                    "game_id": g.gameId,
                    "game_date": played,
                    "season": payload.leagueSchedule.seasonYear or game_season(g.gameId),
                    "season_type": season_type,
                    "tipoff_utc": utc(g.gameDateTimeUTC) if g.gameDateTimeUTC else None,
                    "home_team": home,
                    "away_team": away,
                    "status": status,
                    "home_score": g.homeTeam.score if final else None,
                    "away_score": g.awayTeam.score if final else None,
                }
            )
    return rows


class _ResultSet(Model):
    name: str
    headers: list[str]
    rowSet: list[list[Any]]


class _Scoreboard(Model):
    resultSets: list[_ResultSet]


def _table(sets: list[_ResultSet], name: str, needed: tuple[str, ...], day: date | None) -> list[dict]:
    found = next((s for s in sets if s.name == name), None)
    if found is None:
        raise invalid(TABLE, day, f"scoreboard has no {name} result set")
    missing = [h for h in needed if h not in found.headers]
    if missing:
        raise invalid(TABLE, day, f"{name} lacks columns {', '.join(missing)}")
    return [dict(zip(found.headers, r, strict=False)) for r in found.rowSet]


def scoreboard_rows(data: Any, day: date | None) -> list[dict]:
    """The games of a stats `scoreboardv2` body: tip-off only from a clock time in
    `GAME_STATUS_TEXT` ("7:30 pm ET"), which the board shows until a game starts."""
    sets = decode(data, _Scoreboard, TABLE, day).resultSets
    header = _table(sets, "GameHeader", ("GAME_DATE_EST", "GAME_ID", "GAME_STATUS_ID",
                                         "GAME_STATUS_TEXT", "HOME_TEAM_ID", "VISITOR_TEAM_ID",
                                         "SEASON"), day)
    lines = _table(sets, "LineScore", ("GAME_ID", "TEAM_ID", "TEAM_ABBREVIATION", "PTS"), day)
    code = {(str(r["GAME_ID"]), r["TEAM_ID"]): str(r["TEAM_ABBREVIATION"]).upper() for r in lines}
    points = {(str(r["GAME_ID"]), r["TEAM_ID"]): r["PTS"] for r in lines}
    rows = []
    for g in header:
        game_id = str(g["GAME_ID"])
        season_type = game_season_type(game_id)
        if season_type is None:
            continue
        played = date.fromisoformat(str(g["GAME_DATE_EST"])[:10])
        home = code.get((game_id, g["HOME_TEAM_ID"])) or tricode_of_id(g["HOME_TEAM_ID"])
        away = code.get((game_id, g["VISITOR_TEAM_ID"])) or tricode_of_id(g["VISITOR_TEAM_ID"])
        if not home or not away:
            raise invalid(TABLE, day, f"game {game_id}: unknown team ids")
        text = str(g["GAME_STATUS_TEXT"] or "")
        status = _status(int(g["GAME_STATUS_ID"] or 0), text, None)
        m = _CLOCK.match(text)
        tip = None
        if m:
            hour = int(m.group(1)) % 12 + (12 if m.group(3).lower() == "p" else 0)
            tip = utc(datetime.combine(played, time(hour, int(m.group(2))), EASTERN))
        final = status == "final"
        rows.append(
            {
                "game_id": game_id,
                "game_date": played,
                "season": season_name(int(str(g["SEASON"])[:4])),
                "season_type": season_type,
                "tipoff_utc": tip,
                "home_team": home,
                "away_team": away,
                "status": status,
                "home_score": points.get((game_id, g["HOME_TEAM_ID"])) if final else None,
                "away_score": points.get((game_id, g["VISITOR_TEAM_ID"])) if final else None,
            }
        )
    return rows


@functools.lru_cache(maxsize=4)
def _by_date(body: bytes) -> dict[date, list[dict]]:
    """Every game of a body by date, decoded once: a season's document is one body that
    every date of the season is sliced from."""
    data = load_json(body, TABLE, None)
    if is_scoreboard(data):
        rows = scoreboard_rows(data, None)
    elif is_schedule(data):
        rows = schedule_rows(data, None)
    else:
        raise invalid(TABLE, None, "not an NBA.com schedule (scheduleLeagueV2 or scoreboardv2)")
    out: dict[date, list[dict]] = {}
    for r in dedupe(rows, ("game_id",)):
        out.setdefault(r["game_date"], []).append(r)
    return out


def build(body: bytes, game_date: date) -> pa.Table:
    try:
        days = _by_date(bytes(body))
    except errors.PayloadInvalid as exc:
        raise invalid(TABLE, game_date, str(exc).removeprefix(f"{TABLE}: ")) from None
    return to_table(TABLE, days.get(game_date, []))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id",),
    build=build,
    inputs=(Input("scrape.nbac_schedule"),),
    step=Step.PARSE,
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
