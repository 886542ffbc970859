"""Phase 3: the merged box score, team summaries and point-in-time upcoming context."""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.resources import raw_fixture
from tests.resources.raw_fixture import build_into, league_tables, load_warehouse

from fullcourt.engine import gates
from fullcourt.processors.analytics import (
    player_game_summary,
    sums,
    team_defense_game_summary,
    team_offense_game_summary,
    upcoming_player_game_context,
    upcoming_team_game_context,
)

DATES = raw_fixture.game_dates(scheduled_last=True)
TONIGHT = DATES[-1]


def _wh(tmp: Path, tables: dict[str, pa.Table]):
    return load_warehouse(tmp / "w.duckdb", tables)


def _gate_failures(wh, spec, dates) -> list[gates.GateFailure]:
    ctx = {n: wh.table(n) for n in wh.list_tables()}
    return gates.evaluate(spec.name, wh.table(spec.name), spec.gates, spec.keys, dates, ctx, wh.rows)


def _replace(t: pa.Table, column: str, mask: pa.Array, value) -> pa.Table:
    col = t.column(column)
    new = pc.if_else(mask, pa.scalar(value, col.type), col)
    return t.set_column(t.column_names.index(column), column, new)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tables = league_tables(scheduled_last=True)
    wh = _wh(tmp_path_factory.mktemp("analytics"), tables)
    out = {}
    for m in (player_game_summary, team_offense_game_summary, team_defense_game_summary,
              upcoming_team_game_context, upcoming_player_game_context):
        out[m.SPEC.name] = build_into(wh, m.SPEC, DATES)
    yield wh, tables, out
    wh.close()


def test_minutes_null_exactly_for_players_who_did_not_play(built):
    wh, tables, out = built
    pgs = out["player_game_summary"].to_pylist()
    assert len(pgs) == tables["nbac_gamebook_player_stats"].num_rows
    for r in pgs:
        assert (r["minutes_played"] is None) == (not r["played"])
        assert (r["dnp_reason"] is None) == r["played"]
        assert r["source"] == "gamebook"
    reasons = {r["dnp_reason"] for r in pgs if not r["played"]}
    assert "Coach's Decision" in reasons
    assert any(x.startswith("Injury/Illness") for x in reasons)
    assert {r["season_type"] for r in pgs} == {"regular", "play_in", "playoffs"}
    assert _gate_failures(wh, player_game_summary.SPEC, DATES) == []


def test_a_game_missing_from_the_gamebook_comes_from_bdl(tmp_path):
    tables = league_tables()
    g = tables["nbac_gamebook_player_stats"]
    gid = g.column("game_id")[0].as_py()
    tables["nbac_gamebook_player_stats"] = g.filter(pc.not_equal(g.column("game_id"), gid))
    wh = _wh(tmp_path, tables)
    pgs = build_into(wh, player_game_summary.SPEC, DATES).to_pylist()
    bdl_rows = [r for r in pgs if r["game_id"] == gid]
    bdl = tables["bdl_player_boxscores"].filter(pc.equal(tables["bdl_player_boxscores"].column("game_id"), gid))
    assert len(bdl_rows) == bdl.num_rows > 0
    assert {r["source"] for r in bdl_rows} == {"bdl"}
    assert {r["source"] for r in pgs if r["game_id"] != gid} == {"gamebook"}
    want = {r["player_id"]: r for r in bdl.to_pylist()}
    for r in bdl_rows:
        b = want[r["player_id"]]
        assert r["minutes_played"] == b["minutes"] and r["points"] == b["points"]
        assert r["fg2m"] + r["fg3m"] == b["fgm"] and r["fga"] == b["fga"]
    # the game still counts: coverage against the schedule holds
    assert _gate_failures(wh, player_game_summary.SPEC, DATES) == []


def test_missing_gamebook_minutes_are_filled_from_bdl_per_column(tmp_path):
    tables = league_tables()
    g = tables["nbac_gamebook_player_stats"]
    gid = g.column("game_id")[5].as_py()
    hole = pc.equal(g.column("game_id"), gid)
    g = _replace(g, "minutes", hole, None)
    g = _replace(g, "ast", pc.and_(hole, pc.equal(g.column("status"), "active")), None)
    tables["nbac_gamebook_player_stats"] = g
    wh = _wh(tmp_path, tables)
    pgs = build_into(wh, player_game_summary.SPEC, DATES).to_pylist()
    bdl = {(r["game_id"], r["player_id"]): r for r in tables["bdl_player_boxscores"].to_pylist()}
    game = [r for r in pgs if r["game_id"] == gid]
    for r in game:
        if r["played"]:
            b = bdl[(gid, r["player_id"])]
            assert r["source"] == "gamebook+bdl"
            assert r["minutes_played"] == b["minutes"] and r["ast"] == b["ast"]
        else:  # a DNP row keeps NULL minutes and is not "filled"
            assert r["minutes_played"] is None and r["source"] == "gamebook"
    assert {r["source"] for r in pgs if r["game_id"] != gid} == {"gamebook"}
    assert _gate_failures(wh, player_game_summary.SPEC, DATES) == []


def test_gates_catch_minutes_gone_missing(tmp_path):
    """The predecessor's 99.5% NULL minutes: both sources lost them; the gates say so."""
    tables = league_tables()
    g = tables["nbac_gamebook_player_stats"]
    keep = pc.equal(pa.array(range(g.num_rows)), 0)  # one row in ~800 keeps its minutes
    g = _replace(g, "minutes", pc.invert(keep), None)
    tables["nbac_gamebook_player_stats"] = g
    b = tables["bdl_player_boxscores"]
    tables["bdl_player_boxscores"] = _replace(b, "minutes", pc.is_valid(b.column("minutes")), None)
    wh = _wh(tmp_path, tables)
    pgs = build_into(wh, player_game_summary.SPEC, DATES)
    null_share = pgs.column("minutes_played").null_count / pgs.num_rows
    assert null_share > 0.99
    failures = _gate_failures(wh, player_game_summary.SPEC, DATES)
    failed = {f.gate for f in failures}
    assert "null_rate:minutes_played:players who played" in failed
    assert "null_rate:minutes_played:all players" in failed
    final_dates = {d for d in DATES if d != TONIGHT}
    assert {f.game_date for f in failures} == final_dates - {TONIGHT}


def test_team_summaries_agree_with_players_and_each_other(built):
    wh, tables, out = built
    off = {(r["game_id"], r["team"]): r for r in out["team_offense_game_summary"].to_pylist()}
    dfn = {(r["game_id"], r["team"]): r for r in out["team_defense_game_summary"].to_pylist()}
    assert len(off) == len(dfn) == 2 * sum(
        1 for s in tables["nbac_schedule"].to_pylist() if s["status"] == "final"
    )
    pts = defaultdict(int)
    for r in out["player_game_summary"].to_pylist():
        pts[(r["game_id"], r["team"])] += r["points"]
    for key, o in off.items():
        assert o["points"] == pts[key]
        zones = sum(o[f"{z}_pts"] for z in ("restricted_area", "paint", "mid_range",
                                             "corner_three", "above_break_three", "free_throw"))
        assert zones == o["points"]
        d = dfn[(key[0], o["opponent"])]
        assert d["points_allowed"] == o["points"]
        assert d["opp_possessions"] == pytest.approx(o["possessions"])
        assert d["pace"] == pytest.approx(o["pace"])
        assert o["off_rating"] == pytest.approx(100 * o["points"] / o["possessions"])
    assert isinstance(next(iter(off.values()))["possessions"], float)
    for m in (team_offense_game_summary, team_defense_game_summary):
        assert _gate_failures(wh, m.SPEC, DATES) == []


def test_team_context_counts_rest_and_density(built):
    wh, tables, out = built
    ctx = out["upcoming_team_game_context"].to_pylist()
    sched = [s for s in tables["nbac_schedule"].to_pylist() if s["status"] != "postponed"]
    assert len(ctx) == 2 * len(sched)
    by_team = defaultdict(list)
    for r in ctx:
        by_team[r["team"]].append(r)
    for rows in by_team.values():
        rows.sort(key=lambda r: r["game_date"])
        assert rows[0]["days_rest"] is None and rows[0]["games_played_season"] == 0
        for prev, cur in zip(rows, rows[1:], strict=False):
            assert cur["days_rest"] == (cur["game_date"] - prev["game_date"]).days
            assert cur["back_to_back"] == (cur["days_rest"] == 1)
            week = [r for r in rows if cur["game_date"] - timedelta(days=7) <= r["game_date"] < cur["game_date"]]
            assert cur["games_last_7"] == len(week)
    assert {r["game_status"] for r in ctx if r["game_date"] == TONIGHT} == {"scheduled"}


def test_player_context_is_as_of_tipoff(built):
    wh, tables, out = built
    ctx = out["upcoming_player_game_context"].to_pylist()
    # lines: opening = earliest snapshot before tip-off, closing = latest before tip-off
    props = tables["odds_player_points_props"].to_pylist()
    sample = next(r for r in ctx if r["line"] is not None and r["game_date"] > DATES[0])
    mine = [p for p in props if p["game_date"] == sample["game_date"]
            and p["player_name"] == sample["player_name"]]
    assert sample["line"] == max(mine, key=lambda p: p["snapshot_at"])["line"]
    assert sample["opening_line"] == min(mine, key=lambda p: p["snapshot_at"])["line"]
    assert sample["opening_line"] != sample["line"]
    # injuries: the latest report before tip-off ("out" after "questionable")
    by_name = {(r["game_date"], r["team"], r["player_name"]): r for r in ctx}
    for rep in tables["nbac_injury_report"].to_pylist():
        r = by_name[(rep["game_date"], rep["team"], rep["player_name"])]
        assert r["injury_status"] == "out" and r["injury_report_at"] < r["tipoff_utc"]
    # tonight's scheduled slate has its players, lines and injury statuses already
    tonight = [r for r in ctx if r["game_date"] == TONIGHT]
    assert len({r["game_id"] for r in tonight}) == 2
    assert any(r["line"] is not None for r in tonight)
    assert any(r["injury_status"] == "out" for r in tonight)
    # a player's rest counts his own games, not the team's
    g = [r for r in ctx if r["roster_source"] == "games" and r["last_played_date"] is not None]
    assert all(r["days_rest"] == (r["game_date"] - r["last_played_date"]).days for r in g)
    assert _gate_failures(wh, upcoming_player_game_context.SPEC, DATES) == []


def test_rows_after_tipoff_cannot_leak_into_context(built, tmp_path):
    _, tables, out = built
    late = {k: v for k, v in tables.items()}
    sched = {s["game_id"]: s for s in tables["nbac_schedule"].to_pylist()}
    props = tables["odds_player_points_props"].to_pylist()
    extra_props = []
    for p in props:
        tip = p["commence_time"]
        extra_props.append({**p, "line": 99.5, "snapshot_at": tip})  # at tip-off
        extra_props.append({**p, "line": 0.5, "snapshot_at": tip + timedelta(minutes=30)})
    late["odds_player_points_props"] = raw_fixture.arrow(
        "odds_player_points_props", props + extra_props
    )
    reports = tables["nbac_injury_report"].to_pylist()
    gb = tables["nbac_gamebook_player_stats"].to_pylist()
    star_rows = [r for r in gb if r["player_id"].endswith("00")]
    extra_reports = [
        {"game_date": r["game_date"],
         "matchup": f"{sched[r['game_id']]['away_team']}@{sched[r['game_id']]['home_team']}",
         "report_at": sched[r["game_id"]]["tipoff_utc"] + timedelta(minutes=m),
         "team": r["team"], "player_name": r["player_name"],
         "status": "out", "reason": "Injury/Illness - Left Knee; MCL Sprain"}
        for r in star_rows for m in (0, 45)
    ]
    late["nbac_injury_report"] = raw_fixture.arrow("nbac_injury_report", reports + extra_reports)
    wh = _wh(tmp_path, late)
    for m in (player_game_summary, upcoming_team_game_context):
        build_into(wh, m.SPEC, DATES)
    after = build_into(wh, upcoming_player_game_context.SPEC, DATES)
    key = ["game_id", "player_id"]
    before = out["upcoming_player_game_context"].sort_by([(k, "ascending") for k in key])
    after = after.sort_by([(k, "ascending") for k in key])
    assert after.num_rows == before.num_rows
    assert after.equals(before)
    wh.close()


def test_exact_sums_give_the_same_bits_in_any_row_order(tmp_path):
    rng = random.Random(1)
    # minutes-like values whose plain float sum changes with the order they are added in
    values = [round(rng.uniform(0, 40), 4) for _ in range(12)] + [float("nan"), None]
    counts = [rng.randint(0, 30) for _ in range(13)] + [None]
    wh = load_warehouse(tmp_path / "w.duckdb", {})
    results = set()
    for _ in range(20):
        order = rng.sample(range(len(values)), len(values))
        t = ibis.memtable(pa.table({
            "g": pa.array([0] * len(values), pa.int64()),
            "x": pa.array([values[i] for i in order], pa.float64()),
            "k": pa.array([counts[i] for i in order], pa.int64()),
        }))
        row = wh.rows(t.group_by("g").aggregate(
            total=sums.total(t.x), mean=sums.mean(t.x), k_mean=sums.mean(t.k), k_std=sums.std(t.k)
        ))[0]
        results.add((row["total"], row["mean"], row["k_mean"], row["k_std"]))
    wh.close()
    assert len(results) == 1  # bit for bit
    total, mean, k_mean, k_std = results.pop()
    known = values[:12]  # NaN and NULL are skipped
    assert total == pytest.approx(math.fsum(known), abs=1e-9)
    assert mean == pytest.approx(math.fsum(known) / 12, abs=1e-9)
    ks = counts[:13]
    assert k_mean == pytest.approx(statistics.mean(ks)) and k_std == pytest.approx(statistics.stdev(ks))
