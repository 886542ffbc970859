"""Where a player shoots from, and how tonight's opponent defends those spots.

From the play-by-play of the player's last twenty earlier games of the season: his share
of field-goal attempts per zone and his points per attempt there. Against it, the
opponent's zone factors of the same game (`team_defense_zone_analysis`); the matchup
factor weights the opponent's factors by the player's mix:

    opp_zone_matchup_factor = sum(share_z * factor_z) / sum(share_z)   over zones with a factor

so 1.10 reads "this opponent allows 10% more per shot than the league, where he shoots".
A source without play-by-play leaves the mix, and therefore the factor, NULL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from fullcourt.catalog.features import ZONES
from fullcourt.catalog.gates import Check, Range, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.analytics.conform import conform
from fullcourt.processors.analytics.lookback import attach, latest_before, season_of
from fullcourt.processors.analytics.rates import ratio

__all__ = ["COLUMNS", "LAST_GAMES", "SPEC", "build"]

LAST_GAMES = 20
BOOTSTRAP_DAYS = 7

COLUMNS: tuple[str, ...] = (
    "game_id", "game_date", "season", "team", "opponent", "player_id",
    "zone_games", "fga_per_game",
    *(f"zone_share_{z}" for z in ZONES),
    *(f"zone_ppa_{z}" for z in ZONES),
    *(f"opp_{z}_factor" for z in ZONES),
    "opp_zone_matchup_factor",
)


def _history(pbp: ir.Table) -> ir.Table:
    """Per player-game: zone attempts and points over his last 20 games through that game."""
    fg = pbp.filter(pbp.event_type == "field_goal")
    aggs: dict[str, ir.Value] = {}
    for z in ZONES:
        hit = fg.zone == z
        aggs[f"_{z}_att"] = fg.count(where=hit)
        aggs[f"_{z}_pts"] = ibis.ifelse(hit, fg.points, 0).sum()
    games = fg.group_by(["player_id", "game_date"]).aggregate(**aggs)
    games = games.mutate(season=season_of(games.game_date))
    w = ibis.window(
        group_by=["player_id", "season"], order_by="game_date", rows=(-(LAST_GAMES - 1), 0)
    )
    return games.select(
        "player_id", "season", "game_date",
        zone_games=games.game_date.count().over(w),
        **{c: games[c].sum().over(w) for c in aggs},
    )


def build(inputs: Mapping[str, ir.Table], dates: Sequence[dt.date]) -> ir.Table:
    days = list(dates)
    ctx = inputs["upcoming_player_game_context"]
    targets = ctx.filter(ctx.game_date.isin(days)).select(
        "game_id", "game_date", "season", "team", "opponent", "player_id"
    )
    pbp = inputs["bdb_play_by_play"]
    lo = targets.game_date.min().as_scalar()
    pbp = pbp.filter(pbp.game_date >= lo - ibis.interval(days=366))
    rows = latest_before(targets, _history(pbp), ["player_id", "season"])

    total = sum((rows[f"_{z}_att"] for z in ZONES[1:]), rows[f"_{ZONES[0]}_att"])
    rows = rows.mutate(
        zone_games=rows.zone_games.fill_null(0),
        fga_per_game=ratio(total, rows.zone_games),
        **{f"zone_share_{z}": ratio(rows[f"_{z}_att"], total) for z in ZONES},
        **{f"zone_ppa_{z}": ratio(rows[f"_{z}_pts"], rows[f"_{z}_att"]) for z in ZONES},
    )

    tz = inputs["team_defense_zone_analysis"]
    tz = tz.filter(tz.game_date.isin(days))
    opp = tz.select("game_id", opponent=tz.team, **{f"opp_{z}_factor": f"{z}_factor" for z in ZONES})
    rows = attach(rows, opp, ["game_id", "opponent"])
    num = den = ibis.literal(0.0)
    for z in ZONES:
        known = rows[f"opp_{z}_factor"].notnull() & rows[f"zone_share_{z}"].notnull()
        num = num + ibis.ifelse(known, rows[f"zone_share_{z}"] * rows[f"opp_{z}_factor"], 0.0)
        den = den + ibis.ifelse(known, rows[f"zone_share_{z}"], 0.0)
    rows = rows.mutate(opp_zone_matchup_factor=ratio(num, den))
    return conform(rows.select(*COLUMNS))


SPEC = TableSpec(
    name="player_shot_zone_analysis",
    phase=Phase.PRECOMPUTE,
    keys=("game_id", "player_id"),
    build=build,
    inputs=(
        Input("bdb_play_by_play", "season"),
        Input("upcoming_player_game_context", 0),
        Input("team_defense_zone_analysis", 0),
    ),
    gates=(
        Unique(),
        *(Range(f"zone_share_{z}", 0.0, 1.0) for z in ZONES),
        Range("opp_zone_matchup_factor", 0.0, 5.0),
        Check(
            "zone shares sum to 1",
            lambda t: ((t.zone_share_restricted_area + t.zone_share_paint + t.zone_share_mid_range
                        + t.zone_share_corner_three + t.zone_share_above_break_three) - 1.0).abs()
            < 1e-6,
        ),
        # No play-by-play behind a player (a new player, or a source that provides none)
        # means no zone mix: NULL, which the models read as unknown, never a silent 0.
        Check(
            "zone mix NULL without play-by-play history",
            lambda t: (t.zone_games > 0)
            | (t.fga_per_game.isnull() & t.opp_zone_matchup_factor.isnull()
               & t.zone_share_restricted_area.isnull() & t.zone_share_paint.isnull()
               & t.zone_share_mid_range.isnull() & t.zone_share_corner_three.isnull()
               & t.zone_share_above_break_three.isnull()),
        ),
    ),
    expectation=Expectation.GAMES,
    bootstrap_days=BOOTSTRAP_DAYS,
    description="Player shot-zone mix over his last 20 earlier games against the opponent's zone defense.",
    extra={"expects": "scheduled"},
)
