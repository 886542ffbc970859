"""Who is missing from a player's team, known before tip-off.

A scorer's night depends on who else takes the shots: when a team's second option sits,
the others' usage rises. Injury reports say who will sit, but not every source has them
(the replayed real seasons do not), so this reads the one sign every source has: the
team's previous game. A *regular* is a player with at least `REGULAR_GAMES` games for
the team earlier this season; a regular who did not play the team's previous game is
counted as missing, with his season-to-date average for the team. Only games before the
target's date are read, so a row built before tip-off and rebuilt later are identical.

Per expected player-game this gives:

- `team_regular_pts`: the season averages of the team's regulars, summed (how much
  scoring the team is used to sharing);
- `team_missing_pts`: the same over regulars who missed the team's previous game;
- `team_missing_recent_pts`, `team_missing_recent_min`: those missing regulars who still
  played within the team's last `RECENT_GAMES` games — a fresh absence, which the
  player's own recent averages have not absorbed yet — by points and by minutes;
- `played_team_last_game`: whether the player himself played the team's previous game
  (1/0; NULL before the team's first game), since a player coming back is often eased in.

Set-based: one join of each target team-game with the team's earlier player-games of
the season, then grouped; never a loop over teams or dates.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from fullcourt.processors.analytics import sums
from fullcourt.processors.analytics.rates import ratio

__all__ = ["COLUMNS", "RECENT_GAMES", "REGULAR_GAMES", "absences"]

REGULAR_GAMES = 3
RECENT_GAMES = 10

COLUMNS: tuple[str, ...] = (
    "team_regular_pts",
    "team_missing_pts",
    "team_missing_recent_pts",
    "team_missing_recent_min",
    "played_team_last_game",
)


def absences(played: ir.Table, targets: ir.Table) -> ir.Table:
    """One row per `targets` (game_id, player_id) with `COLUMNS`.

    `played` holds the season's played player-games (`team`, `season`, `game_date`,
    `player_id`, `points`, `minutes_played`); `targets` the expected player-games
    (`game_id`, `game_date`, `season`, `team`, `player_id`).
    """
    # the team's games before each target date, numbered newest first
    tg = played.select("team", "season", _d="game_date").distinct()
    games = targets.select("team", "season", "game_date").distinct()
    before = games.join(tg, [games.team == tg.team, games.season == tg.season, tg._d < games.game_date])
    before = before.select("team", "season", "game_date", "_d")
    newest = ibis.window(group_by=["team", "season", "game_date"], order_by=ibis.desc("_d"))
    before = before.mutate(_k=ibis.row_number().over(newest))
    marks = before.group_by(["team", "season", "game_date"]).aggregate(
        _prev=before._d.max(),
        _recent=ibis.ifelse(before._k == RECENT_GAMES - 1, before._d, ibis.null("date")).max(),
        _first=before._d.min(),
    )
    # each player's games for the team before the target date
    p = played.select(
        "team", "season", "player_id", _pd="game_date", _pts="points", _min="minutes_played"
    )
    j = games.join(p, [games.team == p.team, games.season == p.season, p._pd < games.game_date])
    per = j.group_by(["team", "season", "game_date", "player_id"]).aggregate(
        _n=j._pd.count(),
        _avg=ratio(sums.total(j._pts), j._pd.count()),
        _mavg=ratio(sums.total(j._min), j._pd.count()),
        _last=j._pd.max(),
    )
    per = per.join(marks, ["team", "season", "game_date"])
    regular = per._n >= REGULAR_GAMES
    missing = regular & (per._last < per._prev)
    recent = missing & (per._last >= per._recent.fill_null(per._first))
    zero = ibis.literal(0.0)
    per = per.mutate(
        _reg=ibis.ifelse(regular, per._avg, zero),
        _miss=ibis.ifelse(missing, per._avg, zero),
        _rec=ibis.ifelse(recent, per._avg, zero),
        _recm=ibis.ifelse(recent, per._mavg.fill_null(0.0), zero),
    )
    team = per.group_by(["team", "season", "game_date"]).aggregate(
        team_regular_pts=sums.total(per._reg),
        team_missing_pts=sums.total(per._miss),
        team_missing_recent_pts=sums.total(per._rec),
        team_missing_recent_min=sums.total(per._recm),
    )
    own = per.select("team", "season", "game_date", "player_id", "_last", "_prev")
    t = targets.select("game_id", "player_id", "team", "season", "game_date")
    t = t.left_join(team, ["team", "season", "game_date"]).select(t, *COLUMNS[:4])
    t = t.left_join(marks, ["team", "season", "game_date"]).select(t, "_prev")
    t = t.left_join(own.drop("_prev"), ["team", "season", "game_date", "player_id"]).select(t, "_last")
    last_game = ibis.ifelse(t._prev.isnull(), ibis.null("int64"), (t._last == t._prev).fill_null(False).cast("int64"))
    fill = {c: t[c].fill_null(0.0) for c in COLUMNS[:4]}
    return t.select("game_id", "player_id", **fill, played_team_last_game=last_game)
