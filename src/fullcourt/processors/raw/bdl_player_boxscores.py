"""BallDontLie player box scores: the second opinion behind the gamebook.

One body is one page of `v1/stats?dates[]=YYYY-MM-DD&per_page=100&cursor=N` (`{data,
meta: {next_cursor, per_page}}`); a date's pages are separate bodies. BDL nests player,
team and game objects, identifies teams by integer ids, and sends minutes as a string of
whole minutes ("05", "5"; "00" for a player who did not play; older records "MM:SS" or
NULL). Opponents are not named in a record, only the game's home and visitor team ids,
so ids are resolved to tricodes from the records of the same body first and the league's
fixed id table second. Game and player ids are BallDontLie's own, kept as text.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from fullcourt.catalog.calendar import season_name
from fullcourt.catalog.gates import Check, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, Step, TableSpec
from fullcourt.processors.raw.payload import (
    Model,
    clean_name,
    decode,
    dedupe,
    invalid,
    minutes,
    to_table,
)
from fullcourt.sources.teams import BDL_IDS

__all__ = ["SPEC", "build", "is_stats_page"]

TABLE = "bdl_player_boxscores"
_CODE_OF_ID = {bdl: code for code, bdl in BDL_IDS.items()}


class _Player(Model):
    id: int | str
    first_name: str = ""
    last_name: str = ""


class _Team(Model):
    id: int | None = None
    abbreviation: str


class _Game(Model):
    id: int | str
    date: str
    season: int
    home_team_id: int | None = None
    visitor_team_id: int | None = None


class _Record(Model):
    min: str | int | float | None = None
    pts: int | None = None
    fgm: int | None = None
    fga: int | None = None
    fg3m: int | None = None
    fg3a: int | None = None
    ftm: int | None = None
    fta: int | None = None
    oreb: int | None = None
    dreb: int | None = None
    ast: int | None = None
    stl: int | None = None
    blk: int | None = None
    turnover: int | None = None
    pf: int | None = None
    player: _Player
    team: _Team
    game: _Game


class _Payload(Model):
    data: list[_Record]


def is_stats_page(data: object) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("data"), list)
            and isinstance(data.get("meta"), dict)
            and all(isinstance(r, dict) and "player" in r and "game" in r for r in data["data"][:3]))


def build(body: bytes, game_date: date) -> pa.Table:
    payload = decode(body, _Payload, TABLE, game_date)
    code_of = dict(_CODE_OF_ID)
    code_of.update({r.team.id: r.team.abbreviation.upper() for r in payload.data if r.team.id})
    rows = []
    for r in payload.data:
        if r.game.date[:10] != game_date.isoformat():
            raise invalid(TABLE, game_date, f"record of game {r.game.id} is dated {r.game.date}")
        team = r.team.abbreviation.upper()
        sides = (r.game.home_team_id, r.game.visitor_team_id)
        other = [code_of.get(i) for i in sides if i is not None and code_of.get(i) != team]
        try:
            mins = minutes(r.min)
        except ValueError as exc:
            raise invalid(TABLE, game_date, f"player {r.player.id}: {exc}") from None
        rows.append(
            {
                "game_id": str(r.game.id),
                "game_date": game_date,
                "season": season_name(r.game.season),
                "team": team,
                "opponent": other[0] if other else None,
                "player_id": str(r.player.id),
                "player_name": clean_name(f"{r.player.first_name} {r.player.last_name}"),
                "minutes": mins,
                "points": r.pts,
                "fgm": r.fgm,
                "fga": r.fga,
                "fg3m": r.fg3m,
                "fg3a": r.fg3a,
                "ftm": r.ftm,
                "fta": r.fta,
                "oreb": r.oreb,
                "dreb": r.dreb,
                "ast": r.ast,
                "stl": r.stl,
                "blk": r.blk,
                "tov": r.turnover,
                "pf": r.pf,
            }
        )
    return to_table(TABLE, dedupe(rows, ("game_id", "player_id")))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(Input("scrape.bdl_stats"),),
    step=Step.PARSE,
    gates=(
        Unique(),
        Range("minutes", 0.0, 70.0),
        Check("points == 2*fgm + fg3m + ftm", lambda t: t.points == 2 * t.fgm + t.fg3m + t.ftm),
        Check("makes <= attempts",
              lambda t: (t.fgm <= t.fga) & (t.fg3m <= t.fg3a) & (t.ftm <= t.fta)),
    ),
    expectation=Expectation.GAMES,
    description="BallDontLie box scores: one row per player who dressed, per game.",
)
