"""The simulated league: every raw table of a season from one seed, with its truth."""

from __future__ import annotations

from fullcourt.sources.sim.league import League, SeasonData

__all__ = ["League", "SeasonData"]
