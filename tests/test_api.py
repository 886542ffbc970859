"""The simulated HTTP API: provider shapes, visibility by clock, paging, keys and faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import httpx
import pytest

from fullcourt.sources.api import GAME_LENGTH, create_app
from fullcourt.sources.faults import Fault, FaultKind, FaultProfile
from fullcourt.sources.sim import League
from fullcourt.sources.transport import ASGIBridge

LEAGUE = League(7)
DAY = date(2023, 12, 6)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _games(day: date = DAY) -> list[dict]:
    t = LEAGUE.season("2023-24").tables["nbac_schedule"].to_pylist()
    return [g for g in t if g["game_date"] == day]


@pytest.fixture
def api() -> Iterator[tuple[httpx.Client, Clock, FaultProfile]]:
    clock = Clock(datetime(2100, 1, 1))
    faults = FaultProfile()
    bridge = ASGIBridge(create_app(LEAGUE, clock, faults, api_keys={"odds": "sekrit"}))
    with httpx.Client(transport=bridge, base_url="http://sim", timeout=5) as client:
        yield client, clock, faults
    bridge.close()


def test_box_scores_appear_only_once_a_game_has_ended(api):
    client, clock, _ = api
    first = min(_games(), key=lambda g: g["tipoff_utc"])
    clock.now = first["tipoff_utc"] - timedelta(hours=1)
    sched = client.get("/nbac/schedule", params={"gameDate": DAY.isoformat()}).json()
    games = sched["leagueSchedule"]["gameDates"][0]["games"]
    assert len(games) == len(_games())
    assert {g["gameStatusText"] for g in games} == {"Scheduled"}
    assert all(g["homeTeam"]["score"] is None for g in games)
    book = client.get("/nbac/gamebook", params={"gameDate": DAY.isoformat()}).json()
    assert book["games"] == []
    clock.now = first["tipoff_utc"] + GAME_LENGTH
    book = client.get("/nbac/gamebook", params={"gameDate": DAY.isoformat()}).json()
    ended = {g["game_id"] for g in _games() if g["tipoff_utc"] == first["tipoff_utc"]}
    assert {g["gameId"] for g in book["games"]} == ended and len(ended) < len(_games())
    clock.now = datetime(2024, 1, 1)
    sched = client.get("/nbac/schedule", params={"gameDate": DAY.isoformat()}).json()
    games = sched["leagueSchedule"]["gameDates"][0]["games"]
    assert {g["gameStatus"] for g in games} == {3}
    assert all(isinstance(g["homeTeam"]["score"], int) for g in games)


def test_props_show_the_opening_line_before_the_closing_one(api):
    client, clock, _ = api
    tip = min(g["tipoff_utc"] for g in _games())
    clock.now = tip - timedelta(hours=3)
    snaps = client.get("/odds/v4/historical/player_props", params={"date": DAY.isoformat(),
                                                                  "apiKey": "sekrit"}).json()
    assert len(snaps["snapshots"]) >= 1
    assert all(datetime.fromisoformat(s["timestamp"][:-1]) <= clock.now for s in snaps["snapshots"])
    clock.now = datetime(2100, 1, 1)
    later = client.get("/odds/v4/historical/player_props", params={"date": DAY.isoformat()},
                       headers={"Authorization": "sekrit"}).json()
    assert len(later["snapshots"]) > len(snaps["snapshots"])
    event = later["snapshots"][0]["data"][0]
    assert " " in event["home_team"]  # books print full team names
    outcomes = event["bookmakers"][0]["markets"][0]["outcomes"]
    assert {o["name"] for o in outcomes} == {"Over", "Under"}


def test_a_keyed_service_refuses_requests_without_the_key(api):
    client, _, _ = api
    r = client.get("/odds/v4/historical/player_props", params={"date": DAY.isoformat()})
    assert r.status_code == 401
    assert client.get("/nbac/schedule", params={"gameDate": DAY.isoformat()}).status_code == 200


def test_bad_dates_are_400(api):
    client, _, _ = api
    assert client.get("/nbac/gamebook", params={"gameDate": "yesterday"}).status_code == 400
    assert client.get("/nbac/gamebook").status_code == 400
    assert client.get("/bdl/v1/stats").status_code == 400


def test_bdl_pages_with_a_cursor_until_it_runs_out(api):
    client, _, _ = api
    seen: list[tuple] = []
    cursor = None
    pages = 0
    while True:
        params: dict = {"dates[]": DAY.isoformat(), "per_page": 40}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get("/bdl/v1/stats", params=params).json()
        assert len(page["data"]) <= 40
        seen += [(r["game"]["id"], r["player"]["id"]) for r in page["data"]]
        pages += 1
        cursor = page["meta"]["next_cursor"]
        if cursor is None:
            break
    bdl = LEAGUE.season("2023-24").tables["bdl_player_boxscores"].to_pylist()
    want = {(r["game_id"], r["player_id"]) for r in bdl if r["game_date"] == DAY}
    assert len(seen) == len(set(seen)) == len(want) and set(seen) == want
    assert pages == -(-len(want) // 40)
    assert client.get("/bdl/v1/stats", params={"dates[]": DAY.isoformat(), "cursor": -1}).status_code == 400


def test_faults_500_counted_empty_late_and_malformed(api):
    client, clock, faults = api
    params = {"gameDate": DAY.isoformat()}
    faults.add(Fault("nbac_gamebook", FaultKind.HTTP_500, DAY, times=2))
    assert [client.get("/nbac/gamebook", params=params).status_code for _ in range(3)] == [500, 500, 200]
    faults.add(Fault("nbac_team_boxscore", FaultKind.EMPTY, DAY))
    box = client.get("/nbac/boxscore/team", params=params).json()
    assert box["resultSets"][0]["rowSet"] == []
    other = client.get("/nbac/boxscore/team", params={"gameDate": "2023-12-07"}).json()
    assert other["resultSets"][0]["rowSet"] != []
    faults.add(Fault("bdb_pbp", FaultKind.LATE, DAY, until=datetime(2024, 1, 1)))
    clock.now = datetime(2023, 12, 20)
    assert client.get("/bdb/pbp", params=params).json()["games"] == []
    clock.now = datetime(2024, 1, 2)
    assert client.get("/bdb/pbp", params=params).json()["games"] != []
    faults.add(Fault("nbac_injury_report", FaultKind.MALFORMED, DAY))
    r = client.get("/nbac/injuries", params=params)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        json.loads(r.content)
    faults.clear()
    assert json.loads(client.get("/nbac/injuries", params=params).content)["reports"]


def test_a_timeout_fault_makes_the_client_time_out(api):
    client, _, faults = api
    faults.add(Fault("nbac_schedule", FaultKind.TIMEOUT, DAY, times=1, seconds=2.0))
    with pytest.raises(httpx.ReadTimeout):
        client.get("/nbac/schedule", params={"gameDate": DAY.isoformat()}, timeout=0.2)
    assert client.get("/nbac/schedule", params={"gameDate": DAY.isoformat()}).status_code == 200


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
                r = httpx.get(f"http://127.0.0.1:{port}/nbac/schedule",
                              params={"gameDate": DAY.isoformat()}, timeout=5)
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
