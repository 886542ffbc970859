"""NBA.com as the CDN and the stats site serve it: schedule, box scores, game logs, plays.

- `schedule`: `scheduleLeagueV2` (CDN `static/json/staticData/scheduleLeagueV2.json`
  for the current season, stats `scheduleleaguev2?Season=` for any): game dates as the
  feed writes them ("10/24/2023 00:00:00"), tip-off in UTC and Eastern, status 1/2/3
  with "PPD" for a postponed game, scores 0 until final;
- `boxscore`: CDN `liveData/boxscore/boxscore_{gameId}.json`: `{meta, game}`, ISO-8601
  minutes, "1"/"0" flags, inactive players with a `notPlayingReason` code and its
  description, team statistics;
- `game_log`: stats `leaguegamelog?PlayerOrTeam=T`: a `resultSets` table with integer
  `MIN` and home/away only in MATCHUP;
- `play_by_play`: CDN `liveData/playbyplay/playbyplay_{gameId}.json`: shot actions
  typed "2pt"/"3pt"/"freethrow" with an `area` and court coordinates.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fullcourt.sources.teams import NBA_IDS, TEAM_NAMES
from fullcourt.sources.wire import eastern, iso_minutes, iso_utc

__all__ = ["GAME_LOG_HEADERS", "boxscore", "game_log", "meta", "play_by_play", "schedule"]

Row = Mapping[str, Any]

GAME_LOG_HEADERS = [
    "SEASON_ID", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID", "GAME_DATE",
    "MATCHUP", "WL", "MIN", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM", "FTA",
    "FT_PCT", "OREB", "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF", "PTS", "PLUS_MINUS",
    "VIDEO_AVAILABLE",
]  # fmt: skip
_SEASON_DIGIT = {"regular": "2", "playoffs": "4", "play_in": "5"}
ZONE_AREAS = {
    "restricted_area": "Restricted Area",
    "paint": "In The Paint (Non-RA)",
    "mid_range": "Mid-Range",
    "corner_three": "Corner 3",  # rendered Left/Right by event parity, as the feed does
    "above_break_three": "Above the Break 3",
}
# liveData `notPlayingReason` codes for the simulator's reasons ("category - description")
_CODES = {"Injury/Illness": "INACTIVE_INJURY", "G League - On Assignment": "INACTIVE_GLEAGUE_ON_ASSIGNMENT"}


def meta(request: str, at: datetime) -> dict:
    return {"version": 1, "code": 200, "request": request, "time": iso_utc(at)}


def _team_names(code: str) -> tuple[str, str]:
    """(city, nickname) of a tricode: "Portland Trail Blazers" -> ("Portland", "Trail Blazers")."""
    full = TEAM_NAMES.get(code, code)
    words = full.split()
    cut = -2 if full.endswith("Trail Blazers") else -1
    return " ".join(words[:cut]), " ".join(words[cut:])


def _team_ref(code: str, score: int | None) -> dict:
    city, name = _team_names(code)
    return {
        "teamId": NBA_IDS.get(code, 0), "teamName": name, "teamCity": city, "teamTricode": code,
        "teamSlug": name.lower().replace(" ", ""), "wins": 0, "losses": 0,
        "score": score if score is not None else 0, "seed": None,
    }


def _schedule_game(r: Row, sequence: int) -> dict:
    final = r["status"] == "final"
    tip = r["tipoff_utc"]
    local = eastern(tip)
    text = "Final" if final else ("PPD" if r["status"] == "postponed" else local.strftime("%-I:%M %p ET").lower().replace(" et", " ET"))
    code = f"{local:%Y%m%d}/{r['away_team']}{r['home_team']}"
    return {
        "gameId": r["game_id"],
        "gameCode": code,
        "gameStatus": 3 if final else 1,
        "gameStatusText": text,
        "gameSequence": sequence,
        "gameDateEst": f"{r['game_date'].isoformat()}T00:00:00Z",
        "gameTimeEst": f"1900-01-01T{local:%H:%M}:00Z",
        "gameDateTimeEst": f"{local:%Y-%m-%dT%H:%M}:00Z",
        "gameDateUTC": f"{tip:%Y-%m-%d}T04:00:00Z",
        "gameTimeUTC": f"1900-01-01T{tip:%H:%M}:00Z",
        "gameDateTimeUTC": iso_utc(tip),
        "weekNumber": 0,
        "gameLabel": {"play_in": "Play-In Tournament", "playoffs": "Playoffs"}.get(r["season_type"], ""),
        "gameSubLabel": "",
        "seriesText": "",
        "ifNecessary": False,
        "postponedStatus": "Y" if r["status"] == "postponed" else "N",
        "homeTeam": _team_ref(r["home_team"], r["home_score"] if final else None),
        "awayTeam": _team_ref(r["away_team"], r["away_score"] if final else None),
    }


def schedule(rows: Sequence[Row], season: str, at: datetime) -> dict:
    """The season's `scheduleLeagueV2` document."""
    days: dict[date, list[dict]] = {}
    for r in sorted(rows, key=lambda r: (r["game_date"], r["tipoff_utc"], r["game_id"])):
        games = days.setdefault(r["game_date"], [])
        games.append(_schedule_game(r, len(games) + 1))
    return {
        "meta": meta(f"http://nba.cloud/league/00/{season}/scheduleleaguev2?Format=json", at),
        "leagueSchedule": {
            "seasonYear": season,
            "leagueId": "00",
            "gameDates": [
                {"gameDate": d.strftime("%m/%d/%Y 00:00:00"), "games": games} for d, games in days.items()
            ],
        },
    }


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _player(r: Row, order: int) -> dict:
    status = r["status"]
    first, _, last = (r["player_name"] or "").partition(" ")
    out: dict[str, Any] = {
        "status": "INACTIVE" if status == "inactive" else "ACTIVE",
        "order": order,
        "personId": int(r["player_id"]) if str(r["player_id"]).isdigit() else r["player_id"],
        "jerseyNum": "",
        "position": "",
        "starter": "1" if r["starter"] else "0",
        "oncourt": "0",
        "played": "1" if status == "active" else "0",
    }
    if status == "inactive":
        category, _, description = (r["dnp_reason"] or "").partition(" - ")
        code = _CODES.get(r["dnp_reason"] or "") or _CODES.get(category)
        if code == "INACTIVE_INJURY":
            out["notPlayingReason"], out["notPlayingDescription"] = code, description
        elif code is not None:
            out["notPlayingReason"] = code
        else:
            out["notPlayingReason"], out["notPlayingDescription"] = "INACTIVE_OTHER", r["dnp_reason"]
    played = status == "active"

    def n(v: int | None) -> int:
        return (v or 0) if played else 0

    out["statistics"] = {
        "assists": n(r["ast"]), "blocks": n(r["blk"]),
        "fieldGoalsAttempted": n(_add(r["fg2a"], r["fg3a"])),
        "fieldGoalsMade": n(_add(r["fg2m"], r["fg3m"])),
        "foulsPersonal": n(r["pf"]), "freeThrowsAttempted": n(r["fta"]),
        "freeThrowsMade": n(r["ftm"]),
        "minutes": iso_minutes(r["minutes"]) if played and r["minutes"] is not None else ("PT00M00.00S" if not played else ""),
        "points": n(r["points"]), "reboundsDefensive": n(r["dreb"]),
        "reboundsOffensive": n(r["oreb"]), "reboundsTotal": n(_add(r["oreb"], r["dreb"])),
        "steals": n(r["stl"]), "threePointersAttempted": n(r["fg3a"]),
        "threePointersMade": n(r["fg3m"]), "turnovers": n(r["tov"]),
        "twoPointersAttempted": n(r["fg2a"]), "twoPointersMade": n(r["fg2m"]),
    }  # fmt: skip
    if played and r["minutes"] is None:
        out["statistics"]["minutes"] = None
    out.update({"name": r["player_name"], "nameI": f"{first[:1]}. {last}" if last else first,
                "firstName": first, "familyName": last})
    return out


def _team_stats(t: Row | None) -> dict:
    if t is None:
        return {}
    return {
        "assists": t["ast"], "fieldGoalsAttempted": t["fga"], "fieldGoalsMade": t["fgm"],
        "freeThrowsAttempted": t["fta"], "freeThrowsMade": t["ftm"],
        "minutes": iso_minutes(t["minutes"]), "points": t["points"],
        "reboundsDefensive": t["dreb"], "reboundsOffensive": t["oreb"],
        "reboundsTotal": _add(t["oreb"], t["dreb"]), "threePointersAttempted": t["fg3a"],
        "threePointersMade": t["fg3m"], "turnovers": t["tov"],
    }  # fmt: skip


def boxscore(game: Row, players: Sequence[Row], teams: Sequence[Row], at: datetime) -> dict:
    """One game's CDN liveData box score; `game` is its schedule row."""
    sides = {}
    for side, code in (("homeTeam", game["home_team"]), ("awayTeam", game["away_team"])):
        mine = [p for p in players if p["team"] == code]
        total = next((t for t in teams if t["team"] == code), None)
        city, name = _team_names(code)
        score = sum(p["points"] or 0 for p in mine)
        sides[side] = {
            "teamId": NBA_IDS.get(code, 0), "teamName": name, "teamCity": city,
            "teamTricode": code, "score": total["points"] if total else score,
            "players": [_player(p, i + 1) for i, p in enumerate(mine)],
            "statistics": _team_stats(total),
        }
    tip = game["tipoff_utc"]
    local = eastern(tip)
    return {
        "meta": meta(f"http://nba.cloud/games/{game['game_id']}/boxscore?Format=json", at),
        "game": {
            "gameId": game["game_id"],
            "gameTimeLocal": local.isoformat(),
            "gameTimeUTC": iso_utc(tip),
            "gameEt": local.isoformat(),
            "gameCode": f"{local:%Y%m%d}/{game['away_team']}{game['home_team']}",
            "gameStatusText": "Final",
            "gameStatus": 3,
            "regulationPeriods": 4,
            **sides,
        },
    }


def game_log(rows: Sequence[Row], parameters: Mapping[str, Any]) -> dict:
    """A stats `leaguegamelog` response of team rows."""
    out = []
    for r in sorted(rows, key=lambda r: (r["game_date"], r["game_id"], not r["is_home"])):
        digit = _SEASON_DIGIT.get(str(r.get("season_type", "regular")), "2")
        matchup = f"{r['team']} vs. {r['opponent']}" if r["is_home"] else f"{r['team']} @ {r['opponent']}"
        out.append([
            f"{digit}{r['season'][:4]}", NBA_IDS.get(r["team"], 0), r["team"],
            TEAM_NAMES.get(r["team"], r["team"]), r["game_id"], r["game_date"].isoformat(),
            matchup, r.get("wl"), round(r["minutes"]) if r["minutes"] is not None else None,
            r["fgm"], r["fga"], None, r["fg3m"], r["fg3a"], None, r["ftm"], r["fta"], None,
            r["oreb"], r["dreb"], _add(r["oreb"], r["dreb"]), r["ast"], None, None, r["tov"],
            None, r["points"], None, 1,
        ])  # fmt: skip
    return {
        "resource": "leaguegamelog",
        "parameters": dict(parameters),
        "resultSets": [{"name": "LeagueGameLog", "headers": GAME_LOG_HEADERS, "rowSet": out}],
    }


def _point(game_id: str, r: Row) -> tuple[int, int]:
    """Legacy court coordinates (tenths of a foot from the basket) inside the shot's zone."""
    h = zlib.crc32(f"{game_id}:{r['event_num']}".encode())
    u, v = (h & 0xFFFF) / 0xFFFF, (h >> 16) / 0xFFFF
    side = -1 if r["event_num"] % 2 else 1
    zone = r["zone"]
    if zone == "restricted_area":
        return round(side * 30 * u), round(35 * v)
    if zone == "paint":
        return round(side * (45 + 30 * u)), round(60 + 70 * v)
    if zone == "mid_range":
        return round(side * (100 + 90 * u)), round(40 + 120 * v)
    if zone == "corner_three":
        return side * 225, round(-40 + 120 * v)
    return round(side * 200 * u), round(245 + 40 * v)


def _action(game_id: str, r: Row, order: int) -> dict:
    ft = r["event_type"] == "free_throw"
    kind = "freethrow" if ft else ("3pt" if r["zone"] in ("corner_three", "above_break_three") else "2pt")
    out: dict[str, Any] = {
        "actionNumber": r["event_num"],
        "clock": "PT00M00.00S",
        "period": r["period"],
        "periodType": "REGULAR" if r["period"] <= 4 else "OVERTIME",
        "teamId": NBA_IDS.get(r["team"], 0),
        "teamTricode": r["team"],
        "actionType": kind,
        "subType": "Free Throw" if ft else "Jump Shot",
        "personId": int(r["player_id"]) if str(r["player_id"]).isdigit() else r["player_id"],
        "isFieldGoal": 0 if ft else 1,
        "shotResult": None if r["made"] is None else ("Made" if r["made"] else "Missed"),
        "orderNumber": order,
    }
    if not ft:
        x, y = _point(game_id, r)
        area = ZONE_AREAS[r["zone"]]
        if r["zone"] == "corner_three":
            area = ("Left " if x < 0 else "Right ") + area
        out.update(area=area, xLegacy=x, yLegacy=y, shotDistance=round((x * x + y * y) ** 0.5 / 10))
    return out


def play_by_play(game_id: str, rows: Iterable[Row], at: datetime) -> dict:
    """One game's CDN liveData play-by-play (shot actions)."""
    ordered = sorted(rows, key=lambda r: r["event_num"])
    return {
        "meta": meta(f"http://nba.cloud/games/{game_id}/playbyplay?Format=json", at),
        "game": {"gameId": game_id, "actions": [_action(game_id, r, i + 1) for i, r in enumerate(ordered)]},
    }
