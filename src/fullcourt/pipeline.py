"""The real pipeline: every table of phases 1-6, collected from the modules that build them.

Each processor module declares its own `SPEC` beside its `build`, so the promise made
about a table (inputs, windows, keys, gates) is read next to the code that keeps it.
This module only lists them, in phase order, and hands the sources' wiring to the engine.
It sits above `catalog/` (which defines what a table is and never imports a processor
or a source) and beside `engine/`, which loads it by name (`FULLCOURT_CATALOG`).
"""

from __future__ import annotations

import importlib

from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.schemas import RAW_SCHEMAS
from fullcourt.catalog.spec import TableSpec
from fullcourt.processors.raw import TABLE_MODULES as RAW_MODULES

__all__ = ["MODULES", "RAW_SCHEMAS", "build_catalog", "specs"]

MODULES: dict[str, tuple[str, ...]] = {
    "raw": RAW_MODULES,
    "analytics": (
        "player_game_summary",
        "team_offense_game_summary",
        "team_defense_game_summary",
        "upcoming_player_game_context",
        "upcoming_team_game_context",
    ),
    "precompute": (
        "team_defense_zone_analysis",
        "player_shot_zone_analysis",
        "player_daily_cache",
        "player_composite_factors",
        "ml_feature_store",
    ),
    "predict": ("player_prop_predictions", "prediction_accuracy"),
    "export": ("export_dates", "export_players", "export_seasons"),
}


def specs(phases: tuple[str, ...] = tuple(MODULES), scrapes: bool = True) -> list[TableSpec]:
    """The SPECs of `phases` (package names of MODULES), after the phase-1 scrape specs."""
    from fullcourt.sources import registry

    out = list(registry.scrape_specs()) if scrapes else []
    for package in phases:
        for module in MODULES[package]:
            out.append(importlib.import_module(f"fullcourt.processors.{package}.{module}").SPEC)
    return out


def _wiring(home, clock=None) -> dict:
    from fullcourt.sources import registry

    return {**registry.wiring(home, clock=clock), "schemas": RAW_SCHEMAS}


def build_catalog() -> tuple[Catalog, dict]:
    return Catalog(specs(), schedule="nbac_schedule"), {"wiring": _wiring}

