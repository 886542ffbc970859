"""Phase 4: rolling features over earlier games only, the feature store, and staleness."""

from __future__ import annotations

import statistics
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.resources import raw_fixture
from tests.resources.raw_fixture import build_into, league_tables, load_warehouse

from fullcourt.catalog.calendar import season_dates
from fullcourt.catalog.features import FEATURE_VERSION, FEATURES
from fullcourt.config import Home
from fullcourt.engine import gates
from fullcourt.engine.executor import Request
from fullcourt.engine.runtime import open_writer
from fullcourt.models.examples import from_arrow
from fullcourt.processors.analytics import (
    player_game_summary,
    team_defense_game_summary,
    team_offense_game_summary,
    upcoming_player_game_context,
    upcoming_team_game_context,
)
from fullcourt.processors.precompute import (
    ml_feature_store,
    player_composite_factors,
    player_daily_cache,
    player_shot_zone_analysis,
    team_defense_zone_analysis,
)
from fullcourt.sources.sim import League
from fullcourt.warehouse import duck

DATES = raw_fixture.game_dates(scheduled_last=True)
TONIGHT = DATES[-1]
MODULES = (
    player_game_summary, team_offense_game_summary, team_defense_game_summary,
    upcoming_team_game_context, upcoming_player_game_context,
    team_defense_zone_analysis, player_shot_zone_analysis, player_daily_cache,
    player_composite_factors, ml_feature_store,
)
PHASE4 = MODULES[5:]
PLAYER_TABLES = ("upcoming_player_game_context", "player_shot_zone_analysis",
                 "player_daily_cache", "player_composite_factors", "ml_feature_store")


def _build_all(path: Path, tables: dict[str, pa.Table]):
    wh = load_warehouse(path, tables)
    out = {m.SPEC.name: build_into(wh, m.SPEC, DATES) for m in MODULES}
    return wh, out


def _keyed(t: pa.Table) -> dict[tuple[str, str], dict]:
    return {(r["game_id"], r["player_id"]): r for r in t.to_pylist()}


def _correct(tables: dict[str, pa.Table], day: date, player: str, extra_ft: int) -> dict:
    """A stat correction: `player` made `extra_ft` more free throws on `day` (both sources)."""
    out = dict(tables)
    for name, made, att in (("nbac_gamebook_player_stats", "ftm", "fta"),
                            ("bdl_player_boxscores", "ftm", "fta")):
        t = tables[name]
        hit = pc.and_(pc.equal(t.column("game_date"), pa.scalar(day, pa.date32())),
                      pc.equal(t.column("player_id"), player))
        for col in ("points", made, att):
            i = t.column_names.index(col)
            t = t.set_column(i, col, pc.if_else(hit, pc.add(t.column(col), extra_ft), t.column(col)))
        out[name] = t
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tables = league_tables(scheduled_last=True)
    wh, out = _build_all(tmp_path_factory.mktemp("precompute") / "w.duckdb", tables)
    yield wh, tables, out
    wh.close()


def test_feature_store_has_exactly_the_versioned_features(built):
    _, _, out = built
    fs = out["ml_feature_store"]
    assert fs.column_names == list(ml_feature_store.COLUMNS)
    feature_cols = [c for c in fs.column_names if c not in ml_feature_store.IDENTITY
                    and c not in ("feature_version", *ml_feature_store.LINES)]
    assert tuple(feature_cols) == FEATURES
    assert set(fs.column("feature_version").to_pylist()) == {FEATURE_VERSION}
    assert "points" not in fs.column_names and "minutes_played" not in fs.column_names
    ex = from_arrow(fs)
    assert ex.X.shape == (fs.num_rows, len(FEATURES))
    # one row per expected player-game, the same rows as the point-in-time context
    ctx = out["upcoming_player_game_context"]
    assert set(_keyed(fs)) == set(_keyed(ctx))
    assert len(_keyed(fs)) == fs.num_rows


def test_rolling_form_uses_only_earlier_games(built):
    _, _, out = built
    pgs = [r for r in out["player_game_summary"].to_pylist() if r["played"]]
    fs = out["ml_feature_store"].to_pylist()
    checked = 0
    for row in fs:
        mine = sorted((r for r in pgs if r["player_id"] == row["player_id"]
                       and r["game_date"] < row["game_date"]), key=lambda r: r["game_date"])
        if not mine:
            assert row["pts_avg_season"] is None and row["games_played_season"] == 0
            continue
        pts = [r["points"] for r in mine]
        assert row["games_played_season"] == len(pts)
        assert row["pts_avg_last5"] == pytest.approx(statistics.mean(pts[-5:]))
        assert row["pts_avg_season"] == pytest.approx(statistics.mean(pts))
        assert row["min_avg_last10"] == pytest.approx(statistics.mean(r["minutes_played"] for r in mine[-10:]))
        if len(pts) >= 2:
            assert row["pts_std_last10"] == pytest.approx(statistics.stdev(pts[-10:]))
        checked += 1
    assert checked > 300


def test_scheduled_games_get_features_before_tipoff(built):
    _, tables, out = built
    fs = [r for r in out["ml_feature_store"].to_pylist() if r["game_date"] == TONIGHT]
    tonight = [s["game_id"] for s in tables["nbac_schedule"].to_pylist() if s["game_date"] == TONIGHT]
    assert {r["game_id"] for r in fs} == set(tonight)
    assert all(r["pts_avg_season"] is not None for r in fs if r["injury_status_code"] == 0)
    assert any(r["line"] is not None and r["opening_line"] is not None for r in fs)
    assert any(r["injury_status_code"] == 4 for r in fs)
    # nothing of tonight exists in the box scores yet
    assert not [r for r in out["player_game_summary"].to_pylist() if r["game_date"] == TONIGHT]


def test_zone_matchup_weights_opponent_factors_by_the_players_mix(built):
    _, _, out = built
    zones = ("restricted_area", "paint", "mid_range", "corner_three", "above_break_three")
    late = [r for r in out["player_shot_zone_analysis"].to_pylist()
            if r["game_date"] >= DATES[8] and r["zone_games"] > 0]
    assert late
    for r in late:
        assert sum(r[f"zone_share_{z}"] for z in zones) == pytest.approx(1.0)
        want = sum(r[f"zone_share_{z}"] * r[f"opp_{z}_factor"] for z in zones)
        assert r["opp_zone_matchup_factor"] == pytest.approx(want)


def test_phase4_gates_pass_after_bootstrap(built):
    wh, _, _ = built
    ctx = {n: wh.table(n) for n in wh.list_tables()}
    for m in PHASE4:
        spec = m.SPEC
        after = DATES[spec.bootstrap_days:]
        assert gates.evaluate(spec.name, wh.table(spec.name), spec.gates, spec.keys, after, ctx, wh.rows) == []


def test_a_later_game_never_changes_earlier_features(built, tmp_path):
    _, tables, out = built
    day = DATES[10]
    changed = _correct(tables, day, "BBB00", 5)
    wh, again = _build_all(tmp_path / "w.duckdb", changed)
    wh.close()
    for name in ("player_daily_cache", "ml_feature_store"):
        before, after = _keyed(out[name]), _keyed(again[name])
        assert before.keys() == after.keys()
        for key, row in before.items():
            if row["game_date"] <= day:
                assert after[key] == row, (name, key)
        later = [k for k, r in before.items() if r["player_id"] == "BBB00" and r["game_date"] > day]
        assert later and all(after[k]["pts_avg_season"] > before[k]["pts_avg_season"] for k in later)


def test_backfill_has_no_gaps_and_a_correction_stales_exactly_its_dependents(tmp_path):
    tables = league_tables(scheduled_last=True)
    raw_fixture.serve(tables)
    spec = "tests.resources.raw_fixture:build_catalog"
    rt = open_writer(Home(tmp_path / "home"), spec)
    try:
        ex = rt.executor
        names = tuple(rt.catalog.names())
        season = tuple(season_dates(raw_fixture.SEASON))
        result = ex.run(Request(names, season), "backfill")
        assert result.failed == 0 and result.gate_failed == 0
        st = ex.statuses()
        assert [s for s in st.values() if s.is_gap] == []
        for m in PHASE4:
            days = [st[(m.SPEC.name, d)].status for d in DATES]
            assert days[:7] == ["bootstrap"] * 7
            assert set(days[7:]) == {"complete"}, m.SPEC.name
        assert st[("player_game_summary", TONIGHT)].status == "no_data"
        assert st[("ml_feature_store", TONIGHT)].status == "complete"

        day = DATES[10]
        raw_fixture.serve(_correct(tables, day, "BBB00", 2))
        ex.run(Request(("nbac_gamebook_player_stats", "bdl_player_boxscores"), (day,), force=True),
               "correction")
        ex.refresh()
        st = ex.statuses()
        gaps = {(s.table, s.game_date): s for s in st.values() if s.is_gap}
        later = [d for d in DATES if d >= day]
        want = {("player_game_summary", day)} | {(t, d) for t in PLAYER_TABLES for d in later}
        assert set(gaps) == want
        assert gaps[("player_game_summary", day)].status == "stale"
        for key in want - {("player_game_summary", day)}:
            # the planner names the corrected partition as the cause (stale or held back)
            assert gaps[key].status in ("stale", "blocked")
            assert gaps[key].root_cause == ("player_game_summary", day)

        heal = ex.run(Request(names, season), "heal")
        assert heal.failed == 0 and heal.gate_failed == 0
        assert [s for s in ex.statuses().values() if s.is_gap] == []
        fs = ex.wh.execute(ex.wh.table("ml_feature_store"))
        bbb = [r for r in fs.to_pylist() if r["player_id"] == "BBB00" and r["game_date"] > day]
        assert bbb
    finally:
        rt.close()


# -- batching --------------------------------------------------------------------------------


def _fingerprints(root: Path, catalog: str, days: list[date], chunk: int) -> dict[str, dict[date, str]]:
    """Every table's per-date fingerprints after building `days` in successive requests of
    `chunk` days, oldest first (each request sees only the history built before it)."""
    rt = open_writer(Home(root), catalog)
    try:
        ex = rt.executor
        names = tuple(rt.catalog.names())
        for i in range(0, len(days), chunk):
            result = ex.run(Request(names, tuple(days[i : i + chunk])), f"chunk-{i}")
            assert result.failed == 0 and result.gate_failed == 0
        return {n: {d: f.fingerprint for d, f in ex.wh.facts(n).items()} for n in names}
    finally:
        rt.close()


def _assert_same(once: dict[str, dict[date, str]], chunked: dict[str, dict[date, str]]) -> None:
    assert once.keys() == chunked.keys()
    for name, fps in once.items():
        differ = sorted(d for d in fps.keys() | chunked[name].keys() if fps.get(d) != chunked[name].get(d))
        assert differ == [], (name, differ[:5])


def test_a_season_built_in_monthly_chunks_equals_one_built_at_once(tmp_path, monkeypatch):
    # Floats stored as computed, not rounded: equal fingerprints are then equal bits, so a
    # sum that depends on the order its rows arrive in cannot hide below the rounding.
    monkeypatch.setattr(duck, "_DECIMALS", None)
    raw_fixture.serve(League(7).season("2023-24").tables)
    catalog = "tests.resources.raw_fixture:build_catalog"
    days = [d for d in season_dates("2023-24") if d < date(2024, 1, 1)]
    once = _fingerprints(tmp_path / "once", catalog, days, len(days))
    chunked = _fingerprints(tmp_path / "chunked", catalog, days, 30)
    assert len(once["ml_feature_store"]) > 50  # windows and season averages span the chunks
    _assert_same(once, chunked)


@pytest.mark.slow
def test_the_demo_pipeline_built_in_monthly_chunks_equals_one_built_at_once(tmp_path, monkeypatch):
    # The real catalog on the simulated league, scrapes to exports: predictions retrain
    # at month starts, which the 30-day chunks straddle.
    for knob in ("FULLCOURT_SOURCE_URL", "FULLCOURT_REPLAY_DIR", "FULLCOURT_SIM_SEED"):
        monkeypatch.delenv(knob, raising=False)
    monkeypatch.setattr(duck, "_DECIMALS", None)
    catalog = "fullcourt.pipeline:build_catalog"
    days = [d for d in season_dates("2023-24") if d < date(2024, 2, 1)]
    once = _fingerprints(tmp_path / "once", catalog, days, len(days))
    chunked = _fingerprints(tmp_path / "chunked", catalog, days, 30)
    assert len(once["export_seasons"]) > 50
    _assert_same(once, chunked)
