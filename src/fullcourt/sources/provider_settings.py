"""Settings per provider: where each service is, its key, its rate, its quota reserve.

All of phase 1's per-provider settings live here (a settings module for the whole
program can take them over as they are): one table per provider in the home's
`settings.toml`, each key overridable from the environment as
`FULLCOURT_<PROVIDER>_<KEY>`:

    [sources.nbacom]        url (CDN), stats_url, rate
    [sources.balldontlie]   url, key, rate
    [sources.oddsapi]       url, key, rate, reserve (quota requests never spent)
    [sources.injuries]      url, rate

`rate` is requests per second (a token bucket shared by every thread). The defaults
are the public services and budgets that keep inside their published limits; they
apply when fullcourt talks to the real services (`[sources] mode = "live"`, or any
provider `url` set). Keys are secrets: they are handed to the fetcher and nowhere else,
and `redacted` shows settings with every key masked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from fullcourt import errors

__all__ = ["DEFAULTS", "PROVIDERS", "ProviderSettings", "provider_settings", "redacted"]

PROVIDERS = ("nbacom", "balldontlie", "oddsapi", "injuries")


@dataclass(frozen=True)
class ProviderSettings:
    name: str
    url: str
    stats_url: str | None = None  # nbacom: the stats site beside the CDN
    key: str | None = None
    rate: float = 1.0  # requests per second
    reserve: int = 0  # oddsapi: quota requests kept back

    def __repr__(self) -> str:  # never print a key
        return (f"ProviderSettings(name={self.name!r}, url={self.url!r}, stats_url={self.stats_url!r}, "
                f"key={'***' if self.key else None}, rate={self.rate}, reserve={self.reserve})")


DEFAULTS: dict[str, ProviderSettings] = {
    "nbacom": ProviderSettings("nbacom", "https://cdn.nba.com", stats_url="https://stats.nba.com", rate=2.0),
    "balldontlie": ProviderSettings("balldontlie", "https://api.balldontlie.io", rate=1.0),
    "oddsapi": ProviderSettings("oddsapi", "https://api.the-odds-api.com", rate=5.0, reserve=100),
    "injuries": ProviderSettings("injuries", "https://ak-static.cms.nba.com", rate=2.0),
}
_FIELDS = {"url": str, "stats_url": str, "key": str, "rate": float, "reserve": int}


def _env(provider: str, key: str) -> str | None:
    value = os.environ.get(f"FULLCOURT_{provider.upper()}_{key.upper()}")
    return value if value else None


def provider_settings(section: Mapping[str, Any]) -> dict[str, ProviderSettings]:
    """Every provider's settings: defaults, then `[sources.<provider>]`, then the environment.

    `section` is the `[sources]` table; its legacy `url` (one server with every
    provider's paths, e.g. `fullcourt sources serve`) and `key` (one key for every
    keyed provider) fill in what a provider's own table does not say."""
    out = {}
    for name in PROVIDERS:
        table = section.get(name, {})
        if not isinstance(table, Mapping):
            raise errors.HomeError(f"settings: [sources.{name}] must be a table")
        unknown = sorted(set(table) - set(_FIELDS))
        if unknown:
            raise errors.UsageError(
                f"settings: [sources.{name}] has unknown keys {', '.join(unknown)} "
                f"(known: {', '.join(_FIELDS)})")
        values: dict[str, Any] = {}
        if section.get("url"):
            values["url"] = values["stats_url"] = str(section["url"])
        if section.get("key") and name in ("balldontlie", "oddsapi"):
            values["key"] = str(section["key"])
        values.update({k: v for k, v in table.items() if v not in (None, "")})
        for key in _FIELDS:
            env = _env(name, key)
            if env is not None:
                values[key] = env
        try:
            typed = {k: _FIELDS[k](v) for k, v in values.items()}
        except (TypeError, ValueError):
            bad = next(k for k, v in values.items() if not _ok(_FIELDS[k], v))
            raise errors.UsageError(
                f"settings: sources.{name}.{bad} must be a {_FIELDS[bad].__name__}") from None
        if typed.get("rate", 1.0) <= 0:
            raise errors.UsageError(f"settings: sources.{name}.rate must be above zero")
        out[name] = replace(DEFAULTS[name], **typed)
    return out


def _ok(kind: type, value: Any) -> bool:
    try:
        kind(value)
    except (TypeError, ValueError):
        return False
    return True


def configured_urls(section: Mapping[str, Any]) -> bool:
    """Whether the settings point any provider at a URL (so: the real services, or a
    server speaking their protocols), from the file or the environment."""
    if section.get("url"):
        return True
    for name in PROVIDERS:
        table = section.get(name, {})
        if isinstance(table, Mapping) and (table.get("url") or table.get("stats_url")):
            return True
        if _env(name, "url") or _env(name, "stats_url"):
            return True
    return False


def redacted(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings fit to show: every `key` masked, at any depth."""
    out: dict[str, Any] = {}
    for k, v in settings.items():
        if isinstance(v, Mapping):
            out[k] = redacted(v)
        elif isinstance(v, ProviderSettings):
            out[k] = repr(v)
        else:
            out[k] = "***" if k == "key" and v else v
    return out
