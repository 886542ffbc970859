"""How each source's records look on the wire: raw-table rows rendered as provider JSON.

The simulator holds its data in the raw-table columns (`RAW_SCHEMAS`); real providers
do not. So the API renders rows in each provider's own vocabulary — BallDontLie's nested
player/team/game objects and "MM:SS" minutes, NBA.com's ISO-8601 durations, `resultSets`
tables and "MATCHUP" strings, the Odds API's event -> bookmaker -> market -> outcome tree
with one outcome per side, the injury report's "Last, First" names — and the phase-2
parsers have real normalising to do. Each `render_*` takes plain row dicts (one per raw
row, already filtered by visibility and faults) and returns a JSON-ready value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fullcourt.sources.faults import utc_naive
from fullcourt.sources.teams import TEAM_NAMES

__all__ = [
    "THREE_POINT_ZONES",
    "bdl_records",
    "clock_minutes",
    "iso_minutes",
    "iso_utc",
    "render_gamebook",
    "render_injuries",
    "render_odds",
    "render_pbp",
    "render_schedule",
    "render_team_boxscore",
    "split_name",
]

Row = Mapping[str, Any]

SEASON_TYPE_LABELS = {"regular": "Regular Season", "play_in": "PlayIn", "playoffs": "Playoffs"}
ZONE_AREAS = {
    "restricted_area": "Restricted Area",
    "paint": "In The Paint (Non-RA)",
    "mid_range": "Mid-Range",
    "corner_three": "Corner 3",  # rendered Left/Right by event parity, as the feed does
    "above_break_three": "Above the Break 3",
}
THREE_POINT_ZONES = frozenset({"corner_three", "above_break_three"})
TEAM_TABLE_HEADERS = [
    "GAME_ID", "GAME_DATE", "SEASON", "TEAM_ABBREVIATION", "MATCHUP", "MIN", "PTS",
    "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB", "AST", "TOV",
]  # fmt: skip


def iso_utc(moment: datetime | None) -> str | None:
    """An instant as ISO-8601 UTC with a trailing Z, the way every provider sends times."""
    if moment is None:
        return None
    return utc_naive(moment).isoformat() + "Z"


def clock_minutes(minutes: float | None) -> str | None:
    """Decimal minutes as BallDontLie's "MM:SS" (whole seconds)."""
    if minutes is None:
        return None
    seconds = round(minutes * 60)
    return f"{seconds // 60}:{seconds % 60:02d}"


def iso_minutes(minutes: float | None) -> str | None:
    """Decimal minutes as NBA.com's ISO-8601 duration, e.g. "PT34M12.00S"."""
    if minutes is None:
        return None
    centis = round(minutes * 6000)
    return f"PT{centis // 6000}M{(centis % 6000) / 100:05.2f}S"


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _sides(
    game_id: str, rows: Iterable[Row], homes: Mapping[str, tuple[str, str]]
) -> tuple[str, str]:
    """(home, away) tricodes of a game: from the schedule, else from the rows themselves."""
    if game_id in homes:
        return homes[game_id]
    teams = sorted({r["team"] for r in rows} | {r["opponent"] for r in rows if r.get("opponent")})
    return (teams[0], teams[1] if len(teams) > 1 else "")


def _by_game(rows: Iterable[Row]) -> dict[str, list[Row]]:
    games: dict[str, list[Row]] = {}
    for r in rows:
        games.setdefault(r["game_id"], []).append(r)
    return games


def render_schedule(rows: Sequence[Row], season: str | None) -> dict:
    """NBA.com `scheduleLeagueV2`: game dates holding games; scores only once final."""
    dates: dict[date, list[dict]] = {}
    for r in sorted(rows, key=lambda r: (r["game_date"], r["tipoff_utc"], r["game_id"])):
        final = r["status"] == "final"
        code, text = (3, "Final") if final else (1, "PPD" if r["status"] == "postponed" else "Scheduled")
        dates.setdefault(r["game_date"], []).append(
            {
                "gameId": r["game_id"],
                "gameStatus": code,
                "gameStatusText": text,
                "gameDateTimeUTC": iso_utc(r["tipoff_utc"]),
                "seasonYear": r["season"],
                "seasonType": SEASON_TYPE_LABELS.get(r["season_type"], r["season_type"]),
                "homeTeam": {"teamTricode": r["home_team"], "score": r["home_score"] if final else None},
                "awayTeam": {"teamTricode": r["away_team"], "score": r["away_score"] if final else None},
            }
        )
    return {
        "leagueSchedule": {
            "seasonYear": season,
            "gameDates": [
                {"gameDate": d.strftime("%m/%d/%Y 00:00:00"), "games": games}
                for d, games in dates.items()
            ],
        }
    }


def _gamebook_player(r: Row) -> dict:
    status = r["status"]
    return {
        "personId": r["player_id"],
        "name": r["player_name"],
        "starter": None if r["starter"] is None else ("1" if r["starter"] else "0"),
        "status": "INACTIVE" if status == "inactive" else "ACTIVE",
        "played": "1" if status == "active" else "0",
        "notPlayingReason": r["dnp_reason"],
        "statistics": {
            "minutes": iso_minutes(r["minutes"]),
            "points": r["points"],
            "fieldGoalsMade": _add(r["fg2m"], r["fg3m"]),
            "fieldGoalsAttempted": _add(r["fg2a"], r["fg3a"]),
            "threePointersMade": r["fg3m"],
            "threePointersAttempted": r["fg3a"],
            "freeThrowsMade": r["ftm"],
            "freeThrowsAttempted": r["fta"],
            "reboundsOffensive": r["oreb"],
            "reboundsDefensive": r["dreb"],
            "assists": r["ast"],
            "steals": r["stl"],
            "blocks": r["blk"],
            "turnovers": r["tov"],
            "foulsPersonal": r["pf"],
        },
    }


def render_gamebook(
    rows: Sequence[Row], game_date: date, homes: Mapping[str, tuple[str, str]]
) -> dict:
    """NBA.com box score per game: home and away team, each with its players."""
    games = []
    for game_id, game_rows in _by_game(rows).items():
        home, away = _sides(game_id, game_rows, homes)
        games.append(
            {
                "gameId": game_id,
                "season": game_rows[0]["season"],
                "homeTeam": {
                    "teamTricode": home,
                    "players": [_gamebook_player(r) for r in game_rows if r["team"] == home],
                },
                "awayTeam": {
                    "teamTricode": away,
                    "players": [_gamebook_player(r) for r in game_rows if r["team"] != home],
                },
            }
        )
    return {"gameDate": game_date.isoformat(), "games": games}


def bdl_records(
    rows: Sequence[Row],
    homes: Mapping[str, tuple[str, str]],
    team_ids: Mapping[str, int],
    postseason: Mapping[str, bool],
) -> list[dict]:
    """BallDontLie `/v1/stats` records: nested player, team and game, integer team ids."""
    out = []
    for i, r in enumerate(rows):
        home, away = homes.get(r["game_id"]) or (r["team"], r["opponent"])
        first, last = split_name(r["player_name"] or "")
        out.append(
            {
                "id": i + 1,
                "min": clock_minutes(r["minutes"]),
                "pts": r["points"],
                "fgm": r["fgm"],
                "fga": r["fga"],
                "fg3m": r["fg3m"],
                "fg3a": r["fg3a"],
                "ftm": r["ftm"],
                "fta": r["fta"],
                "oreb": r["oreb"],
                "dreb": r["dreb"],
                "reb": _add(r["oreb"], r["dreb"]),
                "ast": r["ast"],
                "stl": r["stl"],
                "blk": r["blk"],
                "turnover": r["tov"],
                "pf": r["pf"],
                "player": {"id": r["player_id"], "first_name": first, "last_name": last},
                "team": {"id": team_ids.get(r["team"]), "abbreviation": r["team"]},
                "game": {
                    "id": r["game_id"],
                    "date": r["game_date"].isoformat(),
                    "season": int(r["season"][:4]),
                    "home_team_id": team_ids.get(home),
                    "visitor_team_id": team_ids.get(away),
                    "postseason": postseason.get(r["game_id"], False),
                },
            }
        )
    return out


def render_team_boxscore(rows: Sequence[Row], game_date: date) -> dict:
    """NBA.com stats `resultSets` table; home/away only through the MATCHUP text."""
    row_set = [
        [
            r["game_id"],
            f"{r['game_date'].isoformat()}T00:00:00",
            r["season"],
            r["team"],
            f"{r['team']} vs. {r['opponent']}" if r["is_home"] else f"{r['team']} @ {r['opponent']}",
            clock_minutes(r["minutes"]),
            r["points"], r["fgm"], r["fga"], r["fg3m"], r["fg3a"], r["ftm"], r["fta"],
            r["oreb"], r["dreb"], r["ast"], r["tov"],
        ]  # fmt: skip
        for r in rows
    ]
    return {
        "resource": "boxscoreteam",
        "parameters": {"GameDate": game_date.isoformat()},
        "resultSets": [{"name": "TeamStats", "headers": TEAM_TABLE_HEADERS, "rowSet": row_set}],
    }


def _action(r: Row) -> dict:
    if r["event_type"] == "free_throw":
        kind = "freethrow"
    elif r["made"]:
        kind = "3pt" if r["points"] == 3 else "2pt"
    else:
        kind = "3pt" if r["zone"] in THREE_POINT_ZONES else "2pt"
    area = ZONE_AREAS.get(r["zone"], r["zone"]) if r["zone"] is not None else None
    if r["zone"] == "corner_three":
        area = ("Left " if r["event_num"] % 2 else "Right ") + area
    return {
        "actionNumber": r["event_num"],
        "period": r["period"],
        "teamTricode": r["team"],
        "personId": r["player_id"],
        "actionType": kind,
        "shotResult": None if r["made"] is None else ("Made" if r["made"] else "Missed"),
        "area": area,
    }


def render_pbp(rows: Sequence[Row], game_date: date, homes: Mapping[str, tuple[str, str]]) -> dict:
    """Play-by-play shot actions per game, the way the live feed names shot types and areas."""
    games = []
    for game_id, game_rows in _by_game(rows).items():
        home, away = _sides(game_id, game_rows, homes)
        games.append(
            {
                "gameId": game_id,
                "homeTeam": home,
                "awayTeam": away,
                "actions": [_action(r) for r in sorted(game_rows, key=lambda r: r["event_num"])],
            }
        )
    return {"gameDate": game_date.isoformat(), "games": games}


def render_odds(rows: Sequence[Row], game_date: date) -> dict:
    """Odds-API historical snapshots: event -> bookmaker -> player_points -> Over/Under outcomes.

    Teams go out as bookmakers print them (full names), not as tricodes."""
    snapshots: dict[datetime, dict[str, dict]] = {}
    for r in sorted(rows, key=lambda r: (r["snapshot_at"], r["event_id"], r["bookmaker"])):
        events = snapshots.setdefault(r["snapshot_at"], {})
        event = events.setdefault(
            r["event_id"],
            {
                "id": r["event_id"],
                "sport_key": "basketball_nba",
                "commence_time": iso_utc(r["commence_time"]),
                "home_team": TEAM_NAMES.get(r["home_team"], r["home_team"]),
                "away_team": TEAM_NAMES.get(r["away_team"], r["away_team"]),
                "bookmakers": {},
            },
        )
        book = event["bookmakers"].setdefault(
            r["bookmaker"],
            {
                "key": r["bookmaker"],
                "title": r["bookmaker"],
                "last_update": iso_utc(r["snapshot_at"]),
                "markets": [{"key": "player_points", "outcomes": []}],
            },
        )
        outcomes = book["markets"][0]["outcomes"]
        for side, price in (("Over", r["over_price"]), ("Under", r["under_price"])):
            if price is not None:
                outcomes.append(
                    {"name": side, "description": r["player_name"], "price": price, "point": r["line"]}
                )
    return {
        "date": game_date.isoformat(),
        "snapshots": [
            {
                "timestamp": iso_utc(at),
                "data": [
                    {**e, "bookmakers": list(e["bookmakers"].values())} for e in events.values()
                ],
            }
            for at, events in snapshots.items()
        ],
    }


def render_injuries(rows: Sequence[Row], game_date: date) -> dict:
    """The league injury report: one entry list per publication time, names "Last, First"."""
    reports: dict[datetime, list[dict]] = {}
    for r in sorted(rows, key=lambda r: (r["report_at"], r["game_id"], r["team"])):
        first, last = split_name(r["player_name"] or "")
        reports.setdefault(r["report_at"], []).append(
            {
                "gameDate": r["game_date"].strftime("%m/%d/%Y"),
                "gameId": r["game_id"],
                "teamTricode": r["team"],
                "personId": r["player_id"],
                "playerName": f"{last}, {first}" if last else first,
                "currentStatus": (r["status"] or "").capitalize() or None,
                "reason": r["reason"],
            }
        )
    return {
        "gameDate": game_date.isoformat(),
        "reports": [{"reportTime": iso_utc(at), "entries": e} for at, e in reports.items()],
    }
