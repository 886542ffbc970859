"""The replayed files served as the same provider APIs the simulator serves.

The simulator's app (`sources.api.create_app`) already renders any league shaped like
`ReplayFiles` in every provider's dialect, so the scrapers, the fetch ledger, the
object store and the phase-2 parsers see real games exactly as they see simulated
ones. This app sits in front of it and adds what only replayed files need:

- a (source, date) the files cannot provide is answered `404` with the JSON body
  `{"unavailable": "<reason>"}` and the header `X-Source-Provides-None: <reason>`;
  the fetcher records it as "source provides none", never as an empty fetch;
- prop lines keep their NULL prices (the files' price is a placeholder), which the
  simulator's renderer, whose books always quote a price, would drop.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import pyarrow.compute as pc
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fullcourt.sources import api, wire
from fullcourt.sources.faults import utc_naive
from fullcourt.sources.replay.files import ReplayFiles
from fullcourt.sources.teams import TEAM_NAMES

__all__ = ["UNAVAILABLE_HEADER", "create_app", "render_odds"]

UNAVAILABLE_HEADER = "X-Source-Provides-None"

# path -> (source, date parameter), the routes of `sources.api`
ROUTES: dict[str, tuple[str, str]] = {
    "/nbac/schedule": ("nbac_schedule", "gameDate"),
    "/nbac/gamebook": ("nbac_gamebook", "gameDate"),
    "/bdl/v1/stats": ("bdl_stats", "dates[]"),
    "/nbac/boxscore/team": ("nbac_team_boxscore", "gameDate"),
    "/bdb/pbp": ("bdb_pbp", "gameDate"),
    "/odds/v4/historical/player_props": ("odds_props", "date"),
    "/nbac/injuries": ("nbac_injury_report", "gameDate"),
}


def _days(texts: Sequence[str]) -> list[date] | None:
    try:
        return [date.fromisoformat(t[:10]) for t in texts]
    except ValueError:
        return None  # the simulator's app answers a malformed date with its own 400


def render_odds(rows: Sequence[dict], game_date: date) -> dict:
    """Odds-API snapshots like `wire.render_odds`, keeping outcomes whose price is NULL."""
    snapshots: dict[datetime, dict[str, dict]] = {}
    for r in sorted(rows, key=lambda r: (r["snapshot_at"], r["event_id"], r["bookmaker"], r["player_name"])):
        events = snapshots.setdefault(r["snapshot_at"], {})
        event = events.setdefault(
            r["event_id"],
            {
                "id": r["event_id"],
                "sport_key": "basketball_nba",
                "commence_time": wire.iso_utc(r["commence_time"]),
                "home_team": TEAM_NAMES.get(r["home_team"], r["home_team"]),
                "away_team": TEAM_NAMES.get(r["away_team"], r["away_team"]),
                "bookmakers": {},
            },
        )
        book = event["bookmakers"].setdefault(
            r["bookmaker"],
            {
                "key": r["bookmaker"],
                "title": r["bookmaker"],
                "last_update": wire.iso_utc(r["snapshot_at"]),
                "markets": [{"key": "player_points", "outcomes": []}],
            },
        )
        outcomes = book["markets"][0]["outcomes"]
        for side, price in (("Over", r["over_price"]), ("Under", r["under_price"])):
            outcomes.append(
                {"name": side, "description": r["player_name"], "price": price, "point": r["line"]}
            )
    return {
        "date": game_date.isoformat(),
        "snapshots": [
            {
                "timestamp": wire.iso_utc(at),
                "data": [{**e, "bookmakers": list(e["bookmakers"].values())} for e in events.values()],
            }
            for at, events in snapshots.items()
        ],
    }


class _ReplayApp:
    def __init__(self, files: ReplayFiles, clock: Callable[[], datetime], inner: Any):
        self.files = files
        self.clock = clock
        self.inner = inner

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            response = self._answer(Request(scope))
            if response is not None:
                await response(scope, receive, send)
                return
        await self.inner(scope, receive, send)

    def _answer(self, request: Request) -> Response | None:
        """A response of our own, or None to let the simulator's app answer."""
        route = ROUTES.get(request.url.path)
        if route is None:
            return None
        source, param = route
        texts = request.query_params.getlist(param)
        days = _days(texts)
        if not days:  # no date (a whole-season schedule) or a malformed one
            return None
        reasons = [self.files.unavailable(source, d) for d in days]
        if all(reasons):
            reason = "; ".join(dict.fromkeys(r for r in reasons if r))
            return JSONResponse(
                {"unavailable": reason}, status_code=404, headers={UNAVAILABLE_HEADER: reason}
            )
        if source == "odds_props" and len(days) == 1:
            return self._odds(days[0])
        return None

    def _odds(self, day: date) -> Response:
        name = self.files.season_of(day)
        if name is None:
            rows: list[dict] = []
        else:
            now = utc_naive(self.clock())
            lines = self.files.season(name).tables["odds_player_points_props"]
            rows = [
                r
                for r in lines.filter(pc.equal(lines.column("game_date"), day)).to_pylist()
                if utc_naive(r["snapshot_at"]) <= now
            ]
        body = json.dumps(render_odds(rows, day), separators=(",", ":")).encode()
        return Response(body, media_type="application/json")


def create_app(files: ReplayFiles, clock: Callable[[], datetime] | None = None) -> Any:
    """The ASGI app serving `files`: the simulator's API over them, plus "source provides
    none" answers and NULL-priced lines. Without `clock` everything in the files is final."""
    clock = clock or (lambda: api.FAR_FUTURE)
    return _ReplayApp(files, clock, api.create_app(files, clock))
