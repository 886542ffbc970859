"""The simulated league served on the providers' own paths, with their own bodies.

One Starlette app answers every provider's real protocol, so pointing fullcourt at the
real services is a change of base URL and key, and the code that talks to the simulator
is the code that talks to the league:

    NBA.com CDN    /static/json/staticData/scheduleLeagueV2.json        (the current season)
                   /static/json/liveData/boxscore/boxscore_{gameId}.json
                   /static/json/liveData/playbyplay/playbyplay_{gameId}.json
    NBA.com stats  /stats/scheduleleaguev2?LeagueID=00&Season=2023-24
                   /stats/leaguegamelog?PlayerOrTeam=T&DateFrom=MM/DD/YYYY&DateTo=...
    BallDontLie    /v1/stats?dates[]=YYYY-MM-DD&per_page=100&cursor=N   (Authorization)
    The Odds API   /v4/historical/sports/basketball_nba/events?date=T    (apiKey)
                   /v4/historical/sports/basketball_nba/events/{id}/odds?date=T&markets=player_points
                   /v4/sports/basketball_nba/events, .../events/{id}/odds  (live)
    injury report  /referee/injury/Injury-Report_YYYY-MM-DD_hh_mmPM.pdf

What is served follows a clock, never the simulator's omniscience: a game's box score
and play-by-play only once it has ended (tip-off + `game_length`; before that the CDN
answers 403 as it does for an object it does not have), prop lines and injury reports
only once their snapshot was taken or the report published, the schedule in advance but
without scores. The `FaultProfile` applies per request, to the source and game date the
request is about (the date of its game, event or report). The Odds API's quota is kept
and reported in its `x-requests-*` headers. Requests to a service with a key in
`api_keys` ("balldontlie", "oddsapi") need it, as the real services do.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fullcourt import extras
from fullcourt.catalog.calendar import season_of
from fullcourt.sources.faults import FaultKind, FaultProfile, StatCorrection, utc_naive
from fullcourt.sources.index import League, LeagueIndex, SeasonIndex
from fullcourt.sources.wire import EASTERN, balldontlie, injuries, nbacom, oddsapi

__all__ = ["FAR_FUTURE", "GAME_LENGTH", "League", "create_app", "serve"]

GAME_LENGTH = timedelta(hours=2, minutes=30)
# Without a clock the API serves history: every game has ended, every snapshot was taken.
FAR_FUTURE = datetime(2100, 1, 1)
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
ODDS_QUOTA = 20_000_000  # credits of the simulated Odds API account unless told otherwise
_EVENTS_AHEAD = timedelta(days=2)  # how far ahead an events list reaches by default
_REPORT = re.compile(r"^Injury-Report_(\d{4}-\d{2}-\d{2})_(\d{2})_(\d{2})(AM|PM)\.pdf$")
_GAME_PATH = re.compile(r"/liveData/(boxscore|playbyplay)/\w+_(\d{10})\.json$")
_EVENT_PATH = re.compile(r"/events/([^/]+)/odds$")
_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
           b"<Message>Access Denied</Message></Error>")

Row = dict[str, Any]


class _BadRequest(Exception):
    pass


def _parse_day(text: str | None, param: str) -> date:
    if not text:
        raise _BadRequest(f"{param} is required")
    try:
        if "/" in text:
            return datetime.strptime(text.strip(), "%m/%d/%Y").date()
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _BadRequest(f"{param} must be a date, got {text!r}") from None


def _parse_moment(text: str | None, param: str) -> datetime:
    if not text:
        raise _BadRequest(f"{param} is required (ISO-8601, e.g. 2023-11-08T18:00:00Z)")
    try:
        return utc_naive(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise _BadRequest(f"{param} must be an ISO-8601 time, got {text!r}") from None


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
                rows.append({
                    **last, "event_num": last["event_num"] + 1, "team": team, "opponent": opponent,
                    "player_id": c.player_id, "event_type": "field_goal", "zone": "above_break_three",
                    "made": True, "points": 3,
                })
    return rows


class _Api:
    def __init__(
        self,
        league: League,
        clock: Callable[[], datetime],
        faults: FaultProfile | None,
        api_keys: Mapping[str, str],
        game_length: timedelta,
        quota: int | None,
    ):
        self.index = LeagueIndex(league)
        self.clock = clock
        self.faults = faults if faults is not None else FaultProfile()
        self.api_keys = dict(api_keys)
        self.game_length = game_length
        self.quota = ODDS_QUOTA if quota is None else quota
        self.quota_used = 0
        self._quota_lock = threading.Lock()

    def now(self) -> datetime:
        return utc_naive(self.clock())

    # -- what is visible ---------------------------------------------------------------------

    def finished(self, game: Row, now: datetime) -> bool:
        return game["status"] == "final" and utc_naive(game["tipoff_utc"]) + self.game_length <= now

    def schedule_view(self, game: Row, now: datetime) -> Row:
        if game["status"] == "final" and not self.finished(game, now):
            return {**game, "status": "scheduled", "home_score": None, "away_score": None}
        return game

    def corrected(self, table: str, season: SeasonIndex, rows: list[Row], game_ids, now: datetime) -> list[Row]:
        corrections = self.faults.corrections_at(now, game_ids)
        if not corrections:
            return rows
        gamebook = [r for c in corrections for r in season.gamebook.get(c.game_id)]
        return _apply_corrections(table, rows, corrections, gamebook)

    # -- faults ------------------------------------------------------------------------------

    async def request_faults(self, source: str, day: date | None, now: datetime):
        hit = self.faults.take(source, day, now)
        for f in hit:
            if f.kind is FaultKind.TIMEOUT:
                await asyncio.sleep(f.seconds)
        if any(f.kind is FaultKind.HTTP_500 for f in hit):
            return hit, JSONResponse({"error": "internal server error"}, status_code=500)
        return hit, None

    @staticmethod
    def row_faults(source: str, day: date | None, rows: list[Row], hit, key: str = "") -> list[Row]:
        for f in hit:
            rng = random.Random(f"{source}|{day}|{key}|{f.kind.value}")
            if f.kind in (FaultKind.EMPTY, FaultKind.LATE):
                rows = []
            elif f.kind is FaultKind.NULL_MINUTES:
                rows = [{**r, "minutes": None} if "minutes" in r and rng.random() < f.share else r for r in rows]
            elif f.kind is FaultKind.DUPLICATES:
                rows = [x for r in rows for x in ((r, r) if rng.random() < f.share else (r,))]
        return rows

    @staticmethod
    def respond(payload: Any, hit, headers: Mapping[str, str] | None = None,
                media: str = "application/json") -> Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        if any(f.kind is FaultKind.MALFORMED for f in hit):
            body = body[: max(1, len(body) // 2)] + b"\x00,"
        return Response(body, media_type=media, headers=dict(headers or {}))

    @staticmethod
    def denied() -> Response:
        return Response(_DENIED, status_code=403, media_type="application/xml")

    def authorised(self, request: Request, service: str) -> bool:
        key = self.api_keys.get(service)
        if key is None:
            return True
        if service == "oddsapi":
            return request.query_params.get("apiKey") == key
        return request.headers.get("authorization") == key

    # -- which source and game date a request is about ------------------------------------------

    def about(self, request: Request) -> tuple[str | None, date | None]:
        """(source, game date) of a request, for faults and the replay's "provides none"."""
        path, q = request.url.path, request.query_params
        try:
            if m := _GAME_PATH.search(path):
                season = self.index.of_game(m.group(2))
                game = season.games.get(m.group(2)) if season else None
                source = "nbac_gamebook" if m.group(1) == "boxscore" else "bdb_pbp"
                return source, game["game_date"] if game else None
            if path.endswith("/leaguegamelog"):
                return "nbac_team_boxscore", _parse_day(q.get("DateFrom"), "DateFrom")
            if path.endswith("/v1/stats"):
                days = q.getlist("dates[]")
                return "bdl_stats", _parse_day(days[0], "dates[]") if days else None
            if m := _EVENT_PATH.search(path):
                near = _parse_moment(q.get("date"), "date") if q.get("date") else self.now()
                season = self.index.of_event(m.group(1), _eastern_day(near))
                head = season.events.get(m.group(1)) if season else None
                return "odds_props", head["game_date"] if head else None
            if path.endswith("/events"):
                start = q.get("commenceTimeFrom")
                if start:
                    return "odds_props", _eastern_day(_parse_moment(start, "commenceTimeFrom"))
                moment = _parse_moment(q.get("date"), "date") if q.get("date") else self.now()
                return "odds_props", _eastern_day(moment)
            if path.startswith("/referee/injury/"):
                published = _published(path.rsplit("/", 1)[-1])
                return "nbac_injury_report", _eastern_day(published) if published else None
            if "schedule" in path.lower():
                return "nbac_schedule", None
        except _BadRequest:
            return None, None
        return None, None

    # -- NBA.com ---------------------------------------------------------------------------------

    async def schedule(self, request: Request) -> Response:
        now = self.now()
        if request.url.path.startswith("/stats/"):
            name = request.query_params.get("Season")
            if not name:
                return JSONResponse({"message": "Season is required"}, status_code=400)
        else:
            name = season_of(now.date())
        season = self.index.named(name)
        if season is None:
            return self.denied()
        hit, failed = await self.request_faults("nbac_schedule", None, now)
        if failed is not None:
            return failed
        rows = self.corrected("nbac_schedule", season, season.schedule, None, now)
        rows = self.row_faults("nbac_schedule", None, [self.schedule_view(r, now) for r in rows], hit)
        # the document's time is when its content last changed, so an unchanged schedule
        # is byte for byte the same body (and changes no fingerprint downstream)
        ended = [utc_naive(r["tipoff_utc"]) + self.game_length for r in rows if r["status"] == "final"]
        return self.respond(nbacom.schedule(rows, name, max(ended, default=_season_start(name))), hit)

    async def _game(self, request: Request, source: str, now: datetime) -> tuple[SeasonIndex, Row, Any] | Response:
        """The finished game a per-game request names, with the faults its request drew
        (as the provider does, a game not yet over is refused); else the response."""
        season = self.index.of_game(request.path_params["game_id"])
        game = season.games[request.path_params["game_id"]] if season is not None else None
        if game is None or not self.finished(game, now):
            return self.denied()
        hit, failed = await self.request_faults(source, game["game_date"], now)
        return failed if failed is not None else (season, game, hit)

    async def boxscore(self, request: Request) -> Response:
        now = self.now()
        found = await self._game(request, "nbac_gamebook", now)
        if isinstance(found, Response):
            return found
        season, game, hit = found
        gid = game["game_id"]
        players = self.corrected("nbac_gamebook_player_stats", season, season.gamebook.get(gid), [gid], now)
        teams = self.corrected("nbac_team_boxscore", season, season.team_box.get(gid), [gid], now)
        players = self.row_faults("nbac_gamebook", game["game_date"], players, hit, gid)
        ended = utc_naive(game["tipoff_utc"]) + self.game_length
        return self.respond(nbacom.boxscore(game, players, teams if players else [], ended), hit)

    async def play_by_play(self, request: Request) -> Response:
        now = self.now()
        found = await self._game(request, "bdb_pbp", now)
        if isinstance(found, Response):
            return found
        season, game, hit = found
        gid = game["game_id"]
        rows = self.corrected("bdb_play_by_play", season, season.play_by_play.get(gid), [gid], now)
        rows = self.row_faults("bdb_pbp", game["game_date"], rows, hit, gid)
        return self.respond(nbacom.play_by_play(gid, rows, utc_naive(game["tipoff_utc"]) + self.game_length), hit)

    async def game_log(self, request: Request) -> Response:
        q = request.query_params
        try:
            lo = _parse_day(q.get("DateFrom"), "DateFrom")
            hi = _parse_day(q.get("DateTo") or q.get("DateFrom"), "DateTo")
            if q.get("PlayerOrTeam", "P") != "T":
                raise _BadRequest("only team game logs (PlayerOrTeam=T) are served")
        except _BadRequest as e:
            return JSONResponse({"message": str(e)}, status_code=400)
        kind = {"Regular Season": "regular", "Playoffs": "playoffs", "PlayIn": "play_in"}.get(
            q.get("SeasonType", "Regular Season"), "regular")
        now = self.now()
        hit, failed = await self.request_faults("nbac_team_boxscore", lo, now)
        if failed is not None:
            return failed
        rows: list[Row] = []
        day = lo
        while day <= hi:
            season = self.index.of_date(day)
            if season is not None:
                games = [g for g in season.by_date.get(day, [])
                         if g["season_type"] == kind and self.finished(g, now)]
                ids = [g["game_id"] for g in games]
                teams = [{**t, "season_type": kind} for g in ids for t in season.team_box.get(g)]
                rows += self.corrected("nbac_team_boxscore", season, teams, ids, now)
            day += timedelta(days=1)
        rows = self.row_faults("nbac_team_boxscore", lo, rows, hit)
        return self.respond(nbacom.game_log(rows, dict(q)), hit)

    # -- BallDontLie -----------------------------------------------------------------------------

    async def bdl_stats(self, request: Request) -> Response:
        if not self.authorised(request, "balldontlie"):
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        q = request.query_params
        try:
            days = [_parse_day(d, "dates[]") for d in q.getlist("dates[]")]
            if not days:
                raise _BadRequest("dates[] is required (YYYY-MM-DD)")
            per_page = min(int(q.get("per_page", DEFAULT_PER_PAGE)), MAX_PER_PAGE)
            cursor = int(q.get("cursor", 0))
            if per_page < 1 or cursor < 0:
                raise ValueError
        except _BadRequest as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        except ValueError:
            return JSONResponse({"error": "per_page and cursor must be positive integers"}, status_code=400)
        now = self.now()
        hit: list = []
        for day in days:
            got, failed = await self.request_faults("bdl_stats", day, now)
            if failed is not None:
                return failed
            hit += got
        records: list[dict] = []
        for day in days:
            season = self.index.of_date(day)
            if season is None:
                continue
            done = {g["game_id"] for g in season.by_date.get(day, []) if self.finished(g, now)}
            rows = [r for r in season.bdl.get(day) if r["game_id"] in done]
            rows = self.corrected("bdl_player_boxscores", season, rows, done, now)
            rows = self.row_faults("bdl_stats", day, rows, [f for f in hit if f.game_date in (None, day)])
            records += balldontlie.records(rows, season.homes(), season.team_ids, season.postseason())
        return self.respond(balldontlie.page(records, cursor, per_page), hit)

    # -- The Odds API -----------------------------------------------------------------------------

    def _spend(self, cost: int) -> tuple[dict[str, str], bool]:
        """Charge `cost` credits if the account has them; the x-requests-* headers."""
        with self._quota_lock:
            ok = self.quota - self.quota_used >= cost
            if ok:
                self.quota_used += cost
            last = cost if ok else 0
            return {
                "x-requests-used": str(self.quota_used),
                "x-requests-remaining": str(max(0, self.quota - self.quota_used)),
                "x-requests-last": str(last),
            }, ok

    def _odds_gate(self, request: Request, cost: int) -> tuple[dict[str, str], Response | None]:
        if not self.authorised(request, "oddsapi"):
            return {}, JSONResponse({"message": "API key is not valid or is missing",
                                     "error_code": "INVALID_KEY"}, status_code=401)
        headers, ok = self._spend(cost)
        if not ok:
            return headers, JSONResponse(
                {"message": "Usage quota has been reached.", "error_code": "OUT_OF_USAGE_CREDITS"},
                status_code=401, headers=headers)
        return headers, None

    def _events_between(self, lo: datetime, hi: datetime, at: datetime) -> list[Row]:
        heads: list[Row] = []
        day = _eastern_day(lo)
        while day <= _eastern_day(hi):
            season = self.index.of_date(day)
            if season is not None:
                for e in season.events_by_date.get(day, []):  # upcoming at `at`, lines or not
                    head = season.events[e]
                    if lo <= head["commence_time"] < hi and at < head["commence_time"]:
                        heads.append(head)
            day += timedelta(days=1)
        return heads

    async def events(self, request: Request) -> Response:
        historical = "/historical/" in request.url.path
        headers, refused = self._odds_gate(request, 1)
        if refused is not None:
            return refused
        q = request.query_params
        now = self.now()
        try:
            at = _parse_moment(q.get("date"), "date") if historical else now
            lo = _parse_moment(q["commenceTimeFrom"], "commenceTimeFrom") if q.get("commenceTimeFrom") else at
            hi = _parse_moment(q["commenceTimeTo"], "commenceTimeTo") if q.get("commenceTimeTo") else at + _EVENTS_AHEAD
        except _BadRequest as e:
            return JSONResponse({"message": str(e)}, status_code=422)
        if at > now:
            return JSONResponse({"message": "date is in the future"}, status_code=422)
        hit, failed = await self.request_faults("odds_props", _eastern_day(lo), now)
        if failed is not None:
            return failed
        heads = self._events_between(lo, hi, at)
        heads = self.row_faults("odds_props", _eastern_day(lo), heads, hit)
        listed = [oddsapi.event(h) for h in heads]
        stamp = at.replace(second=0, microsecond=0)
        payload = oddsapi.historical(stamp, listed, stamp - timedelta(minutes=5),
                                     None if stamp + timedelta(minutes=5) > now else stamp + timedelta(minutes=5)) if historical else listed
        return self.respond(payload, hit, headers)

    async def event_odds(self, request: Request) -> Response:
        historical = "/historical/" in request.url.path
        q = request.query_params
        markets = [m for m in (q.get("markets") or "").split(",") if m]
        regions = [r for r in (q.get("regions") or "").split(",") if r]
        if not markets or not regions:
            return JSONResponse({"message": "markets and regions are required"}, status_code=422)
        headers, refused = self._odds_gate(request, (10 if historical else 1) * len(markets) * len(regions))
        if refused is not None:
            return refused
        now = self.now()
        try:
            at = _parse_moment(q.get("date"), "date") if historical else now
        except _BadRequest as e:
            return JSONResponse({"message": str(e)}, status_code=422)
        event_id = request.path_params["event_id"]
        season = self.index.of_event(event_id, _eastern_day(min(at, now)))
        if season is None:
            return JSONResponse({"message": "Event not found", "error_code": "EVENT_NOT_FOUND"},
                                status_code=404, headers=headers)
        head = season.events[event_id]
        hit, failed = await self.request_faults("odds_props", head["game_date"], now)
        if failed is not None:
            return failed
        lines = season.props.get(event_id)
        seen = min(at, now)
        stamps = sorted({r["snapshot_at"] for r in lines})
        taken = [s for s in stamps if s <= seen]
        if not historical and head["commence_time"] <= now:
            taken = []  # a live event that has started offers no pre-game lines
        rows = [r for r in lines if taken and r["snapshot_at"] == taken[-1]] if "player_points" in markets else []
        rows = self.row_faults("odds_props", head["game_date"], rows, hit, event_id)
        data = oddsapi.event_odds(head, rows)
        if not historical:
            return self.respond(data, hit, headers)
        if not taken:
            return JSONResponse({"message": "No snapshot at or before that date", "error_code": "EVENT_NOT_FOUND"},
                                status_code=404, headers=headers)
        i = stamps.index(taken[-1])
        later = stamps[i + 1] if i + 1 < len(stamps) and stamps[i + 1] <= now else None
        return self.respond(oddsapi.historical(taken[-1], data, stamps[i - 1] if i else None, later), hit, headers)

    # -- the injury report ---------------------------------------------------------------------------

    async def injury_report(self, request: Request) -> Response:
        published = _published(request.path_params["file"])
        now = self.now()
        if published is None or published > now:
            return self.denied()
        day = _eastern_day(published)
        seasons = {s.name: s for d in (day, day + timedelta(days=1)) if (s := self.index.of_date(d))}
        rows = [r for s in seasons.values() for r in s.reports.get(published)]
        if not rows:
            return self.denied()
        hit, failed = await self.request_faults("nbac_injury_report", day, now)
        if failed is not None:
            return failed
        rows = self.row_faults("nbac_injury_report", day, rows, hit)
        tips = {(g["game_date"], f"{g['away_team']}@{g['home_team']}"): g["tipoff_utc"]
                for s in seasons.values() for d in {r["game_date"] for r in rows} for g in s.by_date.get(d, [])}
        return self.respond(injuries.report(rows, published, tips), hit, media="application/pdf")


def _season_start(name: str) -> datetime:
    return datetime(int(name[:4]), 10, 1)


def _eastern_day(moment: datetime) -> date:
    return utc_naive(moment).replace(tzinfo=UTC).astimezone(EASTERN).date()


def _published(name: str) -> datetime | None:
    """The naive-UTC publication time of a report file name, or None if it is not one."""
    m = _REPORT.match(name)
    if m is None:
        return None
    day, hour, minute, half = m.groups()
    h = int(hour) % 12 + (12 if half == "PM" else 0)
    local = datetime.combine(date.fromisoformat(day), time(h, int(minute)), EASTERN)
    return local.astimezone(UTC).replace(tzinfo=None)


def create_app(
    league: League,
    clock: Callable[[], datetime] | None = None,
    faults: FaultProfile | None = None,
    *,
    api_keys: Mapping[str, str] | None = None,
    game_length: timedelta = GAME_LENGTH,
    odds_quota: int | None = None,
) -> Starlette:
    """The ASGI app. `api_keys` maps a service ("balldontlie", "oddsapi") to the key it
    wants (BallDontLie in the `Authorization` header, the Odds API as `apiKey`);
    `odds_quota` is the Odds API account's credits. Without `clock` the app lives in the
    far future: everything is final and visible."""
    api = _Api(league, clock or (lambda: FAR_FUTURE), faults, api_keys or {}, game_length, odds_quota)
    sport = f"/v4/sports/{oddsapi.SPORT}"
    history = f"/v4/historical/sports/{oddsapi.SPORT}"
    routes = [
        Route("/static/json/staticData/scheduleLeagueV2.json", api.schedule),
        Route("/stats/scheduleleaguev2", api.schedule),
        Route("/static/json/liveData/boxscore/boxscore_{game_id}.json", api.boxscore),
        Route("/static/json/liveData/playbyplay/playbyplay_{game_id}.json", api.play_by_play),
        Route("/stats/leaguegamelog", api.game_log),
        Route("/v1/stats", api.bdl_stats),
        Route(f"{history}/events", api.events),
        Route(f"{history}/events/{{event_id}}/odds", api.event_odds),
        Route(f"{sport}/events", api.events),
        Route(f"{sport}/events/{{event_id}}/odds", api.event_odds),
        Route("/referee/injury/{file}", api.injury_report),
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
