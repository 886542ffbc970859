"""Season arrays rendered as the raw tables every source normalises into.

The simulator speaks the raw-table vocabulary (`RAW_SCHEMAS`) directly; provider-shaped
JSON is the API's job (`fullcourt.sources.wire`). Strings are built as dictionary
arrays and cast, so a season of ~40,000 player rows and ~300,000 shot events converts
in milliseconds rather than through Python objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from fullcourt.catalog.schemas import ARROW_TYPES, RAW_SCHEMAS
from fullcourt.sources.sim.engine import ACTIVE, ASSIGNED, DNP, INJURED
from fullcourt.sources.sim.franchises import TRICODES
from fullcourt.sources.sim.injuries import REASONS
from fullcourt.sources.sim.season import SeasonArrays

__all__ = [
    "DNP_COACH",
    "ON_ASSIGNMENT",
    "box_tables",
    "coded",
    "dates",
    "table_of",
]

DNP_COACH = "DNP - Coach's Decision"
ON_ASSIGNMENT = "G League - On Assignment"
_TEAMS = pa.array(TRICODES, pa.string())


def coded(codes: np.ndarray, labels: Sequence[str] | pa.Array, mask: np.ndarray | None = None) -> pa.Array:
    """Strings `labels[codes]` as a plain string array; NULL where `mask` is true."""
    dictionary = labels if isinstance(labels, pa.Array) else pa.array(list(labels), pa.string())
    idx = pa.array(np.asarray(codes, dtype=np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(idx, dictionary).cast(pa.string())


def dates(epoch_day: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(epoch_day, dtype=np.int32), pa.date32())


def table_of(name: str, columns: Mapping[str, pa.Array | np.ndarray]) -> pa.Table:
    """A raw table with exactly the columns and types of `RAW_SCHEMAS[name]`."""
    schema = RAW_SCHEMAS[name]
    arrays = []
    for col, kind in schema.items():
        value = columns[col]
        if not isinstance(value, pa.Array | pa.ChunkedArray):
            value = pa.array(value)
        arrays.append(value.cast(ARROW_TYPES[kind]))
    return pa.table(arrays, names=list(schema))


def _int(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), mask=mask)


def box_tables(s: SeasonArrays) -> tuple[dict[str, pa.Table], pa.Table]:
    """Schedule, gamebook, BDL and team box score tables, plus the truth table."""
    box = s.box
    n = s.n_games
    season = pa.array([s.season] * n, pa.string())
    game_ids = pa.array(s.game_id.tolist(), pa.string())
    game_dates = dates(s.epoch_day)
    score = box.score
    tables: dict[str, pa.Table] = {}
    tables["nbac_schedule"] = table_of(
        "nbac_schedule",
        {
            "game_id": game_ids,
            "game_date": game_dates,
            "season": season,
            "season_type": pa.array(s.season_type.tolist(), pa.string()),
            "tipoff_utc": pa.array(s.tipoff_utc, pa.timestamp("us")),
            "home_team": coded(s.home, _TEAMS),
            "away_team": coded(s.away, _TEAMS),
            "status": pa.array(["final"] * n, pa.string()),
            "home_score": _int(score[:, 0]),
            "away_score": _int(score[:, 1]),
        },
    )

    # player rows: (game, side, slot) flattened
    players = s.rosters.players
    g = np.repeat(np.arange(n), 30)
    side = np.tile(np.repeat([0, 1], 15), n)
    team = box.team.reshape(-1)[g * 2 + side]
    opp = box.team.reshape(-1)[g * 2 + 1 - side]
    row = box.player.reshape(-1)
    status = box.status.reshape(-1)
    active = status == ACTIVE
    made = box.fg_made.reshape(-1, 5)
    att = box.fg_att.reshape(-1, 5)
    fg2m, fg2a = made[:, :3].sum(1), att[:, :3].sum(1)
    fg3m, fg3a = made[:, 3:].sum(1), att[:, 3:].sum(1)
    ftm, fta = box.ftm.reshape(-1), box.fta.reshape(-1)
    points = 2 * fg2m + 3 * fg3m + ftm
    other = box.other.reshape(-1, 7)
    minutes = box.quarters.reshape(-1) / 4.0
    ids = pa.array(players.player_id, pa.string())
    names = pa.array(players.name, pa.string())
    common = {
        "game_id": game_ids.take(pa.array(g)),
        "game_date": game_dates.take(pa.array(g)),
        "season": season.take(pa.array(g)),
        "team": coded(team, _TEAMS),
        "opponent": coded(opp, _TEAMS),
        "player_id": coded(row, ids),
        "player_name": coded(row, names),
    }
    off = ~active
    reason_labels = [*REASONS, DNP_COACH, ON_ASSIGNMENT]
    reason_code = np.select(
        [status == INJURED, status == DNP, status == ASSIGNED],
        [box.reason.reshape(-1), len(REASONS), len(REASONS) + 1],
        0,
    )
    stat_names = ("oreb", "dreb", "ast", "stl", "blk", "tov", "pf")
    tables["nbac_gamebook_player_stats"] = table_of(
        "nbac_gamebook_player_stats",
        {
            **common,
            "starter": pa.array(box.starter.reshape(-1)),
            "status": coded(np.select([active, status == DNP], [0, 1], 2), ["active", "dnp", "inactive"]),
            "dnp_reason": coded(reason_code, reason_labels, mask=active),
            "minutes": pa.array(minutes, mask=off),
            "points": _int(points, off),
            "fg2m": _int(fg2m, off),
            "fg2a": _int(fg2a, off),
            "fg3m": _int(fg3m, off),
            "fg3a": _int(fg3a, off),
            "ftm": _int(ftm, off),
            "fta": _int(fta, off),
            **{k: _int(other[:, i], off) for i, k in enumerate(stat_names)},
        },
    )

    # BallDontLie lists who dressed: players who played, and coach's DNPs at 0:00
    dressed = np.flatnonzero(active | (status == DNP))
    pick = pa.array(dressed)
    bdl = {k: v.take(pick) for k, v in common.items()}
    tables["bdl_player_boxscores"] = table_of(
        "bdl_player_boxscores",
        {
            **bdl,
            "minutes": minutes[dressed],
            "points": points[dressed],
            "fgm": (fg2m + fg3m)[dressed],
            "fga": (fg2a + fg3a)[dressed],
            "fg3m": fg3m[dressed],
            "fg3a": fg3a[dressed],
            "ftm": ftm[dressed],
            "fta": fta[dressed],
            **{k: other[dressed, i] for i, k in enumerate(stat_names)},
        },
    )

    # team totals: sums over the players of each side
    def per_team(values: np.ndarray) -> np.ndarray:
        return values.reshape(n * 2, 15).sum(1)

    tg = np.repeat(np.arange(n), 2)
    tside = np.tile([0, 1], n)
    tables["nbac_team_boxscore"] = table_of(
        "nbac_team_boxscore",
        {
            "game_id": game_ids.take(pa.array(tg)),
            "game_date": game_dates.take(pa.array(tg)),
            "season": season.take(pa.array(tg)),
            "team": coded(box.team.reshape(-1), _TEAMS),
            "opponent": coded(box.team[:, ::-1].reshape(-1), _TEAMS),
            "is_home": pa.array(tside == 0),
            "minutes": per_team(box.quarters.reshape(-1)) / 4.0,
            "points": per_team(points),
            "fgm": per_team(fg2m + fg3m),
            "fga": per_team(fg2a + fg3a),
            "fg3m": per_team(fg3m),
            "fg3a": per_team(fg3a),
            "ftm": per_team(ftm),
            "fta": per_team(fta),
            "oreb": per_team(other[:, 0]),
            "dreb": per_team(other[:, 1]),
            "ast": per_team(other[:, 2]),
            "tov": per_team(other[:, 5]),
        },
    )

    played = np.flatnonzero(active)
    truth = pa.table(
        {
            "game_id": common["game_id"].take(pa.array(played)),
            "game_date": common["game_date"].take(pa.array(played)),
            "player_id": common["player_id"].take(pa.array(played)),
            "expected_points": pa.array(box.expected_points.reshape(-1)[played], pa.float64()),
        }
    )
    return tables, truth
