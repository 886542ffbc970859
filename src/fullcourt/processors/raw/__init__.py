"""Phase 2: one parser per raw table, from a stored provider payload to `RAW_SCHEMAS` rows.

Each table module (named exactly like its table) holds `SPEC` and
`build(body, game_date) -> pyarrow.Table`; `payload` is the shared decoding and
normalising they use, not a table.
"""

from __future__ import annotations

TABLE_MODULES: tuple[str, ...] = (
    "nbac_schedule",
    "nbac_gamebook_player_stats",
    "bdl_player_boxscores",
    "nbac_team_boxscore",
    "bdb_play_by_play",
    "odds_player_points_props",
    "nbac_injury_report",
)

__all__ = ["TABLE_MODULES"]
