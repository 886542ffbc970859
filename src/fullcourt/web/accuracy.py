"""The predictions panel: MAE by system by month, hit rate and ROI, against line and baseline.

The numbers are the grade report's (`models.report.grade_report`) and its scorecard
(`prediction_accuracy.scorecard`) grouped by month as well — Ibis expressions run by the
warehouse adapter, never SQL of our own. Grading lives in the warehouse only, so while a
writer holds it this panel says so instead of guessing from the ledger.

The chart is drawn here as SVG. A line chart of a dozen months and five systems is a
few dozen elements; drawing it on the server keeps the page free of a charting
library's multi-megabyte bundle and makes the chart a plain, testable string.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from fullcourt.models import report
from fullcourt.processors.predict.prediction_accuracy import scorecard

__all__ = ["mae_chart", "predictions"]

# Colour per system in drawing order; the closing line is drawn dashed in grey.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def predictions(wh, season: str | None) -> dict[str, Any]:
    """The season's (or every season's) grade report plus MAE per month and system."""
    if not wh.has_table("prediction_accuracy"):
        return {"season": season or "all", "graded": False, "systems": [], "months": []}
    acc = wh.table("prediction_accuracy")
    summary = report.grade_report(wh.execute, {"prediction_accuracy": acc}, season, None)
    if season is not None:
        acc = acc.filter(acc.season == season)
    acc = acc.mutate(month=acc.game_date.truncate("M"))
    by_month = wh.rows(scorecard(acc, ["month", "system"]).select("month", "system", "mae", "graded"))
    games = acc.select("month", "game_id", "player_id", "line_error").distinct()
    line = wh.rows(games.group_by("month").aggregate(mae=games.line_error.mean()))
    months = sorted({r["month"] for r in by_month})
    series: dict[str, dict[str, float | None]] = {}
    for r in by_month:
        series.setdefault(r["system"], {})[r["month"].strftime("%Y-%m")] = r["mae"]
    line_by = {r["month"].strftime("%Y-%m"): None if r["mae"] is None else round(r["mae"], 4) for r in line}
    return {
        **summary,
        "graded": True,
        "baseline": report.BASELINE,
        "months": [m.strftime("%Y-%m") for m in months],
        "mae_by_month": {s: series[s] for s in sorted(series)},
        "line_mae_by_month": line_by,
    }


def mae_chart(data: dict[str, Any], width: int = 760, height: int = 280) -> str:
    """An SVG line chart: one line per system, the closing line dashed."""
    months: Sequence[str] = data.get("months") or []
    lines = {name: [per.get(m) for m in months] for name, per in (data.get("mae_by_month") or {}).items()}
    market = [(data.get("line_mae_by_month") or {}).get(m) for m in months]
    values = [v for vs in [*lines.values(), market] for v in vs if v is not None]
    if not months or not values:
        return '<p class="empty">no graded predictions to chart</p>'
    left, right, top, bottom = 48, 150, 14, 34
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or 0.5
    lo, hi = lo - pad, hi + pad
    w, h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (w * i / (len(months) - 1) if len(months) > 1 else w / 2)

    def y(v: float) -> float:
        return top + h * (hi - v) / (hi - lo)

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           'role="img" aria-label="MAE by system by month" xmlns="http://www.w3.org/2000/svg">']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        out.append(f'<line class="grid" x1="{left}" x2="{left + w}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
                   f'<text class="tick" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    for i, m in enumerate(months):
        out.append(f'<text class="tick" x="{x(i):.1f}" y="{height - 12}" text-anchor="middle">{escape(m)}</text>')
    drawn = [(name, PALETTE[i % len(PALETTE)], vs, "") for i, (name, vs) in enumerate(lines.items())]
    drawn.append(("closing line", "#777", market, ' stroke-dasharray="5 4"'))
    for n, (name, colour, vs, dash) in enumerate(drawn):
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs) if v is not None)
        out.append(f'<polyline class="series" data-system="{escape(name)}" fill="none" stroke="{colour}" '
                   f'stroke-width="2"{dash} points="{pts}"><title>{escape(name)}</title></polyline>')
        for i, v in enumerate(vs):
            if v is not None:
                out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                           f'<title>{escape(name)} {escape(months[i])}: MAE {v:.3f}</title></circle>')
        ly = top + 14 * n + 6
        out.append(f'<line x1="{left + w + 12}" x2="{left + w + 30}" y1="{ly}" y2="{ly}" stroke="{colour}" '
                   f'stroke-width="2"{dash}/><text class="legend" x="{left + w + 36}" y="{ly + 4}">{escape(name)}</text>')
    out.append(f'<text class="axis" x="12" y="{top + h / 2:.0f}" transform="rotate(-90 12 {top + h / 2:.0f})" '
               'text-anchor="middle">MAE (points)</text></svg>')
    return "".join(out)
