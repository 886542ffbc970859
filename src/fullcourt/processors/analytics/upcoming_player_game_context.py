"""Every player expected in a game, as the world looked at tip-off.

Point in time is the whole point: each column is derived only from rows timestamped
before the game's tip-off (`tipoff_utc` of the schedule), so a date two seasons back is
built exactly as it would have been that afternoon, and tonight's slate is built before
a ball is thrown. Concretely:

- roster: the player's latest evidence before tip-off decides his team — his most recent
  earlier game of the season (played or not), overridden by an injury-report entry for
  this game published before tip-off (a traded player shows up there first);
- rest: days since his last game played this season (the team's rest when he has none),
  games played in the seven days before, back-to-back;
- injury: the latest report about him for this game with `report_at` before tip-off; the
  report prints a matchup and a name, so its rows are the game of that team on that date
  and the player his team's (or, traded, the season's) player of that name (`names`);
- prop lines: opening = the earliest snapshot before tip-off, closing (`line`) = the latest
  snapshot before tip-off, main lines only (never a rung of an alternate ladder); ties go
  to the first bookmaker by name. Books name players rather than identify them, so lines
  are matched to the game's players by the same name rule.

Rows published after tip-off (late injury updates, live lines) can never enter: every
join to a timestamped source is filtered on `< tipoff_utc`, and every join to earlier
games on `game_date <` the game's date.

A player's first game of a season has no earlier game to testify to his roster spot, so
a team's first game lists only its injury-report entries; the expectation is therefore
ANY, and the precompute tables built on this one (after their bootstrap days) carry the
per-game coverage check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.gates import Check, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics import names
from fullcourt.processors.analytics.conform import conform
from fullcourt.processors.analytics.lookback import attach, latest_before

__all__ = ["COLUMNS", "SPEC", "build", "name_key"]

name_key = names.name_key

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "season_type", "tipoff_utc", "game_status",
    "team", "opponent", "is_home", "player_id", "player_name", "roster_source",
    "last_played_date", "days_rest", "back_to_back", "games_last_7",
    "team_days_rest", "team_back_to_back",
    "injury_status", "injury_reason", "injury_report_at",
    "opening_line", "opening_at", "line", "over_price", "under_price", "line_at",
    "line_bookmaker",
)


def _targets(tg: ir.Table, days: list[dt.date]) -> ir.Table:
    tg = tg.filter(tg.game_date.isin(days))
    return tg.select(
        "game_id", "game_date", "season", "season_type", "tipoff_utc", "game_status",
        "team", "opponent", "is_home",
        team_days_rest=tg.days_rest, team_back_to_back=tg.back_to_back,
    )


def _reports(inj: ir.Table, targets: ir.Table, pgs: ir.Table) -> ir.Table:
    """The latest report per player and game published before tip-off. A report names
    the player: he is the one of that name among the players his team has fielded this
    season up to the game's date, else (a trade) among the whole league's."""
    t = targets.select("game_id", "team", "game_date", "season", _tip="tipoff_utc")
    r = inj.join(t, ["game_date", "team"]).filter(lambda r: r.report_at < r._tip)
    first = pgs.group_by(["season", "team", "player_id", "player_name"]).aggregate(_d=pgs.game_date.min())
    dates = t.select("season", "game_date").distinct()
    seen = first.join(dates, [first.season == dates.season, first._d <= dates.game_date]).select(
        "season", "team", "player_id", "player_name", "game_date")
    r = names.match(r, seen, ["season", "game_date", "team"])
    anyone = names.match(r.filter(r.player_id.isnull()).drop("player_id"),
                         seen.drop("team").distinct(), ["season", "game_date"])
    r = r.filter(r.player_id.notnull()).union(anyone.select(*r.columns))
    r = r.filter(r.player_id.notnull())
    last = ibis.window(
        group_by=["game_id", "player_id"], order_by=[ibis.desc("report_at"), "status"]
    )
    r = r.mutate(_n=ibis.row_number().over(last))
    return r.filter(r._n == 0).select(
        "game_id", "team", "game_date", "player_id", "player_name",
        injury_status="status", injury_reason="reason", injury_report_at="report_at",
    )


def _roster(pgs: ir.Table, targets: ir.Table, reports: ir.Table) -> ir.Table:
    """(game_id, team, player_id, player_name, roster_source) of every expected player."""
    order = ibis.window(group_by=["player_id", "season"], order_by="game_date")
    hist = pgs.mutate(_next=pgs.game_date.lead().over(order)).select(
        "player_id", "player_name", "_next", _team="team", _season="season", _date="game_date",
    )
    t = targets.select("game_id", "team", "season", "game_date")
    seen = t.join(
        hist,
        [
            t.team == hist._team,
            t.season == hist._season,
            hist._date < t.game_date,
            hist._next.isnull() | (hist._next >= t.game_date),
        ],
    ).select("game_id", "team", "game_date", "player_id", "player_name")
    reported = reports.select("game_id", "team", "game_date", "player_id", "player_name")
    seen = seen.anti_join(reported, ["game_date", "player_id"])
    return seen.mutate(roster_source=ibis.literal("games")).union(
        reported.mutate(roster_source=ibis.literal("injury_report"))
    ).drop("game_date")


def _lines(props: ir.Table, targets: ir.Table, players: ir.Table) -> ir.Table:
    """Opening and closing main line per game and player, from snapshots before tip-off;
    the book's name for a player matched to one of the game's `players`."""
    home = targets.filter(targets.is_home).select(
        "game_id", "game_date", _home="team", _away="opponent", _tip="tipoff_utc"
    )
    p = props.filter(props.main_line.fill_null(True))
    p = p.join(
        home,
        [
            p.game_date == home.game_date,
            p.home_team == home._home,
            p.away_team == home._away,
        ],
    )
    p = p.filter(p.snapshot_at < p._tip)
    p = names.match(p, players, ["game_id"])
    p = p.filter(p.player_id.notnull())
    first = ibis.window(group_by=["game_id", "player_id"], order_by=["snapshot_at", "bookmaker"])
    last = ibis.window(
        group_by=["game_id", "player_id"], order_by=[ibis.desc("snapshot_at"), "bookmaker"]
    )
    p = p.mutate(_first=ibis.row_number().over(first), _last=ibis.row_number().over(last))
    opening = p.filter(p._first == 0).select(
        "game_id", "player_id", opening_line="line", opening_at="snapshot_at"
    )
    closing = p.filter(p._last == 0).select(
        "game_id", "player_id", "line", "over_price", "under_price",
        line_at="snapshot_at", line_bookmaker="bookmaker",
    )
    return closing.join(opening, ["game_id", "player_id"])


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    days = list(dates)
    targets = _targets(inputs["upcoming_team_game_context"], days)
    pgs = inputs["player_game_summary"]
    pgs = pgs.semi_join(targets.select("season").distinct(), "season")
    reports = _reports(inputs["nbac_injury_report"], targets, pgs)

    roster = _roster(pgs, targets, reports)
    rows = targets.join(roster, ["game_id", "team"])

    # Rest: the last game played before this date, and games played in the week before.
    upto = ibis.window(group_by=["player_id", "season"], order_by="game_date", rows=(None, 0))
    played_dates = ibis.ifelse(pgs.played, pgs.game_date, ibis.null("date"))
    hist = pgs.select(
        "player_id", "season", "game_date",
        last_played_date=played_dates.max().over(upto),
    )
    rows = latest_before(rows, hist, ["player_id", "season"])
    played = pgs.filter(pgs.played).select(_pid="player_id", _d="game_date")
    w = rows.select("game_id", "player_id", "game_date")
    week = w.join(
        played,
        [
            w.player_id == played._pid,
            played._d < w.game_date,
            played._d >= w.game_date - ibis.interval(days=7),
        ],
    )
    week = week.group_by(["game_id", "player_id"]).aggregate(games_last_7=week._d.count())
    rows = attach(rows, week, ["game_id", "player_id"])
    days_rest = rows.game_date.delta(rows.last_played_date, unit="day").fill_null(
        rows.team_days_rest
    )
    rows = rows.mutate(
        days_rest=days_rest,
        back_to_back=days_rest == 1,
        games_last_7=rows.games_last_7.fill_null(0),
    )

    rep = reports.select(
        "game_id", "player_id", "injury_status", "injury_reason", "injury_report_at"
    )
    rows = attach(rows, rep, ["game_id", "player_id"])
    players = rows.select("game_id", "player_id", "player_name")
    rows = attach(rows, _lines(inputs["odds_player_points_props"], targets, players), ["game_id", "player_id"])
    return conform(rows.select(*COLUMNS))


SPEC = TableSpec(
    name="upcoming_player_game_context",
    phase=Phase.ANALYTICS,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(
        Input("upcoming_team_game_context", 0),
        Input("player_game_summary", "season"),
        Input("nbac_injury_report", 0),
        Input("odds_player_points_props", 0),
    ),
    gates=(
        Unique(),
        Range("days_rest", 1, 400),
        Range("games_last_7", 0, 7),
        Check("lines observed before tip-off", lambda t: t.line_at < t.tipoff_utc),
        Check("opening no later than closing", lambda t: t.opening_at <= t.line_at),
        Check("injury reports before tip-off", lambda t: t.injury_report_at < t.tipoff_utc),
    ),
    expectation=Expectation.ANY,
    description="Per player and game, as of tip-off: roster, rest, injury status, prop lines.",
    extra={"expects": "scheduled"},
)
