"""NBA.com: the CDN (schedule, box scores, play-by-play) and the stats site (game logs).

- schedule: one `scheduleLeagueV2` document a season — the CDN's
  `static/json/staticData/scheduleLeagueV2.json` for the season under way, stats
  `stats/scheduleleaguev2?LeagueID=00&Season=2023-24` for earlier ones (the CDN keeps
  only the current season). One request serves every date of the season in a run;
  each date's partition is that document, sliced in phase 2.
- box scores: CDN `static/json/liveData/boxscore/boxscore_{gameId}.json`, one request
  per final game; it lists inactive players too, which the gamebook needs.
- team totals: stats `stats/leaguegamelog?PlayerOrTeam=T&DateFrom=&DateTo=` for the
  date, one request per season type on the date.
- play-by-play: CDN `static/json/liveData/playbyplay/playbyplay_{gameId}.json`, one
  request per final game.

The CDN answers 403 for an object it does not have (a game not played yet), so 403 and
404 are "not published", never retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fullcourt.catalog.calendar import season_of
from fullcourt.processors.raw import nbac_schedule
from fullcourt.processors.raw.payload import eastern_date
from fullcourt.sources.providers import (
    Context,
    Exchange,
    Fetched,
    Game,
    Item,
    decoded,
    provides_none,
)

__all__ = ["SCHEDULE_CDN", "box_scores", "game_logs", "play_by_play", "schedule"]

SCHEDULE_CDN = "/static/json/staticData/scheduleLeagueV2.json"
SCHEDULE_STATS = "/stats/scheduleleaguev2"
BOX = "/static/json/liveData/boxscore/boxscore_{}.json"
PLAYS = "/static/json/liveData/playbyplay/playbyplay_{}.json"
GAME_LOG = "/stats/leaguegamelog"
_SEASON_TYPES = {"regular": "Regular Season", "playoffs": "Playoffs", "play_in": "PlayIn"}
_NOT_PUBLISHED = (403, 404)


def _season_document(ctx: Context, season: str) -> tuple[Exchange, dict[date, list[str]]]:
    current = season == season_of(eastern_date(ctx.now()))
    if current:
        ex = ctx.get("nbacdn", SCHEDULE_CDN)
    else:
        ex = ctx.get("nbastats", SCHEDULE_STATS, {"LeagueID": "00", "Season": season})
    data = decoded(ex, f"schedule {season}")
    days: dict[date, list[str]] = {}
    if data is not None:
        try:
            for r in nbac_schedule.schedule_rows(data, None):
                days.setdefault(r["game_date"], []).append(r["game_id"])
        except Exception as exc:  # noqa: BLE001 - not the provider's shape: kept and reported
            ex.error = f"schedule {season}: {exc}"
    return ex, days


def schedule(ctx: Context, day: date, games: Sequence[Game], skip: frozenset[str]) -> Fetched:
    season = season_of(day)
    ex, days = ctx.shared(("schedule", season), lambda: _season_document(ctx, season))
    if (reason := provides_none(ex)) is not None:
        return Fetched(calls=[ex], unavailable=reason)
    if not ex.ok:
        return Fetched(calls=[ex], failed=ex.error or f"schedule {season}: HTTP {ex.status}")
    ids = days.get(day, [])
    ex.records = sum(len(v) for v in days.values())
    return Fetched(items=[Item("schedule", [ex], len(ids), frozenset(ids), shared=season)], calls=[ex])


def _per_game(ctx: Context, games: Sequence[Game], skip: frozenset[str], path: str, what: str,
              count) -> Fetched:
    out = Fetched()
    for g in games:
        if g.game_id in skip:
            continue
        ex = ctx.get("nbacdn", path.format(g.game_id))
        out.calls.append(ex)
        if (reason := provides_none(ex)) is not None:
            return Fetched(calls=out.calls, unavailable=reason)
        if ex.status in _NOT_PUBLISHED:
            ex.error, ex.soft = f"{what} not published (HTTP {ex.status})", True
        data = decoded(ex, f"{what} of {g.game_id}")
        if data is not None:
            try:
                ex.records = count(data, g.game_id)
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                ex.error = f"{what} of {g.game_id}: not the provider's shape ({type(exc).__name__}: {exc})"
            else:
                if ex.records == 0:
                    ex.error, ex.soft = f"empty {what}", True
        if ex.ok:
            out.items.append(Item(g.game_id, [ex], ex.records, frozenset({g.game_id})))
        else:
            out.missing[g.game_id] = ex.error or f"HTTP {ex.status}"
    return out


def _players(data: dict, game_id: str) -> int:
    game = data.get("game", data)
    if str(game["gameId"]) != game_id:
        raise ValueError(f"body is game {game['gameId']}")
    return sum(len(game[side]["players"]) for side in ("homeTeam", "awayTeam"))


def _actions(data: dict, game_id: str) -> int:
    if str(data["game"]["gameId"]) != game_id:
        raise ValueError(f"body is game {data['game']['gameId']}")
    return len(data["game"]["actions"])


def box_scores(ctx: Context, day: date, games: Sequence[Game], skip: frozenset[str]) -> Fetched:
    return _per_game(ctx, games, skip, BOX, "box score", _players)


def play_by_play(ctx: Context, day: date, games: Sequence[Game], skip: frozenset[str]) -> Fetched:
    return _per_game(ctx, games, skip, PLAYS, "play-by-play", _actions)


def game_logs(ctx: Context, day: date, games: Sequence[Game], skip: frozenset[str]) -> Fetched:
    """The date's team game log, one request per season type on the date (always asked
    again: it is one body for every game of the date)."""
    out = Fetched()
    owed = {g.game_id for g in games}
    for kind in sorted({g.season_type for g in games}):
        params = {
            "Counter": 0, "DateFrom": f"{day:%m/%d/%Y}", "DateTo": f"{day:%m/%d/%Y}",
            "Direction": "ASC", "LeagueID": "00", "PlayerOrTeam": "T",
            "Season": season_of(day), "SeasonType": _SEASON_TYPES.get(kind, kind), "Sorter": "DATE",
        }  # fmt: skip
        ex = ctx.get("nbastats", GAME_LOG, params)
        out.calls.append(ex)
        if (reason := provides_none(ex)) is not None:
            return Fetched(calls=out.calls, unavailable=reason)
        data = decoded(ex, f"{kind} game log")
        ids: set[str] = set()
        if data is not None:
            try:
                log = next(s for s in data["resultSets"] if s["name"] == "LeagueGameLog")
                at = log["headers"].index("GAME_ID")
                ids = {str(r[at]) for r in log["rowSet"]}
                ex.records = len(log["rowSet"])
            except (KeyError, TypeError, ValueError, StopIteration) as exc:
                ex.error = f"{kind} game log: not the provider's shape ({type(exc).__name__})"
        if ex.ok:
            out.items.append(Item(f"leaguegamelog-{kind}", [ex], ex.records, frozenset(ids & owed)))
        else:
            for g in games:
                if g.season_type == kind:
                    out.missing[g.game_id] = ex.error or f"HTTP {ex.status}"
    covered = {g for it in out.items for g in it.games}
    for g in sorted(owed - covered - set(out.missing)):
        out.missing[g] = "not in the game log"
    return out
