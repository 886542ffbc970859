"""The replay source: real files served through the same phase-1 path as the simulator.

Fast tests build a tiny folder shaped like `../shared/data/real` (with the mess of the
real one: accents and suffixes, a neutral-site MATCHUP, a traded player, game ids
without leading zeros, a second date format, UTC tip-offs past midnight Eastern). The
slow test replays the real folder's four seasons through the real catalog.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from fullcourt import errors, settings
from fullcourt.catalog.calendar import season_dates
from fullcourt.catalog.spec import Phase
from fullcourt.config import Home
from fullcourt.engine.executor import Request
from fullcourt.engine.runtime import open_writer
from fullcourt.processors.raw import (
    nbac_gamebook_player_stats,
    nbac_schedule,
    nbac_team_boxscore,
)
from fullcourt.sources import registry
from fullcourt.sources.replay import ReplayFiles, files, names

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
CATALOG = "fullcourt.pipeline:build_catalog"

REGULAR_HEADER = [
    "SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME",
    "GAME_ID", "GAME_DATE", "MATCHUP", "WL", "MIN", "PTS", "FGM", "FGA", "FG_PCT", "FG3M",
    "FG3A", "FG3_PCT", "FTM", "FTA", "FT_PCT", "OREB", "DREB", "REB", "AST", "STL", "BLK",
    "TOV", "PF", "PLUS_MINUS", "SEASON_LABEL",
]  # fmt: skip
PLAYOFF_HEADER = [
    "", "PLAYER_NAME", "PLAYER_ID", "MATCHUP", "TEAM_ABBREVIATION", "TEAM_ID",
    "OPP_ABBREVIATION", "HOME_GAME", "GAME_ID", "GAME_DATE", "WL", "MIN", "PTS", "AST", "REB",
    "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM", "FTA", "FT_PCT", "OREB", "DREB",
    "STL", "BLK", "TOV", "PF", "PLUS_MINUS", "START_POSITION", "COMMENT",
]  # fmt: skip
PROPS_HEADER = ["player", "market", "bookmaker", "side", "line", "price", "home_team",
                "away_team", "game_id", "commence_time"]  # fmt: skip

# (player id, name) per team and game; Christian Braun is traded from LAL to DEN.
G1 = {  # game id without leading zeros, DEN at home
    "DEN": [("203999", "Nikola Jokić"), ("1627750", "Jamal Murray"),
            ("1629008", "Michael Porter Jr."), ("1629009", "Zeke Nnaji")],
    "LAL": [("2544", "LeBron James"), ("203076", "Anthony Davis"),
            ("1630231", "Kenyon Martin Jr."), ("1631128", "Christian Braun")],
}  # fmt: skip
G2 = {  # one MATCHUP text for both teams, the way a neutral-site game can carry it
    "DEN": [("203999", "Nikola Jokić"), ("1627750", "Jamal Murray"),
            ("1629008", "Michael Porter Jr."), ("1631128", "Christian Braun")],
    "LAL": [("2544", "LeBron James"), ("203076", "Anthony Davis"),
            ("1630231", "Kenyon Martin Jr."), ("1626156", "D'Angelo Russell")],
}  # fmt: skip


def _line(fgm: int, fg3m: int, ftm: int) -> dict[str, int]:
    """A box-score line whose team totals give an NBA-like pace (about 100)."""
    return {"FGM": fgm, "FGA": fgm + 12, "FG3M": fg3m, "FG3A": fg3m + 3, "FTM": ftm,
            "FTA": ftm + 2, "PTS": 2 * fgm + fg3m + ftm, "OREB": 1, "DREB": 8, "AST": 5,
            "STL": 1, "BLK": 0, "TOV": 2, "PF": 2}  # fmt: skip


def _write(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header, restval="")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "real"
    root.mkdir()
    regular = []
    for game_id, day, rosters, matchup, minutes in (
        ("22300061", "2023-10-24", G1, {"DEN": "DEN vs. LAL", "LAL": "LAL @ DEN"}, 60),
        ("0022300100", "2023-11-03", G2, {"DEN": "LAL @ DEN", "LAL": "LAL @ DEN"}, 66),
    ):
        for team, players in rosters.items():
            for i, (pid, name) in enumerate(players):
                regular.append({
                    "SEASON_ID": "22023", "PLAYER_ID": pid, "PLAYER_NAME": name,
                    "TEAM_ABBREVIATION": team, "GAME_ID": game_id, "GAME_DATE": day,
                    "MATCHUP": matchup[team], "MIN": minutes, "SEASON_LABEL": "2023-24",
                    **_line(8 + i, i % 2, 4),
                })  # fmt: skip
    _write(root / "regular_season_player_logs_2023-24.csv", REGULAR_HEADER, regular)
    playoff = []
    for team, players in G2.items():
        for i, (pid, name) in enumerate(players):
            playoff.append({
                "": len(playoff), "PLAYER_NAME": name, "PLAYER_ID": pid,
                "MATCHUP": "DEN vs. LAL" if team == "DEN" else "LAL @ DEN",
                "TEAM_ABBREVIATION": team, "GAME_ID": "0042300101", "GAME_DATE": "APR 20, 2024",
                "MIN": 60, "START_POSITION": "F" if i < 3 else "", **_line(8 + i, 1, 4),
            })  # fmt: skip
    _write(root / "playoff_player_logs_2023-24.csv", PLAYOFF_HEADER, playoff)
    props = []
    event = {"home_team": "Denver Nuggets", "away_team": "Los Angeles Lakers",
             "game_id": "ev1", "commence_time": "2023-10-25T02:30:00Z", "market": "player_points",
             "price": -137}  # fmt: skip
    for player, book, line in (
        ("Nikola Jokic", "PrizePicks", 26.5),
        ("Michael Porter Jr", "PrizePicks", 17.5),
        ("K.J. Martin", "Underdog", 6.5),
        ("Lebron James", "Underdog", 24.5),
        ("Nikola Jokic", "PrizePicks", 27.0),  # a second line of the same book: dropped
        ("Someone Else", "Underdog", 3.5),
    ):
        for side in ("Over", "Under"):
            props.append({**event, "player": player, "bookmaker": book, "side": side, "line": line})
    _write(root / "points_props_2023-24.csv", PROPS_HEADER, props)
    return root


# -- names -----------------------------------------------------------------------------


def test_name_key_folds_accents_suffixes_and_punctuation():
    assert names.name_key("Nikola Jokić") == names.name_key("Nikola Jokic") == "nikola jokic"
    assert names.name_key("Jaren Jackson Jr") == names.name_key("Jaren Jackson Jr.") == "jaren jackson"
    assert names.name_key("C.J. McCollum") == names.name_key("CJ McCollum") == "cj mccollum"
    assert names.name_key("Lindy Waters III") == "lindy waters"
    assert names.name_key("Kristaps Porziņģis") == "kristaps porzingis"
    assert names.name_key("Ja'Kobe Walter") == "jakobe walter"
    assert names.name_key("  Dāvis   Bertāns ") == "davis bertans"
    # a suffix is only dropped after a full name
    assert names.name_key("Nene") == "nene"


def test_resolve_prefers_the_full_name_and_refuses_to_guess():
    game = names.Roster([("1", "Kenyon Martin Jr."), ("2", "Bub Carrington"), ("3", "Jalen Williams"),
                         ("4", "Jaylin Williams")])  # fmt: skip
    teams = names.Roster([("1", "Kenyon Martin Jr."), ("5", "Caleb Martin"), ("6", "Cody Martin")])
    assert names.resolve("K.J. Martin", [game, teams]) == "1"
    assert names.resolve("Carlton Carrington", [game, teams]) == "2"  # surname, in the game only
    assert names.resolve("Jalen Williams", [game, teams]) == "3"
    assert names.resolve("J. Williams", [game, teams]) is None  # two J. Williams: no guess
    assert names.resolve("C. Martin", [teams]) is None
    assert names.resolve("Nobody Here", [game, teams]) is None


# -- values ------------------------------------------------------------------------------


def test_game_ids_dates_and_eastern_dates_are_normalised():
    assert files.normal_game_id("22100069") == "0022100069"
    assert files.normal_game_id(" 0022100069 ") == "0022100069"
    assert files.normal_game_id("42100171.0") == "0042100171"
    with pytest.raises(ValueError):
        files.normal_game_id("G-1")
    for text in ("2022-04-16", "2022-04-16T00:00:00", "APR 16, 2022", "Apr 16, 2022", "04/16/2022"):
        assert files.normal_game_date(text) == date(2022, 4, 16), text
    with pytest.raises(ValueError):
        files.normal_game_date("someday")
    assert files.eastern_date(datetime(2025, 1, 1, 0, 10)) == date(2024, 12, 31)
    assert files.eastern_date(datetime(2024, 7, 1, 3, 59)) == date(2024, 6, 30)  # EDT
    assert files.eastern_date(datetime(2024, 12, 1, 4, 59)) == date(2024, 11, 30)  # EST


# -- tables --------------------------------------------------------------------------------


def test_schedule_and_box_scores_come_from_the_logs(folder: Path):
    season = ReplayFiles(folder).season("2023-24")
    sched = {r["game_id"]: r for r in season.tables["nbac_schedule"].to_pylist()}
    assert sorted(sched) == ["0022300061", "0022300100", "0042300101"]
    g1, g2, p1 = sched["0022300061"], sched["0022300100"], sched["0042300101"]
    assert (g1["home_team"], g1["away_team"], g1["season_type"]) == ("DEN", "LAL", "regular")
    assert (g2["home_team"], g2["away_team"]) == ("DEN", "LAL")  # read off the text, not the row
    assert p1["season_type"] == "playoffs" and p1["game_date"] == date(2024, 4, 20)
    assert all(r["status"] == "final" for r in sched.values())
    # scores are team sums: 4 players with points 2*fgm + fg3m + ftm
    assert g1["home_score"] == sum(2 * (8 + i) + i % 2 + 4 for i in range(4)) == 94
    # tip-off: the book's commence time when quoted, else 7 pm US/Eastern
    assert g1["tipoff_utc"] == datetime(2023, 10, 25, 2, 30)
    assert g2["tipoff_utc"] == datetime(2023, 11, 3, 23, 0)  # 19:00 EDT
    assert p1["tipoff_utc"] == datetime(2024, 4, 20, 23, 0)

    book = season.tables["nbac_gamebook_player_stats"].to_pylist()
    braun = {r["game_id"]: r["team"] for r in book if r["player_id"] == "1631128"}
    assert braun == {"0022300061": "LAL", "0022300100": "DEN", "0042300101": "DEN"}  # traded
    jokic = next(r for r in book if r["player_id"] == "203999" and r["game_id"] == "0022300061")
    assert jokic["player_name"] == "Nikola Jokić" and jokic["opponent"] == "LAL"
    assert (jokic["status"], jokic["dnp_reason"], jokic["minutes"]) == ("active", None, 60.0)
    assert (jokic["fg2m"], jokic["fg2a"], jokic["fg3m"], jokic["fg3a"]) == (8, 17, 0, 3)
    assert jokic["starter"] is None  # the regular-season logs do not say
    starters = {r["player_id"]: r["starter"] for r in book if r["game_id"] == "0042300101"}
    assert starters["203999"] is True and starters["1631128"] is False
    assert season.tables["bdl_player_boxscores"].num_rows == len(book)

    team = {(r["game_id"], r["team"]): r for r in season.tables["nbac_team_boxscore"].to_pylist()}
    assert team[("0022300061", "DEN")]["minutes"] == 240.0
    assert team[("0022300100", "LAL")]["minutes"] == 265.0  # 264 rounded minutes: one overtime
    assert team[("0022300100", "LAL")]["is_home"] is False
    assert season.tables["bdb_play_by_play"].num_rows == 0
    assert season.tables["nbac_injury_report"].num_rows == 0
    assert season.truth is None


def test_lines_resolve_names_keep_null_prices_and_eastern_dates(folder: Path):
    season = ReplayFiles(folder).season("2023-24")
    lines = season.tables["odds_player_points_props"].to_pylist()
    by_name = {(r["bookmaker"], r["player_name"]): r for r in lines}
    assert set(by_name) == {
        ("PrizePicks", "Nikola Jokić"),  # the logs' spelling, so analytics joins it
        ("PrizePicks", "Michael Porter Jr."),
        ("Underdog", "Kenyon Martin Jr."),
        ("Underdog", "LeBron James"),
        ("Underdog", "Someone Else"),  # nobody of either team: kept as the book wrote it
    }
    jokic = by_name[("PrizePicks", "Nikola Jokić")]
    assert jokic["line"] == 26.5  # the first listed of two lines
    assert jokic["over_price"] is None and jokic["under_price"] is None
    assert jokic["game_date"] == date(2023, 10, 24)  # 02:30 UTC is the evening before
    assert jokic["snapshot_at"] == datetime(2023, 10, 25, 1, 30)
    assert (jokic["home_team"], jokic["away_team"]) == ("DEN", "LAL")
    assert (season.lines_resolved, season.lines_unresolved) == (4, 1)
    assert season.props_window == (date(2023, 10, 24), date(2023, 10, 24))


def test_what_the_files_lack_is_unavailable_with_a_reason(folder: Path):
    f = ReplayFiles(folder)
    game_day, later = date(2023, 10, 24), date(2023, 11, 3)
    assert f.unavailable("nbac_gamebook", game_day) is None
    assert f.unavailable("odds_props", game_day) is None
    assert "play-by-play" in f.unavailable("bdb_pbp", game_day)
    assert "injury reports" in f.unavailable("nbac_injury_report", game_day)
    assert "prop lines only from 2023-10-24" in f.unavailable("odds_props", later)
    assert f.unavailable("nbac_schedule", later) is None
    # between the last regular-season and the first playoff date: play-in
    assert "play-in" in f.unavailable("nbac_schedule", date(2024, 4, 15))
    assert f.unavailable("nbac_schedule", date(2024, 4, 20)) is None
    assert "2022-23" in f.unavailable("nbac_gamebook", date(2023, 1, 5))
    with pytest.raises(errors.DateOutsideSeasons):
        f.season("2022-23")


def test_folders_without_logs_or_columns_are_usage_errors(tmp_path: Path):
    with pytest.raises(errors.UsageError, match="does not exist"):
        ReplayFiles(tmp_path / "nowhere")
    with pytest.raises(errors.UsageError, match="no game logs"):
        ReplayFiles(tmp_path)
    (tmp_path / "regular_season_player_logs_2023-24.csv").write_text("PLAYER_ID,GAME_ID\n1,2\n")
    with pytest.raises(errors.UsageError, match="lacks columns"):
        ReplayFiles(tmp_path).season("2023-24")


# -- the phase-1 path ----------------------------------------------------------------------


@pytest.fixture
def replay_env(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FULLCOURT_REPLAY_DIR", str(folder))
    for knob in ("FULLCOURT_SOURCE_URL", "FULLCOURT_CATALOG"):
        monkeypatch.delenv(knob, raising=False)
    return folder


def _bodies(store, source: str, day: date) -> list[bytes]:
    return [b for _, b in store.bodies(source, day)]


def test_fetcher_reports_source_provides_none(replay_env: Path, tmp_path: Path):
    from fullcourt.sources.providers import Game

    wired = registry.wiring(Home(tmp_path / "home"))
    fetch, store = wired["fetcher"], wired["store"]
    day = date(2023, 11, 3)
    sched_rows = ReplayFiles(replay_env).season("2023-24").tables["nbac_schedule"].to_pylist()
    games = {r["game_date"]: [Game(r["game_id"], r["game_date"], r["home_team"], r["away_team"], r["status"],
                                   r["tipoff_utc"], r["season_type"], r["season"])] for r in sched_rows}
    try:
        pbp = fetch("bdb_pbp", [date(2023, 10, 24)], games=games)[0]
        assert pbp.status == "unavailable" and "play-by-play" in pbp.error
        assert pbp.rows[0].status == 404
        injuries = fetch("nbac_injury_report", [day], games=games)[0]
        assert injuries.status == "unavailable" and "injury" in injuries.error
        sched = fetch("nbac_schedule", [day])[0]
        assert sched.ok and sched.records == 1
        [body] = _bodies(store, "nbac_schedule", day)
        assert nbac_schedule.build(body, day).column("home_team").to_pylist() == ["DEN"]
        book = fetch("nbac_gamebook", [day], games=games)[0]
        assert nbac_gamebook_player_stats.build(_bodies(store, "nbac_gamebook", day)[0], day).num_rows == 8
        assert book.games == 1
        fetch("nbac_team_boxscore", [day], games=games)
        box = nbac_team_boxscore.build(_bodies(store, "nbac_team_boxscore", day)[0], day)
        assert sorted(box.column("minutes").to_pylist()) == [265.0, 265.0]
        opening = date(2023, 10, 24)
        odds = fetch("odds_props", [opening], games=games)[0]
        assert odds.ok and odds.games == 1
        outcomes = [
            o
            for b in _bodies(store, "odds_props", opening)
            if "bookmakers" in (doc := json.loads(b)).get("data", {})
            for bk in doc["data"]["bookmakers"]
            for o in bk["markets"][0]["outcomes"]
        ]
        assert {o["price"] for o in outcomes} == {None}
        assert {o["description"] for o in outcomes} >= {"Nikola Jokić", "Kenyon Martin Jr."}
        assert fetch("odds_props", [day], games=games)[0].status == "unavailable"
    finally:
        fetch.close()


def test_a_plain_404_is_not_the_provider_saying_it_has_none():
    from fullcourt.sources.providers import Exchange, provides_none

    def ex(body: bytes, status: int = 404) -> Exchange:
        return Exchange("nbacdn", "/x", status, body, datetime(2024, 1, 1))

    assert provides_none(ex(b'{"error": "unknown season"}')) is None
    assert provides_none(ex(b"not json")) is None
    assert provides_none(ex(b'{"unavailable": "no pbp"}')) == "no pbp"
    assert provides_none(ex(b'{"unavailable": "no pbp"}', 200)) is None


def test_settings_select_the_replay_and_there_is_no_oracle(folder: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("FULLCOURT_REPLAY_DIR", raising=False)
    monkeypatch.delenv("FULLCOURT_SOURCE_URL", raising=False)
    home = Home(tmp_path / "home")
    home.ensure()
    (home.root / "settings.toml").write_text(f'[sources]\nreplay = "{folder}"\n')
    assert settings.load(home).sources.replay == folder
    assert registry.oracle(home, ["2023-24"]) is None
    (home.root / "settings.toml").write_text('[sources]\nreplay = "../real"\n')
    assert settings.load(home).sources.replay.resolve() == folder.resolve()
    monkeypatch.setenv("FULLCOURT_SOURCE_URL", "http://example.invalid")
    with pytest.raises(errors.UsageError, match="choose one"):
        settings.load(home)


def test_unavailable_partitions_flow_through_the_executor(replay_env: Path, tmp_path: Path):
    """Box scores complete, play-by-play and injuries `unavailable` (not gaps), and the
    analytics built on them complete with NULL zone tallies — never zeros."""
    rt = open_writer(Home(tmp_path / "home"), CATALOG)
    try:
        skip = {"scrape.odds_props", "odds_player_points_props", "upcoming_player_game_context"}
        tables = tuple(
            s.name for s in rt.catalog
            if s.phase in (Phase.SCRAPE, Phase.RAW, Phase.ANALYTICS) and s.name not in skip
        )
        dates = tuple(season_dates("2023-24"))
        result = rt.executor.run(Request(tables, dates), "replay-test")
        assert result.gaps(tables, dates) == []
        status = {(t, d): s.status for (t, d), s in result.statuses.items()}
        day = date(2023, 10, 24)
        assert status[("scrape.bdb_pbp", day)] == "unavailable"
        assert status[("bdb_play_by_play", day)] == "unavailable"
        assert status[("nbac_injury_report", day)] == "unavailable"
        # the play-in is not in the files: its dates have no games in the replayed schedule
        assert status[("scrape.nbac_schedule", date(2024, 4, 16))] == "no_data"
        assert status[("player_game_summary", day)] == "complete"
        assert status[("team_offense_game_summary", day)] == "complete"
        reason = result.statuses[("bdb_play_by_play", day)].reason
        assert reason.startswith("source provides none: ") and "play-by-play" in reason
        wh = rt.warehouse
        pgs = wh.execute(wh.table("player_game_summary")).to_pylist()
        assert {r["game_id"] for r in pgs} == {"0022300061", "0022300100", "0042300101"}
        offense = wh.execute(wh.table("team_offense_game_summary")).to_pylist()
        assert offense and all(r["restricted_area_att"] is None for r in offense)
        assert all(r["possessions"] > 0 for r in offense)
    finally:
        rt.close()


# -- the real folder -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_dir(), reason=f"no real data folder at {REAL}")
def test_four_real_seasons_replay_through_analytics_without_gaps(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FULLCOURT_REPLAY_DIR", str(REAL))
    monkeypatch.delenv("FULLCOURT_SOURCE_URL", raising=False)
    seasons = ReplayFiles(REAL).seasons()
    assert seasons == ["2021-22", "2022-23", "2023-24", "2024-25"]
    rt = open_writer(Home(tmp_path / "home"), CATALOG)
    try:
        tables = tuple(
            s.name for s in rt.catalog if s.phase in (Phase.SCRAPE, Phase.RAW, Phase.ANALYTICS)
        )
        dates = tuple(d for s in seasons for d in season_dates(s))
        result = rt.executor.run(Request(tables, dates), "replay-real")
        gaps = result.gaps(tables, dates)
        assert gaps == [], [(g.table, g.game_date, g.status, g.reason) for g in gaps[:10]]
        unavailable = {t for (t, d), s in result.statuses.items() if s.status == "unavailable"}
        assert {"scrape.bdb_pbp", "bdb_play_by_play", "nbac_injury_report",
                "odds_player_points_props"} <= unavailable  # fmt: skip
        wh = rt.warehouse
        have = wh.sql(
            "SELECT season, season_type, count(DISTINCT game_id) FROM player_game_summary GROUP BY ALL"
        )
        counts = {(s, t): n for s, t, n in have}
        expected = {}
        for name in seasons:
            sched = ReplayFiles(REAL).season(name).tables["nbac_schedule"].to_pylist()
            for r in sched:
                expected[(name, r["season_type"])] = expected.get((name, r["season_type"]), 0) + 1
        assert counts == expected
        assert all(n == 1230 for (s, t), n in counts.items() if t == "regular")
        missing = wh.sql(
            "SELECT count(*) FROM nbac_schedule s ANTI JOIN player_game_summary p USING (game_id)"
        )[0][0]
        assert missing == 0
        lines = wh.sql(
            "SELECT count(*) FILTER (WHERE line IS NOT NULL) FROM upcoming_player_game_context"
        )[0][0]
        assert lines > 5000  # the book names resolved to players
    finally:
        rt.close()

