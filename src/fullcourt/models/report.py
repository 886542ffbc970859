"""The grade report: how each system did against actual points and against the market.

MAE says how close the points were; hit rate and ROI say whether the bets made money
at the prices actually taken. Two references keep the numbers honest: the closing
line's own MAE on the same player-games (a system that cannot beat the line has no
edge), and — when the source is the simulator — the MAE of the true expected points,
the floor no system can beat. The oracle is passed in by the caller and read only
here, never by the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from fullcourt.processors.predict.prediction_accuracy import scorecard

__all__ = ["grade_report", "render"]

Execute = Callable[[ir.Table], pa.Table]
BASELINE = "moving_average"


def _r(x: Any, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


_COUNTS = ("graded", "bets", "wins", "losses", "pushes")


def _system_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A scorecard row as the report prints it: counts as ints, NULL-free where it can be."""
    out = {"system": row["system"], "mae": row["mae"], "bets": int(row["bets"] or 0),
           "hit_rate": row["hit_rate"], "roi": row["roi"]}
    out.update({c: int(row[c] or 0) for c in _COUNTS if c != "bets"})
    out["profit"] = row["profit"]
    return out


def _by_mae(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["mae"] is None, r["mae"] or 0.0, r["system"]))


def grade_report(
    execute: Execute,
    tables: Mapping[str, ir.Table],
    season: str | None,
    oracle: pa.Table | None,
) -> dict[str, Any]:
    """MAE, bets, hit rate and ROI per system, with the line's and the oracle's MAE."""
    acc = tables["prediction_accuracy"]
    if season is not None:
        acc = acc.filter(acc.season == season)
    systems = [_system_row(r) for r in execute(scorecard(acc, ["system"])).to_pylist()]
    by_type = [
        {"season_type": r["season_type"], **_system_row(r)}
        for r in execute(scorecard(acc, ["season_type", "system"])).to_pylist()
    ]
    games = acc.select("game_id", "player_id", "actual_points", "line_error").distinct()
    line = execute(games.aggregate(mae=games.line_error.mean(), n=games.count())).to_pylist()[0]
    oracle_mae = None
    if oracle is not None:
        o = ibis.memtable(oracle.select(["game_id", "player_id", "expected_points"]))
        j = games.join(o, ["game_id", "player_id"])
        j = j.filter(j.expected_points.notnull())
        err = (j.expected_points - j.actual_points).abs()
        oracle_mae = _r(execute(j.aggregate(mae=err.mean())).to_pylist()[0]["mae"])
    baseline = next((s["mae"] for s in systems if s["system"] == BASELINE), None)
    return {
        "season": season or "all",
        "systems": _by_mae(systems),
        "line_mae": _r(line["mae"]),
        "baseline_mae": baseline,
        "oracle_mae": oracle_mae,
        "player_games": int(line["n"]),
        "season_types": sorted(by_type, key=lambda r: (r["season_type"], r["mae"] is None, r["mae"] or 0.0)),
    }


def _fmt(x: float | None, pattern: str) -> str:
    return "-" if x is None else pattern.format(x)


def render(report: Mapping[str, Any]) -> str:
    """A plain-text table of the report, best MAE first."""
    lines = [
        f"season {report['season']}: {report.get('player_games', 0)} graded player-games",
        f"{'system':<20}{'MAE':>8}{'bets':>8}{'hit rate':>10}{'ROI':>9}",
    ]
    for s in report["systems"]:
        lines.append(
            f"{s['system']:<20}{_fmt(s['mae'], '{:.3f}'):>8}{s['bets']:>8}"
            f"{_fmt(s['hit_rate'], '{:.1%}'):>10}{_fmt(s['roi'], '{:+.1%}'):>9}"
        )
    lines.append(f"{'closing line':<20}{_fmt(report['line_mae'], '{:.3f}'):>8}")
    if report.get("oracle_mae") is not None:
        lines.append(f"{'oracle (true mean)':<20}{_fmt(report['oracle_mae'], '{:.3f}'):>8}")
    if not report["systems"]:
        lines.append("no graded predictions" + (f" for {report['season']}" if report["season"] != "all" else ""))
    lines.append("break-even hit rate at -110 is 52.4%")
    return "\n".join(lines)
