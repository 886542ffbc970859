"""Which provider protocol each source speaks: the scrapers, by source name.

A source is one scrape table (`scrape.<source>`) and one provider's protocol
(`sources.providers`): the schedule and the box scores, team game logs and
play-by-play from NBA.com, player box scores from BallDontLie, prop lines from The Odds
API, the injury report PDF from the league. `per_game` sources owe the schedule a
response for each game (a game missing makes the partition partial, naming it).
"""

from __future__ import annotations

from fullcourt.sources.providers import Scraper, balldontlie, injuries, nbacom, oddsapi

__all__ = ["PER_GAME", "SCRAPERS", "SERVICES"]

SCRAPERS: dict[str, Scraper] = {
    s.source: s
    for s in (
        Scraper("nbac_schedule", "nbacom", nbacom.schedule, expects="scheduled"),
        Scraper("nbac_gamebook", "nbacom", nbacom.box_scores),
        Scraper("bdl_stats", "balldontlie", balldontlie.stats),
        Scraper("nbac_team_boxscore", "nbacom", nbacom.game_logs),
        Scraper("bdb_pbp", "nbacom", nbacom.play_by_play),
        Scraper("odds_props", "oddsapi", oddsapi.props, expects="scheduled", accumulates=True),
        Scraper("nbac_injury_report", "injuries", injuries.reports, expects="scheduled", accumulates=True),
    )
}
PER_GAME = frozenset({"nbac_gamebook", "bdl_stats", "nbac_team_boxscore", "bdb_pbp", "odds_props"})
# HTTP services (hosts) -> the provider whose settings they use
SERVICES: dict[str, str] = {
    "nbacdn": "nbacom",
    "nbastats": "nbacom",
    "balldontlie": "balldontlie",
    "oddsapi": "oddsapi",
    "injuries": "injuries",
}
