"""NBA.com gamebook: every player on both rosters of every game, and why some did not play.

The gamebook is the primary box score: it lists inactive players and coach's decisions
too, which is how analytics can tell "did not play" from "minutes missing". Minutes
arrive as ISO-8601 durations ("PT34M12.00S") and are kept as decimal minutes; field
goals arrive as totals and threes, and are split into twos and threes here.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from fullcourt.catalog.gates import Check, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.raw.payload import (
    Model,
    clean_name,
    decode,
    dedupe,
    invalid,
    minutes,
    to_table,
)

__all__ = ["SPEC", "build"]

TABLE = "nbac_gamebook_player_stats"


class _Stats(Model):
    minutes: str | None = None
    points: int | None = None
    fieldGoalsMade: int | None = None
    fieldGoalsAttempted: int | None = None
    threePointersMade: int | None = None
    threePointersAttempted: int | None = None
    freeThrowsMade: int | None = None
    freeThrowsAttempted: int | None = None
    reboundsOffensive: int | None = None
    reboundsDefensive: int | None = None
    assists: int | None = None
    steals: int | None = None
    blocks: int | None = None
    turnovers: int | None = None
    foulsPersonal: int | None = None


class _Player(Model):
    personId: str | int
    name: str
    starter: str | bool | None = None
    status: str
    played: str | bool | None = None
    notPlayingReason: str | None = None
    statistics: _Stats


class _Team(Model):
    teamTricode: str
    players: list[_Player]


class _Game(Model):
    gameId: str
    season: str
    homeTeam: _Team
    awayTeam: _Team


class _Payload(Model):
    gameDate: str
    games: list[_Game]


def _flag(value: str | bool | None) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return value.strip() in ("1", "true", "True", "Y")


def _minus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def _row(game: _Game, team: _Team, opponent: _Team, p: _Player, game_date: date) -> dict:
    s = p.statistics
    if p.status.strip().upper() == "INACTIVE":
        status = "inactive"
    elif _flag(p.played) is False:
        status = "dnp"
    else:
        status = "active"
    active = status == "active"
    try:
        mins = minutes(s.minutes) if active else None
    except ValueError as exc:
        raise invalid(TABLE, game_date, f"game {game.gameId} player {p.personId}: {exc}") from None

    def stat(v: int | None) -> int | None:
        return v if active else None

    return {
        "game_id": game.gameId,
        "game_date": game_date,
        "season": game.season,
        "team": team.teamTricode.upper(),
        "opponent": opponent.teamTricode.upper(),
        "player_id": str(p.personId),
        "player_name": clean_name(p.name),
        "starter": _flag(p.starter) if active else False,
        "status": status,
        "dnp_reason": None if active else (p.notPlayingReason or status),
        "minutes": mins,
        "points": stat(s.points),
        "fg2m": stat(_minus(s.fieldGoalsMade, s.threePointersMade)),
        "fg2a": stat(_minus(s.fieldGoalsAttempted, s.threePointersAttempted)),
        "fg3m": stat(s.threePointersMade),
        "fg3a": stat(s.threePointersAttempted),
        "ftm": stat(s.freeThrowsMade),
        "fta": stat(s.freeThrowsAttempted),
        "oreb": stat(s.reboundsOffensive),
        "dreb": stat(s.reboundsDefensive),
        "ast": stat(s.assists),
        "stl": stat(s.steals),
        "blk": stat(s.blocks),
        "tov": stat(s.turnovers),
        "pf": stat(s.foulsPersonal),
    }


def build(body: bytes, game_date: date) -> pa.Table:
    payload = decode(body, _Payload, TABLE, game_date)
    if payload.gameDate[:10] != game_date.isoformat():
        raise invalid(TABLE, game_date, f"payload is for {payload.gameDate[:10]}")
    rows = [
        _row(g, team, opp, p, game_date)
        for g in payload.games
        for team, opp in ((g.homeTeam, g.awayTeam), (g.awayTeam, g.homeTeam))
        for p in team.players
    ]
    return to_table(TABLE, dedupe(rows, ("game_id", "player_id")))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(Input("scrape.nbac_gamebook"),),
    gates=(
        Unique(),
        Range("minutes", 0.0, 70.0),
        Check("minutes NULL unless active", lambda t: (t.status == "active") | t.minutes.isnull()),
        Check("points == 2*fg2m + 3*fg3m + ftm",
              lambda t: t.points == 2 * t.fg2m + 3 * t.fg3m + t.ftm),
        Check("makes <= attempts",
              lambda t: (t.fg2m <= t.fg2a) & (t.fg3m <= t.fg3a) & (t.ftm <= t.fta)),
    ),
    expectation=Expectation.GAMES,
    description="NBA.com gamebook: one row per rostered player per game, with DNP/inactive status.",
)
