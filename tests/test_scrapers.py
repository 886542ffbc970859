"""Scrapers and the fetcher: retries where they help, never where they cannot, and
"fetched and empty" told apart from "failed"."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest

from fullcourt import errors, settings
from fullcourt.catalog.spec import Expectation, Phase
from fullcourt.config import Home
from fullcourt.sources import registry
from fullcourt.sources.api import create_app
from fullcourt.sources.faults import Fault, FaultKind, FaultProfile
from fullcourt.sources.fetcher import Fetcher, RetryPolicy
from fullcourt.sources.objectstore import ObjectStore
from fullcourt.sources.ratelimit import TokenBucket
from fullcourt.sources.scrapers import SCRAPERS
from fullcourt.sources.sim import League
from fullcourt.sources.transport import ASGIBridge

LEAGUE = League(7)
DAY = date(2023, 12, 6)


class Counting(httpx.BaseTransport):
    """Counts requests per path on their way to the real transport."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[request.url.path] += 1
        return self.inner.handle_request(request)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[tuple[Fetcher, FaultProfile, Counting]]:
    faults = FaultProfile()
    bridge = ASGIBridge(create_app(LEAGUE, faults=faults, api_keys={"odds": "k"}))
    counting = Counting(bridge)
    client = httpx.Client(transport=counting, base_url="http://sim", timeout=0.5)
    client.get("/nbac/schedule", params={"gameDate": DAY.isoformat()}, timeout=30)  # warm up
    counting.calls.clear()
    fetcher = Fetcher(
        client, retry=RetryPolicy(attempts=3, backoff=0.0), quarantine=ObjectStore(tmp_path)
    )
    yield fetcher, faults, counting
    client.close()
    bridge.close()


def test_one_scraper_per_source_and_the_registry_agrees():
    assert set(SCRAPERS) == set(registry.SOURCES)
    specs = {s.name: s for s in registry.scrape_specs()}
    assert set(specs) == {f"scrape.{s}" for s in registry.SOURCES}
    assert all(s.phase is Phase.SCRAPE and s.keys == () for s in specs.values())
    assert specs["scrape.nbac_gamebook"].expectation is Expectation.ROWS
    assert specs["scrape.odds_props"].expectation is Expectation.ANY
    assert specs["scrape.odds_props"].extra == {"expects": "scheduled"}


def test_a_500_is_retried_until_it_succeeds(sim):
    fetcher, faults, counting = sim
    faults.add(Fault("nbac_gamebook", FaultKind.HTTP_500, DAY, times=2))
    [res] = fetcher("nbac_gamebook", [DAY])
    assert res.ok and res.status == 200 and res.records > 100
    assert counting.calls["/nbac/gamebook"] == 3


def test_a_persistent_500_fails_with_the_reason_after_the_last_attempt(sim):
    fetcher, faults, counting = sim
    faults.add(Fault("nbac_gamebook", FaultKind.HTTP_500, DAY))
    [res] = fetcher("nbac_gamebook", [DAY])
    assert not res.ok and res.status == 500 and res.body is None
    assert "Internal Server Error" in res.error and "3 attempts" in res.error
    assert counting.calls["/nbac/gamebook"] == 3


def test_a_timeout_is_retried(sim):
    fetcher, faults, counting = sim
    faults.add(Fault("nbac_schedule", FaultKind.TIMEOUT, DAY, times=1, seconds=2.0))
    [res] = fetcher("nbac_schedule", [DAY])
    assert res.ok and res.records == len(
        [g for g in LEAGUE.season("2023-24").tables["nbac_schedule"]["game_date"].to_pylist() if g == DAY]
    )
    assert counting.calls["/nbac/schedule"] == 2


def test_timeouts_every_time_fail_as_timeouts(sim):
    fetcher, faults, _ = sim
    faults.add(Fault("nbac_schedule", FaultKind.TIMEOUT, DAY, seconds=2.0))
    [res] = fetcher("nbac_schedule", [DAY])
    assert not res.ok and res.status == 0 and "timeout" in res.error


def test_a_4xx_is_not_retried(sim):
    fetcher, _, counting = sim
    [res] = fetcher("odds_props", [DAY])  # the odds service wants a key
    assert not res.ok and res.status == 401 and "not retried" in res.error
    assert counting.calls["/odds/v4/historical/player_props"] == 1
    keyed = dataclasses.replace(fetcher, keys={"odds": "k"})
    [res] = keyed("odds_props", [DAY])
    assert res.ok and res.records > 50


def test_a_404_is_fetched_and_empty_not_failed():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"message": "no games"})

    fetcher = Fetcher(httpx.Client(transport=httpx.MockTransport(handler), base_url="http://x"))
    [res] = fetcher("nbac_gamebook", [DAY])
    assert res.ok and res.records == 0 and res.body == b"[]" and res.error is None


def test_an_empty_date_is_fetched_and_empty(sim):
    fetcher, faults, _ = sim
    faults.add(Fault("nbac_team_boxscore", FaultKind.EMPTY, DAY))
    [res] = fetcher("nbac_team_boxscore", [DAY])
    assert res.ok and res.records == 0 and res.body
    [off_day] = fetcher("nbac_gamebook", [date(2023, 11, 23)])  # Thanksgiving
    assert off_day.ok and off_day.records == 0


def test_malformed_json_fails_the_fetch_and_keeps_the_bytes(sim, tmp_path):
    fetcher, faults, _ = sim
    faults.add(Fault("nbac_injury_report", FaultKind.MALFORMED, DAY))
    [res] = fetcher("nbac_injury_report", [DAY])
    assert not res.ok and res.status == 200 and "malformed JSON" in res.error
    kept = list((tmp_path / "quarantine").rglob("*.json"))
    assert len(kept) == 1 and kept[0].read_bytes().endswith(b"\x00,")
    assert ObjectStore(tmp_path).latest("nbac_injury_report", DAY) is None


def test_bdl_pages_are_joined_into_one_payload(sim):
    fetcher, _, counting = sim
    small = dataclasses.replace(SCRAPERS["bdl_stats"], per_page=25)
    paged = dataclasses.replace(fetcher, scrapers={"bdl_stats": small})
    [res] = paged("bdl_stats", [DAY])
    bdl = LEAGUE.season("2023-24").tables["bdl_player_boxscores"]["game_date"].to_pylist()
    want = sum(d == DAY for d in bdl)
    assert res.records == want == len(json.loads(res.body)["data"])
    assert counting.calls["/bdl/v1/stats"] == -(-want // 25) > 1


def test_a_page_failing_midway_is_retried_alone(sim):
    fetcher, faults, counting = sim
    faults.add(Fault("bdl_stats", FaultKind.HTTP_500, DAY, times=1))
    [res] = fetcher("bdl_stats", [DAY])
    assert res.ok and counting.calls["/bdl/v1/stats"] == 1 + -(-res.records // 100)


def test_many_dates_in_parallel_come_back_one_result_each(sim):
    fetcher, _, _ = sim
    days = [date(2023, 12, d) for d in range(1, 11)]
    results = list(fetcher("nbac_team_boxscore", days))
    assert [r.game_date for r in results] == days
    assert all(r.ok and r.source == "nbac_team_boxscore" for r in results)


def test_requests_respect_the_token_bucket(sim):
    fetcher, _, _ = sim
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    bucket = TokenBucket(2.0, burst=1, clock=lambda: now[0], sleep=sleep)
    limited = dataclasses.replace(fetcher, buckets={"nbac": bucket}, workers=1)
    list(limited("nbac_schedule", [date(2023, 12, d) for d in range(1, 6)]))
    assert sum(waits) == pytest.approx(2.0)  # 5 requests at 2/s with a burst of 1


def test_unknown_source_is_a_usage_error(sim):
    fetcher, _, _ = sim
    with pytest.raises(errors.UsageError, match="nbac_gamebook"):
        fetcher("nbac_gamebok", [DAY])


def test_settings_from_toml_and_environment(tmp_path, monkeypatch):
    for env in settings.ENVIRONMENT:
        monkeypatch.delenv(env, raising=False)
    home = Home(tmp_path)
    assert settings.load(home).sources.seed == 7
    (tmp_path / "settings.toml").write_text('[sources]\nseed = 11\nurl = "https://example.test"\n')
    got = settings.load(home).sources
    assert (got.seed, got.url, got.key, got.replay) == (11, "https://example.test", None, None)
    monkeypatch.setenv("FULLCOURT_SIM_SEED", "3")
    monkeypatch.setenv("FULLCOURT_SOURCE_KEY", "abc")
    got = settings.load(home).sources
    assert got.seed == 3 and got.key is not None and got.key.get_secret_value() == "abc"
    wired = registry.wiring(home)
    fetcher = wired["fetcher"]
    assert str(fetcher.client.base_url) == "https://example.test"
    assert fetcher.keys["bdl"] == "abc"
    assert wired["store"].root == home.objects
    fetcher.close()
    monkeypatch.setenv("FULLCOURT_SIM_SEED", "seven")
    with pytest.raises(errors.UsageError, match="seed"):
        settings.load(home)


def test_default_wiring_serves_the_simulated_league_in_process(tmp_path, monkeypatch):
    for env in ("FULLCOURT_SOURCE_URL", "FULLCOURT_SOURCE_KEY", "FULLCOURT_SIM_SEED"):
        monkeypatch.delenv(env, raising=False)
    clock = lambda: datetime(2023, 12, 6, 12, 0)  # noqa: E731 - before tonight's games
    wired = registry.wiring(Home(tmp_path), league=LEAGUE, clock=clock)
    fetcher = wired["fetcher"]
    [sched] = fetcher("nbac_schedule", [DAY])
    [book] = fetcher("nbac_gamebook", [DAY])
    fetcher.close()
    games = json.loads(sched.body)["leagueSchedule"]["gameDates"][0]["games"]
    assert sched.records == len(games) > 0 and {g["gameStatus"] for g in games} == {1}
    assert book.ok and book.records == 0
    assert sched.fetched_at == datetime(2023, 12, 6, 12, 0)
