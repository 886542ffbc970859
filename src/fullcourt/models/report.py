"""The grade report: how each system did against actual points and against the market.

Two populations, because they answer two questions:

- **all** graded player-games — every player who played, line or not — says how good
  the point predictions are. References: the season-to-date average of the player's
  points (what anyone could predict without a model) and, on the simulator, the MAE of
  the true expected points (the floor no system can beat).
- **lined** player-games — those a book posted a line for — say whether the systems
  could make money: MAE against the closing line's own MAE on the same player-games (a
  system that cannot beat the line has no edge), bets, hit rate and ROI at the prices
  taken, and how well the over-probability is calibrated (Brier score and a
  reliability table of predicted against observed over rates).

Both are restricted to player-games with at least `min_prior_games` earlier games that
season (when the feature store is given), so a player's first nights, which no system
can predict well, do not blur the comparison. Each population is broken down by season
type and by month. The oracle is passed in by the caller and read only here, never by
the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from fullcourt.processors.analytics import sums
from fullcourt.processors.predict.prediction_accuracy import scorecard

__all__ = ["BASELINE", "MIN_PRIOR_GAMES", "RELIABILITY_BINS", "grade_report", "render"]

Execute = Callable[[ir.Table], pa.Table]
# The system the dashboard draws as the moving-average baseline.
BASELINE = "moving_average"
MIN_PRIOR_GAMES = 5
# Over-probability bins of the reliability table: [0, 0.1), [0.1, 0.2), ... [0.9, 1].
RELIABILITY_BINS = 10
STORE = "ml_feature_store"


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


def _population(acc: ir.Table, store: ir.Table | None, min_prior_games: int) -> ir.Table:
    """Graded rows with the player's earlier games and season-to-date average attached,
    restricted to at least `min_prior_games` earlier games when the store is known."""
    if store is None:
        return acc.mutate(prior_games=ibis.null("int64"), season_avg=ibis.null("float64"))
    s = store.select(
        "game_id", "player_id",
        prior_games=store.games_played_season.cast("int64").fill_null(0),
        season_avg=store.pts_avg_season.cast("float64"),
    )
    j = acc.left_join(s, ["game_id", "player_id"]).select(acc, "prior_games", "season_avg")
    return j.filter(j.prior_games.fill_null(0) >= min_prior_games)


def _games(t: ir.Table) -> ir.Table:
    """One row per player-game (the systems share its actual points, line and average)."""
    return t.select(
        "game_id", "player_id", "season_type", "month", "actual_points", "line", "line_error", "season_avg"
    ).distinct()


def _baseline_err(g: ir.Table) -> ir.FloatingValue:
    return (g.season_avg - g.actual_points).abs()


def _mae_by(t: ir.Table, keys: list[str], execute: Execute) -> list[dict[str, Any]]:
    g = t.group_by(keys).aggregate(graded=t.count(), mae=sums.mean(t.abs_error))
    rows = execute(g.mutate(mae=g.mae.round(4))).to_pylist()
    return [{**r, "graded": int(r["graded"])} for r in rows]


def _reference_by(games: ir.Table, keys: list[str], execute: Execute) -> dict[tuple, dict[str, Any]]:
    agg = games.group_by(keys) if keys else games
    g = agg.aggregate(
        player_games=games.count(),
        baseline_mae=_baseline_err(games).mean(),
        line_mae=games.line_error.mean(),
    )
    return {tuple(r[k] for k in keys): r for r in execute(g).to_pylist()}


def _breakdown(t: ir.Table, games: ir.Table, key: str, execute: Execute, betting: bool) -> list[dict[str, Any]]:
    """Per value of `key` (season type or month): player-games, the references and each
    system's MAE (and, for the lined population, its bets)."""
    refs = _reference_by(games, [key], execute)
    if betting:
        rows = [_system_row(r) | {key: r[key]} for r in execute(scorecard(t, [key, "system"])).to_pylist()]
    else:
        rows = _mae_by(t, [key, "system"], execute)
    out: dict[Any, dict[str, Any]] = {}
    for (k,), ref in sorted(refs.items(), key=lambda kv: str(kv[0][0])):
        entry = {key: k, "player_games": int(ref["player_games"]), "baseline_mae": _r(ref["baseline_mae"])}
        if betting:
            entry["line_mae"] = _r(ref["line_mae"])
        entry["systems"] = []
        out[k] = entry
    for r in rows:
        k = r.pop(key)
        if k in out:
            out[k]["systems"].append(r)
    for entry in out.values():
        entry["systems"] = _by_mae(entry["systems"])
    return list(out.values())


def _calibration(t: ir.Table, execute: Execute) -> tuple[dict[str, float | None], dict[str, list[dict[str, Any]]]]:
    """Brier score per system and its reliability table, on lined player-games that did
    not push (a push is neither over nor under)."""
    c = t.filter(t.over_probability.notnull() & (t.actual_points != t.line))
    c = c.mutate(
        _over=(c.actual_points > c.line).cast("float64"),
        _bin=ibis.least((c.over_probability * RELIABILITY_BINS).floor().cast("int64"), RELIABILITY_BINS - 1),
    )
    brier = execute(
        c.group_by("system").aggregate(brier=((c.over_probability - c._over) ** 2).mean(), n=c.count())
    ).to_pylist()
    rel = execute(
        c.group_by(["system", "_bin"]).aggregate(
            n=c.count(), mean_probability=c.over_probability.mean(), observed_over=c._over.mean()
        )
    ).to_pylist()
    table: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rel, key=lambda r: (r["system"], r["_bin"])):
        lo = r["_bin"] / RELIABILITY_BINS
        table.setdefault(r["system"], []).append(
            {
                "bin": f"{lo:.1f}-{lo + 1 / RELIABILITY_BINS:.1f}",
                "n": int(r["n"]),
                "mean_probability": _r(r["mean_probability"]),
                "observed_over": _r(r["observed_over"]),
            }
        )
    return {r["system"]: _r(r["brier"]) for r in brier}, table


def _oracle_mae(games: ir.Table, oracle: pa.Table | None, execute: Execute) -> float | None:
    if oracle is None:
        return None
    o = ibis.memtable(oracle.select(["game_id", "player_id", "expected_points"]))
    j = games.join(o, ["game_id", "player_id"])
    j = j.filter(j.expected_points.notnull())
    err = (j.expected_points - j.actual_points).abs()
    return _r(execute(j.aggregate(mae=err.mean())).to_pylist()[0]["mae"])


def _all(t: ir.Table, oracle: pa.Table | None, execute: Execute) -> dict[str, Any]:
    games = _games(t)
    ref = _reference_by(games, [], execute)[()]
    systems = _by_mae(_mae_by(t, ["system"], execute))
    return {
        "player_games": int(ref["player_games"]),
        "systems": systems,
        "best": next((s["system"] for s in systems if s["mae"] is not None), None),
        "baseline_mae": _r(ref["baseline_mae"]),
        "oracle_mae": _oracle_mae(games, oracle, execute),
        "season_types": _breakdown(t, games, "season_type", execute, betting=False),
        "months": _breakdown(t, games, "month", execute, betting=False),
    }


def _lined(t: ir.Table, execute: Execute) -> dict[str, Any]:
    t = t.filter(t.line_error.notnull())  # a line error exactly where there was a line
    games = _games(t)
    ref = _reference_by(games, [], execute)[()]
    brier, reliability = _calibration(t, execute)
    systems = [_system_row(r) for r in execute(scorecard(t, ["system"])).to_pylist()]
    for s in systems:
        s["brier"] = brier.get(s["system"])
        s["reliability"] = reliability.get(s["system"], [])
    systems = _by_mae(systems)
    return {
        "player_games": int(ref["player_games"]),
        "systems": systems,
        "best": next((s["system"] for s in systems if s["mae"] is not None), None),
        "line_mae": _r(ref["line_mae"]),
        "baseline_mae": _r(ref["baseline_mae"]),
        "season_types": _breakdown(t, games, "season_type", execute, betting=True),
        "months": _breakdown(t, games, "month", execute, betting=True),
    }


def grade_report(
    execute: Execute,
    tables: Mapping[str, ir.Table],
    season: str | None,
    oracle: pa.Table | None,
    min_prior_games: int = MIN_PRIOR_GAMES,
) -> dict[str, Any]:
    """Both populations' figures. `tables` holds `prediction_accuracy` and, optionally,
    `ml_feature_store` (earlier games and season-to-date average per player-game);
    without the store nothing is filtered and the baseline is the moving average."""
    acc = tables["prediction_accuracy"]
    if season is not None:
        acc = acc.filter(acc.season == season)
    for name, typ in (("line", "float64"), ("over_probability", "float64")):
        if name not in acc.columns:
            acc = acc.mutate(**{name: ibis.null(typ)})
    acc = acc.mutate(month=acc.game_date.strftime("%Y-%m") if "game_date" in acc.columns else ibis.null("string"))
    store = tables.get(STORE)
    t = _population(acc, store, min_prior_games if store is not None else 0)
    all_ = _all(t, oracle, execute)
    lined = _lined(t, execute)
    if store is None:  # no season-to-date average to compare with: the moving average
        ma = next((s["mae"] for s in all_["systems"] if s["system"] == BASELINE), None)
        all_["baseline_mae"] = ma
        lined["baseline_mae"] = next((s["mae"] for s in lined["systems"] if s["system"] == BASELINE), None)
    bets = {s["system"]: s for s in lined["systems"]}
    summary = [
        {**s, **{k: bets.get(s["system"], {}).get(k, 0 if k in _COUNTS else None)
                 for k in ("bets", "wins", "losses", "pushes", "hit_rate", "roi", "profit")}}
        for s in all_["systems"]
    ]
    return {
        "season": season or "all",
        "min_prior_games": min_prior_games if store is not None else 0,
        "all": all_,
        "lined": lined,
        # the headline the dashboard reads: every player-game's MAE, the lined games' bets
        "systems": summary,
        "player_games": all_["player_games"],
        "baseline_mae": all_["baseline_mae"],
        "oracle_mae": all_["oracle_mae"],
        "line_mae": lined["line_mae"],
        "season_types": [
            {"season_type": e["season_type"], **s} for e in all_["season_types"] for s in e["systems"]
        ],
    }


def _fmt(x: float | None, pattern: str) -> str:
    return "-" if x is None else pattern.format(x)


def render(report: Mapping[str, Any]) -> str:
    """Plain-text tables of both populations, best MAE first."""
    a, lined = report["all"], report["lined"]
    prior = report.get("min_prior_games", 0)
    where = f", at least {prior} earlier games that season" if prior else ""
    lines = [f"season {report['season']}: all {a['player_games']} graded player-games{where}"]
    lines.append(f"{'system':<22}{'MAE':>8}")
    for s in a["systems"]:
        lines.append(f"{s['system']:<22}{_fmt(s['mae'], '{:.3f}'):>8}")
    lines.append(f"{'season-to-date avg':<22}{_fmt(a['baseline_mae'], '{:.3f}'):>8}")
    if a.get("oracle_mae") is not None:
        lines.append(f"{'oracle (true mean)':<22}{_fmt(a['oracle_mae'], '{:.3f}'):>8}")
        best = a["systems"][0]["mae"] if a["systems"] else None
        if best is not None and a["oracle_mae"]:
            lines.append(f"best / oracle {best / a['oracle_mae']:.3f}")
    if not a["systems"]:
        lines.append("no graded predictions" + (f" for {report['season']}" if report["season"] != "all" else ""))
        return "\n".join(lines)
    lines.append("")
    lines.append(f"lined: {lined['player_games']} graded player-games with a closing line")
    lines.append(f"{'system':<22}{'MAE':>8}{'bets':>8}{'hit rate':>10}{'ROI':>9}{'Brier':>8}")
    for s in lined["systems"]:
        lines.append(
            f"{s['system']:<22}{_fmt(s['mae'], '{:.3f}'):>8}{s['bets']:>8}"
            f"{_fmt(s['hit_rate'], '{:.1%}'):>10}{_fmt(s['roi'], '{:+.1%}'):>9}"
            f"{_fmt(s.get('brier'), '{:.4f}'):>8}"
        )
    lines.append(f"{'closing line':<22}{_fmt(lined['line_mae'], '{:.3f}'):>8}")
    lines.append(f"{'season-to-date avg':<22}{_fmt(lined['baseline_mae'], '{:.3f}'):>8}")
    if lined["systems"] and lined["systems"][0]["mae"] is not None and lined["line_mae"]:
        top = lined["systems"][0]
        lines.append(f"best {top['system']} is {top['mae'] / lined['line_mae'] - 1:+.1%} against the line's MAE")
    lines.append("")
    lines.append("by month (MAE of the best system on all player-games, season-to-date avg)")
    lines.extend(_best_of(f"{m['month']}  ", m) for m in a["months"])
    lines.append("by season type")
    lines.extend(_best_of(f"{e['season_type']:<10}", e) for e in a["season_types"])
    lines.append("break-even hit rate at -110 is 52.4%")
    if report.get("frozen"):
        lines.append("")
        lines.extend(render_frozen(report["frozen"], a["systems"]))
    return "\n".join(lines)


def _best_of(label: str, entry: dict) -> str:
    """One breakdown line: its player-games, its best system's MAE, the baseline's."""
    top = entry["systems"][0] if entry["systems"] else None
    return (
        f"  {label}{entry['player_games']:>6}  "
        f"{(top['system'] if top else '-'):<20}{_fmt(top['mae'] if top else None, '{:.3f}'):>8}"
        f"{_fmt(entry['baseline_mae'], '{:.3f}'):>8}"
    )


def render_frozen(f: Mapping[str, Any], walk_forward: list[Mapping[str, Any]] = ()) -> list[str]:
    """The frozen-model evaluation beside the walk-forward figures of the same player-games."""
    walked = {s["system"]: s["mae"] for s in walk_forward}
    out = [
        f"frozen: one model trained through {f['train_through']} "
        f"({f['train_rows']} player-games) predicts {f['player_games']} player-games of {f['season']}"
    ]
    out.append(f"{'system':<22}{'frozen':>8}{'walk-fwd':>10}{'lined':>8}{'bets':>7}{'hit rate':>10}")
    for s in f["systems"]:
        out.append(
            f"{s['system']:<22}{_fmt(s['mae'], '{:.3f}'):>8}{_fmt(walked.get(s['system']), '{:.3f}'):>10}"
            f"{_fmt(s.get('lined_mae'), '{:.3f}'):>8}{s.get('bets', 0):>7}{_fmt(s.get('hit_rate'), '{:.1%}'):>10}"
        )
    out.append(f"{'season-to-date avg':<22}{_fmt(f['baseline_mae'], '{:.3f}'):>8}")
    out.append(f"{'closing line':<22}{'':>8}{'':>10}{_fmt(f['line_mae'], '{:.3f}'):>8}")
    return out
