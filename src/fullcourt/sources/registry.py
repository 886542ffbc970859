"""Phase 1 as the catalog sees it: the sources, their scrape specs, and how to reach them.

By default every source is the simulated league (seed 7) served in-process on the
providers' own paths — no socket, no internet. Settings switch to the real services:

    FULLCOURT_SOURCE_MODE  sim (default) | replay | live: the real providers, each at
                           its `[sources.<provider>]` URL (`sources.provider_settings`)
    FULLCOURT_SOURCE_URL   one base URL serving every provider's paths (the simulator
                           over a socket, `fullcourt sources serve`); implies live
    FULLCOURT_SOURCE_KEY   one key for every keyed provider (BallDontLie, The Odds API)
    FULLCOURT_SIM_SEED     seed of the simulated league
    FULLCOURT_REPLAY_DIR   a folder of real files to replay instead of the simulator
                           (`sources.replay`; e.g. ../shared/data/real)

or the same keys (`mode`, `url`, `key`, `seed`, `replay`, plus `rate` requests/second
for every service and `timeout` seconds) in a `[sources]` table of `settings.toml` in
the home, and per provider (`[sources.nbacom]`, `[sources.balldontlie]`,
`[sources.oddsapi]`, `[sources.injuries]`: url, key, rate, reserve). Environment wins.
A relative `replay` folder in the settings file is relative to the home.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from fullcourt import errors
from fullcourt import settings as settings_mod
from fullcourt.catalog.spec import Expectation, Phase, TableSpec
from fullcourt.config import Home
from fullcourt.sources import provider_settings
from fullcourt.sources.api import create_app
from fullcourt.sources.faults import FaultProfile
from fullcourt.sources.fetcher import Fetcher, RetryPolicy, Service
from fullcourt.sources.objectstore import ObjectStore
from fullcourt.sources.ratelimit import TokenBucket
from fullcourt.sources.scrapers import SCRAPERS, SERVICES
from fullcourt.sources.transport import ASGIBridge

__all__ = [
    "REPLAY_BASE_URL",
    "SIM_BASE_URL",
    "SOURCES",
    "oracle",
    "source_view",
    "scrape_specs",
    "wiring",
]

# source name (scrape.<source>) -> the raw table parsed from its payloads
SOURCES: dict[str, str] = {
    "nbac_schedule": "nbac_schedule",
    "nbac_gamebook": "nbac_gamebook_player_stats",
    "bdl_stats": "bdl_player_boxscores",
    "nbac_team_boxscore": "nbac_team_boxscore",
    "bdb_pbp": "bdb_play_by_play",
    "odds_props": "odds_player_points_props",
    "nbac_injury_report": "nbac_injury_report",
}
SIM_BASE_URL = "http://sim.fullcourt.local"
REPLAY_BASE_URL = "http://replay.fullcourt.local"

# Box scores and play-by-play must exist for every final game, lines be fetched for
# every scheduled game that has an event (a provider that has none of a source says so:
# "source provides none"): a game missing leaves the partition partial, naming it.
# Injury reports are published ahead of games and may be empty.
_EXPECT: dict[str, Expectation] = {
    "nbac_schedule": Expectation.ROWS,
    "nbac_gamebook": Expectation.GAMES,
    "bdl_stats": Expectation.GAMES,
    "nbac_team_boxscore": Expectation.GAMES,
    "bdb_pbp": Expectation.GAMES,
    "odds_props": Expectation.GAMES,
    "nbac_injury_report": Expectation.ANY,
}
_AHEAD_OF_GAMES = frozenset({"odds_props", "nbac_injury_report"})
# What a browser sends; stats.nba.com answers nothing without these.
_NBA_HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/124.0 Safari/537.36",
    "Referer": "https://www.nba.com/",
    "Origin": "https://www.nba.com",
    "Accept": "application/json, text/plain, */*",
}
_STATS_HEADERS = {**_NBA_HEADERS, "x-nba-stats-origin": "stats", "x-nba-stats-token": "true"}


def scrape_specs() -> list[TableSpec]:
    return [
        TableSpec(
            f"scrape.{source}",
            Phase.SCRAPE,
            keys=(),
            expectation=_EXPECT[source],
            description=f"raw payloads of {source}, parsed into {table}",
            extra={"expects": "scheduled"} if source in _AHEAD_OF_GAMES else {},
        )
        for source, table in SOURCES.items()
    ]


def source_view(config: settings_mod.Settings) -> dict[str, Any]:
    """The `[sources]` settings as plain values for phase 1: the mode (sim, replay or live,
    told by what is set when not given), the simulator's seed, the replay folder, and
    every provider's settings (`provider_settings`: defaults, file, environment)."""
    chosen = config.sources
    out: dict[str, Any] = chosen.model_dump(exclude_none=True, exclude=set(provider_settings.PROVIDERS))
    out["key"] = chosen.key.get_secret_value() if chosen.key is not None else None
    out["replay"] = str(chosen.replay) if chosen.replay is not None else None
    for name in provider_settings.PROVIDERS:
        table = getattr(chosen, name)
        if table is not None:
            values = table.model_dump(exclude_none=True)
            if table.key is not None:
                values["key"] = table.key.get_secret_value()
            out[name] = values
    live = provider_settings.configured_urls(out)
    mode = chosen.mode or ("replay" if chosen.replay else "live" if live else "sim")
    if chosen.replay and (live or mode == "live"):
        raise errors.UsageError(
            f"sources: both the live services ({chosen.url or 'mode = live'}) and a replay "
            f"folder ({chosen.replay}) are set; choose one"
        )
    if mode == "replay" and not chosen.replay:
        raise errors.UsageError("sources: mode is replay but no replay folder is set (FULLCOURT_REPLAY_DIR)")
    out["mode"] = mode
    out["providers"] = provider_settings.provider_settings(out)
    return out


def wiring(
    home: Home,
    *,
    league: Any = None,
    clock: Callable[[], datetime] | None = None,
    faults: FaultProfile | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    api_keys: dict[str, str] | None = None,
    odds_quota: int | None = None,
    config: settings_mod.Settings | None = None,
) -> dict[str, Any]:
    """The executor's phase-1 seams: `fetcher` and `store` (the home's object store).

    Live, requests go to each provider's URL with its key and rate; with a replay
    folder (and no `league` given), to its files served in-process (`sources.replay`);
    otherwise to the simulated league in-process. In-process sources follow `clock`
    (default: far future, all history visible); `api_keys` and `odds_quota` make the
    simulator ask for keys and keep a quota, as the real services do.
    """
    settings = source_view(config if config is not None else settings_mod.load(home))
    providers = settings["providers"]
    store = ObjectStore(home.objects)
    timeout = timeout if timeout is not None else float(settings.get("timeout", 20.0))
    rate = float(settings.get("rate", 0) or 0)
    live = settings["mode"] == "live"
    transport = None
    if not live:
        if settings["mode"] == "replay" and league is None:
            from fullcourt.sources import replay

            app = replay.create_app(replay.ReplayFiles(settings["replay"]), clock)
            base = REPLAY_BASE_URL
        else:
            if league is None:
                from fullcourt.sources.sim import League

                league = League(settings["seed"])
            app = create_app(league, clock, faults, api_keys=api_keys, odds_quota=odds_quota)
            base = SIM_BASE_URL
        transport = ASGIBridge(app)
    services = {}
    for name, provider in SERVICES.items():
        p = providers[provider]
        url = (p.stats_url or p.url) if name == "nbastats" else p.url
        headers = _STATS_HEADERS if name == "nbastats" else _NBA_HEADERS if provider in ("nbacom", "injuries") else {}
        client = (httpx.Client(base_url=url, timeout=timeout, headers=headers, follow_redirects=True) if live
                  else httpx.Client(transport=transport, base_url=base, timeout=timeout))
        # A real provider gets its published budget; the in-process simulator needs none
        # unless a rate is configured (to rehearse a real one).
        per_second = rate or (p.rate if live else 0)
        services[name] = Service(
            name, client, key=p.key,
            key_header="Authorization" if provider == "balldontlie" else None,
            key_param="apiKey" if provider == "oddsapi" else None,
            bucket=TokenBucket(per_second, burst=max(1, int(per_second))) if per_second else None,
            reserve=p.reserve if provider == "oddsapi" else 0,
        )
    fetcher = Fetcher(services, store, retry=retry or RetryPolicy(), scrapers=dict(SCRAPERS))
    if clock is not None:
        fetcher.clock = clock
    return {"fetcher": fetcher, "store": store}


def oracle(home: Home, seasons: list[str], config: settings_mod.Settings | None = None) -> Any:
    """The simulator's true expected points for `seasons`, or None for a real source.

    Only evaluation reads this (the grading report's best-possible MAE); no table is
    built from it, so the pipeline cannot learn from the answer.
    """
    settings = source_view(config if config is not None else settings_mod.load(home))
    if settings["mode"] != "sim":
        return None
    import pyarrow as pa

    from fullcourt.sources.sim import League

    league = League(int(settings["seed"]))
    return pa.concat_tables([league.season(s).truth for s in seasons])
