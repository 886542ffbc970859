"""Phases 1-2 end to end: simulated API -> scrapers -> object store -> raw tables.

Also the parsers on their own: provider dialects normalised (minutes, names, teams),
duplicates dropped, and bad payloads rejected with `PayloadInvalid` so the executor
quarantines them.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from datetime import date, timedelta
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
from fullcourt.sources.api import create_app
from fullcourt.sources.faults import Fault, FaultKind, FaultProfile, StatCorrection
from fullcourt.sources.fetcher import RetryPolicy
from fullcourt.sources.sim import League
from fullcourt.sources.transport import ASGIBridge

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


def build_catalog():
    catalog = Catalog([*registry.scrape_specs(), *(m.SPEC for m in RAW_MODULES)],
                      schedule="nbac_schedule")
    wiring = partial(
        registry.wiring, league=LEAGUE, faults=FAULTS, retry=RetryPolicy(attempts=2, backoff=0.0)
    )
    return catalog, {"wiring": wiring}


# -- payloads straight from the simulated API ----------------------------------------------


@pytest.fixture(scope="module")
def client():
    import httpx

    bridge = ASGIBridge(create_app(LEAGUE))
    with httpx.Client(transport=bridge, base_url="http://sim") as c:
        yield c
    bridge.close()


def _payload(client, source: str, day: date) -> bytes:
    from fullcourt.sources.scrapers import SCRAPERS

    status, body = SCRAPERS[source].fetch(lambda _s, path, params: client.get(path, params=params), day)
    assert status == 200
    return body


def _schema_of(table: str) -> pa.Schema:
    return arrow_schema(RAW_SCHEMAS[table])


DAY = date(2023, 11, 8)


@pytest.mark.parametrize("module", RAW_MODULES, ids=lambda m: m.SPEC.name)
def test_parsed_payload_equals_the_simulated_raw_table(client, module):
    table = module.SPEC.name
    source = next(s for s, t in registry.SOURCES.items() if t == table)
    parsed = module.build(_payload(client, source, DAY), DAY)
    assert parsed.schema == _schema_of(table)
    truth = LEAGUE.season("2023-24").tables[table]
    truth = truth.filter(pa.compute.equal(truth["game_date"], pa.scalar(DAY, pa.date32())))
    keys = list(module.SPEC.keys)
    a = sorted(parsed.to_pylist(), key=lambda r: tuple(str(r[k]) for k in keys))
    b = sorted(truth.to_pylist(), key=lambda r: tuple(str(r[k]) for k in keys))
    assert len(a) == len(b) > 0
    if table == "nbac_gamebook_player_stats":
        # minutes travel as ISO durations with hundredths of a second
        for r in a + b:
            r["minutes"] = None if r["minutes"] is None else round(r["minutes"], 2)
    if table == "odds_player_points_props":
        # books print accents and suffixes their own way; the raw layer keeps their spelling
        for r in a + b:
            r.pop("player_name")
    assert a == b


def test_duplicated_rows_are_dropped_and_null_minutes_kept(client):
    faults = FaultProfile().add(
        Fault("bdl_stats", FaultKind.DUPLICATES, DAY, share=0.5),
        Fault("bdl_stats", FaultKind.NULL_MINUTES, DAY, share=0.3),
    )
    import httpx

    bridge = ASGIBridge(create_app(LEAGUE, faults=faults))
    with httpx.Client(transport=bridge, base_url="http://sim") as c:
        body = _payload(c, "bdl_stats", DAY)
    bridge.close()
    sent = json.loads(body)["data"]
    table = bdl_player_boxscores.build(body, DAY)
    assert len(sent) > table.num_rows  # duplicates were sent ...
    keys = Counter(zip(table["game_id"].to_pylist(), table["player_id"].to_pylist(), strict=True))
    assert max(keys.values()) == 1  # ... and dropped
    nulls = table["minutes"].null_count / table.num_rows
    assert 0.15 < nulls < 0.45


@pytest.mark.parametrize(
    ("text", "expected"),
    [("34:12", 34.2), ("PT34M12.00S", 34.2), ("PT05M30.60S", 5.51), ("12", 12.0), ("", None),
     (None, None), ("0:00", 0.0), (27.5, 27.5)],
)
def test_minutes_in_every_dialect(text, expected):
    assert minutes(text) == expected


def test_schedule_keeps_scheduled_games_without_scores(client):
    body = _payload(client, "nbac_schedule", DAY)
    doc = json.loads(body)
    for g in doc["leagueSchedule"]["gameDates"][0]["games"]:
        g["gameStatus"], g["gameStatusText"] = 1, "7:00 pm ET"
    t = nbac_schedule.build(json.dumps(doc).encode(), DAY)
    assert set(t["status"].to_pylist()) == {"scheduled"}
    assert t["home_score"].null_count == t.num_rows
    assert set(t["season_type"].to_pylist()) == {"regular"}


def test_props_teams_become_tricodes_and_sides_pair_up(client):
    t = odds_player_points_props.build(_payload(client, "odds_props", DAY), DAY)
    assert set(t["home_team"].to_pylist()) <= set(LEAGUE.season("2023-24").tables["nbac_schedule"]["home_team"].to_pylist())
    assert t["over_price"].null_count == 0 and t["under_price"].null_count == 0
    assert len(set(t["snapshot_at"].to_pylist())) >= 2  # opening and closing


def test_injury_names_are_turned_around(client):
    t = nbac_injury_report.build(_payload(client, "nbac_injury_report", DAY), DAY)
    assert t.num_rows > 0
    assert not any("," in n for n in t["player_name"].to_pylist())


@pytest.mark.parametrize("module", RAW_MODULES, ids=lambda m: m.SPEC.name)
def test_malformed_json_is_payload_invalid(module):
    with pytest.raises(errors.PayloadInvalid, match="malformed JSON") as info:
        module.build(b'{"games": [{"gameId": "00223', DAY)
    assert info.value.table == module.SPEC.name and info.value.dates == (DAY,)


def test_schema_violation_names_the_field(client):
    doc = json.loads(_payload(client, "nbac_gamebook", DAY))
    doc["games"][0]["homeTeam"]["players"][0]["statistics"]["points"] = "lots"
    with pytest.raises(errors.PayloadInvalid, match=r"games\.0\.homeTeam\.players\.0\.statistics\.points"):
        nbac_gamebook_player_stats.build(json.dumps(doc).encode(), DAY)
    doc = json.loads(_payload(client, "bdb_pbp", DAY))
    doc["games"][0]["actions"][0].update(actionType="2pt", area="Half Court Heave")
    with pytest.raises(errors.PayloadInvalid, match="unknown area"):
        bdb_play_by_play.build(json.dumps(doc).encode(), DAY)


def test_a_payload_for_another_date_is_rejected(client):
    body = _payload(client, "nbac_schedule", DAY)
    with pytest.raises(errors.PayloadInvalid, match="holds games of 2023-11-08"):
        nbac_schedule.build(body, DAY + timedelta(days=1))


# -- the executor ------------------------------------------------------------------------


CATALOG = "tests.test_raw:build_catalog"


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


def _run(rt, dates=DATES, tables=None):
    tables = tables or tuple(rt.catalog.names())
    return rt.executor.execute("test", Request(tuple(tables), tuple(dates)))


def _schedule(day: date) -> list[dict]:
    t = LEAGUE.season("2023-24").tables["nbac_schedule"]
    return [r for r in t.to_pylist() if r["game_date"] == day]


def test_two_weeks_of_raw_tables_are_complete_and_match_the_schedule(runtime):
    result = _run(runtime)
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
        " sum(minutes) m FROM nbac_gamebook_player_stats GROUP BY ALL) g USING (game_id, team)"
        " WHERE t.points <> g.p OR t.minutes <> g.m OR (t.minutes - 240) % 25 <> 0"
    )
    assert bad == [(0,)]
    # a second run finds nothing to do
    assert _run(runtime).written == 0


def test_a_500_shows_as_failed_with_its_reason_and_heals_once_cleared(runtime, faults):
    bad = DATES[5]
    faults.add(Fault("nbac_gamebook", FaultKind.HTTP_500, bad))
    result = _run(runtime)
    st = result.statuses[("scrape.nbac_gamebook", bad)]
    assert st.status == "failed"
    assert "HTTP 500" in st.reason and "Internal Server Error" in st.reason
    raw = result.statuses[("nbac_gamebook_player_stats", bad)]
    assert raw.status == "blocked" and raw.root_cause == ("scrape.nbac_gamebook", bad)
    others = [d for d in DATES if d != bad]
    assert all(result.statuses[("nbac_gamebook_player_stats", d)].status in ("complete", "no_data")
               for d in others)
    faults.clear()
    healed = _run(runtime)
    assert healed.gaps(runtime.catalog.names(), DATES) == []
    assert healed.statuses[("nbac_gamebook_player_stats", bad)].status == "complete"


def test_a_bad_payload_is_quarantined_and_its_fetch_fails_with_the_reason(runtime):
    _run(runtime, tables=("scrape.nbac_schedule", "nbac_schedule", "scrape.nbac_team_boxscore"))
    day = DATES[3]
    store = runtime.executor.store
    key, body = store.latest("nbac_team_boxscore", day)
    doc = json.loads(body)
    doc["resultSets"][0]["headers"].remove("MATCHUP")
    store.put("nbac_team_boxscore", day, _later(store, key), json.dumps(doc).encode())
    result = _run(runtime, tables=("nbac_team_boxscore",))
    # the fetch that brought it fails with the reason, so the next run fetches again
    fetch = result.statuses[("scrape.nbac_team_boxscore", day)]
    assert fetch.status == "failed" and "quarantined" in fetch.reason and "MATCHUP" in fetch.reason
    st = result.statuses[("nbac_team_boxscore", day)]
    assert st.status == "blocked" and st.root_cause == ("scrape.nbac_team_boxscore", day)
    quarantined = list((runtime.home.objects / "quarantine").rglob("*.reason.txt"))
    assert len(quarantined) == 1 and "MATCHUP" in quarantined[0].read_text()
    # the good payload is the latest again: the next attempt succeeds
    assert store.latest("nbac_team_boxscore", day)[0] == key
    healed = _run(runtime, tables=("scrape.nbac_team_boxscore", "nbac_team_boxscore"))
    assert healed.statuses[("nbac_team_boxscore", day)].status == "complete"


def _later(store, key: str):
    from datetime import datetime

    stamp = key.rsplit("/", 1)[1].removesuffix(".json")
    return datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ") + timedelta(seconds=1)


def test_a_stat_correction_reaches_the_raw_tables_on_refetch(runtime, faults):
    _run(runtime)
    day = DATES[2]
    game = _schedule(day)[0]
    gb = LEAGUE.season("2023-24").tables["nbac_gamebook_player_stats"].to_pylist()
    player = next(r for r in gb if r["game_id"] == game["game_id"] and r["status"] == "active")
    from datetime import datetime

    faults.add(StatCorrection(game["game_id"], player["player_id"], datetime(2000, 1, 1)))
    runtime.executor.execute("test", Request(tuple(runtime.catalog.names()), (day,), force=True))
    got = runtime.warehouse.sql(
        "SELECT points FROM nbac_gamebook_player_stats WHERE game_id = ? AND player_id = ?",
        [game["game_id"], player["player_id"]],
    )
    assert got == [(player["points"] + 3,)]
