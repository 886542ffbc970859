"""NBA.com box-score bodies, in any of their three dialects, as player and team records.

One game's box score comes from NBA.com in three shapes, and the gamebook and the team
box-score parsers read all of them (this module is shared decoding, not a table):

- CDN `liveData/boxscore/boxscore_{gameId}.json`: `{meta, game}` (or the bare `game`),
  ISO-8601 minutes ("PT25M01.00S"), `starter`/`played` as "1"/"0", inactive players
  listed with `status: "INACTIVE"` and a `notPlayingReason` code, and the tip-off
  (`gameTimeUTC`), hence the game date;
- stats `boxscoretraditionalv3?GameID=`: nested camelCase under `boxScoreTraditional`,
  minutes "30:49" or "" with a `comment` ("DNP - Coach's Decision") for who did not play,
  starters told by a `position`; no date, no inactive players;
- stats `boxscoretraditionalv2?GameID=`: `resultSets` tables (`PlayerStats`,
  `TeamStats`), `MIN` "49:25" or null with a `COMMENT`, `TO` for turnovers; no date,
  and nothing says which team was at home.

`read(data)` turns any of them into a `Box`: the game, its date when the body carries
one, the home/away sides when known, gamebook-shaped player records (every listed
player, played or not) and team totals when the body says who was at home.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fullcourt.processors.raw.payload import (
    Model,
    clean_name,
    decode,
    eastern_date,
    game_season,
    invalid,
    minutes,
)

__all__ = ["Box", "is_box", "read"]

# liveData `notPlayingReason` codes, worded as the stats endpoints' comments word them.
_NOT_PLAYING = {
    "INACTIVE_INJURY": "Injury/Illness",
    "INACTIVE_ILLNESS": "Injury/Illness",
    "INACTIVE_GLEAGUE_TWOWAY": "G League - Two-Way",
    "INACTIVE_GLEAGUE_ON_ASSIGNMENT": "G League - On Assignment",
    "INACTIVE_PERSONAL": "Personal Reasons",
    "INACTIVE_NOT_WITH_TEAM": "Not With Team",
    "INACTIVE_HEALTH_AND_SAFETY_PROTOCOLS": "Health and Safety Protocols",
    "INACTIVE_SUSPENDED": "Suspended",
    "INACTIVE_COACH": "Coach's Decision",
    "DNP_COACH": "DNP - Coach's Decision",
    "DNP_INJURY": "DNP - Injury/Illness",
}
DNP_DEFAULT = "DNP - Coach's Decision"  # active, not played, no reason given
_INACTIVE_COMMENTS = ("DND", "NWT", "INACTIVE")  # did not dress, not with team


@dataclass
class Box:
    game_id: str
    kind: str  # cdn_boxscore | stats_boxscore_v3 | stats_boxscore_v2
    game_date: date | None  # when the body carries it
    home: str | None  # tricodes; None when the body does not say (v2)
    away: str | None
    players: list[dict] = field(default_factory=list)  # gamebook columns but game_date
    teams: list[dict] = field(default_factory=list)  # team box columns but game_date


def is_box(data: Any) -> str | None:
    """The dialect of a decoded box-score body, or None if it is not one."""
    if not isinstance(data, dict):
        return None
    game = data.get("game", data)
    if isinstance(game, dict) and isinstance(game.get("homeTeam"), dict) and "players" in game["homeTeam"]:
        return "cdn_boxscore"
    if isinstance(data.get("boxScoreTraditional"), dict):
        return "stats_boxscore_v3"
    sets = data.get("resultSets")
    if isinstance(sets, list) and any(isinstance(s, dict) and s.get("name") == "PlayerStats" for s in sets):
        return "stats_boxscore_v2"
    return None


# -- shared row shapes -----------------------------------------------------------------------


def _minus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def _player(
    game_id: str, team: str, opponent: str, person: Any, name: str, starter: bool | None,
    status: str, reason: str | None, mins: float | None, s: dict[str, int | None],
) -> dict:
    active = status == "active"

    def stat(k: str) -> int | None:
        return s.get(k) if active else None

    return {
        "game_id": game_id,
        "season": game_season(game_id),
        "team": team.upper(),
        "opponent": opponent.upper(),
        "player_id": str(person),
        "player_name": clean_name(name),
        "starter": bool(starter) if active else False,
        "status": status,
        "dnp_reason": None if active else (reason or (DNP_DEFAULT if status == "dnp" else status)),
        "minutes": mins if active else None,
        "points": stat("pts"),
        "fg2m": _minus(stat("fgm"), stat("fg3m")),
        "fg2a": _minus(stat("fga"), stat("fg3a")),
        "fg3m": stat("fg3m"),
        "fg3a": stat("fg3a"),
        "ftm": stat("ftm"),
        "fta": stat("fta"),
        "oreb": stat("oreb"),
        "dreb": stat("dreb"),
        "ast": stat("ast"),
        "stl": stat("stl"),
        "blk": stat("blk"),
        "tov": stat("tov"),
        "pf": stat("pf"),
    }


def _team(game_id: str, team: str, opponent: str, home: bool, mins: float | None, s: dict) -> dict:
    return {
        "game_id": game_id,
        "season": game_season(game_id),
        "team": team.upper(),
        "opponent": opponent.upper(),
        "is_home": home,
        "minutes": mins,
        "points": s.get("pts"),
        "fgm": s.get("fgm"),
        "fga": s.get("fga"),
        "fg3m": s.get("fg3m"),
        "fg3a": s.get("fg3a"),
        "ftm": s.get("ftm"),
        "fta": s.get("fta"),
        "oreb": s.get("oreb"),
        "dreb": s.get("dreb"),
        "ast": s.get("ast"),
        "tov": s.get("tov"),
    }


def _mins(value: Any, where: str, table: str, day: date | None) -> float | None:
    try:
        return minutes(value)
    except ValueError as exc:
        raise invalid(table, day, f"{where}: {exc}") from None


def _flag(value: str | bool | None) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return value.strip() in ("1", "true", "True", "Y")


def _comment_status(comment: str | None, mins: float | None) -> tuple[str, str | None]:
    text = " ".join((comment or "").split())
    if mins is not None and not text:
        return "active", None
    if text.upper().startswith(_INACTIVE_COMMENTS):
        return "inactive", text
    if mins is not None and mins > 0:
        return "active", None
    return "dnp", text or None


# -- CDN liveData ------------------------------------------------------------------------------


class _CdnStats(Model):
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

    def counts(self) -> dict[str, int | None]:
        return {
            "pts": self.points, "fgm": self.fieldGoalsMade, "fga": self.fieldGoalsAttempted,
            "fg3m": self.threePointersMade, "fg3a": self.threePointersAttempted,
            "ftm": self.freeThrowsMade, "fta": self.freeThrowsAttempted,
            "oreb": self.reboundsOffensive, "dreb": self.reboundsDefensive,
            "ast": self.assists, "stl": self.steals, "blk": self.blocks,
            "tov": self.turnovers, "pf": self.foulsPersonal,
        }  # fmt: skip


class _CdnPlayer(Model):
    personId: int | str
    name: str | None = None
    firstName: str = ""
    familyName: str = ""
    status: str = "ACTIVE"
    starter: str | bool | None = None
    played: str | bool | None = None
    notPlayingReason: str | None = None
    notPlayingDescription: str | None = None
    statistics: _CdnStats


class _CdnTeam(Model):
    teamTricode: str
    players: list[_CdnPlayer]
    statistics: _CdnStats | None = None


class _CdnGame(Model):
    gameId: str
    gameTimeUTC: datetime | None = None
    homeTeam: _CdnTeam
    awayTeam: _CdnTeam


def _not_playing(p: _CdnPlayer) -> str | None:
    code = (p.notPlayingReason or "").strip().upper()
    label = _NOT_PLAYING.get(code) or (code.replace("_", " ").title() if code else None)
    desc = " ".join((p.notPlayingDescription or "").split()) or None
    if label and desc:
        return f"{label} - {desc}"
    return label or desc


def _cdn(data: Any, table: str, day: date | None) -> Box:
    g = decode(data.get("game", data), _CdnGame, table, day)
    game_date = eastern_date(g.gameTimeUTC) if g.gameTimeUTC is not None else None
    home, away = g.homeTeam.teamTricode.upper(), g.awayTeam.teamTricode.upper()
    box = Box(g.gameId, "cdn_boxscore", game_date, home, away)
    for team, opp, is_home in ((g.homeTeam, g.awayTeam, True), (g.awayTeam, g.homeTeam, False)):
        for p in team.players:
            if p.status.strip().upper() == "INACTIVE":
                status = "inactive"
            elif _flag(p.played) is False:
                status = "dnp"
            else:
                status = "active"
            where = f"game {g.gameId} player {p.personId}"
            mins = _mins(p.statistics.minutes, where, table, day) if status == "active" else None
            name = p.name or f"{p.firstName} {p.familyName}"
            box.players.append(_player(
                g.gameId, team.teamTricode, opp.teamTricode, p.personId, name, _flag(p.starter),
                status, _not_playing(p), mins, p.statistics.counts(),
            ))
        if team.statistics is not None:
            mins = _mins(team.statistics.minutes, f"game {g.gameId} team {team.teamTricode}", table, day)
            box.teams.append(_team(g.gameId, team.teamTricode, opp.teamTricode, is_home, mins,
                                   team.statistics.counts()))
    return box


# -- stats v3 ----------------------------------------------------------------------------------


class _V3Player(Model):
    personId: int | str
    firstName: str = ""
    familyName: str = ""
    position: str | None = ""
    comment: str | None = ""
    statistics: _CdnStats


class _V3Team(Model):
    teamTricode: str
    players: list[_V3Player]
    statistics: _CdnStats | None = None


class _V3Box(Model):
    gameId: str
    homeTeam: _V3Team
    awayTeam: _V3Team


class _V3(Model):
    boxScoreTraditional: _V3Box


def _v3(data: Any, table: str, day: date | None) -> Box:
    b = decode(data, _V3, table, day).boxScoreTraditional
    home, away = b.homeTeam.teamTricode.upper(), b.awayTeam.teamTricode.upper()
    box = Box(b.gameId, "stats_boxscore_v3", None, home, away)
    for team, opp, is_home in ((b.homeTeam, b.awayTeam, True), (b.awayTeam, b.homeTeam, False)):
        for p in team.players:
            where = f"game {b.gameId} player {p.personId}"
            mins = _mins(p.statistics.minutes, where, table, day)
            status, reason = _comment_status(p.comment, mins)
            box.players.append(_player(
                b.gameId, team.teamTricode, opp.teamTricode, p.personId,
                f"{p.firstName} {p.familyName}", bool((p.position or "").strip()),
                status, reason, mins, p.statistics.counts(),
            ))
        if team.statistics is not None:
            mins = _mins(team.statistics.minutes, f"game {b.gameId} team {team.teamTricode}", table, day)
            box.teams.append(_team(b.gameId, team.teamTricode, opp.teamTricode, is_home, mins,
                                   team.statistics.counts()))
    return box


# -- stats v2 ----------------------------------------------------------------------------------


class _ResultSet(Model):
    name: str
    headers: list[str]
    rowSet: list[list[Any]]


class _V2(Model):
    resultSets: list[_ResultSet]


_V2_NEEDED = ("GAME_ID", "TEAM_ABBREVIATION", "PLAYER_ID", "PLAYER_NAME", "START_POSITION",
              "COMMENT", "MIN", "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB",
              "AST", "STL", "BLK", "TO", "PF", "PTS")  # fmt: skip
_V2_COUNTS = {"pts": "PTS", "fgm": "FGM", "fga": "FGA", "fg3m": "FG3M", "fg3a": "FG3A",
              "ftm": "FTM", "fta": "FTA", "oreb": "OREB", "dreb": "DREB", "ast": "AST",
              "stl": "STL", "blk": "BLK", "tov": "TO", "pf": "PF"}  # fmt: skip


def whole(value: Any, what: str, table: str, day: date | None) -> int | None:
    """A counting stat: an integer (or a float that is one), else `PayloadInvalid`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise invalid(table, day, f"{what} is not a whole number: {value!r}")
    return int(value)


def _v2(data: Any, table: str, day: date | None) -> Box:
    sets = decode(data, _V2, table, day).resultSets
    stats = next(s for s in sets if s.name == "PlayerStats")
    missing = [h for h in _V2_NEEDED if h not in stats.headers]
    if missing:
        raise invalid(table, day, f"PlayerStats lacks columns {', '.join(missing)}")
    col = {h: stats.headers.index(h) for h in _V2_NEEDED}
    rows = []
    for n, raw in enumerate(stats.rowSet):
        if len(raw) != len(stats.headers):
            raise invalid(table, day, f"PlayerStats row {n} has {len(raw)} values for {len(stats.headers)} headers")
        rows.append({h: raw[i] for h, i in col.items()})
    if not rows:
        raise invalid(table, day, "PlayerStats has no rows")
    game_id = str(rows[0]["GAME_ID"])
    teams = list(dict.fromkeys(str(r["TEAM_ABBREVIATION"]).upper() for r in rows))
    if len(teams) != 2:
        raise invalid(table, day, f"game {game_id}: PlayerStats names {len(teams)} teams, not 2")
    box = Box(game_id, "stats_boxscore_v2", None, None, None)
    for n, r in enumerate(rows):
        team = str(r["TEAM_ABBREVIATION"]).upper()
        mins = _mins(r["MIN"], f"game {game_id} player {r['PLAYER_ID']}", table, day)
        status, reason = _comment_status(r["COMMENT"], mins)
        counts = {k: whole(r[h], f"PlayerStats row {n} {h}", table, day) for k, h in _V2_COUNTS.items()}
        box.players.append(_player(
            game_id, team, teams[1] if team == teams[0] else teams[0], r["PLAYER_ID"],
            str(r["PLAYER_NAME"]), bool(str(r["START_POSITION"] or "").strip()),
            status, reason, mins, counts,
        ))
    return box


def read(data: Any, table: str, day: date | None) -> Box:
    """The `Box` of a decoded body; `PayloadInvalid` (for `table`) if it is not one."""
    kind = is_box(data)
    if kind == "cdn_boxscore":
        return _cdn(data, table, day)
    if kind == "stats_boxscore_v3":
        return _v3(data, table, day)
    if kind == "stats_boxscore_v2":
        return _v2(data, table, day)
    raise invalid(table, day, "not an NBA.com box score (liveData boxscore or boxscoretraditionalv2/v3)")
