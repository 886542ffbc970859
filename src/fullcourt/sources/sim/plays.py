"""Shot events of every game, expanded from the box score so the two always agree.

Each player's attempts per zone become that many field-goal events, the first `made` of
them made; free throws likewise. Events are spread over the periods in proportion to
their length (overtime periods are five minutes) and numbered in order within the game.
Summing the events of a player gives exactly the box score's makes, attempts and points.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fullcourt.catalog.features import ZONES
from fullcourt.sources.sim.franchises import TRICODES
from fullcourt.sources.sim.roster import ZONE_POINTS
from fullcourt.sources.sim.season import PLAYS, SeasonArrays, stream
from fullcourt.sources.sim.tables import coded, dates, table_of

__all__ = ["play_by_play"]


def _expand(counts: np.ndarray, made: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell index of every event and whether it was made (the first `made` of a cell)."""
    counts = counts.reshape(-1)
    cell = np.repeat(np.arange(len(counts)), counts)
    start = np.cumsum(counts) - counts
    within = np.arange(len(cell)) - start[cell]
    return cell, within < made.reshape(-1)[cell]


def play_by_play(s: SeasonArrays, seed: int) -> pa.Table:
    box = s.box
    rng = stream(seed, s.calendar.first_year, PLAYS)
    fg_cell, fg_made = _expand(box.fg_att, box.fg_made)  # cell = ((g*2+side)*15+slot)*5+zone
    ft_cell, ft_made = _expand(box.fta, box.ftm)  # cell = (g*2+side)*15+slot
    player_cell = np.concatenate([fg_cell // 5, ft_cell])
    zone = np.concatenate([fg_cell % 5, np.zeros(len(ft_cell), np.int64)])
    is_ft = np.concatenate([np.zeros(len(fg_cell), bool), np.ones(len(ft_cell), bool)])
    made = np.concatenate([fg_made, ft_made])
    points = np.where(is_ft, 1, ZONE_POINTS[zone]) * made
    game = player_cell // 30
    side = (player_cell // 15) % 2

    # periods: four quarters of 12 minutes, then 5-minute overtimes
    n_ot = box.n_ot[game]
    length = 48.0 + 5.0 * n_ot
    t = rng.random(len(game)) * length
    period = np.where(t < 48.0, t // 12.0 + 1, 5 + (t - 48.0) // 5.0).astype(np.int64)
    order = np.lexsort((t, game))
    game, side, player_cell = game[order], side[order], player_cell[order]
    zone, is_ft, made, points, period = (
        zone[order], is_ft[order], made[order], points[order], period[order]
    )
    first = np.searchsorted(game, game, side="left")
    event_num = np.arange(len(game)) - first + 1

    team = box.team.reshape(-1)[game * 2 + side]
    opp = box.team.reshape(-1)[game * 2 + 1 - side]
    teams = pa.array(TRICODES, pa.string())
    player_row = box.player.reshape(-1)[player_cell]
    return table_of(
        "bdb_play_by_play",
        {
            "game_id": coded(game, pa.array(s.game_id.tolist(), pa.string())),
            "game_date": dates(s.epoch_day[game]),
            "event_num": event_num,
            "period": period,
            "team": coded(team, teams),
            "opponent": coded(opp, teams),
            "player_id": coded(player_row, pa.array(s.rosters.players.player_id, pa.string())),
            "event_type": coded(is_ft.astype(np.int64), ["field_goal", "free_throw"]),
            "zone": coded(zone, list(ZONES), mask=is_ft),
            "made": made,
            "points": points,
        },
    )
