"""Phases 1-2 end to end: simulated providers -> scrapers -> object store -> raw tables.

Also the parsers on their own: provider dialects normalised (minutes, names, teams),
duplicates dropped, and bad payloads rejected with `PayloadInvalid` so the executor
quarantines them.
"""

from __future__ import annotations

import importlib
import json
import unicodedata
from collections import Counter
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa
import pytest

from fullcourt import errors
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.schemas import RAW_SCHEMAS, arrow_schema
from fullcourt.config import Home
from fullcourt.engine.executor import Request
from fullcourt.engine.runtime import open_writer
from fullcourt.processors.raw import (
    bdb_play_by_play,
    bdl_player_boxscores,
    nbac_gamebook_player_stats,
    nbac_injury_report,
    nbac_schedule,
    nbac_team_boxscore,
    odds_player_points_props,
)
from fullcourt.processors.raw.payload import minutes
from fullcourt.sources import registry
from fullcourt.sources.faults import Fault, FaultKind, FaultProfile, StatCorrection
from fullcourt.sources.fetcher import RetryPolicy
from fullcourt.sources.objectstore import Entry, digest
from fullcourt.sources.sim import League

RAW_MODULES = (
    nbac_schedule,
    nbac_gamebook_player_stats,
    bdl_player_boxscores,
    nbac_team_boxscore,
    bdb_play_by_play,
    odds_player_points_props,
    nbac_injury_report,
)
LEAGUE = League(7)
FAULTS = FaultProfile()
START = date(2023, 10, 24)
DATES = tuple(START + timedelta(days=i) for i in range(14))
DAY = date(2023, 11, 1)
CATALOG = "tests.test_raw:build_catalog"


def build_catalog():
    catalog = Catalog([*registry.scrape_specs(), *(m.SPEC for m in RAW_MODULES)],
                      schedule="nbac_schedule")
    wiring = partial(
        registry.wiring, league=LEAGUE, faults=FAULTS, retry=RetryPolicy(attempts=2, backoff=0.0)
    )
    return catalog, {"wiring": wiring}


def _schema_of(table: str) -> pa.Schema:
    return arrow_schema(RAW_SCHEMAS[table])


def _truth(table: str, day: date) -> list[dict]:
    t = LEAGUE.season("2023-24").tables[table]
    return t.filter(pa.compute.equal(t["game_date"], pa.scalar(day, pa.date32()))).to_pylist()


def _schedule(day: date) -> list[dict]:
    return _truth("nbac_schedule", day)


def _ascii(name: str | None) -> str | None:
    return None if name is None else unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


# -- the executor ------------------------------------------------------------------------


@pytest.fixture
def faults() -> FaultProfile:
    """The fault profile of the catalog module as `open_writer` imports it (by dotted name,
    which pytest's own import of this file may not share)."""
    profile = importlib.import_module(CATALOG.partition(":")[0]).FAULTS
    profile.clear()
    yield profile
    profile.clear()


@pytest.fixture
def runtime(tmp_path: Path, faults):
    rt = open_writer(Home(tmp_path / "home"), CATALOG)
    yield rt
    rt.close()
    rt.executor.fetcher.close()


def _run(rt, dates=DATES, tables=None, force=False):
    tables = tables or tuple(rt.catalog.names())
    return rt.executor.execute("test", Request(tuple(tables), tuple(dates), force))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two weeks of every source scraped and parsed once, shared by the read-only tests."""
    profile = importlib.import_module(CATALOG.partition(":")[0]).FAULTS
    profile.clear()
    rt = open_writer(Home(tmp_path_factory.mktemp("raw") / "home"), CATALOG)
    result = _run(rt)
    yield rt, result
    rt.close()
    rt.executor.fetcher.close()


def test_two_weeks_of_raw_tables_are_complete_and_match_the_schedule(built):
    runtime, result = built
    gaps = result.gaps(runtime.catalog.names(), DATES)
    assert gaps == [], [(g.table, g.game_date, g.status, g.reason) for g in gaps]
    game_days = [d for d in DATES if _schedule(d)]
    assert len(game_days) >= 12
    for name in runtime.catalog.names():
        for d in DATES:
            want = "complete" if d in game_days else "no_data"
            assert result.statuses[(name, d)].status == want, (name, d, result.statuses[(name, d)])
    wh = runtime.warehouse
    per_day = dict(wh.sql(
        "SELECT game_date, count(DISTINCT game_id) FROM nbac_gamebook_player_stats GROUP BY 1"
    ))
    assert per_day == {d: len(_schedule(d)) for d in game_days}
    # team minutes are 240 plus 25 per overtime, team points are the players' sum
    bad = wh.sql(
        "SELECT count(*) FROM nbac_team_boxscore t JOIN (SELECT game_id, team, sum(points) p,"
        " round(sum(minutes)) m FROM nbac_gamebook_player_stats GROUP BY ALL) g USING (game_id, team)"
        " WHERE t.points <> g.p OR t.minutes <> g.m OR (t.minutes - 240) % 25 <> 0"
    )
    assert bad == [(0,)]
    # a second run finds nothing to do
    assert _run(runtime).written == 0


@pytest.mark.parametrize("module", RAW_MODULES, ids=lambda m: m.SPEC.name)
def test_parsed_bodies_equal_the_simulated_raw_table(built, module):
    runtime, _ = built
    table = module.SPEC.name
    t = runtime.warehouse.table(table)
    parsed = runtime.warehouse.execute(t.filter(t.game_date == DAY)).to_pylist()
    truth = _truth(table, DAY)
    keys = list(module.SPEC.keys)
    a = sorted(parsed, key=lambda r: tuple(str(r[k]) for k in keys))
    b = sorted(truth, key=lambda r: tuple(str(r[k]) for k in keys))
    assert len(a) == len(b) > 0
    if table == "nbac_gamebook_player_stats":
        # minutes travel as ISO durations with hundredths of a second
        for r in a + b:
            r["minutes"] = None if r["minutes"] is None else round(r["minutes"], 2)
    if table == "bdl_player_boxscores":
        for r in b:  # BallDontLie sends whole minutes
            r["minutes"] = None if r["minutes"] is None else float(int(r["minutes"]))
    if table == "nbac_injury_report":
        for r in b:  # the report's font prints Latin-1: other accents lose their marks
            r["player_name"] = _ascii(r["player_name"])
        for r in a:
            r["player_name"] = _ascii(r["player_name"])
        a = sorted(a, key=lambda r: tuple(str(r[k]) for k in keys))
        b = sorted(b, key=lambda r: tuple(str(r[k]) for k in keys))
    assert a == b


def test_every_request_is_a_fetch_ledger_row_and_every_body_is_kept(built):
    runtime, _ = built
    rows = runtime.ledger.fetches("nbac_gamebook", DAY)
    games = {g["game_id"] for g in _schedule(DAY)}
    assert len(rows) == len(games) and all(r["status"] == 200 and r["bytes"] > 0 for r in rows)
    assert {r["item"] for r in rows} == games
    assert sum(r["records"] for r in rows) == len(_truth("nbac_gamebook_player_stats", DAY))
    for r in rows:
        assert r["url"] == f"/static/json/liveData/boxscore/boxscore_{r['item']}.json"
        assert (runtime.home.objects / r["object_key"]).is_file()
    pages = runtime.ledger.fetches("bdl_stats", DAY)
    assert len(pages) == -(-len(_truth("bdl_player_boxscores", DAY)) // 100) > 1
    assert all("per_page=100" in r["url"] for r in pages)
    odds = runtime.ledger.fetches("odds_props", DAY)
    assert {r["quota_remaining"] is not None for r in odds} == {True}
    assert any("/historical/sports/basketball_nba/events?" in r["url"] for r in odds)
    reports = runtime.ledger.fetches("nbac_injury_report", DAY)
    assert len({r["url"].rsplit("/", 1)[-1] for r in reports if r["status"] == 200}) == 2
    assert any(r["url"].endswith("Injury-Report_2023-10-31_05_30PM.pdf") for r in reports)
    schedule = runtime.ledger.fetches("nbac_schedule")
    assert len(schedule) == 1  # one season document for every date
    assert schedule[0]["url"] == "/stats/scheduleleaguev2?LeagueID=00&Season=2023-24"


def test_the_alternate_ladder_is_kept_apart_from_the_main_line(built):
    runtime, _ = built
    rows = runtime.warehouse.sql(
        "SELECT bookmaker, main_line, count(*) FROM odds_player_points_props WHERE game_date = ?"
        " GROUP BY ALL ORDER BY ALL", [DAY])
    ladder = {m: n for b, m, n in rows if b == "williamhill_us"}
    closing = sum(1 for r in _truth("odds_player_points_props", DAY) if r["bookmaker"] == "williamhill_us"
                  and r["main_line"] and r["snapshot_at"] > r["commence_time"] - timedelta(hours=1))
    assert ladder[False] == 2 * closing > 0  # a rung either side of each closing main line
    one_main = runtime.warehouse.sql(
        "SELECT max(n) FROM (SELECT count(*) n FROM odds_player_points_props WHERE main_line"
        " GROUP BY event_id, bookmaker, player_name, snapshot_at)")
    assert one_main == [(1,)]


def test_a_500_on_one_game_makes_the_date_partial_naming_it_and_the_refetch_asks_only_for_it(runtime, faults):
    bad = DATES[5]
    games = sorted(g["game_id"] for g in _schedule(bad))
    _run(runtime, tables=("scrape.nbac_schedule", "nbac_schedule"))
    faults.add(Fault("nbac_gamebook", FaultKind.HTTP_500, bad, times=2))  # two attempts: the first game
    result = _run(runtime, tables=("scrape.nbac_gamebook",), dates=(bad,))
    st = result.statuses[("scrape.nbac_gamebook", bad)]
    assert st.status == "partial"
    assert f"fetched {len(games) - 1} of {len(games)} games" in st.reason
    assert games[0] in st.reason and "HTTP 500" in st.reason
    before = len(runtime.ledger.fetches("nbac_gamebook", bad))
    healed = _run(runtime, tables=("scrape.nbac_gamebook", "nbac_gamebook_player_stats"), dates=(bad,))
    assert healed.statuses[("scrape.nbac_gamebook", bad)].status == "complete"
    asked = runtime.ledger.fetches("nbac_gamebook", bad)[: len(runtime.ledger.fetches("nbac_gamebook", bad)) - before]
    assert [r["item"] for r in asked] == [games[0]]
    assert healed.statuses[("nbac_gamebook_player_stats", bad)].status == "complete"


def test_a_persistent_500_fails_and_blocks_and_heals_once_cleared(runtime, faults):
    bad = DATES[5]
    faults.add(Fault("bdl_stats", FaultKind.HTTP_500, bad))
    result = _run(runtime)
    st = result.statuses[("scrape.bdl_stats", bad)]
    assert st.status == "failed"
    assert "HTTP 500" in st.reason and "Internal Server Error" in st.reason
    raw = result.statuses[("bdl_player_boxscores", bad)]
    assert raw.status == "blocked" and raw.root_cause == ("scrape.bdl_stats", bad)
    faults.clear()
    healed = _run(runtime)
    assert healed.gaps(runtime.catalog.names(), DATES) == []


@pytest.fixture(params=["here", "in worker processes"])
def parsed(request, monkeypatch):
    """Bodies parsed in this process, or every batch sent to worker processes."""
    from fullcourt.engine import ingest

    if request.param != "here":
        monkeypatch.setattr(ingest, "PARALLEL_BODIES", 1)
    return request.param


def test_a_bad_payload_is_quarantined_and_its_fetch_fails_with_the_reason(runtime, parsed):
    day = DATES[3]
    _run(runtime, tables=("scrape.nbac_schedule", "nbac_schedule", "scrape.nbac_team_boxscore"))
    store = runtime.executor.store
    [entry] = store.manifest("nbac_team_boxscore", day)
    doc = json.loads(store.get(entry.key))
    doc["resultSets"][0]["headers"].remove("MATCHUP")
    body = json.dumps(doc).encode()
    key = store.put("nbac_team_boxscore", day, datetime(2030, 1, 1), body, entry.item)
    store.commit("nbac_team_boxscore", day, datetime(2030, 1, 1), [Entry(entry.item, key, digest(body))])
    result = _run(runtime, tables=("nbac_team_boxscore",))
    # the fetch that brought it fails with the reason, so the next run fetches again
    fetch = result.statuses[("scrape.nbac_team_boxscore", day)]
    assert fetch.status == "failed" and "quarantined" in fetch.reason and "MATCHUP" in fetch.reason
    st = result.statuses[("nbac_team_boxscore", day)]
    assert st.status == "blocked" and st.root_cause == ("scrape.nbac_team_boxscore", day)
    quarantined = list((runtime.home.objects / "quarantine").rglob("*.reason.txt"))
    assert len(quarantined) == 1 and "MATCHUP" in quarantined[0].read_text()
    healed = _run(runtime, tables=("scrape.nbac_team_boxscore", "nbac_team_boxscore"))
    assert healed.statuses[("nbac_team_boxscore", day)].status == "complete"


def test_worker_processes_parse_exactly_what_this_process_parses(built, tmp_path, monkeypatch):
    from fullcourt.engine import ingest

    rt, _ = built
    raw = tuple(m.SPEC.name for m in RAW_MODULES)
    here = {t: rt.warehouse.facts(t) for t in raw}
    assert all(here.values())
    monkeypatch.setattr(ingest, "PARALLEL_BODIES", 1)
    pools = []
    pool = ingest.Ingest._pool
    monkeypatch.setattr(ingest.Ingest, "_pool", lambda self, job: pools.append(pool(self, job)) or pools[-1])
    result = _run(rt, tables=raw, force=True)
    assert len(pools) == len(raw) and all(pools)  # every table went to the workers
    assert rt.executor.ingest._workers is None  # and they stopped with the run
    assert result.failed == 0 and result.written == len(raw) * len(DATES)
    assert {t: rt.warehouse.facts(t) for t in raw} == here


def test_a_stat_correction_reaches_the_raw_tables_on_refetch(runtime, faults):
    day = DATES[2]
    _run(runtime, dates=(day,))
    game = _schedule(day)[0]
    gb = LEAGUE.season("2023-24").tables["nbac_gamebook_player_stats"].to_pylist()
    player = next(r for r in gb if r["game_id"] == game["game_id"] and r["status"] == "active")
    faults.add(StatCorrection(game["game_id"], player["player_id"], datetime(2000, 1, 1)))
    _run(runtime, dates=(day,), force=True)
    got = runtime.warehouse.sql(
        "SELECT points FROM nbac_gamebook_player_stats WHERE game_id = ? AND player_id = ?",
        [game["game_id"], player["player_id"]],
    )
    assert got == [(player["points"] + 3,)]
    pbp = runtime.warehouse.sql(
        "SELECT sum(points) FROM bdb_play_by_play WHERE game_id = ? AND player_id = ?",
        [game["game_id"], player["player_id"]])
    assert pbp == [(player["points"] + 3,)]


# -- the parsers on their own --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("34:12", 34.2), ("PT34M12.00S", 34.2), ("PT05M30.60S", 5.51), ("12", 12.0), ("", None),
     (None, None), ("0:00", 0.0), (27.5, 27.5), ("05", 5.0), ("00", 0.0)],
)
def test_minutes_in_every_dialect(text, expected):
    assert minutes(text) == expected


@pytest.mark.parametrize("module", [m for m in RAW_MODULES if m is not nbac_injury_report],
                         ids=lambda m: m.SPEC.name)
def test_malformed_json_is_payload_invalid(module):
    with pytest.raises(errors.PayloadInvalid, match="malformed JSON") as info:
        module.build(b'{"games": [{"gameId": "00223', DAY)
    assert info.value.table == module.SPEC.name and info.value.dates == (DAY,)


def test_a_broken_pdf_is_payload_invalid():
    with pytest.raises(errors.PayloadInvalid, match="injury report PDF") as info:
        nbac_injury_report.build(b"%PDF-1.4 truncated", DAY)
    assert info.value.table == "nbac_injury_report"


def test_duplicated_rows_are_dropped_and_null_minutes_kept():
    from fullcourt.sources.wire import balldontlie

    rows = _truth("bdl_player_boxscores", DAY)
    doubled = rows + rows[:50]
    for r in doubled[:40]:
        r["minutes"] = None
    body = json.dumps(balldontlie.page(balldontlie.records(doubled, {}, {}, {}), 0, 1000)).encode()
    table = bdl_player_boxscores.build(body, DAY)
    assert table.num_rows == len(rows)
    keys = Counter(zip(table["game_id"].to_pylist(), table["player_id"].to_pylist(), strict=True))
    assert max(keys.values()) == 1
    assert table["minutes"].null_count == 40


def test_schema_violation_names_the_field():
    from fullcourt.sources.wire import nbacom

    game = _schedule(DAY)[0]
    gb = [r for r in _truth("nbac_gamebook_player_stats", DAY) if r["game_id"] == game["game_id"]]
    teams = [r for r in _truth("nbac_team_boxscore", DAY) if r["game_id"] == game["game_id"]]
    doc = nbacom.boxscore(game, gb, teams, datetime(2024, 1, 1))
    doc["game"]["homeTeam"]["players"][0]["statistics"]["points"] = "lots"
    with pytest.raises(errors.PayloadInvalid, match=r"homeTeam\.players\.0\.statistics\.points"):
        nbac_gamebook_player_stats.build(json.dumps(doc).encode(), DAY)
    pbp = [r for r in _truth("bdb_play_by_play", DAY) if r["game_id"] == game["game_id"]]
    doc = nbacom.play_by_play(game["game_id"], pbp, datetime(2024, 1, 1))
    shot = next(a for a in doc["game"]["actions"] if a["actionType"] == "2pt")
    shot["area"] = "Half Court Heave"
    with pytest.raises(errors.PayloadInvalid, match="unknown area"):
        bdb_play_by_play.build(json.dumps(doc).encode(), DAY)


def test_a_box_score_for_another_date_is_rejected():
    from fullcourt.sources.wire import nbacom

    game = _schedule(DAY)[0]
    doc = nbacom.boxscore(game, _truth("nbac_gamebook_player_stats", DAY)[:3], [], datetime(2024, 1, 1))
    with pytest.raises(errors.PayloadInvalid, match="was played on 2023-11-01"):
        nbac_gamebook_player_stats.build(json.dumps(doc).encode(), DAY + timedelta(days=1))


def test_schedule_keeps_scheduled_games_without_scores():
    from fullcourt.sources.wire import nbacom

    rows = [{**g, "status": "scheduled"} for g in _schedule(DAY)]
    t = nbac_schedule.build(json.dumps(nbacom.schedule(rows, "2023-24", datetime(2023, 1, 1))).encode(), DAY)
    assert set(t["status"].to_pylist()) == {"scheduled"}
    assert t["home_score"].null_count == t.num_rows
    assert set(t["season_type"].to_pylist()) == {"regular"}
