"""What a provider's response body is, from its content alone (not a table).

`describe(body)` recognises every body fullcourt fetches or imports — which provider sent
it, what kind of response it is, which scrape sources' partitions it belongs to, the
game dates it carries and how many records it holds on each — so the fetch ledger can
count what a request brought and `fullcourt import` can file a captured response
without being told what it is. A body that is none of them, or is corrupt, raises
`PayloadInvalid` with the reason.

Records are counted the way an operator counts them: every player row of a box score
(played or not), every team row of a game log, every action of a play-by-play, every
outcome of a props response, every game of a schedule, every player row of an injury
report, every record of a BallDontLie page. Bodies that carry no date (stats box scores
and play-by-play) count under `None`: the schedule, a path or the user supplies it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fullcourt import errors
from fullcourt.processors.raw import (
    bdb_play_by_play,
    bdl_player_boxscores,
    boxscore,
    nbac_injury_report,
    nbac_schedule,
    nbac_team_boxscore,
    odds_player_points_props,
)
from fullcourt.processors.raw.payload import eastern_date, load_json

__all__ = ["PROVIDERS", "Described", "describe"]

PROVIDERS = ("nbacom", "balldontlie", "oddsapi", "injuries")
_WHAT = "body"


@dataclass(frozen=True)
class Described:
    provider: str  # nbacom | balldontlie | oddsapi | injuries
    kind: str  # schedule | scoreboard | boxscore | game_log | play_by_play | stats | event_odds | events | report
    sources: tuple[str, ...]  # the scrape sources whose partitions hold it
    records: dict[date | None, int]  # per game date; None: the body carries no date
    games: dict[date | None, frozenset[str]] = field(default_factory=dict)  # game/event ids
    item: str = ""  # its name within a partition: game id, event@snapshot, report time, ...
    game_id: str | None = None  # the one game a date-less body is about


def _by_date(pairs: list[tuple[date | None, str]]) -> tuple[dict, dict]:
    records: Counter = Counter()
    games: dict[date | None, set[str]] = defaultdict(set)
    for d, g in pairs:
        records[d] += 1
        games[d].add(g)
    return dict(records), {d: frozenset(v) for d, v in games.items()}


def _json(data: Any) -> Described:
    if nbac_schedule.is_schedule(data):
        rows = nbac_schedule.schedule_rows(data, None)
        records, games = _by_date([(r["game_date"], r["game_id"]) for r in rows])
        season = (data["leagueSchedule"].get("seasonYear") or "") if isinstance(data, dict) else ""
        return Described("nbacom", "schedule", ("nbac_schedule",), records, games,
                         f"schedule-{season}" if season else "schedule")
    if nbac_schedule.is_scoreboard(data):
        rows = nbac_schedule.scoreboard_rows(data, None)
        unique = {r["game_id"]: r for r in rows}.values()
        records, games = _by_date([(r["game_date"], r["game_id"]) for r in unique])
        return Described("nbacom", "scoreboard", ("nbac_schedule",), records, games, "scoreboard")
    if nbac_team_boxscore.is_game_log(data):
        rows = nbac_team_boxscore.game_log_rows(data, None)
        records, games = _by_date([(r["game_date"], r["game_id"]) for r in rows])
        return Described("nbacom", "game_log", ("nbac_team_boxscore",), records, games, "leaguegamelog")
    kind = boxscore.is_box(data)
    if kind is not None:
        box = boxscore.read(data, "nbac_gamebook_player_stats", None)
        sources = ("nbac_gamebook", "nbac_team_boxscore") if box.teams else ("nbac_gamebook",)
        return Described("nbacom", "boxscore", sources, {box.game_date: len(box.players)},
                         {box.game_date: frozenset({box.game_id})}, box.game_id, box.game_id)
    if bdb_play_by_play.is_play_by_play(data):
        game_id, played, actions, _ = bdb_play_by_play.read_actions(data, None)
        return Described("nbacom", "play_by_play", ("bdb_pbp",), {played: actions},
                         {played: frozenset({game_id})}, game_id, game_id)
    odds = odds_player_points_props.is_odds(data)
    if odds == "event_odds":
        event_id, commence, rows, outcomes = odds_player_points_props.event_lines(data, None)
        d = eastern_date(commence)
        stamp = data.get("timestamp", "live") if isinstance(data, dict) else "live"
        return Described("oddsapi", "event_odds", ("odds_props",), {d: outcomes},
                         {d: frozenset({event_id})}, f"{event_id}@{stamp}".replace(":", ""))
    if odds == "events":
        events = data.get("data") if isinstance(data, dict) else data
        stamp = data.get("timestamp", "live") if isinstance(data, dict) else "live"
        days = {}
        for e in events:
            d = eastern_date(odds_player_points_props._Event.model_validate(e).commence_time)
            days.setdefault(d, set()).add(str(e.get("id")))
        return Described("oddsapi", "events", ("odds_props",), dict.fromkeys(days, 0),
                         {d: frozenset(v) for d, v in days.items()},
                         f"events@{stamp}".replace(":", ""))
    if bdl_player_boxscores.is_stats_page(data):
        pairs = []
        for r in data["data"]:
            try:
                d = date.fromisoformat(str(r["game"]["date"])[:10])
            except (KeyError, TypeError, ValueError):
                raise errors.PayloadInvalid(f"balldontlie stats: unreadable game date in {r.get('id')!r}",
                                            "bdl_player_boxscores") from None
            pairs.append((d, str(r["game"].get("id"))))
        records, games = _by_date(pairs)
        page = hashlib.blake2b(json.dumps(data, sort_keys=True).encode(), digest_size=4).hexdigest()
        return Described("balldontlie", "stats", ("bdl_stats",), records, games, f"stats-{page}")
    raise errors.PayloadInvalid(
        "not a recognised provider response (NBA.com schedule, scoreboard, box score, game log "
        "or play-by-play; BallDontLie stats; Odds API odds or events; injury report PDF)"
    )


def describe(body: bytes) -> Described:
    """What `body` is; `PayloadInvalid` with the reason if it is none of the known kinds."""
    if body[:5] == b"%PDF-":
        published, rows = nbac_injury_report.report_rows(body, None)
        records, _ = _by_date([(r["game_date"], r["team"]) for r in rows])
        games = defaultdict(set)
        for r in rows:
            games[r["game_date"]].add(r["matchup"])
        return Described("injuries", "report", ("nbac_injury_report",), records,
                         {d: frozenset(v) for d, v in games.items()},
                         f"report-{published:%Y%m%dT%H%M}")
    if body.lstrip()[:1] not in (b"{", b"["):
        raise errors.PayloadInvalid(f"not JSON or a PDF ({len(body)} bytes starting {body[:16]!r})")
    return _json(load_json(body, _WHAT, None))
