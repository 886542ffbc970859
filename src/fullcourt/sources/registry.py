"""Phase 1 as the catalog sees it: the sources, their scrape specs, and how to reach them.

By default every source is the simulated league (seed 7) served in-process through the
real-shaped HTTP API — no socket, no internet. Settings switch to a real service:

    FULLCOURT_SOURCE_URL   base URL of a service with the same paths (`/bdl`, `/nbac`, ...)
    FULLCOURT_SOURCE_KEY   API key sent as the Authorization header
    FULLCOURT_SIM_SEED     seed of the simulated league
    FULLCOURT_REPLAY_DIR   a folder of real files to replay instead of the simulator
                           (`sources.replay`; e.g. ../shared/data/real)

or the same keys (`url`, `key`, `seed`, `replay`, plus `rate` requests/second and
`timeout` seconds) in a `[sources]` table of `settings.toml` in the home. Environment
wins. A relative `replay` folder in the settings file is relative to the home.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from fullcourt import errors
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
    "load_settings",
    "oracle",
    "save_source_setting",
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


def load_settings(home: Home) -> dict[str, Any]:
    """Source settings: `[sources]` of the home's settings file, then the environment."""
    out: dict[str, Any] = {}
    for path in (home.root / "settings.toml", Path(home.settings_path)):
        if not path.is_file():
            continue
        try:
            data = (
                tomllib.loads(path.read_text())
                if path.suffix == ".toml"
                else json.loads(path.read_text())
            )
        except (ValueError, OSError) as exc:
            raise errors.HomeError(f"cannot read settings {path}: {exc}") from exc
        section = data.get("sources", {})
        if not isinstance(section, dict):
            raise errors.HomeError(f"settings {path}: [sources] must be a table")
        out.update(section)
        if section.get("replay"):
            out["replay"] = str(home.root / Path(str(section["replay"])).expanduser())
    for key, env in (("url", "FULLCOURT_SOURCE_URL"), ("key", "FULLCOURT_SOURCE_KEY"),
                     ("seed", "FULLCOURT_SIM_SEED"), ("replay", "FULLCOURT_REPLAY_DIR")):  # fmt: skip
        if os.environ.get(env):
            out[key] = os.environ[env]
    if out.get("url") and out.get("replay"):
        raise errors.UsageError(
            f"sources: both a service url ({out['url']}) and a replay folder ({out['replay']}) "
            "are set; choose one"
        )
    try:
        out["seed"] = int(out.get("seed", 7))
    except ValueError:
        raise errors.UsageError(f"simulation seed must be an integer, got {out['seed']!r}") from None
    return out


def save_source_setting(home: Home, key: str, value: str | None) -> None:
    """Set (or, with None, drop) one `[sources]` key of the home's settings.toml, keeping
    every other setting; the file holds flat tables of scalars, written back as such."""
    path = home.root / "settings.toml"
    try:
        data = tomllib.loads(path.read_text()) if path.is_file() else {}
    except (ValueError, OSError) as exc:
        raise errors.HomeError(f"cannot read settings {path}: {exc}") from exc
    section = data.setdefault("sources", {})
    if value is None:
        section.pop(key, None)
    else:
        section[key] = value
    scalars = [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, dict)]
    tables = [
        "\n".join([f"[{name}]", *(f"{k} = {json.dumps(v)}" for k, v in table.items())])
        for name, table in data.items() if isinstance(table, dict)
    ]
    path.write_text("\n\n".join(filter(None, ["\n".join(scalars), *tables])) + "\n")


def wiring(
    home: Home,
    *,
    league: Any = None,
    clock: Callable[[], datetime] | None = None,
    faults: FaultProfile | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """The executor's phase-1 seams: `fetcher` and `store` (the home's object store).

    With a URL in the settings, requests go to that service; with a replay folder (and
    no `league` given), to its files served in-process (`sources.replay`); otherwise to
    the simulated league in-process. In-process sources follow `clock` (default: far
    future, all history visible).
    """
    settings = load_settings(home)
    store = ObjectStore(home.objects)
    timeout = timeout if timeout is not None else float(settings.get("timeout", 20.0))
    rate = float(settings.get("rate", 0) or 0)
    # A real provider gets its published budget; the in-process simulator needs none
    # unless a rate is configured (to rehearse a real one).
    buckets = {
        service: TokenBucket(rate or default, burst=max(1, int(rate or default)))
        for service, default in _DEFAULT_RATE.items()
        if settings.get("url") or rate
    }
    keys: dict[str, str] = {}
    if settings.get("url"):
        client = httpx.Client(base_url=str(settings["url"]), timeout=timeout)
        if settings.get("key"):
            keys = {service: str(settings["key"]) for service in _DEFAULT_RATE}
    elif settings.get("replay") and league is None:
        from fullcourt.sources import replay

        app = replay.create_app(replay.ReplayFiles(settings["replay"]), clock)
        client = httpx.Client(transport=ASGIBridge(app), base_url=REPLAY_BASE_URL, timeout=timeout)
    else:
        if league is None:
            from fullcourt.sources.sim import League

            league = League(settings["seed"])
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


def oracle(home: Home, seasons: list[str]) -> Any:
    """The simulator's true expected points for `seasons`, or None for a real source.

    Only evaluation reads this (the grading report's best-possible MAE); no table is
    built from it, so the pipeline cannot learn from the answer.
    """
    settings = load_settings(home)
    if settings.get("url") or settings.get("replay"):
        return None
    import pyarrow as pa

    from fullcourt.sources.sim import League

    league = League(int(settings["seed"]))
    return pa.concat_tables([league.season(s).truth for s in seasons])
