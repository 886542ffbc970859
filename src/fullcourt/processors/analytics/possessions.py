"""Both sides of a game: possessions, pace and shot-zone tallies of a team and its opponent.

The offense and defense summaries are two views of the same pairing of a team's box
score with its opponent's; building the pairing once keeps their numbers identical
(a team's points allowed are, to the decimal, its opponent's points scored).

    possessions = FGA - OREB + TOV + 0.44 * FTA
    pace        = 48 * (possessions + opponent possessions) / 2 / (minutes / 5)

`minutes` is the team's total player minutes (240 plus 25 per overtime), so
`minutes / 5` is the length of the game in minutes and pace is per 48.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.features import ZONES

__all__ = ["BOX", "SHOT_KINDS", "TALLIES", "both_sides"]

# Field-goal zones plus free throws, the unit of the play-by-play tallies.
SHOT_KINDS: tuple[str, ...] = (*ZONES, "free_throw")
TALLIES: tuple[str, ...] = tuple(f"{k}_{m}" for k in SHOT_KINDS for m in ("att", "made", "pts"))
BOX: tuple[str, ...] = ("minutes", "points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta",
                        "oreb", "dreb", "ast", "tov")


def _tallies(pbp: ir.Table) -> ir.Table:
    """Attempts, makes and points per (game, shooting team) and zone; free throws as a zone."""
    kind = ibis.ifelse(pbp.event_type == "free_throw", "free_throw", pbp.zone)
    aggs: dict[str, ir.Value] = {}
    for k in SHOT_KINDS:
        hit = kind == k
        aggs[f"{k}_att"] = hit.cast("int64").sum()
        aggs[f"{k}_made"] = (hit & pbp.made).cast("int64").sum()
        aggs[f"{k}_pts"] = ibis.ifelse(hit, pbp.points, 0).sum()
    return pbp.group_by(["game_id", "team"]).aggregate(**aggs)


def _possessions(t: ir.Table) -> ir.Value:
    return (t.fga - t.oreb + t.tov + 0.44 * t.fta).cast("float64")


def both_sides(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    """One row per (game, team): the team's box and tallies, the opponent's as `opp_*`.

    Tallies are NULL (not zero) for a game without play-by-play, so a missing source
    never reads as a team that took no shots.
    """
    days = list(dates)
    box = inputs["nbac_team_boxscore"]
    box = box.filter(box.game_date.isin(days))
    pbp = inputs["bdb_play_by_play"]
    pbp = pbp.filter(pbp.game_date.isin(days))
    sched = inputs["nbac_schedule"]

    side = box.select("game_id", "game_date", "season", "team", "opponent", "is_home", *BOX)
    side = side.mutate(possessions=_possessions(side))
    side = side.left_join(_tallies(pbp), ["game_id", "team"]).drop("game_id_right", "team_right")
    opp = side.select(
        "game_id",
        _opp_team="team",
        **{f"opp_{c}": c for c in (*BOX, "possessions", *TALLIES)},
    )
    j = side.join(opp, [side.game_id == opp.game_id, side.opponent == opp._opp_team])
    j = j.drop("_opp_team")
    j = j.mutate(
        pace=ibis.ifelse(
            j.minutes > 0,
            48.0 * (j.possessions + j.opp_possessions) / 2.0 / (j.minutes / 5.0),
            ibis.null("float64"),
        ),
    )
    s = sched.select("game_id", _season=sched.season, season_type=sched.season_type)
    j = j.left_join(s, "game_id").drop("game_id_right")
    return j.mutate(season=j._season.fill_null(j.season)).drop("_season")
