"""The phase-2 parsers on responses recorded from the real providers.

Every file of `../shared/data/real_payloads/` (see its README) is parsed into its raw
tables with counts asserted and values spot-checked against what the providers sent.
Skipped when the folder is absent (a fresh machine has no shared data).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from fullcourt import errors
from fullcourt.processors.raw import (
    bdb_play_by_play,
    bodies,
    nbac_gamebook_player_stats,
    nbac_injury_report,
    nbac_schedule,
    nbac_team_boxscore,
    report_pdf,
)

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real_payloads"
if not REAL.is_dir():
    REAL = Path("/work/shared/data/real_payloads")
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="no ../shared/data/real_payloads")

MITCHELL_GAME = date(2023, 1, 2)  # 0022200552: CHI @ CLE, Donovan Mitchell's 71 points


def body(name: str) -> bytes:
    return (REAL / name).read_bytes()


def rows(table) -> list[dict]:
    return table.to_pylist()


def test_cdn_box_score_lists_inactive_players_with_their_reason():
    t = nbac_gamebook_player_stats.build(body("nbacdn__liveData_boxscore__1.json"), date(2021, 1, 17))
    assert t.num_rows == 34
    assert Counter(t["status"].to_pylist()) == {"active": 25, "inactive": 7, "dnp": 2}
    by = {r["player_name"]: r for r in rows(t)}
    brown = by["Jaylen Brown"]
    assert (brown["team"], brown["opponent"], brown["points"], brown["starter"]) == ("BOS", "NYK", 25, True)
    assert brown["minutes"] == pytest.approx(32 + 33 / 60, abs=1e-3)
    assert (brown["fg2m"], brown["fg3m"], brown["ftm"]) == (6, 3, 4)
    assert by["Tacko Fall"]["status"] == "inactive"
    assert by["Tacko Fall"]["dnp_reason"] == "Injury/Illness - Left Ankle; Sprain"
    assert by["Tacko Fall"]["minutes"] is None and by["Tacko Fall"]["points"] is None
    assert by["Taj Gibson"]["status"] == "dnp" and by["Taj Gibson"]["minutes"] is None
    assert t["season"].to_pylist()[0] == "2020-21"


def test_cdn_box_score_for_another_date_is_rejected():
    with pytest.raises(errors.PayloadInvalid, match="was played on 2021-01-17"):
        nbac_gamebook_player_stats.build(body("nbacdn__liveData_boxscore__1.json"), date(2021, 1, 18))


def test_cdn_box_score_envelope_and_team_totals():
    raw = body("nbacdn__liveData_boxscore__2.json")
    t = nbac_gamebook_player_stats.build(raw, date(2021, 1, 15))  # 7:30 pm ET, after midnight UTC
    assert t.num_rows == 2 and set(t["team"].to_pylist()) == {"BOS", "ORL"}
    teams = {r["team"]: r for r in rows(nbac_team_boxscore.build(raw, date(2021, 1, 15)))}
    assert teams["BOS"]["points"] == 124 and teams["BOS"]["is_home"] is True
    assert teams["BOS"]["minutes"] == 240.0 and teams["ORL"]["is_home"] is False


@pytest.mark.parametrize("name", ["nbastats__boxscoretraditionalv2__2.json",
                                  "nbastats__boxscoretraditionalv3__2.json"])
def test_stats_box_scores_v2_and_v3_agree(name):
    t = nbac_gamebook_player_stats.build(body(name), MITCHELL_GAME)
    assert t.num_rows == 23
    assert Counter(t["status"].to_pylist()) == {"active": 19, "dnp": 4}
    by = {r["player_name"]: r for r in rows(t)}
    mitchell = by["Donovan Mitchell"]
    assert (mitchell["points"], mitchell["fg3m"], mitchell["ftm"], mitchell["team"]) == (71, 7, 20, "CLE")
    assert mitchell["minutes"] == pytest.approx(49.8)
    assert mitchell["starter"] is True and by["Cedi Osman"]["starter"] is False
    assert by["Nikola Vučević"]["minutes"] == pytest.approx(43 + 31 / 60, abs=1e-3)
    assert by["Evan Mobley"]["dnp_reason"] == "DNP - Injury/Illness"
    assert by["Malcolm Hill"]["dnp_reason"] == "DNP - Coach's Decision"
    assert by["Malcolm Hill"]["minutes"] is None and by["Malcolm Hill"]["points"] is None
    assert sum(r["points"] or 0 for r in rows(t) if r["team"] == "CLE") == 145


def test_v3_box_score_team_totals_and_overtime_minutes():
    teams = {r["team"]: r for r in rows(nbac_team_boxscore.build(
        body("nbastats__boxscoretraditionalv3__2.json"), MITCHELL_GAME))}
    assert teams["CLE"]["minutes"] == 265.0 and teams["CLE"]["is_home"] is True
    assert (teams["CHI"]["points"], teams["CHI"]["tov"]) == (134, 7)


def test_v2_box_score_cannot_say_who_was_at_home():
    with pytest.raises(errors.PayloadInvalid, match="which team was at home"):
        nbac_team_boxscore.build(body("nbastats__boxscoretraditionalv2__2.json"), MITCHELL_GAME)


def test_v3_box_score_of_2025_26():
    t = nbac_gamebook_player_stats.build(body("nbastats__boxscoretraditionalv3__1.json"), date(2025, 11, 4))
    assert t.num_rows == 29 and Counter(t["status"].to_pylist())["dnp"] == 2
    by = {r["player_name"]: r for r in rows(t)}
    assert by["Brandon Ingram"]["points"] == 13 and by["Brandon Ingram"]["team"] == "TOR"
    assert by["Giannis Antetokounmpo"]["opponent"] == "TOR"


def test_league_game_log_is_sliced_by_date():
    raw = body("nbastats__leaguegamelog__2.json")
    t = nbac_team_boxscore.build(raw, date(2025, 11, 4))
    assert t.num_rows == 12
    tor = next(r for r in rows(t) if r["team"] == "TOR")
    assert (tor["game_id"], tor["opponent"], tor["is_home"], tor["points"], tor["minutes"]) == (
        "0022500165", "MIL", True, 128, 240.0)
    assert tor["season"] == "2025-26"
    opening = nbac_team_boxscore.build(raw, date(2025, 10, 21))
    assert opening.num_rows == 4
    hou = next(r for r in rows(opening) if r["team"] == "HOU")
    assert (hou["minutes"], hou["is_home"], hou["opponent"]) == (290.0, False, "OKC")  # two overtimes
    assert nbac_team_boxscore.build(raw, date(2025, 8, 1)).num_rows == 0


def test_play_by_play_v3_shots_add_up_to_the_box_score():
    pbp = rows(bdb_play_by_play.build(body("nbastats__playbyplayv3__1.json"), MITCHELL_GAME))
    assert len(pbp) == 266  # 187 field goals and 79 free throws of 560 actions
    assert Counter(r["event_type"] for r in pbp) == {"field_goal": 187, "free_throw": 79}
    box = rows(nbac_gamebook_player_stats.build(body("nbastats__boxscoretraditionalv3__2.json"), MITCHELL_GAME))
    points = Counter()
    for r in pbp:
        points[r["player_id"]] += r["points"]
    assert {r["player_id"]: r["points"] for r in box if r["status"] == "active"} == {
        p: points[p] for p in {r["player_id"] for r in box if r["status"] == "active"}}
    zones = Counter(r["zone"] for r in pbp if r["event_type"] == "field_goal")
    assert set(zones) == {"restricted_area", "paint", "mid_range", "corner_three", "above_break_three"}
    assert zones["corner_three"] + zones["above_break_three"] == 79  # every three
    first = next(r for r in pbp if r["event_type"] == "field_goal")
    assert (first["team"], first["opponent"], first["zone"], first["points"]) == ("CHI", "CLE", "corner_three", 3)  # 24 ft, 5 ft off the baseline


def test_play_by_play_v3_of_another_game():
    pbp = rows(bdb_play_by_play.build(body("nbastats__playbyplayv3__2.json"), date(2024, 11, 12)))
    assert len(pbp) == 214 and {r["team"] for r in pbp} == {"ATL", "BOS"}
    assert sum(r["points"] for r in pbp if r["team"] == "BOS") > 90


def test_scoreboard_reads_as_a_schedule_of_its_date():
    t = rows(nbac_schedule.build(body("nbastats__scoreboardv2__2.json"), date(2026, 2, 22)))
    assert len(t) == 11  # 13 header rows, one game listed three times
    okc = next(r for r in t if r["game_id"] == "0022500817")
    assert (okc["home_team"], okc["away_team"], okc["status"]) == ("OKC", "CLE", "scheduled")
    assert okc["tipoff_utc"] == datetime(2026, 2, 22, 18, 0)  # 1:00 pm ET


def test_injury_report_pdf_groups_wraps_and_page_breaks():
    published, printed = report_pdf.read(body("nbainjury__official_pdf__2.pdf"))
    assert published == datetime(2026, 2, 8, 23, 30)  # 06:30 PM ET
    assert len(printed) == 114
    by = {r.player: r for r in printed}
    herro = by["Herro, Tyler"]  # reason wrapped above and below its row
    assert herro.reason == "Injury/Illness - Right Costochondral; Injury to the Ribs"
    assert (herro.team, herro.matchup, herro.game_time, herro.game_date) == (
        "Miami Heat", "MIA@WAS", "02:00 (ET)", date(2026, 2, 8))
    assert by["Exum, Dante"].team == "Washington Wizards" and by["Exum, Dante"].page == 2  # group goes on
    assert by["Strus, Max"].reason == "Injury/Illness - Left Foot; Surgery - Jones Fracture"  # across pages
    assert by["Tyson, Jaylon"].reason == "Injury/Illness - Left Ankle; Sprain"
    assert by["Ayton, Deandre"].game_time == "10:00 (ET)"  # same slot as the game above, not reprinted
    today = rows(nbac_injury_report.build(body("nbainjury__official_pdf__2.pdf"), date(2026, 2, 8)))
    tomorrow = rows(nbac_injury_report.build(body("nbainjury__official_pdf__2.pdf"), date(2026, 2, 9)))
    assert (len(today), len(tomorrow)) == (53, 61)
    jaquez = next(r for r in today if r["player_name"] == "Jaime Jaquez Jr.")
    assert (jaquez["team"], jaquez["status"], jaquez["matchup"]) == ("MIA", "available", "MIA@WAS")
    assert Counter(r["status"] for r in today + tomorrow) == {
        "out": 79, "available": 19, "questionable": 8, "doubtful": 5, "probable": 3}


@pytest.mark.parametrize(
    ("name", "provider", "kind", "records"),
    [
        ("nbacdn__liveData_boxscore__1.json", "nbacom", "boxscore", {date(2021, 1, 17): 34}),
        ("nbacdn__liveData_boxscore__2.json", "nbacom", "boxscore", {date(2021, 1, 15): 2}),
        ("nbastats__boxscoretraditionalv2__2.json", "nbacom", "boxscore", {None: 23}),
        ("nbastats__boxscoretraditionalv3__1.json", "nbacom", "boxscore", {None: 29}),
        ("nbastats__boxscoretraditionalv3__2.json", "nbacom", "boxscore", {None: 23}),
        ("nbastats__playbyplayv3__1.json", "nbacom", "play_by_play", {None: 560}),
        ("nbastats__playbyplayv3__2.json", "nbacom", "play_by_play", {None: 475}),
        ("nbastats__scoreboardv2__2.json", "nbacom", "scoreboard", {date(2026, 2, 22): 11}),
        ("nbainjury__official_pdf__2.pdf", "injuries", "report",
         {date(2026, 2, 8): 53, date(2026, 2, 9): 61}),
    ],
)
def test_every_recorded_body_is_recognised_and_counted(name, provider, kind, records):
    d = bodies.describe(body(name))
    assert (d.provider, d.kind, d.records) == (provider, kind, records)


def test_the_game_log_counts_every_team_row_by_date():
    d = bodies.describe(body("nbastats__leaguegamelog__2.json"))
    assert (d.provider, d.kind, d.sources) == ("nbacom", "game_log", ("nbac_team_boxscore",))
    assert sum(d.records.values()) == 1688 and len(d.records) == 115
    assert d.records[date(2025, 11, 4)] == 12


def test_something_else_is_not_a_provider_body():
    with pytest.raises(errors.PayloadInvalid, match="not JSON"):
        bodies.describe(body("README.md"))
    with pytest.raises(errors.PayloadInvalid, match="not a recognised provider response"):
        bodies.describe(b'{"hello": "world"}')
    with pytest.raises(errors.PayloadInvalid, match="unreadable PDF|no 'Injury Report"):
        bodies.describe(body("nbainjury__official_pdf__2.pdf")[:5000])
