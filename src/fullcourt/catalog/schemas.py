"""Column schemas of the raw (phase 2) tables: the contract between sources and analytics.

Every source, simulated or real, normalises into these columns; every analytics
transform reads only these. Types are DuckDB/Arrow names. `game_date` is the US/Eastern
date of tip-off and the partition key of every table.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

RAW_SCHEMAS: dict[str, dict[str, str]] = {
    "nbac_schedule": {
        "game_id": "string",
        "game_date": "date",
        "season": "string",  # "2023-24"
        "season_type": "string",  # regular | play_in | playoffs
        "tipoff_utc": "timestamp",
        "home_team": "string",  # tricode, e.g. "BOS"
        "away_team": "string",
        "status": "string",  # final | scheduled | postponed
        "home_score": "int64",
        "away_score": "int64",
    },
    "nbac_gamebook_player_stats": {
        "game_id": "string",
        "game_date": "date",
        "season": "string",
        "team": "string",
        "opponent": "string",
        "player_id": "string",
        "player_name": "string",
        "starter": "boolean",
        "status": "string",  # active | dnp | inactive
        "dnp_reason": "string",  # NULL when active
        "minutes": "float64",  # NULL exactly when status != active
        "points": "int64",
        "fg2m": "int64",
        "fg2a": "int64",
        "fg3m": "int64",
        "fg3a": "int64",
        "ftm": "int64",
        "fta": "int64",
        "oreb": "int64",
        "dreb": "int64",
        "ast": "int64",
        "stl": "int64",
        "blk": "int64",
        "tov": "int64",
        "pf": "int64",
    },
    "bdl_player_boxscores": {
        "game_id": "string",
        "game_date": "date",
        "season": "string",
        "team": "string",
        "opponent": "string",
        "player_id": "string",
        "player_name": "string",
        "minutes": "float64",
        "points": "int64",
        "fgm": "int64",
        "fga": "int64",
        "fg3m": "int64",
        "fg3a": "int64",
        "ftm": "int64",
        "fta": "int64",
        "oreb": "int64",
        "dreb": "int64",
        "ast": "int64",
        "stl": "int64",
        "blk": "int64",
        "tov": "int64",
        "pf": "int64",
    },
    "nbac_team_boxscore": {
        "game_id": "string",
        "game_date": "date",
        "season": "string",
        "team": "string",
        "opponent": "string",
        "is_home": "boolean",
        "minutes": "float64",  # 240 plus 25 per overtime
        "points": "int64",
        "fgm": "int64",
        "fga": "int64",
        "fg3m": "int64",
        "fg3a": "int64",
        "ftm": "int64",
        "fta": "int64",
        "oreb": "int64",
        "dreb": "int64",
        "ast": "int64",
        "tov": "int64",
    },
    "bdb_play_by_play": {
        # shot events only (field goals and free throws)
        "game_id": "string",
        "game_date": "date",
        "event_num": "int64",
        "period": "int64",
        "team": "string",
        "opponent": "string",
        "player_id": "string",
        "event_type": "string",  # field_goal | free_throw
        "zone": "string",  # restricted_area | paint | mid_range | corner_three | above_break_three; NULL for free throws
        "made": "boolean",
        "points": "int64",  # points scored by the event (0 when missed)
    },
    "odds_player_points_props": {
        "event_id": "string",
        "game_date": "date",
        "commence_time": "timestamp",  # UTC tip-off
        "home_team": "string",
        "away_team": "string",
        "bookmaker": "string",
        "player_name": "string",  # books give names, not ids: joined to players in phase 3
        "line": "float64",
        # the book's main line; False for the other points of an alternate-line ladder
        "main_line": "boolean",
        "over_price": "int64",  # American odds, e.g. -110
        "under_price": "int64",
        "snapshot_at": "timestamp",  # UTC time the line was observed
    },
    "nbac_injury_report": {
        # The official report is a PDF that prints people, not ids: the game is its
        # matchup and the player a name, matched to a player in phase 3.
        "game_date": "date",
        "matchup": "string",  # "MIA@WAS": away @ home
        "report_at": "timestamp",  # UTC publication time
        "team": "string",
        "player_name": "string",
        "status": "string",  # out | doubtful | questionable | probable | available
        "reason": "string",
    },
}


# The Arrow type of each schema type name: every producer of raw rows (parsers, the
# simulator, the replay, the executor's conforming step) agrees through this one map.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
}


def arrow_schema(columns: Mapping[str, str]) -> pa.Schema:
    """The Arrow schema of a column -> type-name mapping (e.g. `RAW_SCHEMAS[name]`)."""
    return pa.schema([(c, ARROW_TYPES[t]) for c, t in columns.items()])
