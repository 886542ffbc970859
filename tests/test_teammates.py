"""Who is missing from a player's team: from the team's previous game, and from the injury report."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pyarrow as pa
import pytest

from fullcourt.processors.precompute import teammates

D = [date(2024, 1, 1) + timedelta(days=2 * i) for i in range(6)]


def played(extra: list[tuple] = ()) -> pa.Table:
    rows = [  # player, day index, points, minutes
        *(("A", i, 20 + i, 34.0) for i in range(4)),
        ("B", 0, 12, 30.0), ("B", 1, 14, 30.0), ("B", 2, 10, 28.0),  # misses day 3
        ("C", 0, 30, 36.0),  # one game: not a regular
        *extra,
    ]
    return pa.table(
        {
            "team": ["T"] * len(rows),
            "season": ["2023-24"] * len(rows),
            "game_date": [D[r[1]] for r in rows],
            "player_id": [r[0] for r in rows],
            "points": [r[2] for r in rows],
            "minutes_played": [r[3] for r in rows],
        }
    )


def targets(day: int) -> pa.Table:
    return pa.table(
        {
            "game_id": [f"G{day}"] * 2,
            "game_date": [D[day]] * 2,
            "season": ["2023-24"] * 2,
            "team": ["T"] * 2,
            "player_id": ["A", "B"],
        }
    )


def absences(day: int, history: pa.Table | None = None) -> dict[str, dict]:
    con = ibis.duckdb.connect()
    p = con.create_table("p", history if history is not None else played())
    t = con.create_table("t", targets(day))
    out = con.to_pyarrow(teammates.absences(p, t)).to_pylist()
    return {r["player_id"]: r for r in out}


def test_a_regular_who_missed_the_previous_game_is_missing():
    rows = absences(4)
    a, b = rows["A"], rows["B"]
    assert a["team_regular_pts"] == pytest.approx((20 + 21 + 22 + 23) / 4 + 12.0)  # C is no regular
    assert a["team_missing_pts"] == pytest.approx(12.0)  # B sat out day 3
    assert a["team_missing_recent_pts"] == pytest.approx(12.0)
    assert a["team_missing_recent_min"] == pytest.approx(88.0 / 3)
    assert (a["played_team_last_game"], b["played_team_last_game"]) == (1, 0)


def test_nobody_is_missing_when_everyone_played_last_time():
    rows = absences(3)
    assert rows["A"]["team_missing_pts"] == 0.0 and rows["B"]["played_team_last_game"] == 1


def test_the_game_itself_and_later_games_are_never_read():
    later = played([("A", 4, 50, 40.0), ("B", 4, 40, 40.0), ("A", 5, 0, 1.0)])
    assert absences(4, later) == absences(4)


def test_before_the_team_has_played_there_is_nothing_to_miss():
    rows = absences(0)
    assert rows["A"]["team_missing_pts"] == 0.0 and rows["A"]["played_team_last_game"] is None


def test_teammates_reported_out_leave_their_share_to_the_others():
    from fullcourt.processors.precompute import ml_feature_store

    rows = pa.table(
        {
            "game_id": ["G1"] * 4,
            "team": ["T", "T", "T", "U"],
            "player_id": ["A", "B", "C", "D"],
            "injury_status_code": [4, 0, 1, 0],  # A out, C probable: only A is missing
            "pts_avg_season": [20.0, 12.0, 8.0, 15.0],
            "min_avg_season": [30.0, 28.0, 20.0, 30.0],
            "usage_avg_last10": [0.3, 0.2, 0.1, 0.25],
            "min_avg_last10": [30.0, 30.0, 20.0, 30.0],
        }
    )
    con = ibis.duckdb.connect()
    out = con.to_pyarrow(ml_feature_store._team_availability(con.create_table("r", rows))).to_pylist()
    got = {r["player_id"]: r for r in out}
    assert got["B"]["team_out_pts"] == pytest.approx(20.0) and got["B"]["team_out_min"] == pytest.approx(30.0)
    assert got["B"]["usage_share_available"] == pytest.approx(6.0 / 8.0)
    assert got["C"]["usage_share_available"] == pytest.approx(2.0 / 8.0)
    assert got["A"]["team_out_pts"] == 0.0  # his own absence is not a teammate's
    assert got["D"]["team_out_pts"] == 0.0 and got["D"]["usage_share_available"] == pytest.approx(1.0)
