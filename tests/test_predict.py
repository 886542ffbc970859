"""Phases 5 and 5B: walk-forward predictions without leakage, and their grading."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.resources import synthetic

from fullcourt.catalog import features as catalog_features
from fullcourt.catalog.context import BuildContext
from fullcourt.errors import ModelError
from fullcourt.models import boosting, bundle, report
from fullcourt.processors.predict import player_prop_predictions as ppp
from fullcourt.processors.predict import prediction_accuracy as accuracy

STORE, SUMMARY = "ml_feature_store", "player_game_summary"


@pytest.fixture(autouse=True)
def quick_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boosting, "ROUNDS", 30)
    monkeypatch.setitem(boosting.PARAMS, "num_threads", 1)


@pytest.fixture(scope="module")
def league() -> synthetic.League:
    return synthetic.make_league(seasons=(2022, 2023), teams=6, roster=8, game_days=24)


def dates_of(t: pa.Table, season: str | None = None) -> list[date]:
    if season is not None:
        t = t.filter(pc.equal(t["season"], season))
    return sorted(set(t.column("game_date").to_pylist()))


class Warehouse:
    """Input tables in an in-memory DuckDB, and the context a processor is given."""

    def __init__(self, home: Path, store: pa.Table, summary: pa.Table):
        self.con = ibis.duckdb.connect()
        self.con.create_table(STORE, store)
        self.con.create_table(SUMMARY, summary)
        self.ctx = BuildContext(home=home, execute=self.con.to_pyarrow)

    def predict(self, dates: list[date]) -> pa.Table:
        inputs = {n: self.con.table(n) for n in (STORE, SUMMARY)}
        return self.con.to_pyarrow(ppp.build(inputs, dates, self.ctx))


def replace(t: pa.Table, name: str, values) -> pa.Table:
    typ = t.schema.field(name).type
    return t.set_column(t.schema.get_field_index(name), name, pa.array(values, typ, from_pandas=True))


def corrupt_from(lg: synthetic.League, d: date, seed: int = 1) -> tuple[pa.Table, pa.Table]:
    """Shuffle every feature, line and price after `d`, and every result from `d` on."""
    rng = np.random.default_rng(seed)
    fs, pgs = lg.feature_store, lg.summary
    after = pc.greater(fs["game_date"], pa.scalar(d)).to_numpy(zero_copy_only=False)
    for name in (*catalog_features.FEATURES, "line", "over_price", "under_price"):
        v = fs.column(name).to_numpy(zero_copy_only=False).astype(float)
        v[after] = rng.permutation(v[after]) * 1.7 + 3
        fs = replace(fs, name, v)
    later = pc.greater_equal(pgs["game_date"], pa.scalar(d)).to_numpy(zero_copy_only=False)
    pts = pgs.column("points").to_numpy(zero_copy_only=False).astype(float)
    pts[later] = rng.integers(0, 60, int(later.sum()))
    pgs = replace(pgs, "points", [None if np.isnan(x) else int(x) for x in pts])
    return fs, pgs


def test_predictions_for_a_date_ignore_everything_from_that_date_on(league, tmp_path):
    d = dates_of(league.feature_store, "2023-24")[14]
    clean = Warehouse(tmp_path / "clean", league.feature_store, league.summary).predict([d])
    fs, pgs = corrupt_from(league, d)
    dirty = Warehouse(tmp_path / "dirty", fs, pgs).predict([d])
    assert clean.num_rows > 0
    assert clean.equals(dirty)
    # the test can fail: corrupting results before the date's cutoff changes predictions
    early = dates_of(league.feature_store, "2023-24")[0]
    fs2, pgs2 = corrupt_from(league, early)
    moved = Warehouse(tmp_path / "moved", league.feature_store, pgs2).predict([d])
    assert not moved.equals(clean)


def test_a_rebuild_is_identical_and_reuses_the_model_files(league, tmp_path):
    wh = Warehouse(tmp_path, league.feature_store, league.summary)
    days = dates_of(league.feature_store, "2023-24")[10:13]
    first = wh.predict(days)
    files = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert first.equals(wh.predict(days))
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == files
    assert first.schema.names[:8] == [
        "game_id", "player_id", "game_date", "season", "season_type", "team", "opponent", "system",
    ]
    assert set(first.column("system").to_pylist()) == set(bundle.SYSTEMS)
    row = first.filter(pc.equal(first["system"], "gradient_boosting")).slice(0, 1).to_pylist()[0]
    assert row["train_end"] < date(row["game_date"].year, row["game_date"].month, 1)
    assert row["model_version"].startswith("gradient_boosting-")
    bets = first.filter(pc.is_in(first["recommendation"], pa.array(["OVER", "UNDER"])))
    assert bets.num_rows > 0 and pc.all(pc.is_valid(bets["price"])).as_py()
    # every expected player is predicted, line or not; NO_LINE exactly where none
    store = league.feature_store.filter(pc.is_in(league.feature_store["game_date"], pa.array(days)))
    assert first.num_rows == store.num_rows * len(bundle.SYSTEMS)
    no_line = pc.is_null(first["line"])
    assert 0 < pc.sum(no_line).as_py() < first.num_rows
    assert first.filter(no_line).column("recommendation").unique().to_pylist() == ["NO_LINE"]
    assert "NO_LINE" not in first.filter(pc.invert(no_line)).column("recommendation").to_pylist()
    # one system is recommended per player-game, the same for the whole date
    flagged = first.filter(first["recommended"])
    assert flagged.num_rows == store.num_rows and len(flagged.column("system").unique()) == 1
    lined = first.filter(pc.and_(pc.invert(no_line), pc.is_valid(first["predicted_points"])))
    over = lined["over_probability"].to_numpy()
    edge = lined["predicted_points"].to_numpy() - lined["line"].to_numpy()
    assert over[edge > 2].mean() > 0.5 > over[edge < -2].mean()  # further over the line, likelier over
    conf = lined["confidence"].to_numpy()
    assert np.allclose(conf, np.where(edge >= 0, over, 1 - over), atol=1e-4)


def test_first_dates_get_the_moving_average_and_a_reason_for_the_rest(league, tmp_path):
    first = dates_of(league.feature_store, "2022-23")[0]
    out = Warehouse(tmp_path, league.feature_store, league.summary).predict([first])
    ma = out.filter(pc.equal(out["system"], "moving_average"))
    rest = out.filter(pc.not_equal(out["system"], "moving_average"))
    assert ma.num_rows > 0 and ma["predicted_points"].null_count == 0
    assert rest["predicted_points"].null_count == rest.num_rows
    lined = pc.is_valid(rest["line"])
    assert set(rest.filter(lined).column("recommendation").to_pylist()) == {"PASS"}
    assert set(rest.filter(pc.invert(lined)).column("recommendation").to_pylist()) == {"NO_LINE"}
    assert all("labelled player-games before 2022-10-01" in r for r in rest.column("reason").to_pylist())


def test_a_date_without_lines_is_still_predicted_with_no_bet(league, tmp_path):
    d = dates_of(league.feature_store)[5]
    fs = league.feature_store
    on_d = pc.equal(fs["game_date"], pa.scalar(d)).to_numpy(zero_copy_only=False)
    line = fs.column("line").to_numpy(zero_copy_only=False).copy()
    line[on_d] = np.nan
    out = Warehouse(tmp_path, replace(fs, "line", line), league.summary).predict([d])
    assert out.num_rows == int(on_d.sum()) * len(bundle.SYSTEMS)
    assert set(out.column("recommendation").to_pylist()) == {"NO_LINE"}
    assert out["confidence"].null_count == out.num_rows and out["price"].null_count == out.num_rows
    ma = out.filter(pc.equal(out["system"], "moving_average"))
    assert ma["predicted_points"].null_count == 0


def test_a_date_without_expected_players_yields_no_rows(league, tmp_path):
    d = dates_of(league.feature_store)[5]
    fs = league.feature_store.filter(pc.not_equal(league.feature_store["game_date"], pa.scalar(d)))
    out = Warehouse(tmp_path, fs, league.summary).predict([d])
    assert out.num_rows == 0
    assert "predicted_points" in out.schema.names
    assert not (tmp_path / "models").exists()  # nothing to predict, nothing trained


def test_a_store_missing_a_feature_fails_with_a_model_error(league, tmp_path):
    d = dates_of(league.feature_store)[5]
    wh = Warehouse(tmp_path, league.feature_store.drop_columns(["pace_factor"]), league.summary)
    with pytest.raises(ModelError, match="pace_factor") as err:
        wh.predict([d])
    assert err.value.table == "player_prop_predictions" and err.value.dates == (d,)


# -- grading ------------------------------------------------------------------------------


def graded(preds: pa.Table, summary: pa.Table, dates: list[date]) -> pa.Table:
    con = ibis.duckdb.connect()
    con.create_table("player_prop_predictions", preds)
    con.create_table(SUMMARY, summary)
    inputs = {n: con.table(n) for n in ("player_prop_predictions", SUMMARY)}
    return con.to_pyarrow(accuracy.build(inputs, dates).order_by(["player_id", "system"]))


def test_grading_wins_losses_pushes_passes_and_voids():
    d = date(2024, 1, 10)
    n = 5
    preds = pa.table(
        {
            "game_id": ["G1"] * n,
            "player_id": ["A", "B", "C", "D", "E"],
            "game_date": [d] * n,
            "season": ["2023-24"] * n,
            "season_type": ["regular"] * n,
            "team": ["T1"] * n,
            "opponent": ["T2"] * n,
            "system": ["zone_matchup"] * n,
            "predicted_points": [25.0, 15.0, 30.0, 20.0, 20.0],
            "line": [22.5, 18.5, 20.0, 20.5, 20.5],
            "recommendation": ["OVER", "UNDER", "OVER", "PASS", "OVER"],
            "confidence": [0.6] * n,
            "price": pa.array([150.0, None, -120.0, None, -110.0], pa.float64()),
            "model_version": ["zone_matchup-x"] * n,
            "train_start": [date(2023, 10, 1)] * n,
            "train_end": [date(2023, 12, 31)] * n,
            "reason": pa.array([None] * n, pa.string()),
            "over_probability": [0.6] * n,
            "recommended": [True] * n,
        }
    )
    summary = pa.table(
        {
            "game_id": ["G1"] * n,
            "player_id": ["A", "B", "C", "D", "E"],
            "game_date": [d] * n,
            "points": pa.array([26, 21, 20, 12, None], pa.int64()),
            "played": [True, True, True, True, False],
        }
    )
    out = graded(preds, summary, [d])
    rows = {r["player_id"]: r for r in out.to_pylist()}
    assert set(rows) == {"A", "B", "C", "D"}  # E did not play: the bet is void, nothing graded
    assert (rows["A"]["result"], rows["A"]["profit"]) == ("WIN", pytest.approx(1.5))
    assert (rows["B"]["result"], rows["B"]["profit"]) == ("LOSS", -1.0)
    assert (rows["C"]["result"], rows["C"]["profit"]) == ("PUSH", 0.0)
    assert (rows["D"]["result"], rows["D"]["profit"]) == ("NO_BET", None)
    assert rows["A"]["abs_error"] == 1.0 and rows["D"]["abs_error"] == 8.0
    assert rows["B"]["line_error"] == pytest.approx(2.5)


def test_end_to_end_the_best_system_beats_the_moving_average(tmp_path):
    lg = synthetic.make_league(seasons=(2022, 2023), teams=8, roster=9, game_days=40, seed=11)
    days = dates_of(lg.feature_store, "2023-24")
    preds = Warehouse(tmp_path, lg.feature_store, lg.summary).predict(days)
    acc = graded(preds, lg.summary, days)
    con = ibis.duckdb.connect()
    con.create_table("prediction_accuracy", acc)
    r = report.grade_report(con.to_pyarrow, {"prediction_accuracy": con.table("prediction_accuracy")}, "2023-24", lg.oracle)
    best = r["systems"][0]
    assert best["system"] != "moving_average"
    assert best["mae"] < r["baseline_mae"]
    assert r["oracle_mae"] < best["mae"]
    assert best["bets"] >= 500 and best["hit_rate"] > 0.524
    models = [s for s in r["systems"] if s["system"] not in ("moving_average", "line_aware")]
    assert min(s["mae"] for s in models) < r["baseline_mae"]  # a model, not just the market
