"""The versioned feature list of `ml_feature_store`.

Models record the version they were trained on; a model whose list differs from the
store's refuses to predict rather than silently misaligning columns.
"""

from __future__ import annotations

FEATURE_VERSION = "v3"

FEATURES: tuple[str, ...] = (
    # scoring form, earlier games only
    "pts_avg_last5",
    "pts_avg_last10",
    "pts_avg_last20",
    "pts_avg_season",
    "pts_std_last10",
    "pts_per_min_last10",
    # minutes and role
    "min_avg_last5",
    "min_avg_last10",
    "min_avg_season",
    "starter_rate_last10",
    "usage_avg_last10",
    "fga_avg_last10",
    "fg3a_avg_last10",
    "fta_avg_last10",
    "games_played_season",
    # schedule and fatigue
    "days_rest",
    "back_to_back",
    "games_last_7",
    "is_home",
    "injury_status_code",
    # shot zones: the player's mix and the opponent's defense against it
    "zone_share_restricted_area",
    "zone_share_paint",
    "zone_share_mid_range",
    "zone_share_corner_three",
    "zone_share_above_break_three",
    "opp_zone_matchup_factor",
    # team context
    "opp_def_rating_last10",
    "opp_pace_last10",
    "team_pace_last10",
    # composite factors
    "fatigue_factor",
    "pace_factor",
    "usage_factor",
    # recency: the last game and exponentially weighted form (v2)
    "pts_last1",
    "min_last1",
    "pts_ewm10",
    "min_ewm10",
    # who is missing from the team, from its previous game (v2)
    "team_regular_pts",
    "team_missing_pts",
    "team_missing_recent_pts",
    "team_missing_recent_min",
    "played_team_last_game",
    # teammates reported out before tip-off, and the player's share of who is left (v3)
    "team_out_pts",
    "team_out_min",
    "usage_share_available",
)

ZONES: tuple[str, ...] = (
    "restricted_area",
    "paint",
    "mid_range",
    "corner_three",
    "above_break_three",
)

INJURY_STATUS_CODES: dict[str, int] = {
    "available": 0,
    "probable": 1,
    "questionable": 2,
    "doubtful": 3,
    "out": 4,
}
