"""The simulated providers: real paths and bodies, visibility by clock, paging, keys, quota, faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import httpx
import pytest

from fullcourt.processors.raw import nbac_injury_report
from fullcourt.sources.api import GAME_LENGTH, create_app
from fullcourt.sources.faults import Fault, FaultKind, FaultProfile
from fullcourt.sources.sim import League
from fullcourt.sources.transport import ASGIBridge
from fullcourt.sources.wire import injuries

LEAGUE = League(7)
DAY = date(2023, 12, 6)
SEASON = LEAGUE.season("2023-24").tables
ODDS = {"regions": "us", "markets": "player_points", "oddsFormat": "american", "apiKey": "sekrit"}
HISTORY = "/v4/historical/sports/basketball_nba"


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _games(day: date = DAY) -> list[dict]:
    return [g for g in SEASON["nbac_schedule"].to_pylist() if g["game_date"] == day]


@pytest.fixture
def api() -> Iterator[tuple[httpx.Client, Clock, FaultProfile]]:
    clock = Clock(datetime(2100, 1, 1))
    faults = FaultProfile()
    app = create_app(LEAGUE, clock, faults, api_keys={"oddsapi": "sekrit", "balldontlie": "bdl-key"})
    bridge = ASGIBridge(app)
    with httpx.Client(transport=bridge, base_url="http://sim", timeout=5) as client:
        yield client, clock, faults
    bridge.close()


def _box(client, game_id: str) -> httpx.Response:
    return client.get(f"/static/json/liveData/boxscore/boxscore_{game_id}.json")


def test_box_scores_appear_only_once_a_game_has_ended(api):
    client, clock, _ = api
    first = min(_games(), key=lambda g: g["tipoff_utc"])
    clock.now = first["tipoff_utc"] - timedelta(hours=1)
    doc = client.get("/static/json/staticData/scheduleLeagueV2.json").json()  # the season under way
    assert doc["leagueSchedule"]["seasonYear"] == "2023-24"
    [today] = [d for d in doc["leagueSchedule"]["gameDates"] if d["gameDate"] == "12/06/2023 00:00:00"]
    assert len(today["games"]) == len(_games())
    assert {g["gameStatus"] for g in today["games"]} == {1}
    assert all(g["homeTeam"]["score"] == 0 and g["gameStatusText"].endswith(" ET") for g in today["games"])
    assert _box(client, first["game_id"]).status_code == 403  # the CDN has no such object yet
    clock.now = first["tipoff_utc"] + GAME_LENGTH
    box = _box(client, first["game_id"]).json()
    assert box["game"]["gameId"] == first["game_id"] and box["game"]["gameTimeUTC"].endswith("Z")
    players = box["game"]["homeTeam"]["players"] + box["game"]["awayTeam"]["players"]
    assert {p["status"] for p in players} >= {"ACTIVE"} and all(p["statistics"]["minutes"].startswith("PT")
                                                            or p["statistics"]["minutes"] is None for p in players)
    later = [g for g in _games() if g["tipoff_utc"] > first["tipoff_utc"]]
    assert later and _box(client, later[-1]["game_id"]).status_code == 403
    clock.now = datetime(2024, 1, 1)
    past = client.get("/stats/scheduleleaguev2", params={"LeagueID": "00", "Season": "2023-24"}).json()
    [final] = [d for d in past["leagueSchedule"]["gameDates"] if d["gameDate"] == "12/06/2023 00:00:00"]
    assert {g["gameStatus"] for g in final["games"]} == {3}
    assert all(isinstance(g["homeTeam"]["score"], int) and g["homeTeam"]["score"] > 0 for g in final["games"])


def test_play_by_play_and_game_log_on_their_own_paths(api):
    client, _, _ = api
    game = _games()[0]
    actions = client.get(f"/static/json/liveData/playbyplay/playbyplay_{game['game_id']}.json").json()
    kinds = {a["actionType"] for a in actions["game"]["actions"]}
    assert kinds <= {"2pt", "3pt", "freethrow"} and "2pt" in kinds
    assert all("area" in a and "xLegacy" in a for a in actions["game"]["actions"] if a["actionType"] != "freethrow")
    log = client.get("/stats/leaguegamelog", params={
        "PlayerOrTeam": "T", "DateFrom": "12/06/2023", "DateTo": "12/06/2023", "Season": "2023-24",
        "SeasonType": "Regular Season"}).json()
    rows = log["resultSets"][0]["rowSet"]
    headers = log["resultSets"][0]["headers"]
    assert len(rows) == 2 * len(_games())
    assert {r[headers.index("MATCHUP")].split()[1] for r in rows} == {"vs.", "@"}
    assert {type(r[headers.index("MIN")]) for r in rows} == {int}


def test_odds_history_gives_the_snapshot_at_or_before_the_date(api):
    client, _, _ = api
    tip = min(g["tipoff_utc"] for g in _games())
    window = {"commenceTimeFrom": f"{DAY}T05:00:00Z", "commenceTimeTo": f"{DAY + timedelta(days=1)}T05:00:00Z"}
    listed = client.get(f"{HISTORY}/events", params={**window, "apiKey": "sekrit",
                                                     "date": (tip - timedelta(hours=1)).isoformat() + "Z"})
    body = listed.json()
    assert set(body) == {"timestamp", "previous_timestamp", "next_timestamp", "data"}
    assert len(body["data"]) == len(_games()) and " " in body["data"][0]["home_team"]
    event = next(e for e in body["data"] if e["commence_time"] == tip.isoformat() + "Z")
    path = f"{HISTORY}/events/{event['id']}/odds"
    before = client.get(path, params={**ODDS, "date": (tip - timedelta(hours=20)).isoformat() + "Z"}).json()
    close = client.get(path, params={**ODDS, "date": (tip - timedelta(minutes=5)).isoformat() + "Z"}).json()
    assert before["timestamp"] < close["timestamp"] < event["commence_time"]
    assert before["next_timestamp"] == close["timestamp"] and close["previous_timestamp"] == before["timestamp"]
    outcomes = close["data"]["bookmakers"][0]["markets"][0]["outcomes"]
    assert {o["name"] for o in outcomes} == {"Over", "Under"}
    ladder = next(b for b in close["data"]["bookmakers"] if b["key"] == "williamhill_us")
    points = {}
    for o in ladder["markets"][0]["outcomes"]:
        points.setdefault(o["description"], set()).add(o["point"])
    assert max(len(v) for v in points.values()) == 3  # an alternate ladder in the same market
    early = client.get(path, params={**ODDS, "date": (tip - timedelta(days=3)).isoformat() + "Z"})
    assert early.status_code == 404  # no snapshot yet
    spent = int(listed.headers["x-requests-remaining"]) - int(early.headers["x-requests-remaining"])
    assert spent == 30 and early.headers["x-requests-last"] == "10"


def test_live_odds_for_tonight(api):
    client, clock, _ = api
    tip = min(g["tipoff_utc"] for g in _games())
    clock.now = tip - timedelta(hours=3)
    events = client.get("/v4/sports/basketball_nba/events", params={"apiKey": "sekrit"}).json()
    assert isinstance(events, list) and events
    tonight = next(e for e in events if e["commence_time"] == tip.isoformat() + "Z")
    odds = client.get(f"/v4/sports/basketball_nba/events/{tonight['id']}/odds", params=ODDS).json()
    assert "timestamp" not in odds and odds["bookmakers"]
    assert all(b["markets"][0]["last_update"] <= clock.now.isoformat() + "Z" for b in odds["bookmakers"])


def test_the_injury_report_is_a_pdf_published_at_its_time(api):
    client, clock, _ = api
    times = sorted({r["report_at"] for r in SEASON["nbac_injury_report"].to_pylist() if r["game_date"] == DAY})
    assert len(times) == 2
    name = injuries.file_name(times[1])
    clock.now = times[1] - timedelta(minutes=1)
    assert client.get(f"/referee/injury/{name}").status_code == 403
    clock.now = times[1]
    pdf = client.get(f"/referee/injury/{name}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    _, rows = nbac_injury_report.report_rows(pdf.content, DAY)
    want = [r for r in SEASON["nbac_injury_report"].to_pylist() if r["report_at"] == times[1]]
    assert len(rows) == len(want) and {r["report_at"] for r in rows} == {times[1]}
    assert client.get("/referee/injury/Injury-Report_2023-12-06_04_15AM.pdf").status_code == 403


def test_keyed_services_refuse_requests_without_their_key(api):
    client, _, _ = api
    stats = client.get("/v1/stats", params={"dates[]": DAY.isoformat()})
    assert stats.status_code == 401
    assert client.get("/v1/stats", params={"dates[]": DAY.isoformat()},
                      headers={"Authorization": "bdl-key"}).status_code == 200
    odds = client.get(f"{HISTORY}/events", params={"date": f"{DAY}T18:00:00Z"})
    assert odds.status_code == 401 and odds.json()["error_code"] == "INVALID_KEY"
    assert client.get("/stats/scheduleleaguev2", params={"Season": "2023-24"}).status_code == 200


def test_bad_dates_are_refused(api):
    client, _, _ = api
    auth = {"Authorization": "bdl-key"}
    assert client.get("/v1/stats", headers=auth).status_code == 400
    assert client.get("/v1/stats", params={"dates[]": "yesterday"}, headers=auth).status_code == 400
    assert client.get("/stats/leaguegamelog", params={"PlayerOrTeam": "T"}).status_code == 400
    assert client.get(f"{HISTORY}/events", params={"apiKey": "sekrit", "date": "soon"}).status_code == 422


def test_bdl_pages_with_a_cursor_until_it_runs_out(api):
    client, _, _ = api
    seen: list[tuple] = []
    cursor = None
    pages = 0
    while True:
        params: dict = {"dates[]": DAY.isoformat(), "per_page": 40}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get("/v1/stats", params=params, headers={"Authorization": "bdl-key"}).json()
        assert len(page["data"]) <= 40
        assert all(isinstance(r["min"], str) for r in page["data"])
        seen += [(r["game"]["id"], r["player"]["id"]) for r in page["data"]]
        pages += 1
        cursor = page["meta"].get("next_cursor")
        if cursor is None:
            break
    bdl = SEASON["bdl_player_boxscores"].to_pylist()
    want = {(r["game_id"], int(r["player_id"])) for r in bdl if r["game_date"] == DAY}
    assert len(seen) == len(set(seen)) == len(want) and set(seen) == want
    assert pages == -(-len(want) // 40)


def test_the_odds_quota_runs_out():
    app = create_app(LEAGUE, odds_quota=25)
    bridge = ASGIBridge(app)
    with httpx.Client(transport=bridge, base_url="http://sim") as client:
        events = client.get(f"{HISTORY}/events", params={"date": f"{DAY}T23:00:00Z"}).json()["data"]
        path = f"{HISTORY}/events/{events[0]['id']}/odds"
        got = [client.get(path, params={**ODDS, "date": f"{DAY}T23:00:00Z"}) for _ in range(3)]
    bridge.close()
    assert [r.status_code for r in got] == [200, 200, 401]
    assert got[1].headers["x-requests-remaining"] == "4" and got[2].json()["error_code"] == "OUT_OF_USAGE_CREDITS"


def test_faults_apply_per_request_to_the_date_of_its_game(api):
    client, clock, faults = api
    game, other = _games()[0], _games()[1]
    faults.add(Fault("nbac_gamebook", FaultKind.HTTP_500, DAY, times=2))
    assert [_box(client, game["game_id"]).status_code for _ in range(3)] == [500, 500, 200]
    faults.add(Fault("nbac_gamebook", FaultKind.EMPTY, DAY))
    assert _box(client, game["game_id"]).json()["game"]["homeTeam"]["players"] == []
    assert _box(client, _games(DAY + timedelta(days=1))[0]["game_id"]).json()["game"]["homeTeam"]["players"]
    faults.clear()
    faults.add(Fault("bdb_pbp", FaultKind.LATE, DAY, until=datetime(2024, 1, 1)))
    clock.now = datetime(2023, 12, 20)
    pbp = f"/static/json/liveData/playbyplay/playbyplay_{other['game_id']}.json"
    assert client.get(pbp).json()["game"]["actions"] == []
    clock.now = datetime(2024, 1, 2)
    assert client.get(pbp).json()["game"]["actions"] != []
    faults.add(Fault("nbac_gamebook", FaultKind.MALFORMED, DAY))
    r = _box(client, game["game_id"])
    assert r.status_code == 200
    with pytest.raises(ValueError):
        json.loads(r.content)


def test_a_timeout_fault_makes_the_client_time_out(api):
    client, _, faults = api
    faults.add(Fault("nbac_schedule", FaultKind.TIMEOUT, None, times=1, seconds=2.0))
    params = {"LeagueID": "00", "Season": "2023-24"}
    with pytest.raises(httpx.ReadTimeout):
        client.get("/stats/scheduleleaguev2", params=params, timeout=0.2)
    assert client.get("/stats/scheduleleaguev2", params=params).status_code == 200


@pytest.mark.server
def test_serve_answers_on_a_real_socket():
    import socket
    import threading
    import time

    import uvicorn

    from fullcourt.sources import api as api_mod

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started: list[uvicorn.Server] = []
    real_run = uvicorn.run

    def run(app, **kwargs):  # keep a handle on the server so the test can stop it
        server = uvicorn.Server(uvicorn.Config(app, **kwargs))
        started.append(server)
        server.run()

    uvicorn.run = run
    try:
        thread = threading.Thread(target=api_mod.serve, kwargs={"port": port, "league": LEAGUE},
                                  daemon=True)
        thread.start()
        while True:  # until it listens; pytest's timeout bounds a hang
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/stats/scheduleleaguev2",
                              params={"LeagueID": "00", "Season": "2023-24"}, timeout=10)
                break
            except httpx.ConnectError:
                assert thread.is_alive(), "the server thread stopped before it listened"
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["leagueSchedule"]["gameDates"]
    finally:
        uvicorn.run = real_run
        if started:
            started[0].should_exit = True
        thread.join(10)
