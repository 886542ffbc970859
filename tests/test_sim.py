"""The simulated league: real calendar shape, consistent box scores, honest prop lines."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import duckdb
import numpy as np
import pytest

from fullcourt import errors
from fullcourt.catalog.features import ZONES
from fullcourt.catalog.schemas import RAW_SCHEMAS, arrow_schema
from fullcourt.sources.sim import League
from fullcourt.sources.sim.calendar import SeasonCalendar, season_window
from fullcourt.sources.sim.franchises import TRICODES

SEASON = "2023-24"


@pytest.fixture(scope="module")
def league() -> League:
    return League(7)


@pytest.fixture(scope="module")
def season(league):
    return league.season(SEASON)


@pytest.fixture(scope="module")
def db(season):
    con = duckdb.connect()
    for name, table in season.tables.items():
        con.register(name, table)
    con.register("truth", season.truth)
    yield con
    con.close()


def one(db, sql: str):
    return db.execute(sql).fetchone()


def test_every_raw_table_has_exactly_the_catalog_schema(season):
    assert set(season.tables) == set(RAW_SCHEMAS)
    for name, table in season.tables.items():
        want = arrow_schema(RAW_SCHEMAS[name])
        assert table.schema == want, name
        assert table.num_rows > 0, name
    assert season.truth.column_names == ["game_id", "game_date", "player_id", "expected_points"]


def test_a_season_is_generated_once_within_its_window_and_cached():
    # how fast it generates is a figure of benchmarks/run.py (sim_season_s), not a test
    league = League(11)
    first = league.season("2024-25")
    assert first.name == "2024-25"
    days = first.tables["nbac_schedule"].column("game_date").to_pylist()
    opening, closing = season_window(2024)
    assert opening <= min(days) and max(days) <= closing
    assert first.truth.num_rows > 0
    assert league.season("2024-25") is first


def test_regular_season_is_1230_games_82_per_team_41_at_home(db):
    assert one(db, "SELECT count(*) FROM nbac_schedule WHERE season_type = 'regular'") == (1230,)
    per_team = db.execute(
        "SELECT team, count(*), count(*) FILTER (WHERE home) FROM (SELECT home_team team, true home"
        " FROM nbac_schedule WHERE season_type = 'regular' UNION ALL SELECT away_team, false"
        " FROM nbac_schedule WHERE season_type = 'regular') GROUP BY team"
    ).fetchall()
    assert len(per_team) == 30 and {(n, h) for _, n, h in per_team} == {(82, 41)}


def test_calendar_has_the_real_shape(db, season):
    cal = SeasonCalendar.of(2023)
    days = {d for (d,) in db.execute("SELECT DISTINCT game_date FROM nbac_schedule").fetchall()}
    assert min(days) == cal.opening and cal.opening.weekday() == 1  # a Tuesday in October
    assert not days & set(cal.break_days)  # All-Star break, Thanksgiving, Christmas Eve
    assert date(2023, 12, 25) in days
    off_days = [d for d in (cal.opening + timedelta(i) for i in range(170)) if d not in days]
    assert len(off_days) >= 8
    # nobody plays twice a day or three days running
    twice = one(db, "SELECT count(*) FROM (SELECT game_date, team FROM (SELECT game_date, home_team"
                    " team FROM nbac_schedule UNION ALL SELECT game_date, away_team FROM"
                    " nbac_schedule) GROUP BY ALL HAVING count(*) > 1)")
    assert twice == (0,)
    # back-to-backs exist, as in the real league
    b2b = one(db, "WITH t AS (SELECT game_date, home_team team FROM nbac_schedule UNION ALL SELECT"
                  " game_date, away_team FROM nbac_schedule), l AS (SELECT team, game_date - lag("
                  "game_date) OVER (PARTITION BY team ORDER BY game_date) gap FROM t)"
                  " SELECT count(*) FROM l WHERE gap = 1")[0]
    assert 250 < b2b < 800


def test_play_in_and_best_of_seven_playoffs(db):
    play_in = db.execute("SELECT game_id, game_date FROM nbac_schedule WHERE season_type = 'play_in'"
                     " ORDER BY game_id").fetchall()
    assert len(play_in) == 6 and all(g.startswith("00523") for g, _ in play_in)
    last_regular = one(db, "SELECT max(game_date) FROM nbac_schedule WHERE season_type='regular'")[0]
    assert all(d > last_regular for _, d in play_in)
    series = db.execute(
        "SELECT substr(game_id, 8, 2) series, count(*) games, list(home_team ORDER BY game_id),"
        " list(CASE WHEN home_score > away_score THEN home_team ELSE away_team END ORDER BY game_id)"
        " FROM nbac_schedule WHERE season_type = 'playoffs' GROUP BY 1"
    ).fetchall()
    assert len(series) == 15  # 8 + 4 + 2 + 1
    for _, games, homes, winners in series:
        assert 4 <= games <= 7
        wins = Counter(winners)
        assert max(wins.values()) == 4 and wins[winners[-1]] == 4  # the last game clinches
        assert homes[0] == homes[1] != homes[2] == homes[3]  # 2-2-1-1-1
    rounds = Counter(s[0][0] for s in series)
    assert rounds == {"1": 8, "2": 4, "3": 2, "4": 1}
    assert one(db, "SELECT count(*) FROM nbac_schedule WHERE status <> 'final'") == (0,)


def test_box_scores_add_up(db):
    assert one(db, "SELECT count(*) FROM nbac_gamebook_player_stats"
                   " WHERE points <> 2*fg2m + 3*fg3m + ftm OR fg2m > fg2a OR fg3m > fg3a") == (0,)
    team = db.execute(
        "SELECT t.minutes, t.points = g.p AND t.fgm = g.fgm AND t.fg3a = g.fg3a AND t.ftm = g.ftm"
        " AND t.oreb = g.oreb AND t.tov = g.tov AS same, t.minutes = g.m FROM nbac_team_boxscore t"
        " JOIN (SELECT game_id, team, sum(points) p, sum(fg2m + fg3m) fgm, sum(fg3a) fg3a,"
        " sum(ftm) ftm, sum(oreb) oreb, sum(tov) tov, sum(minutes) m"
        " FROM nbac_gamebook_player_stats GROUP BY ALL) g USING (game_id, team)"
    ).fetchall()
    assert len(team) == 2 * one(db, "SELECT count(*) FROM nbac_schedule")[0]
    assert all(same and m_ok for _, same, m_ok in team)
    minutes = Counter(m for m, _, _ in team)
    assert set(minutes) <= {240.0, 265.0, 290.0, 315.0} and minutes[240.0] > 0.9 * len(team)
    assert minutes[265.0] > 0  # overtime happens
    score = one(db, "SELECT count(*) FROM nbac_schedule s JOIN nbac_team_boxscore t ON"
                    " t.game_id = s.game_id AND t.is_home WHERE t.points <> s.home_score")
    assert score == (0,)
    assert one(db, "SELECT count(*) FROM nbac_schedule WHERE home_score = away_score") == (0,)
    pbp = one(db, "SELECT count(*) FROM (SELECT game_id, player_id, sum(points) p FROM"
                  " bdb_play_by_play GROUP BY ALL) e JOIN nbac_gamebook_player_stats g"
                  " USING (game_id, player_id) WHERE e.p <> g.points")
    assert pbp == (0,)
    zones = {z for (z,) in db.execute("SELECT DISTINCT zone FROM bdb_play_by_play").fetchall()}
    assert zones == {*ZONES, None}


def test_rosters_dnps_and_inactives(db):
    per_team = db.execute("SELECT count(*) FROM nbac_gamebook_player_stats GROUP BY game_id, team"
                      ).fetchall()
    assert {n for (n,) in per_team} == {15}
    status = dict(db.execute("SELECT status, count(*) FROM nbac_gamebook_player_stats GROUP BY 1"
                         ).fetchall())
    assert set(status) == {"active", "dnp", "inactive"} and status["dnp"] > 1000
    assert one(db, "SELECT count(*) FROM nbac_gamebook_player_stats WHERE (status = 'active')"
                   " = (minutes IS NULL) OR (status = 'active') = (dnp_reason IS NOT NULL)") == (0,)
    assert one(db, "SELECT count(*) FROM nbac_gamebook_player_stats WHERE status = 'dnp'"
                   " AND dnp_reason <> 'DNP - Coach''s Decision'") == (0,)
    injured = one(db, "SELECT count(*) FROM nbac_gamebook_player_stats WHERE status = 'inactive'"
                      " AND dnp_reason LIKE 'Injury/Illness%'")[0]
    assert injured > 1000
    starters = db.execute("SELECT count(*) FILTER (WHERE starter) FROM nbac_gamebook_player_stats"
                      " GROUP BY game_id, team").fetchall()
    assert {n for (n,) in starters} == {5}
    # BDL carries who dressed: players who played plus coach's decisions at 0:00
    assert one(db, "SELECT count(*) FROM bdl_player_boxscores") == one(
        db, "SELECT count(*) FROM nbac_gamebook_player_stats WHERE status <> 'inactive'")


def test_trades_rookies_and_retirements(league, db):
    traded = one(db, "SELECT count(*) FROM (SELECT player_id FROM nbac_gamebook_player_stats"
                     " GROUP BY 1 HAVING count(DISTINCT team) > 1)")
    assert traded[0] >= 4
    a = set(league.season("2022-23").tables["nbac_gamebook_player_stats"]["player_id"].to_pylist())
    b = set(league.season("2023-24").tables["nbac_gamebook_player_stats"]["player_id"].to_pylist())
    assert len(b - a) > 20 and len(a - b) > 20 and len(a & b) > 300


def test_team_defense_and_pace_shape_the_game(season, db):
    rosters = season.arrays.rosters
    rows = db.execute("SELECT opponent, zone, avg(made::int) FROM bdb_play_by_play"
                  " WHERE zone IS NOT NULL GROUP BY ALL").fetchall()
    allowed = np.zeros((30, 5))
    for opp, zone, rate in rows:
        allowed[TRICODES.index(opp), ZONES.index(zone)] = rate
    for k in (0, 1, 4):  # the high-volume zones
        assert np.corrcoef(allowed[:, k], rosters.def_mult[:, k])[0, 1] > 0.6, ZONES[k]
    poss = dict(db.execute("SELECT team, avg(fga + 0.44 * fta + tov) FROM nbac_team_boxscore"
                       " GROUP BY 1").fetchall())
    assert np.corrcoef([poss[t] for t in TRICODES], rosters.pace)[0, 1] > 0.5


def test_truth_is_the_mean_of_points(db):
    mean_truth, mean_pts, corr = one(
        db, "SELECT avg(t.expected_points), avg(g.points), corr(t.expected_points, g.points)"
            " FROM truth t JOIN nbac_gamebook_player_stats g USING (game_id, player_id)")
    assert abs(mean_truth - mean_pts) < 0.3 and corr > 0.6
    assert one(db, "SELECT count(*) FROM truth") == one(
        db, "SELECT count(*) FROM nbac_gamebook_player_stats WHERE status = 'active'")


def test_closing_lines_track_the_truth_and_cover_every_game(db):
    lines = db.execute(
        "WITH close AS (SELECT * FROM odds_player_points_props o WHERE main_line AND snapshot_at = (SELECT"
        " max(snapshot_at) FROM odds_player_points_props p WHERE p.event_id = o.event_id))"
        " SELECT c.line, t.expected_points FROM close c JOIN nbac_gamebook_player_stats g"
        " ON g.game_date = c.game_date AND g.player_name = c.player_name"
        " JOIN truth t ON t.game_id = g.game_id AND t.player_id = g.player_id"
    ).fetchnumpy()
    assert len(lines["line"]) > 30_000
    rms = float(np.sqrt(np.mean((lines["line"] - lines["expected_points"]) ** 2)))
    assert 0.5 < rms < 1.6
    per_game = db.execute("SELECT count(DISTINCT player_name) FROM odds_player_points_props"
                      " GROUP BY event_id").fetchall()
    assert len(per_game) == one(db, "SELECT count(*) FROM nbac_schedule")[0]
    assert min(n for (n,) in per_game) >= 8
    prices = db.execute("SELECT over_price, under_price FROM odds_player_points_props").fetchnumpy()
    for side in prices.values():
        assert np.all(np.abs(side) >= 100) and abs(np.median(side) + 110) <= 10
    snaps = one(db, "SELECT count(DISTINCT snapshot_at < commence_time - INTERVAL 12 HOUR),"
                    " bool_and(snapshot_at < commence_time) FROM odds_player_points_props")
    assert snaps == (2, True)  # opening (evening before) and closing, all before tip-off
    ladder = one(db, "SELECT count(DISTINCT bookmaker), bool_and(snapshot_at > commence_time - INTERVAL 1 HOUR)"
                     " FROM odds_player_points_props WHERE NOT main_line")
    assert ladder == (1, True)  # one book's alternate ladder, at closing


def test_injury_reports_come_before_tipoff_and_list_the_inactive(db):
    assert one(db, "SELECT bool_and(r.report_at < s.tipoff_utc) FROM nbac_injury_report r"
                   " JOIN nbac_schedule s ON r.game_date = s.game_date AND r.matchup ="
                   " s.away_team || '@' || s.home_team") == (True,)
    assert one(db, "SELECT bool_and(n <= 2) FROM (SELECT count(DISTINCT report_at) n"
                   " FROM nbac_injury_report GROUP BY game_date)") == (True,)  # two publications a date
    listed_out = one(
        db, "SELECT avg((r.player_name IS NOT NULL)::int) FROM nbac_gamebook_player_stats g LEFT JOIN"
            " (SELECT DISTINCT game_date, team, player_name FROM nbac_injury_report WHERE status IN"
            " ('out', 'doubtful')) r USING (game_date, team, player_name) WHERE g.status = 'inactive'")[0]
    assert listed_out == 1.0
    statuses = {s for (s,) in db.execute("SELECT DISTINCT status FROM nbac_injury_report").fetchall()}
    assert statuses == {"out", "doubtful", "questionable", "probable", "available"}


def test_deterministic_per_seed_and_independent_of_order():
    a = League(7).season(SEASON)
    late = League(7)
    late.season("2021-22")
    b = late.season(SEASON)
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name
    assert a.truth.equals(b.truth)
    c = League(8).season(SEASON)
    assert not a.tables["nbac_schedule"].equals(c.tables["nbac_schedule"])


def test_seasons_and_dates(league):
    assert league.season_of(date(2024, 1, 10)) == "2023-24"
    assert league.season_of(date(2024, 8, 1)) is None
    assert league.season_of(date(2019, 12, 1)) is None
    with pytest.raises(errors.DateOutsideSeasons):
        league.season("2019-20")
    with pytest.raises(errors.UsageError):
        league.season("2023-25")
    later = league.season("2026-27").tables["nbac_schedule"]
    assert later.num_rows > 1230
