"""Phase 1 as the catalog sees it: the sources, their scrape specs, and how to reach them.

By default every source is the simulated league (seed 7) served in-process through the
real-shaped HTTP API — no socket, no internet. The `[sources]` settings (`fullcourt.settings`:
the home's settings.toml under the FULLCOURT_* variables) switch to a real service (`url`,
`key`, `rate`, `timeout`) or to a folder of real files replayed like one (`replay`, served
by `sources.replay`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from fullcourt import settings
from fullcourt.catalog.spec import Expectation, Phase, TableSpec
from fullcourt.config import Home
from fullcourt.sources.api import create_app
from fullcourt.sources.faults import FaultProfile
from fullcourt.sources.fetcher import Fetcher, RetryPolicy
from fullcourt.sources.objectstore import ObjectStore
from fullcourt.sources.ratelimit import TokenBucket
from fullcourt.sources.scrapers import SCRAPERS
from fullcourt.sources.transport import ASGIBridge

__all__ = [
    "REPLAY_BASE_URL",
    "SIM_BASE_URL",
    "SOURCES",
    "oracle",
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

# Box scores and play-by-play must exist for every final game (a provider that has no
# play-by-play says so: "source provides none"); props and injury reports are published
# ahead of games and may be empty.
_EXPECT: dict[str, Expectation] = {
    "nbac_schedule": Expectation.ROWS,
    "nbac_gamebook": Expectation.ROWS,
    "bdl_stats": Expectation.ROWS,
    "nbac_team_boxscore": Expectation.ROWS,
    "bdb_pbp": Expectation.ROWS,
    "odds_props": Expectation.ANY,
    "nbac_injury_report": Expectation.ANY,
}
_AHEAD_OF_GAMES = frozenset({"odds_props", "nbac_injury_report"})
_DEFAULT_RATE = {"bdl": 20.0, "nbac": 20.0, "bdb": 20.0, "odds": 20.0}  # requests / second
_DEFAULT_TIMEOUT = 20.0  # seconds


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


def wiring(
    home: Home,
    *,
    league: Any = None,
    clock: Callable[[], datetime] | None = None,
    faults: FaultProfile | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    config: settings.Settings | None = None,
) -> dict[str, Any]:
    """The executor's phase-1 seams: `fetcher` and `store` (the home's object store).

    With a URL in the settings, requests go to that service; with a replay folder (and
    no `league` given), to its files served in-process (`sources.replay`); otherwise to
    the simulated league in-process. In-process sources follow `clock` (default: far
    future, all history visible). `config` is the home's settings, loaded when not given.
    """
    chosen = (config if config is not None else settings.load(home)).sources
    store = ObjectStore(home.objects)
    timeout = timeout if timeout is not None else (chosen.timeout or _DEFAULT_TIMEOUT)
    rate = chosen.rate
    # A real provider gets its published budget; the in-process simulator needs none
    # unless a rate is configured (to rehearse a real one).
    buckets = {
        service: TokenBucket(rate or default, burst=max(1, int(rate or default)))
        for service, default in _DEFAULT_RATE.items()
        if chosen.url or rate
    }
    keys: dict[str, str] = {}
    if chosen.url:
        client = httpx.Client(base_url=chosen.url, timeout=timeout)
        if chosen.key is not None and chosen.key.get_secret_value():
            keys = {service: chosen.key.get_secret_value() for service in _DEFAULT_RATE}
    elif chosen.replay is not None and league is None:
        from fullcourt.sources import replay

        app = replay.create_app(replay.ReplayFiles(chosen.replay), clock)
        client = httpx.Client(transport=ASGIBridge(app), base_url=REPLAY_BASE_URL, timeout=timeout)
    else:
        if league is None:
            from fullcourt.sources.sim import League

            league = League(chosen.seed)
        app = create_app(league, clock, faults)
        client = httpx.Client(transport=ASGIBridge(app), base_url=SIM_BASE_URL, timeout=timeout)
    fetcher = Fetcher(
        client,
        retry=retry or RetryPolicy(),
        buckets=buckets,
        keys=keys,
        quarantine=store,
        scrapers=dict(SCRAPERS),
    )
    if clock is not None:
        fetcher.clock = clock
    return {"fetcher": fetcher, "store": store}


def oracle(home: Home, seasons: list[str], config: settings.Settings | None = None) -> Any:
    """The simulator's true expected points for `seasons`, or None for a real source.

    Only evaluation reads this (the grading report's best-possible MAE); no table is
    built from it, so the pipeline cannot learn from the answer. `config` is the home's
    settings, loaded when not given.
    """
    chosen = (config if config is not None else settings.load(home)).sources
    if chosen.url or chosen.replay is not None:
        return None
    import pyarrow as pa

    from fullcourt.sources.sim import League

    league = League(chosen.seed)
    return pa.concat_tables([league.season(s).truth for s in seasons])
