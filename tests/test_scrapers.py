"""The scrapers and the fetcher: real requests per game, event and page; retries where
they help, never where they cannot; a game missing named; keys and quota kept to
themselves."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fullcourt import errors, settings
from fullcourt.catalog.spec import Expectation, Phase
from fullcourt.config import Home
from fullcourt.sources import registry
from fullcourt.sources.api import create_app
from fullcourt.sources.faults import Fault, FaultKind, FaultProfile
from fullcourt.sources.fetcher import Fetcher, RetryPolicy, Service
from fullcourt.sources.objectstore import ObjectStore
from fullcourt.sources.providers import Game, balldontlie
from fullcourt.sources.ratelimit import TokenBucket
from fullcourt.sources.scrapers import SCRAPERS, SERVICES, Scraper
from fullcourt.sources.sim import League
from fullcourt.sources.transport import ASGIBridge

LEAGUE = League(7)
DAY = date(2023, 12, 6)
SCHEDULE = LEAGUE.season("2023-24").tables["nbac_schedule"].to_pylist()
KEYS = {"balldontlie": "bdl-key", "oddsapi": "odds-key"}


def games(day: date = DAY) -> list[Game]:
    return [Game(r["game_id"], r["game_date"], r["home_team"], r["away_team"], r["status"],
                 r["tipoff_utc"], r["season_type"], r["season"]) for r in SCHEDULE if r["game_date"] == day]


class Counting(httpx.BaseTransport):
    """Counts requests per path on their way to the real transport."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[request.url.path] += 1
        return self.inner.handle_request(request)


def services(transport: httpx.BaseTransport, keys=KEYS, timeout: float = 10.0, **kw) -> dict[str, Service]:
    client = httpx.Client(transport=transport, base_url="http://sim", timeout=timeout)
    out = {}
    for name, provider in SERVICES.items():
        out[name] = Service(name, client, key=keys.get(provider),
                            key_header="Authorization" if provider == "balldontlie" else None,
                            key_param="apiKey" if provider == "oddsapi" else None, **kw.get(name, {}))
    return out


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[tuple[Fetcher, FaultProfile, Counting]]:
    faults = FaultProfile()
    bridge = ASGIBridge(create_app(LEAGUE, faults=faults, api_keys=KEYS))
    counting = Counting(bridge)
    fetcher = Fetcher(services(counting), ObjectStore(tmp_path / "objects"),
                      retry=RetryPolicy(attempts=3, backoff=0.0))
    fetcher.request("nbastats", "/stats/scheduleleaguev2", {"Season": "2023-24"})  # warm up the season
    counting.calls.clear()
    yield fetcher, faults, counting
    fetcher.close()
    bridge.close()


def box(game_id: str) -> str:
    return f"/static/json/liveData/boxscore/boxscore_{game_id}.json"


def test_one_scraper_per_source_and_the_registry_agrees():
    assert set(SCRAPERS) == set(registry.SOURCES)
    specs = {s.name: s for s in registry.scrape_specs()}
    assert set(specs) == {f"scrape.{s}" for s in registry.SOURCES}
    assert all(s.phase is Phase.SCRAPE and s.keys == () for s in specs.values())
    assert specs["scrape.nbac_gamebook"].expectation is Expectation.GAMES
    assert specs["scrape.odds_props"].expectation is Expectation.GAMES
    assert specs["scrape.odds_props"].extra == {"expects": "scheduled"}
    assert specs["scrape.nbac_injury_report"].expectation is Expectation.ANY


def test_box_scores_are_one_request_per_final_game(sim):
    fetcher, _, counting = sim
    [res] = fetcher("nbac_gamebook", [DAY], games={DAY: games()})
    assert res.ok and res.games == len(games()) and res.error is None
    assert {p for p in counting.calls} == {box(g.game_id) for g in games()}
    assert [r.item for r in res.rows] == [g.game_id for g in games()]
    assert {r.status for r in res.rows} == {200} and sum(r.records for r in res.rows) == res.records


def test_a_500_is_retried_until_it_succeeds(sim):
    fetcher, faults, counting = sim
    faults.add(Fault("nbac_gamebook", FaultKind.HTTP_500, DAY, times=2))
    [res] = fetcher("nbac_gamebook", [DAY], games={DAY: games()[:1]})
    assert res.ok and res.records > 20 and res.error is None
    assert counting.calls[box(games()[0].game_id)] == 3


def test_a_persistent_500_names_the_game_and_the_next_fetch_asks_only_for_it(sim):
    fetcher, faults, counting = sim
    first = games()[0].game_id
    faults.add(Fault("nbac_gamebook", FaultKind.HTTP_500, DAY, times=3))
    [res] = fetcher("nbac_gamebook", [DAY], games={DAY: games()})
    assert res.ok and res.games == len(games()) - 1
    assert res.error.startswith(f"missing {first} (HTTP 500 Internal Server Error")
    assert "3 attempts" in res.error
    counting.calls.clear()
    kept = [e.item for e in fetcher.store.manifest("nbac_gamebook", DAY)]
    [again] = fetcher("nbac_gamebook", [DAY], games={DAY: games()}, skip={DAY: kept})
    assert again.ok and again.games == len(games()) and again.error is None
    assert list(counting.calls) == [box(first)]


def test_timeouts_are_retried_then_fail_as_timeouts(sim):
    fetcher, faults, _ = sim
    quick = dataclasses.replace(fetcher, services=services(fetcher.services["nbastats"].client._transport,
                                                           timeout=1.0))
    faults.add(Fault("nbac_team_boxscore", FaultKind.TIMEOUT, DAY, times=1, seconds=5.0))
    [res] = quick("nbac_team_boxscore", [DAY], games={DAY: games()})
    assert res.ok and res.games == len(games())
    faults.add(Fault("nbac_team_boxscore", FaultKind.TIMEOUT, DAY, seconds=5.0))
    [res] = quick("nbac_team_boxscore", [DAY], games={DAY: games()})
    assert res.status == "failed" and "timeout" in res.error


def test_a_4xx_is_not_retried(sim, tmp_path):
    fetcher, _, counting = sim
    keyless = dataclasses.replace(fetcher, services=services(counting, keys={}))
    [res] = keyless("bdl_stats", [DAY], games={DAY: games()})
    assert res.status == "failed" and "HTTP 401" in res.error and "not retried" in res.error
    assert counting.calls["/v1/stats"] == 1
    [res] = fetcher("bdl_stats", [DAY], games={DAY: games()})
    assert res.ok and res.records > 200


def test_not_published_yet_is_partial_not_failed(tmp_path):
    before = min(g.tipoff_utc for g in games())
    bridge = ASGIBridge(create_app(LEAGUE, lambda: before))
    fetcher = Fetcher(services(bridge), ObjectStore(tmp_path), clock=lambda: before)
    [res] = fetcher("bdb_pbp", [DAY], games={DAY: games()})
    assert res.status == "success" and res.games == 0
    assert "play-by-play not published (HTTP 403)" in res.error
    [off] = fetcher("nbac_gamebook", [date(2023, 11, 23)], games={})  # Thanksgiving: nothing owed
    assert off.ok and off.records == 0 and off.rows == []
    fetcher.close()
    bridge.close()


def test_malformed_json_is_kept_aside_and_its_game_missing(sim):
    fetcher, faults, _ = sim
    faults.add(Fault("nbac_gamebook", FaultKind.MALFORMED, DAY))
    [res] = fetcher("nbac_gamebook", [DAY], games={DAY: games()[:2]})
    assert res.status == "failed" and "malformed JSON" in res.error
    kept = list((fetcher.store.root / "quarantine").rglob("*.json"))
    assert len(kept) == 2 and kept[0].read_bytes().endswith(b"\x00,")
    assert all(r.object_key.startswith("quarantine/") for r in res.rows)
    assert fetcher.store.bodies("nbac_gamebook", DAY) == []


def test_bdl_pages_follow_the_cursor_and_are_kept_as_received(sim):
    fetcher, _, counting = sim
    small = dataclasses.replace(SCRAPERS["bdl_stats"],
                                fetch=lambda c, d, g, s: balldontlie.stats(c, d, g, s, per_page=25))
    paged = dataclasses.replace(fetcher, scrapers={"bdl_stats": small})
    [res] = paged("bdl_stats", [DAY], games={DAY: games()})
    bdl = LEAGUE.season("2023-24").tables["bdl_player_boxscores"]["game_date"].to_pylist()
    want = sum(d == DAY for d in bdl)
    assert res.records == want and res.games == len(games())
    assert counting.calls["/v1/stats"] == -(-want // 25) > 1
    pages = [json.loads(b) for _, b in fetcher.store.bodies("bdl_stats", DAY)]
    assert sum(len(p["data"]) for p in pages) == want and "next_cursor" not in pages[-1]["meta"]


def test_props_ask_events_then_each_event_at_opening_and_closing(sim):
    fetcher, _, counting = sim
    [res] = fetcher("odds_props", [DAY], games={DAY: games()})
    assert res.ok and res.games == len(games())
    paths = Counter(p.rsplit("/", 1)[-1] if p.endswith("/events") else "odds" for p in counting.calls.elements())
    assert paths == {"events": 1, "odds": 2 * len(games())}
    assert {r.quota_remaining is not None for r in res.rows} == {True}
    assert all("odds-key" not in r.url for r in res.rows)


def test_the_odds_quota_reserve_stops_the_fetch_with_one_reason(tmp_path):
    bridge = ASGIBridge(create_app(LEAGUE, odds_quota=60))
    fetcher = Fetcher(services(bridge, oddsapi={"reserve": 25}), ObjectStore(tmp_path))
    later = DAY + timedelta(days=1)
    results = fetcher("odds_props", [DAY, later], games={DAY: games(), later: games(later)})
    fetcher.close()
    bridge.close()
    assert {r.status for r in results} == {"failed"}
    assert all("quota" in r.error and "reserve of 25" in r.error for r in results)
    spent = [r.quota_used for res in results for r in res.rows if r.quota_used is not None]
    assert max(spent) <= 60 - 25


def test_requests_respect_the_token_bucket(sim):
    fetcher, _, _ = sim
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    bucket = TokenBucket(2.0, burst=1, clock=lambda: now[0], sleep=sleep)
    svc = dict(fetcher.services)
    svc["nbacdn"] = dataclasses.replace(svc["nbacdn"], bucket=bucket)
    limited = dataclasses.replace(fetcher, services=svc, workers=1)
    list(limited("nbac_gamebook", [DAY], games={DAY: games()[:5]}))
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
    monkeypatch.setenv("FULLCOURT_SIM_SEED", "seven")
    with pytest.raises(errors.UsageError, match="seed"):
        settings.load(home)


def test_keys_never_reach_rows_or_errors(tmp_path):
    planted = "PLANTED-KEY-0123456789"

    def echo(request: httpx.Request) -> httpx.Response:  # a server that repeats what it was sent
        return httpx.Response(500 if "odds" in request.url.path else 401,
                              text=f"bad request {request.url} {request.headers.get('authorization')}")

    fetcher = Fetcher(services(httpx.MockTransport(echo), keys={"balldontlie": planted, "oddsapi": planted}),
                      ObjectStore(tmp_path), retry=RetryPolicy(attempts=2, backoff=0.0))
    results = [*fetcher("odds_props", [DAY], games={DAY: games()}),
               *fetcher("bdl_stats", [DAY], games={DAY: games()})]
    fetcher.close()
    text = repr(results)
    assert "bad request" in text and planted not in text and "***" in text
    assert all(planted not in p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())


def test_settings_per_provider_from_toml_and_environment(tmp_path, monkeypatch):
    for env in ("FULLCOURT_SOURCE_URL", "FULLCOURT_SOURCE_KEY", "FULLCOURT_SIM_SEED", "FULLCOURT_SOURCE_MODE",
                "FULLCOURT_ODDSAPI_KEY", "FULLCOURT_ODDSAPI_RESERVE", "FULLCOURT_BALLDONTLIE_KEY",
                "FULLCOURT_NBACOM_URL", "FULLCOURT_REPLAY_DIR"):
        monkeypatch.delenv(env, raising=False)
    home = Home(tmp_path)
    got = registry.source_view(settings.load(home))
    assert got["seed"] == 7 and got["mode"] == "sim"
    assert got["providers"]["oddsapi"].url == "https://api.the-odds-api.com"
    (tmp_path / "settings.toml").write_text(
        '[sources]\nseed = 11\n\n[sources.oddsapi]\nkey = "from-file"\nreserve = 40\n\n'
        '[sources.balldontlie]\nurl = "https://bdl.example"\nrate = 0.5\n')
    got = registry.source_view(settings.load(home))
    assert got["mode"] == "live" and got["seed"] == 11
    assert (got["providers"]["oddsapi"].key, got["providers"]["oddsapi"].reserve) == ("from-file", 40)
    assert got["providers"]["balldontlie"].rate == 0.5
    assert "from-file" not in repr(got["providers"])
    monkeypatch.setenv("FULLCOURT_ODDSAPI_KEY", "from-env")
    monkeypatch.setenv("FULLCOURT_NBACOM_URL", "https://cdn.example")
    got = registry.source_view(settings.load(home))
    assert got["providers"]["oddsapi"].key == "from-env"
    wired = registry.wiring(home)
    fetcher = wired["fetcher"]
    assert str(fetcher.services["nbacdn"].client.base_url) == "https://cdn.example"
    assert str(fetcher.services["nbastats"].client.base_url) == "https://stats.nba.com"
    assert str(fetcher.services["balldontlie"].client.base_url) == "https://bdl.example"
    assert fetcher.services["oddsapi"].key_param == "apiKey" and fetcher.services["oddsapi"].reserve == 40
    assert fetcher.services["balldontlie"].bucket.rate == 0.5
    assert wired["store"].root == home.objects
    fetcher.close()
    monkeypatch.setenv("FULLCOURT_ODDSAPI_RESERVE", "lots")
    with pytest.raises(errors.UsageError, match="reserve"):
        registry.source_view(settings.load(home))


def test_default_wiring_serves_the_simulated_league_in_process(tmp_path, monkeypatch):
    for env in ("FULLCOURT_SOURCE_URL", "FULLCOURT_SOURCE_KEY", "FULLCOURT_SIM_SEED", "FULLCOURT_SOURCE_MODE"):
        monkeypatch.delenv(env, raising=False)
    clock = lambda: datetime(2023, 12, 6, 12, 0)  # noqa: E731 - before tonight's games
    wired = registry.wiring(Home(tmp_path), league=LEAGUE, clock=clock)
    fetcher = wired["fetcher"]
    [sched] = fetcher("nbac_schedule", [DAY])
    [book] = fetcher("nbac_gamebook", [DAY], games={DAY: [dataclasses.replace(g, status="scheduled") for g in games()]})
    fetcher.close()
    assert sched.records == len(games()) and sched.rows[0].url == "/static/json/staticData/scheduleLeagueV2.json"
    assert book.ok and book.records == 0 and book.rows == []
    assert sched.fetched_at == datetime(2023, 12, 6, 12, 0)


def test_a_scraper_is_a_plain_function_of_its_context():
    seen = []

    class Ctx:
        def get(self, service, path, params=None):
            seen.append((service, path))
            from fullcourt.sources.providers import Exchange

            return Exchange(service, path, 200, json.dumps({"game": {"gameId": path[-15:-5], "actions": [
                {"actionNumber": 1, "period": 1, "actionType": "2pt"}]}}).encode(), datetime(2024, 1, 1))

        def now(self):
            return datetime(2024, 1, 1)

        def shared(self, key, make):
            return make()

    scraper: Scraper = SCRAPERS["bdb_pbp"]
    got = scraper.fetch(Ctx(), DAY, games()[:2], frozenset())
    assert [i.name for i in got.items] == [g.game_id for g in games()[:2]] and not got.missing
    assert seen == [("nbacdn", f"/static/json/liveData/playbyplay/playbyplay_{g.game_id}.json") for g in games()[:2]]
