"""The thirty franchises of the simulated league: real tricodes, names and divisions.

Divisions matter beyond labels: they drive the regular-season matchup counts (four games
against a division rival, two against the other conference), so the schedule has the
real shape without a hard-coded list of games.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FRANCHISES", "Franchise", "TRICODES", "franchise"]


@dataclass(frozen=True)
class Franchise:
    tricode: str
    name: str  # full name as bookmakers print it, e.g. "Boston Celtics"
    conference: str  # East | West
    division: str
    west_coast: bool = False  # home tip-offs are later in Eastern time


FRANCHISES: tuple[Franchise, ...] = (
    Franchise("BOS", "Boston Celtics", "East", "Atlantic"),
    Franchise("BKN", "Brooklyn Nets", "East", "Atlantic"),
    Franchise("NYK", "New York Knicks", "East", "Atlantic"),
    Franchise("PHI", "Philadelphia 76ers", "East", "Atlantic"),
    Franchise("TOR", "Toronto Raptors", "East", "Atlantic"),
    Franchise("CHI", "Chicago Bulls", "East", "Central"),
    Franchise("CLE", "Cleveland Cavaliers", "East", "Central"),
    Franchise("DET", "Detroit Pistons", "East", "Central"),
    Franchise("IND", "Indiana Pacers", "East", "Central"),
    Franchise("MIL", "Milwaukee Bucks", "East", "Central"),
    Franchise("ATL", "Atlanta Hawks", "East", "Southeast"),
    Franchise("CHA", "Charlotte Hornets", "East", "Southeast"),
    Franchise("MIA", "Miami Heat", "East", "Southeast"),
    Franchise("ORL", "Orlando Magic", "East", "Southeast"),
    Franchise("WAS", "Washington Wizards", "East", "Southeast"),
    Franchise("DEN", "Denver Nuggets", "West", "Northwest"),
    Franchise("MIN", "Minnesota Timberwolves", "West", "Northwest"),
    Franchise("OKC", "Oklahoma City Thunder", "West", "Northwest"),
    Franchise("POR", "Portland Trail Blazers", "West", "Northwest", True),
    Franchise("UTA", "Utah Jazz", "West", "Northwest"),
    Franchise("GSW", "Golden State Warriors", "West", "Pacific", True),
    Franchise("LAC", "LA Clippers", "West", "Pacific", True),
    Franchise("LAL", "Los Angeles Lakers", "West", "Pacific", True),
    Franchise("PHX", "Phoenix Suns", "West", "Pacific"),
    Franchise("SAC", "Sacramento Kings", "West", "Pacific", True),
    Franchise("DAL", "Dallas Mavericks", "West", "Southwest"),
    Franchise("HOU", "Houston Rockets", "West", "Southwest"),
    Franchise("MEM", "Memphis Grizzlies", "West", "Southwest"),
    Franchise("NOP", "New Orleans Pelicans", "West", "Southwest"),
    Franchise("SAS", "San Antonio Spurs", "West", "Southwest"),
)

TRICODES: tuple[str, ...] = tuple(f.tricode for f in FRANCHISES)

_BY_CODE = {f.tricode: f for f in FRANCHISES}


def franchise(tricode: str) -> Franchise:
    return _BY_CODE[tricode]
