"""The simulated league served as HTTP APIs shaped like the real providers.

One Starlette app mounts every provider under its own prefix (`/bdl`, `/nbac`, `/bdb`,
`/odds`), so pointing a scraper at a real service is a change of base URL and key. What
is served follows a clock, never the simulator's omniscience: box scores and
play-by-play of a game only once it has ended (tip-off + `game_length`), prop lines and
injury reports only once their snapshot was taken, the schedule in advance but without
scores. A `FaultProfile` makes any (source, date) fail the way providers do.

`league` is anything with `season(name)` returning an object with `.tables` (raw tables
as pyarrow, columns of `RAW_SCHEMAS`) and `season_of(day) -> name | None`; the app
caches each season's tables sorted by date, so a request slices instead of scanning.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fullcourt import extras
from fullcourt.sources import wire
from fullcourt.sources.faults import FaultKind, FaultProfile, StatCorrection, utc_naive
from fullcourt.sources.teams import BDL_IDS

__all__ = ["FAR_FUTURE", "GAME_LENGTH", "League", "create_app", "serve"]

GAME_LENGTH = timedelta(hours=2, minutes=30)
# Without a clock the API serves history: every game has ended, every snapshot was taken.
FAR_FUTURE = datetime(2100, 1, 1)
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100

Row = dict[str, Any]


class Season(Protocol):
    tables: Mapping[str, pa.Table]


class League(Protocol):
    def season(self, name: str) -> Season: ...

    def season_of(self, day: date) -> str | None: ...


class _BadRequest(Exception):
    pass


@dataclass
class _Dated:
    """One raw table sorted by game_date, with the day numbers to binary-search."""

    table: pa.Table
    days: np.ndarray

    @classmethod
    def of(cls, table: pa.Table) -> _Dated:
        table = table.sort_by("game_date")
        days = table.column("game_date").to_numpy().astype("datetime64[D]").astype(np.int64)
        return cls(table, days)

    def rows(self, day: date) -> list[Row]:
        n = (np.datetime64(day, "D") - np.datetime64(0, "D")).astype(np.int64)
        lo, hi = np.searchsorted(self.days, n, "left"), np.searchsorted(self.days, n, "right")
        return self.table.slice(lo, hi - lo).to_pylist()


@dataclass
class _SeasonData:
    name: str
    tables: dict[str, _Dated]
    team_ids: dict[str, int]
    homes: dict[str, tuple[str, str]] = field(default_factory=dict)
    postseason: dict[str, bool] = field(default_factory=dict)


class _Store:
    """Season tables, loaded once per season and shared by every request."""

    def __init__(self, league: League):
        self.league = league
        self._seasons: dict[str, _SeasonData] = {}
        self._lock = threading.Lock()

    def season(self, day: date) -> _SeasonData | None:
        name = self.league.season_of(day)
        if name is None:
            return None
        with self._lock:
            if name not in self._seasons:
                self._seasons[name] = self._load(name)
            return self._seasons[name]

    def season_named(self, name: str) -> _SeasonData:
        with self._lock:
            if name not in self._seasons:
                self._seasons[name] = self._load(name)
            return self._seasons[name]

    def _load(self, name: str) -> _SeasonData:
        tables = self.league.season(name).tables
        sched = tables["nbac_schedule"]
        data = _SeasonData(name, {t: _Dated.of(tables[t]) for t in tables}, dict(BDL_IDS))
        for g, h, a, st in zip(
            sched.column("game_id").to_pylist(),
            sched.column("home_team").to_pylist(),
            sched.column("away_team").to_pylist(),
            sched.column("season_type").to_pylist(),
            strict=True,
        ):
            data.homes[g] = (h, a)
            data.postseason[g] = st == "playoffs"
        return data


def _finished(game: Row, now: datetime, game_length: timedelta) -> bool:
    return game["status"] == "final" and utc_naive(game["tipoff_utc"]) + game_length <= now


def _apply_corrections(
    table: str, rows: list[Row], corrections: Sequence[StatCorrection], gamebook: list[Row]
) -> list[Row]:
    """One more made three per correction, consistently for every table that shows it."""
    if not corrections:
        return rows
    team_of = {(r["game_id"], r["player_id"]): r["team"] for r in gamebook}
    rows = [dict(r) for r in rows]
    for c in corrections:
        team = team_of.get((c.game_id, c.player_id))
        if team is None:
            continue
        if table in ("nbac_gamebook_player_stats", "bdl_player_boxscores"):
            for r in rows:
                if r["game_id"] == c.game_id and r["player_id"] == c.player_id:
                    r["points"] = (r["points"] or 0) + 3
                    r["fg3m"], r["fg3a"] = (r["fg3m"] or 0) + 1, (r["fg3a"] or 0) + 1
                    if "fgm" in r:
                        r["fgm"], r["fga"] = (r["fgm"] or 0) + 1, (r["fga"] or 0) + 1
        elif table == "nbac_team_boxscore":
            for r in rows:
                if r["game_id"] == c.game_id and r["team"] == team:
                    r["points"] += 3
                    for col in ("fgm", "fga", "fg3m", "fg3a"):
                        r[col] += 1
        elif table == "nbac_schedule":
            for r in rows:
                if r["game_id"] == c.game_id and r["home_score"] is not None:
                    side = "home_score" if r["home_team"] == team else "away_score"
                    r[side] += 3
        elif table == "bdb_play_by_play":
            game = [r for r in rows if r["game_id"] == c.game_id]
            if game:
                last = max(game, key=lambda r: r["event_num"])
                opponent = next(
                    (r["opponent"] for r in game if r["team"] == team),
                    next((r["team"] for r in game if r["team"] != team), None),
                )
                rows.append(
                    {
                        **last,
                        "event_num": last["event_num"] + 1,
                        "team": team,
                        "opponent": opponent,
                        "player_id": c.player_id,
                        "event_type": "field_goal",
                        "zone": "above_break_three",
                        "made": True,
                        "points": 3,
                    }
                )
    return rows


_SOURCE_TABLE = {
    "nbac_schedule": "nbac_schedule",
    "nbac_gamebook": "nbac_gamebook_player_stats",
    "bdl_stats": "bdl_player_boxscores",
    "nbac_team_boxscore": "nbac_team_boxscore",
    "bdb_pbp": "bdb_play_by_play",
    "odds_props": "odds_player_points_props",
    "nbac_injury_report": "nbac_injury_report",
}
_BOX_SOURCES = frozenset({"nbac_gamebook", "bdl_stats", "nbac_team_boxscore", "bdb_pbp"})


class _Api:
    def __init__(
        self,
        league: League,
        clock: Callable[[], datetime],
        faults: FaultProfile | None,
        api_keys: Mapping[str, str],
        game_length: timedelta,
    ):
        self.store = _Store(league)
        self.clock = clock
        self.faults = faults if faults is not None else FaultProfile()
        self.api_keys = dict(api_keys)
        self.game_length = game_length

    def now(self) -> datetime:
        return utc_naive(self.clock())

    # -- what is visible -------------------------------------------------------------

    def visible(self, source: str, day: date, now: datetime) -> list[Row]:
        """Rows of `source` for `day` as the provider would publish them at `now`."""
        data = self.store.season(day)
        if data is None:
            return []
        table = _SOURCE_TABLE[source]
        if table not in data.tables:
            return []
        rows = data.tables[table].rows(day)
        games = data.tables["nbac_schedule"].rows(day)
        corrections = self.faults.corrections_at(now, (g["game_id"] for g in games))
        gamebook = data.tables["nbac_gamebook_player_stats"].rows(day) if corrections else []
        if source == "nbac_schedule":
            rows = _apply_corrections(table, rows, corrections, gamebook)
            return [self._schedule_view(r, now) for r in rows]
        if source in _BOX_SOURCES:
            done = {g["game_id"] for g in games if _finished(g, now, self.game_length)}
            rows = [r for r in rows if r["game_id"] in done]
            return _apply_corrections(table, rows, corrections, gamebook)
        column = "snapshot_at" if source == "odds_props" else "report_at"
        return [r for r in rows if utc_naive(r[column]) <= now]

    def _schedule_view(self, game: Row, now: datetime) -> Row:
        if game["status"] == "final" and not _finished(game, now, self.game_length):
            return {**game, "status": "scheduled", "home_score": None, "away_score": None}
        return game

    # -- faults ------------------------------------------------------------------------

    async def request_faults(self, source: str, days: Sequence[date | None], now: datetime):
        hit = [f for d in days for f in self.faults.take(source, d, now)]
        for f in hit:
            if f.kind is FaultKind.TIMEOUT:
                await asyncio.sleep(f.seconds)
        if any(f.kind is FaultKind.HTTP_500 for f in hit):
            return hit, JSONResponse({"error": "internal server error"}, status_code=500)
        return hit, None

    @staticmethod
    def row_faults(source: str, day: date | None, rows: list[Row], hit) -> list[Row]:
        for f in hit:
            if f.game_date not in (None, day):
                continue
            rng = random.Random(f"{source}|{day}|{f.kind.value}")
            if f.kind in (FaultKind.EMPTY, FaultKind.LATE):
                rows = []
            elif f.kind is FaultKind.NULL_MINUTES:
                rows = [
                    {**r, "minutes": None} if "minutes" in r and rng.random() < f.share else r
                    for r in rows
                ]
            elif f.kind is FaultKind.DUPLICATES:
                rows = [x for r in rows for x in ((r, r) if rng.random() < f.share else (r,))]
        return rows

    @staticmethod
    def respond(payload: Any, hit) -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        if any(f.kind is FaultKind.MALFORMED for f in hit):
            body = body[: max(1, len(body) // 2)] + b"\x00,"
        return Response(body, media_type="application/json")

    def authorised(self, request: Request, service: str) -> bool:
        key = self.api_keys.get(service)
        if key is None:
            return True
        return key in (request.headers.get("authorization"), request.query_params.get("apiKey"))

    # -- endpoints -------------------------------------------------------------------------

    def _context(self, day: date) -> _SeasonData | None:
        return self.store.season(day)

    async def dated(self, request: Request, source: str, param: str) -> Response:
        service = request.url.path.strip("/").split("/")[0]
        if not self.authorised(request, service):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            day = _parse_day(request.query_params.get(param), param)
        except _BadRequest as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        now = self.now()
        hit, failed = await self.request_faults(source, [day], now)
        if failed is not None:
            return failed
        rows = self.row_faults(source, day, self.visible(source, day, now), hit)
        data = self._context(day)
        homes = data.homes if data else {}
        if source == "nbac_schedule":
            payload = wire.render_schedule(rows, data.name if data else None)
        elif source == "nbac_gamebook":
            payload = wire.render_gamebook(rows, day, homes)
        elif source == "nbac_team_boxscore":
            payload = wire.render_team_boxscore(rows, day)
        elif source == "bdb_pbp":
            payload = wire.render_pbp(rows, day, homes)
        elif source == "odds_props":
            payload = wire.render_odds(rows, day)
        else:
            payload = wire.render_injuries(rows, day)
        return self.respond(payload, hit)

    async def schedule(self, request: Request) -> Response:
        season = request.query_params.get("season")
        if season is None or "gameDate" in request.query_params:
            return await self.dated(request, "nbac_schedule", "gameDate")
        if not self.authorised(request, "nbac"):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        now = self.now()
        hit, failed = await self.request_faults("nbac_schedule", [None], now)
        if failed is not None:
            return failed
        try:
            data = self.store.season_named(season)
        except Exception as e:  # the league decides which names exist
            return JSONResponse({"error": f"unknown season {season!r}: {e}"}, status_code=404)
        rows = data.tables["nbac_schedule"].table.to_pylist()
        corrections = self.faults.corrections_at(now)
        if corrections:
            gamebook = data.tables["nbac_gamebook_player_stats"].table.to_pylist()
            rows = _apply_corrections("nbac_schedule", rows, corrections, gamebook)
        rows = self.row_faults("nbac_schedule", None, [self._schedule_view(r, now) for r in rows], hit)
        return self.respond(wire.render_schedule(rows, season), hit)

    async def bdl_stats(self, request: Request) -> Response:
        if not self.authorised(request, "bdl"):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        q = request.query_params
        try:
            days = [_parse_day(d, "dates[]") for d in q.getlist("dates[]")]
            if not days:
                raise _BadRequest("dates[] is required")
            per_page = min(int(q.get("per_page", DEFAULT_PER_PAGE)), MAX_PER_PAGE)
            cursor = int(q.get("cursor", 0))
            if per_page < 1 or cursor < 0:
                raise ValueError
        except ValueError:
            return JSONResponse({"error": "per_page and cursor must be positive integers"}, 400)
        except _BadRequest as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        now = self.now()
        hit, failed = await self.request_faults("bdl_stats", days, now)
        if failed is not None:
            return failed
        records: list[dict] = []
        for day in days:
            data = self._context(day)
            rows = self.row_faults("bdl_stats", day, self.visible("bdl_stats", day, now), hit)
            if data is not None:
                records += wire.bdl_records(rows, data.homes, data.team_ids, data.postseason)
        for i, r in enumerate(records):
            r["id"] = i + 1
        page = records[cursor : cursor + per_page]
        nxt = cursor + per_page if cursor + per_page < len(records) else None
        return self.respond({"data": page, "meta": {"next_cursor": nxt, "per_page": per_page}}, hit)


def _parse_day(text: str | None, param: str) -> date:
    if not text:
        raise _BadRequest(f"{param} is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _BadRequest(f"{param} must be a date YYYY-MM-DD, got {text!r}") from None


def create_app(
    league: League,
    clock: Callable[[], datetime] | None = None,
    faults: FaultProfile | None = None,
    *,
    api_keys: Mapping[str, str] | None = None,
    game_length: timedelta = GAME_LENGTH,
) -> Starlette:
    """The ASGI app. `api_keys` maps a service prefix ("bdl", "odds", ...) to its key;
    requests to a keyed service need it as `Authorization` header or `apiKey` parameter.
    Without `clock` the app lives in the far future: everything is final and visible."""
    api = _Api(league, clock or (lambda: FAR_FUTURE), faults, api_keys or {}, game_length)

    def dated(source: str, param: str):
        async def endpoint(request: Request) -> Response:
            return await api.dated(request, source, param)

        return endpoint

    routes = [
        Route("/bdl/v1/stats", api.bdl_stats),
        Route("/nbac/schedule", api.schedule),
        Route("/nbac/gamebook", dated("nbac_gamebook", "gameDate")),
        Route("/nbac/boxscore/team", dated("nbac_team_boxscore", "gameDate")),
        Route("/nbac/injuries", dated("nbac_injury_report", "gameDate")),
        Route("/bdb/pbp", dated("bdb_pbp", "gameDate")),
        Route("/odds/v4/historical/player_props", dated("odds_props", "date")),
    ]
    app = Starlette(routes=routes)
    app.state.api = api
    return app


def serve(
    port: int,
    league: League | None = None,
    clock: Callable[[], datetime] | None = None,
    faults: FaultProfile | None = None,
    *,
    seed: int = 7,
) -> None:
    """Run the API on 127.0.0.1:`port` with uvicorn until interrupted.

    Defaults: the simulated league of `seed` and the wall clock, so a scraper pointed at
    it sees tonight's games as scheduled until they end.
    """
    uvicorn = extras.need("uvicorn", "serve", "serving the simulated league")
    if league is None:
        from fullcourt.sources.sim import League as SimLeague

        league = SimLeague(seed)
    app = create_app(league, clock or (lambda: datetime.now(UTC)), faults)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
