"""The thirty NBA franchises as each provider names them.

Providers disagree on how to say "team": NBA.com uses tricodes and ten-digit team ids
(1610612737 = Atlanta), BallDontLie integer ids (alphabetical by full name, 1 =
Atlanta), bookmakers and the injury report full names ("LA Clippers" or "Los Angeles
Clippers"). The raw layer speaks tricodes; this table is what both the simulated
API (to speak each provider's dialect) and the phase-2 parsers (to translate back) use.
"""

from __future__ import annotations

__all__ = ["BDL_IDS", "NBA_IDS", "TEAM_NAMES", "tricode_of_id", "tricode_of_name"]

# tricode -> (full name, BallDontLie id)
_TEAMS: dict[str, tuple[str, int]] = {
    "ATL": ("Atlanta Hawks", 1),
    "BOS": ("Boston Celtics", 2),
    "BKN": ("Brooklyn Nets", 3),
    "CHA": ("Charlotte Hornets", 4),
    "CHI": ("Chicago Bulls", 5),
    "CLE": ("Cleveland Cavaliers", 6),
    "DAL": ("Dallas Mavericks", 7),
    "DEN": ("Denver Nuggets", 8),
    "DET": ("Detroit Pistons", 9),
    "GSW": ("Golden State Warriors", 10),
    "HOU": ("Houston Rockets", 11),
    "IND": ("Indiana Pacers", 12),
    "LAC": ("LA Clippers", 13),
    "LAL": ("Los Angeles Lakers", 14),
    "MEM": ("Memphis Grizzlies", 15),
    "MIA": ("Miami Heat", 16),
    "MIL": ("Milwaukee Bucks", 17),
    "MIN": ("Minnesota Timberwolves", 18),
    "NOP": ("New Orleans Pelicans", 19),
    "NYK": ("New York Knicks", 20),
    "OKC": ("Oklahoma City Thunder", 21),
    "ORL": ("Orlando Magic", 22),
    "PHI": ("Philadelphia 76ers", 23),
    "PHX": ("Phoenix Suns", 24),
    "POR": ("Portland Trail Blazers", 25),
    "SAC": ("Sacramento Kings", 26),
    "SAS": ("San Antonio Spurs", 27),
    "TOR": ("Toronto Raptors", 28),
    "UTA": ("Utah Jazz", 29),
    "WAS": ("Washington Wizards", 30),
}

TEAM_NAMES: dict[str, str] = {code: name for code, (name, _) in _TEAMS.items()}
BDL_IDS: dict[str, int] = {code: bdl for code, (_, bdl) in _TEAMS.items()}
# NBA.com team ids, in the league's own (historical) order
NBA_IDS: dict[str, int] = {
    code: 1610612737 + i
    for i, code in enumerate((
        "ATL", "BOS", "CLE", "NOP", "CHI", "DAL", "DEN", "GSW", "HOU", "LAC", "LAL", "MIA",
        "MIL", "MIN", "BKN", "NYK", "ORL", "IND", "PHI", "PHX", "POR", "SAC", "SAS", "OKC",
        "TOR", "UTA", "MEM", "WAS", "DET", "CHA",
    ))  # fmt: skip
}
_CODE_OF_NBA_ID = {v: k for k, v in NBA_IDS.items()}

_ALIASES = {"Los Angeles Clippers": "LAC", "LA Lakers": "LAL", "Philadelphia Sixers": "PHI"}
_BY_NAME = {
    **{name.casefold(): code for code, name in TEAM_NAMES.items()},
    **{name.casefold(): code for name, code in _ALIASES.items()},
    **{code.casefold(): code for code in TEAM_NAMES},
}


def tricode_of_name(name: str) -> str | None:
    """Tricode of a full team name (or a tricode), case- and space-insensitive."""
    return _BY_NAME.get(" ".join(name.split()).casefold())


def tricode_of_id(team_id: object) -> str | None:
    """Tricode of an NBA.com team id (int or digits), None if unknown."""
    try:
        return _CODE_OF_NBA_ID.get(int(str(team_id)))
    except ValueError:
        return None
