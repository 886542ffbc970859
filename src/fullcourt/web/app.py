"""The read-only dashboard: coverage heatmap, runs, gaps and alerts, predictions.

One Starlette app, one process, pages rendered with Jinja2 from templates and assets
shipped inside this package (nothing is fetched from the internet). Every page has its
JSON twin under `/api/`. Only GET (and HEAD) routes exist, so any write method is a 405;
nothing here opens a file of the home for writing — reads go through `HomeView`, which
falls back to the ledger while a backfill or `run` holds the warehouse and says so on
every page. It binds to loopback unless told otherwise (see `serve`).
"""

from __future__ import annotations

import ipaddress
import json
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from fullcourt import errors
from fullcourt.catalog import selection
from fullcourt.catalog.calendar import parse_season
from fullcourt.config import Home
from fullcourt.engine import coverage as coverage_mod
from fullcourt.engine.planner import GAP_STATUSES, STATUSES
from fullcourt.web import accuracy, heatmap, panels
from fullcourt.web.view import HomeView

__all__ = ["create_app", "is_loopback", "serve"]

HERE = Path(__file__).parent
REFRESH_SECONDS = 3


def create_app(home: Home, catalog_spec: str | None = None, view: HomeView | None = None) -> Starlette:
    view = view or HomeView(home, catalog_spec)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["duration"] = _duration
    templates = Jinja2Templates(env=env)

    def page(request: Request, name: str, **context: Any) -> Response:
        context.update(home=str(home.root), note=view.note, statuses=STATUSES,
                       gap_statuses=sorted(GAP_STATUSES), refresh=REFRESH_SECONDS,
                       path=request.url.path)
        return templates.TemplateResponse(request, name, context)

    def season_of(request: Request) -> str | None:
        text = request.query_params.get("season")
        if text:
            return parse_season(text)
        known = view.seasons()
        return known[-1] if known else None

    # -- panels as data ---------------------------------------------------------------

    def heatmap_data(request: Request) -> dict[str, Any]:
        season = season_of(request)
        if season is None:
            return {"season": None, "seasons": [], "phases": [], "dates": 0, "months": [], "counts": {}}
        data = view.memo(("heatmap", season), lambda rt: heatmap.heatmap(
            rt.catalog, rt.calendar, view.statuses(season), season))
        return {**data, "seasons": view.seasons(), "note": view.note}

    def date_list(season: str | None) -> list[str]:
        if season is None:
            return []
        return view.memo(("dates", season), lambda rt: [d.isoformat() for d in rt.calendar.dates(season)])

    def partition_data(request: Request) -> dict[str, Any]:
        table = request.query_params.get("table") or ""
        if table not in view.catalog:
            raise errors.UnknownTable(f"unknown table {table!r}")
        day = selection.parse_date(request.query_params.get("date") or "", "date")
        season = view.memo(("season_of", day), lambda rt: rt.calendar.season_of(day))
        return view.memo(("partition", table, day), lambda rt: heatmap.partition(
            view.statuses(season), rt.ledger, table, day))

    def runs_data(request: Request) -> dict[str, Any]:
        # not memoized: a run in flight advances its elapsed time, rate and ETA every second
        rt = view.runtime()
        statuses = view.statuses(None) if rt.ledger.active_runs() else None
        return {**panels.runs(rt.catalog, rt.ledger, statuses), "note": view.note}

    def gaps_data(request: Request) -> dict[str, Any]:
        q = request.query_params
        table = q.get("table") or None
        status = q.get("status") or None
        season = parse_season(q["season"]) if q.get("season") else None
        if table and table not in view.catalog:
            raise errors.UnknownTable(f"unknown table {table!r}")
        if status and status not in GAP_STATUSES:
            raise errors.UsageError(f"status {status!r} is not a gap status")
        rows = view.memo(("gaps", table, status, season), lambda rt: panels.gap_rows(
            rt.catalog, view.statuses(season), table, status, rt.calendar.season_of, season))
        return {"filters": {"table": table, "status": status, "season": season},
                "count": len(rows), "gaps": rows, "note": view.note}

    def alerts_data(request: Request) -> dict[str, Any]:
        def compute(rt):
            cal = rt.calendar
            game_dates = [d for s in cal.seasons() for d in cal.game_dates(s)]
            return panels.alert_report(home, view.statuses(None), game_dates)
        return view.memo("alerts", compute)

    def predictions_data(request: Request) -> dict[str, Any]:
        season = season_of(request) if request.query_params.get("season") != "all" else None

        def compute(rt):
            try:
                with rt.reading() as wh:
                    return {**accuracy.predictions(wh, season), "available": True}
            except errors.HomeError as exc:
                return {"season": season or "all", "available": False, "graded": False,
                        "reason": f"{exc}; the ledger does not hold grades"}
        return {**view.memo(("predictions", season), compute), "seasons": view.seasons()}

    def coverage_data(request: Request) -> dict[str, Any]:
        season = season_of(request)

        def compute(rt):
            dates = rt.calendar.dates(season) if season else []
            return coverage_mod.from_runtime(rt, dates).to_json()
        return {**view.memo(("coverage", season), compute), "note": view.note}

    # -- pages ------------------------------------------------------------------------

    async def index(request: Request) -> Response:
        data = heatmap_data(request)
        return page(request, "heatmap.html", hm=data, dates=date_list(data["season"]))

    async def runs_page(request: Request) -> Response:
        data = runs_data(request)
        name = "runs_live.html" if request.query_params.get("fragment") else "runs.html"
        return page(request, name, data=data)

    async def gaps_page(request: Request) -> Response:
        data = gaps_data(request)
        return page(request, "gaps.html", data=data, alerts=alerts_data(request),
                    tables=view.catalog.names(), seasons=view.seasons(), shown=data["gaps"][:1000])

    async def predictions_page(request: Request) -> Response:
        data = predictions_data(request)
        return page(request, "predictions.html", data=data,
                    chart=accuracy.mae_chart(data) if data.get("graded") else "")

    def api(fn):
        async def endpoint(request: Request) -> Response:
            return _json(fn(request))
        return endpoint

    routes = [
        Route("/", index),
        Route("/runs", runs_page),
        Route("/gaps", gaps_page),
        Route("/predictions", predictions_page),
        Route("/api/heatmap", api(heatmap_data)),
        Route("/api/partition", api(partition_data)),
        Route("/api/runs", api(runs_data)),
        Route("/api/gaps", api(gaps_data)),
        Route("/api/alerts", api(alerts_data)),
        Route("/api/predictions", api(predictions_data)),
        Route("/api/coverage", api(coverage_data)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    async def failed(request: Request, exc: Exception) -> Response:
        code = 400 if isinstance(exc, errors.UsageError) else 503
        if request.url.path.startswith("/api/"):
            return _json({"error": str(exc)}, code)
        return HTMLResponse(templates.get_template("error.html").render(
            message=str(exc), home=str(home.root)), code)

    app = Starlette(routes=routes, exception_handlers={errors.FullcourtError: failed})
    app.state.view = view
    return app


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, default=_plain, separators=(",", ":"))
    return Response(body, status, media_type="application/json")


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m {int(seconds % 60):02d}s"
    return f"{int(seconds // 3600)}h {int(seconds % 3600 // 60):02d}m"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(home: Home, host: str = "127.0.0.1", port: int = 8766) -> None:
    import uvicorn

    uvicorn.run(create_app(home), host=host, port=port, log_level="warning")
