"""One row per player per game: the gamebook first, Ball Don't Lie as the fallback.

The predecessor trusted one source per column and let `minutes_played` go 99.5% NULL for
three seasons. Here the merge is explicit and visible in the data:

- per game: a game with no gamebook rows at all is built from BDL rows alone;
- per column: a gamebook row of a player who played keeps its values, and any NULL in it
  is filled from BDL's row for the same player and game (minutes most of all);
- `source` says which happened ('gamebook', 'bdl', 'gamebook+bdl').

`played` is a fact about the game, not about the minutes column: a gamebook row with
status 'active' (or any BDL row with minutes not zero) played. An active player whose
minutes are NULL in every source therefore counts as played-but-missing-minutes, which
is exactly what the `players who played` NULL-rate gate exists to catch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.gates import Check, CoversSchedule, NullRate, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics import sums
from fullcourt.processors.analytics.conform import conform

__all__ = ["COLUMNS", "SPEC", "build"]

# Counting stats merged column by column (gamebook value, else BDL's).
_STATS = ("points", "fg2m", "fg2a", "fg3m", "fg3a", "ftm", "fta",
          "oreb", "dreb", "ast", "stl", "blk", "tov", "pf")

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "season_type", "team", "opponent", "is_home",
    "player_id", "player_name", "starter", "played", "dnp_reason", "minutes_played",
    "points", "fg2m", "fg2a", "fg3m", "fg3a", "fgm", "fga", "ftm", "fta",
    "oreb", "dreb", "reb", "ast", "stl", "blk", "tov", "pf", "usage_est", "source",
)


def _bdl_shaped(b: ir.Table) -> ir.Table:
    """BDL rows with the gamebook's split of field goals into twos and threes."""
    return b.select(
        "game_id", "game_date", "season", "team", "opponent", "player_id", "player_name",
        "minutes", "points",
        fg2m=b.fgm - b.fg3m,
        fg2a=b.fga - b.fg3a,
        fg3m=b.fg3m, fg3a=b.fg3a, ftm=b.ftm, fta=b.fta, oreb=b.oreb, dreb=b.dreb,
        ast=b.ast, stl=b.stl, blk=b.blk, tov=b.tov, pf=b.pf,
    )


def _from_gamebook(g: ir.Table, b: ir.Table) -> ir.Table:
    """Gamebook rows, each NULL of a player who played filled from BDL."""
    bb = b.rename({f"b_{c}": c for c in ("minutes", *_STATS)}).select(
        "game_id", "player_id", "b_minutes", *(f"b_{c}" for c in _STATS)
    )
    j = g.left_join(bb, ["game_id", "player_id"]).drop("game_id_right", "player_id_right")
    played = j.status.lower() == "active"
    filled: dict[str, ir.Value] = {}
    used_bdl = ibis.literal(False)
    for col in ("minutes", *_STATS):
        mine, theirs = j[col], j[f"b_{col}"]
        take = played & mine.isnull() & theirs.notnull()
        filled[col] = ibis.ifelse(take, theirs, mine)
        used_bdl = used_bdl | take
    return j.select(
        "game_id", "game_date", "season", "team", "opponent", "player_id", "player_name",
        starter=j.starter,
        played=played,
        dnp_reason=ibis.ifelse(played, ibis.null("string"), j.dnp_reason.fill_null(j.status)),
        minutes_played=ibis.ifelse(played, filled["minutes"], ibis.null("float64")),
        **{c: filled[c] for c in _STATS},
        source=ibis.ifelse(used_bdl, "gamebook+bdl", "gamebook"),
    )


def _from_bdl(b: ir.Table) -> ir.Table:
    """BDL rows of games the gamebook does not cover; a zero-minute row did not play."""
    played = b.minutes.isnull() | (b.minutes > 0)
    return b.select(
        "game_id", "game_date", "season", "team", "opponent", "player_id", "player_name",
        starter=ibis.null("boolean"),
        played=played,
        dnp_reason=ibis.ifelse(played, ibis.null("string"), "no minutes"),
        minutes_played=ibis.ifelse(played, b.minutes, ibis.null("float64")),
        **{c: b[c] for c in _STATS},
        source=ibis.literal("bdl"),
    )


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    days = list(dates)
    g = inputs["nbac_gamebook_player_stats"]
    g = g.filter(g.game_date.isin(days))
    b = _bdl_shaped(inputs["bdl_player_boxscores"])
    b = b.filter(b.game_date.isin(days))
    s = inputs["nbac_schedule"]

    covered = g.select("game_id").distinct()
    bdl_only = b.anti_join(covered, "game_id")
    rows = _from_gamebook(g, b).union(_from_bdl(bdl_only))

    rows = rows.mutate(
        fgm=rows.fg2m + rows.fg3m,
        fga=rows.fg2a + rows.fg3a,
        reb=rows.oreb + rows.dreb,
    )
    # Team totals of the same merged rows, so usage uses the numbers it is compared with;
    # exact sums (possessions FGA + 0.44 FTA + TOV in hundredths), whatever the row order.
    rows = rows.mutate(_poss100=100 * rows.fga + 44 * rows.fta + 100 * rows.tov)
    team = rows.group_by(["game_id", "team"]).aggregate(
        t_min=sums.total(rows.minutes_played),
        t_poss100=rows._poss100.sum(),
    )
    rows = rows.left_join(team, ["game_id", "team"]).drop("game_id_right", "team_right")
    usage = ibis.ifelse(
        (rows.minutes_played > 0) & (rows.t_poss100 > 0),
        100.0 * rows._poss100 * (rows.t_min / 5.0) / (rows.minutes_played * rows.t_poss100),
        ibis.null("float64"),
    )
    sched = s.select(
        "game_id", s_season=s.season, season_type=s.season_type, home_team=s.home_team
    )
    rows = rows.mutate(usage_est=usage.cast("float64")).left_join(sched, "game_id")
    return conform(rows.select(
        "game_id", "game_date",
        season=rows.s_season.fill_null(rows.season),
        season_type=rows.season_type,
        team=rows.team, opponent=rows.opponent,
        is_home=rows.team == rows.home_team,
        player_id=rows.player_id, player_name=rows.player_name,
        starter=rows.starter, played=rows.played, dnp_reason=rows.dnp_reason,
        minutes_played=rows.minutes_played.cast("float64"),
        points=rows.points, fg2m=rows.fg2m, fg2a=rows.fg2a, fg3m=rows.fg3m, fg3a=rows.fg3a,
        fgm=rows.fgm, fga=rows.fga, ftm=rows.ftm, fta=rows.fta,
        oreb=rows.oreb, dreb=rows.dreb, reb=rows.reb, ast=rows.ast, stl=rows.stl,
        blk=rows.blk, tov=rows.tov, pf=rows.pf,
        usage_est=rows.usage_est, source=rows.source,
    ))


SPEC = TableSpec(
    name="player_game_summary",
    phase=Phase.ANALYTICS,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(
        Input("nbac_gamebook_player_stats", 0),
        Input("bdl_player_boxscores", 0),
        Input("nbac_schedule", 0),
    ),
    gates=(
        Unique(),
        NullRate("minutes_played", max_rate=0.0, where=lambda t: t.played,
                 label="players who played"),
        NullRate("minutes_played", max_rate=1.0, min_rate=1.0, where=lambda t: ~t.played,
                 label="players who did not play"),
        # DNP and inactive players carry NULL minutes by design; a real box score lists
        # a few per team, so a share above one half means minutes went missing.
        NullRate("minutes_played", max_rate=0.5, label="all players"),
        CoversSchedule(),
        Range("minutes_played", 0.0, 70.0),
        Check("fg2m <= fg2a", lambda t: t.fg2m <= t.fg2a),
        Check("fg3m <= fg3a", lambda t: t.fg3m <= t.fg3a),
        Check("ftm <= fta", lambda t: t.ftm <= t.fta),
        Check("points == 2*fg2m + 3*fg3m + ftm",
              lambda t: t.points == 2 * t.fg2m + 3 * t.fg3m + t.ftm),
    ),
    expectation=Expectation.GAMES,
    description="Per player per game box score, gamebook first with BDL fallback per game and column.",
)
