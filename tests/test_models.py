"""Prediction systems: betting arithmetic, training, model files, the grade report."""

from __future__ import annotations

import json
import math
from datetime import date

import duckdb
import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.resources import synthetic

from fullcourt.catalog import features as catalog_features
from fullcourt.errors import ModelError
from fullcourt.models import betting, boosting, bundle, registry, report
from fullcourt.models.examples import check_store, from_arrow
from fullcourt.models.formulas import MovingAverage


@pytest.fixture(autouse=True)
def quick_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer, single-threaded boosting rounds: the same code path, a fraction of the time."""
    monkeypatch.setattr(boosting, "ROUNDS", 30)
    monkeypatch.setitem(boosting.PARAMS, "num_threads", 1)


@pytest.fixture(scope="module")
def league() -> synthetic.League:
    return synthetic.make_league(seasons=(2022,), teams=6, roster=8, game_days=30)


def labelled(lg: synthetic.League, before: date) -> pa.Table:
    con = duckdb.connect()
    con.register("fs", lg.feature_store)
    con.register("pgs", lg.summary)
    return con.sql(
        "SELECT fs.*, pgs.points::DOUBLE AS points FROM fs JOIN pgs USING (game_id, player_id) "
        "WHERE pgs.played AND fs.game_date < ? ORDER BY fs.game_date, fs.game_id, fs.player_id",
        params=[before],
    ).to_arrow_table()


CUTOFF = date(2022, 12, 1)


# -- betting ----------------------------------------------------------------------------


def test_payout_at_american_odds_and_missing_price_taken_at_minus_110():
    got = betting.payout(np.array([-110.0, 150.0, -200.0, 100.0, np.nan]))
    assert got == pytest.approx([100 / 110, 1.5, 0.5, 1.0, 100 / 110])


def test_profit_wins_losses_pushes_and_passes():
    rec = np.array(["OVER", "OVER", "UNDER", "UNDER", "OVER", "PASS"], dtype=object)
    actual = np.array([25.0, 20.0, 18.0, 30.0, 22.0, 40.0])
    line = np.array([22.5, 22.5, 22.5, 22.5, 22.0, 22.5])
    over = np.array([150.0, -110.0, -110.0, -110.0, -110.0, -110.0])
    under = np.array([-110.0, -110.0, -125.0, -110.0, -110.0, -110.0])
    p = betting.profit(rec, actual, line, over, under)
    assert p[:5] == pytest.approx([1.5, -1.0, 0.8, -1.0, 0.0])  # win at +150, loss, win at -125, loss, push
    assert math.isnan(p[5])
    bets = ~np.isnan(p)
    assert np.nansum(p) / bets.sum() == pytest.approx((1.5 - 1 + 0.8 - 1 + 0) / 5)  # ROI


def test_recommend_respects_threshold_and_says_no_line_without_one():
    rec = betting.recommend(
        np.array([25.0, 20.0, 22.0, 30.0, np.nan]), np.array([23.0, 22.0, 22.5, np.nan, 20.5]), 1.5
    )
    assert rec.tolist() == ["OVER", "UNDER", "PASS", "NO_LINE", "PASS"]


def test_over_probability_is_half_on_the_line_and_follows_the_edge():
    over = betting.over_probability(np.array([20.0, 24.0, 16.0, 20.0]), np.array([20.0, 20.0, 20.0, np.nan]), 4.0)
    assert over[0] == pytest.approx(0.5)
    assert over[1] == pytest.approx(0.8413, abs=1e-4) and over[2] == pytest.approx(1 - over[1])
    assert math.isnan(over[3])


def test_the_over_probability_learns_from_the_holdout_how_little_an_edge_is_worth():
    rng = np.random.default_rng(4)
    n = 4000
    line = rng.normal(15, 5, n).round() + 0.5
    truth = line + rng.normal(0, 0.5, n)  # the market is nearly right
    pred = truth + rng.normal(0, 3, n)  # the model is noisy: its edges are mostly noise
    actual = truth + rng.normal(0, 5, n)
    ex = from_arrow_like(pred, actual, line)
    cal = bundle._calibrate(pred, ex)
    assert cal.over_intercept is not None and cal.over_slope is not None
    raw = betting.over_probability(pred, line, cal.spread(pred))
    fitted = cal.over(pred, line)
    went_over = (actual > line).astype(float)
    brier = lambda p: float(np.mean((p - went_over) ** 2))  # noqa: E731
    assert brier(fitted) < brier(raw)
    assert np.ptp(fitted) < np.ptp(raw)  # pulled towards a coin flip


def from_arrow_like(pred: np.ndarray, actual: np.ndarray, line: np.ndarray):
    """Holdout examples with only the columns calibration reads."""
    from fullcourt.models.examples import Examples

    n = len(pred)
    return Examples(
        features=(), X=np.empty((n, 0)), line=line, over_price=np.full(n, -110.0),
        under_price=np.full(n, -110.0), game_date=np.full(n, np.datetime64("2024-01-01")), y=actual,
    )


def test_confidence_is_half_on_the_line_and_grows_with_the_edge():
    conf = betting.confidence(np.array([20.0, 23.0, 30.0, 20.0]), np.array([20.0, 20.0, 20.0, np.nan]), 5.0)
    assert conf[0] == pytest.approx(0.5)
    assert 0.5 < conf[1] < conf[2] < 1.0
    assert math.isnan(conf[3])


# -- training and model files -----------------------------------------------------------


def test_training_is_deterministic_and_reused_from_disk(league, tmp_path):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    target = from_arrow(league.feature_store.filter(pa.compute.greater_equal(league.feature_store["game_date"], pa.scalar(CUTOFF))))
    a = registry.obtain(tmp_path / "a", ex, CUTOFF, "v1")
    b = registry.obtain(tmp_path / "b", ex, CUTOFF, "v1")
    assert a.versions == b.versions and set(a.versions) == set(bundle.SYSTEMS)
    pa_, pb = a.predict(target), b.predict(target)
    for name in bundle.SYSTEMS:
        np.testing.assert_array_equal(pa_[name], pb[name])
        assert not np.isnan(pa_[name]).any()
    again = registry.obtain(tmp_path / "a", ex, CUTOFF, "v1")
    assert again.versions == a.versions
    assert len(list((tmp_path / "a").iterdir())) == 1  # reused, not retrained
    meta = json.loads(next((tmp_path / "a").iterdir()).joinpath(registry.METADATA).read_text())
    assert meta["features"] == list(catalog_features.FEATURES)
    assert meta["train_end"] < CUTOFF.isoformat() and meta["rows"] == len(ex)
    assert meta["systems"]["gradient_boosting"]["metrics"]["holdout_mae"] > 0


def test_training_refuses_rows_on_or_after_the_cutoff(league):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    with pytest.raises(ValueError, match="cutoff"):
        bundle.train(ex, date(2022, 11, 1), "fp", "v1")


def test_without_training_rows_only_the_moving_average_predicts(league, tmp_path):
    empty = from_arrow(labelled(league, date(2022, 10, 1)), label="points")
    assert len(empty) == 0
    b = registry.obtain(tmp_path, empty, date(2022, 10, 1), "v1")
    assert set(b.versions) == {"moving_average"}
    assert "moving average only" in b.reason
    preds = b.predict(from_arrow(league.feature_store))
    assert not np.isnan(preds["moving_average"]).any()
    assert all(np.isnan(preds[s]).all() for s in bundle.SYSTEMS if s != "moving_average")


def files_of(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_cutoffs_trained_together_match_one_at_a_time_whatever_the_threads(league, tmp_path):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    cutoffs = [date(2022, 11, 1), CUTOFF]
    one = registry.obtain_many(tmp_path / "one", ex, cutoffs, "v1", workers=1)
    two = registry.obtain_many(tmp_path / "two", ex, cutoffs, "v1", workers=2)
    for c in cutoffs:
        alone = registry.obtain(tmp_path / "alone", ex.subset(ex.game_date < np.datetime64(c)), c, "v1")
        assert one[c].versions == two[c].versions == alone.versions
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two") == files_of(tmp_path / "alone")
    assert len(list((tmp_path / "one").iterdir())) == 2  # one folder per cutoff asked for


def test_the_holdout_is_predicted_by_the_earlier_months_models(league, tmp_path):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    nov = date(2022, 11, 1)
    got = registry.obtain_many(tmp_path, ex, [nov, CUTOFF], "v1")
    # October has no games before it, so December is calibrated on November alone ...
    assert bundle.holdout_months(ex, CUTOFF) == [np.datetime64(nov, "D")]
    # ... as predicted by November's own models, which never saw a November game
    hold = ex.subset(bundle.holdout_rows(ex, np.datetime64(nov, "D")))
    assert hold.game_date.min() >= np.datetime64(nov) and len(hold) >= bundle.MIN_TRAIN_ROWS
    gb = got[nov].predict(hold)["gradient_boosting"]
    cal = got[CUTOFF].calibration["gradient_boosting"]
    assert cal.holdout_rows == len(hold)
    assert cal.holdout_mae == pytest.approx(float(np.mean(np.abs(hold.y - gb))), abs=1e-6)
    # a cutoff inside a month never calibrates on that month's first half
    assert bundle.holdout_months(ex.subset(ex.game_date < np.datetime64("2022-11-10")), date(2022, 11, 10)) == []


def test_changed_training_settings_never_reuse_an_old_model(league, tmp_path, monkeypatch):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    first = registry.obtain(tmp_path, ex, CUTOFF, "v1")
    monkeypatch.setattr(boosting, "ROUNDS", 20)
    second = registry.obtain(tmp_path, ex, CUTOFF, "v1")
    assert len(list(tmp_path.iterdir())) == 2
    assert second.versions["gradient_boosting"] != first.versions["gradient_boosting"]
    assert second.versions["moving_average"] == first.versions["moving_average"]


def test_a_model_with_a_different_feature_list_is_refused(league, tmp_path):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    b = registry.obtain(tmp_path, ex, CUTOFF, "v1")
    path = registry.folder(tmp_path, CUTOFF, "v1", b.fingerprint)
    reordered = tuple(reversed(catalog_features.FEATURES))
    with pytest.raises(ModelError, match="reordered"):
        registry.load(path, reordered)
    with pytest.raises(ModelError, match="retrain"):
        MovingAverage(catalog_features.FEATURES[:-1]).predict(ex)


def test_a_missing_model_file_is_an_error_naming_it(league, tmp_path):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    b = registry.obtain(tmp_path, ex, CUTOFF, "v1")
    path = registry.folder(tmp_path, CUTOFF, "v1", b.fingerprint)
    (path / "gradient_boosting.txt").unlink()
    with pytest.raises(ModelError, match="gradient_boosting.txt is missing"):
        registry.obtain(tmp_path, ex, CUTOFF, "v1")


def test_a_store_of_another_feature_version_is_refused(league):
    fs = league.feature_store
    old = fs.set_column(fs.schema.get_field_index("feature_version"), "feature_version", pa.array(["v0"] * fs.num_rows))
    with pytest.raises(ModelError, match="feature version v0"):
        check_store(old)
    with pytest.raises(ModelError, match="lacks 1 model features"):
        check_store(fs.drop_columns(["usage_factor"]))


# -- grade report -----------------------------------------------------------------------


def accuracy_rows() -> pa.Table:
    # three player-games: G1 actual 20 (line 18.5), G2 actual 10 (line 10.0: a push for
    # any bet), G3 actual 8 without a line by a player with only two earlier games
    rows = [
        # system, game, predicted, recommendation, result, profit, over-probability
        ("moving_average", "G1", 17.0, "UNDER", "LOSS", -1.0, 0.4),
        ("moving_average", "G2", 14.0, "OVER", "PUSH", 0.0, 0.8),
        ("moving_average", "G3", 6.0, "NO_LINE", "NO_BET", None, None),
        ("gradient_boosting", "G1", 21.0, "OVER", "WIN", 1.5, 0.7),
        ("gradient_boosting", "G2", 10.5, "PASS", "NO_BET", None, 0.52),
        ("gradient_boosting", "G3", 9.0, "NO_LINE", "NO_BET", None, None),
    ]
    actual = {"G1": 20.0, "G2": 10.0, "G3": 8.0}
    line = {"G1": 18.5, "G2": 10.0, "G3": None}
    day = {"G1": date(2024, 11, 2), "G2": date(2024, 12, 3), "G3": date(2024, 12, 3)}
    return pa.table(
        {
            "game_id": [r[1] for r in rows],
            "player_id": ["P2" if r[1] == "G3" else "P1" for r in rows],
            "game_date": [day[r[1]] for r in rows],
            "season": ["2024-25"] * len(rows),
            "season_type": ["regular"] * len(rows),
            "system": [r[0] for r in rows],
            "predicted_points": [r[2] for r in rows],
            "line": pa.array([line[r[1]] for r in rows], pa.float64()),
            "recommendation": [r[3] for r in rows],
            "over_probability": pa.array([r[6] for r in rows], pa.float64()),
            "result": [r[4] for r in rows],
            "profit": pa.array([r[5] for r in rows], pa.float64()),
            "actual_points": [actual[r[1]] for r in rows],
            "abs_error": [abs(r[2] - actual[r[1]]) for r in rows],
            "line_error": pa.array(
                [None if line[r[1]] is None else abs(line[r[1]] - actual[r[1]]) for r in rows], pa.float64()
            ),
        }
    )


def store_rows() -> pa.Table:
    """Earlier games this season and season-to-date average of the three player-games."""
    return pa.table(
        {
            "game_id": ["G1", "G2", "G3"],
            "player_id": ["P1", "P1", "P2"],
            "games_played_season": [9, 14, 2],
            "pts_avg_season": [18.0, 13.0, 4.0],
        }
    )


def graded_tables() -> tuple[ibis.BaseBackend, dict]:
    con = ibis.duckdb.connect()
    con.create_table("prediction_accuracy", accuracy_rows())
    con.create_table("ml_feature_store", store_rows())
    return con, {n: con.table(n) for n in ("prediction_accuracy", "ml_feature_store")}


def test_grade_report_all_and_lined_populations():
    con, tables = graded_tables()
    oracle = pa.table({"game_id": ["G1", "G2"], "player_id": ["P1", "P1"], "expected_points": [19.0, 11.0]})
    r = report.grade_report(con.to_pyarrow, tables, "2024-25", oracle)
    every, lined = r["all"], r["lined"]
    # G3's player has two earlier games: below the default five, so left out of both
    assert r["min_prior_games"] == 5 and every["player_games"] == 2 and lined["player_games"] == 2
    assert [s["system"] for s in every["systems"]] == ["gradient_boosting", "moving_average"]  # by MAE
    gb, ma = every["systems"]
    assert gb["mae"] == pytest.approx(0.75) and ma["mae"] == pytest.approx(3.5)
    assert every["baseline_mae"] == pytest.approx(2.5)  # |18-20| and |13-10|
    assert every["oracle_mae"] == pytest.approx(1.0) and every["best"] == "gradient_boosting"
    lgb, lma = lined["systems"]
    assert lgb["bets"] == 1 and lgb["hit_rate"] == 1.0 and lgb["roi"] == 1.5
    assert lma["bets"] == 2 and lma["hit_rate"] == 0.0 and lma["roi"] == pytest.approx(-0.5)
    assert lined["line_mae"] == pytest.approx(0.75)  # each player-game counted once
    # the push (G2) is neither over nor under: only G1 (went over) is scored
    assert lgb["brier"] == pytest.approx(0.09) and lma["brier"] == pytest.approx(0.36)
    assert lgb["reliability"] == [{"bin": "0.7-0.8", "n": 1, "mean_probability": 0.7, "observed_over": 1.0}]
    months = {m["month"]: m for m in every["months"]}
    assert set(months) == {"2024-11", "2024-12"} and months["2024-12"]["player_games"] == 1
    assert [e["season_type"] for e in every["season_types"]] == ["regular"]
    json.dumps(r)
    text = report.render(r)
    assert "season-to-date avg" in text and "closing line" in text and "oracle" in text and "Brier" in text


def test_grade_report_min_prior_games_widens_the_all_population_only_by_line_free_games():
    con, tables = graded_tables()
    r = report.grade_report(con.to_pyarrow, tables, "2024-25", None, min_prior_games=0)
    assert r["all"]["player_games"] == 3 and r["lined"]["player_games"] == 2
    ma = next(s for s in r["all"]["systems"] if s["system"] == "moving_average")
    assert ma["mae"] == pytest.approx((3 + 4 + 2) / 3)
    assert r["all"]["oracle_mae"] is None and "oracle" not in report.render(r)


def test_grade_report_of_a_season_without_grades():
    con, tables = graded_tables()
    none = report.grade_report(con.to_pyarrow, tables, "2019-20", None)
    assert none["all"]["systems"] == [] and none["all"]["oracle_mae"] is None
    assert none["lined"]["line_mae"] is None
    assert "no graded predictions" in report.render(none)


def test_a_blend_weighs_the_line_at_half_until_lined_games_say_otherwise():
    from fullcourt.models.ensemble import PRIOR_LINE_WEIGHT, Ensemble

    rng = np.random.default_rng(3)
    truth = rng.normal(15, 4, 3000)
    base = truth[:, None] + rng.normal(0, 4, size=(3000, 2))  # two poor systems
    y = truth + rng.normal(0, 1, 3000)
    sharp = truth + rng.normal(0, 0.5, 3000)  # a line far better than either
    plain = Ensemble("ensemble", ("a", "b"), False)
    plain.fit(base, sharp, y)
    never = Ensemble("line_aware", ("a", "b"), True)
    never.fit(base, np.full(3000, np.nan), y)  # lines appear only at prediction time
    assert never.line == PRIOR_LINE_WEIGHT
    mixed = 0.5 * plain.predict(base, sharp) + 0.5 * sharp
    assert np.allclose(never.predict(base, sharp), np.maximum(mixed, 0.0))
    few, many = Ensemble("line_aware", ("a", "b"), True), Ensemble("line_aware", ("a", "b"), True)
    few.fit(base[:20], sharp[:20], y[:20])
    many.fit(base, sharp, y)
    assert PRIOR_LINE_WEIGHT < few.line < many.line and many.line > 0.9
    mae = lambda p: np.mean(np.abs(p - y))  # noqa: E731
    assert mae(many.predict(base, sharp)) < min(mae(plain.predict(base, sharp)), mae(sharp))
    assert np.allclose(many.predict(base, np.full(3000, np.nan)), plain.predict(base, sharp))


def test_blend_weights_minimise_absolute_error_on_skewed_points():
    from fullcourt.models.ensemble import lad, nnls

    rng = np.random.default_rng(5)
    forecast = rng.uniform(5, 25, 4000)
    y = forecast + rng.exponential(4.0, 4000) - 4.0 * np.log(2)  # median on the forecast, mean above
    A = np.column_stack([forecast, np.ones(4000)])
    mae = lambda c: np.mean(np.abs(y - A @ c))  # noqa: E731
    ls, l1 = nnls(A, y, free=(1,)), lad(A, y, free=(1,))
    assert l1[0] >= 0 and mae(l1) < mae(ls) - 0.05
    assert l1 == pytest.approx([1.0, 0.0], abs=0.15)


def test_the_line_weight_minimises_absolute_error_not_squared():
    from fullcourt.models.ensemble import PRIOR_LINED, line_weight

    n = 100_000
    forecast = np.zeros(n)
    line = np.ones(n)
    y = np.where(np.arange(n) % 10 < 7, 1.0, -20.0)  # mostly at the line, a few far below
    w, rows = line_weight(forecast, line, y)
    fitted = (w * (rows + PRIOR_LINED) - PRIOR_LINED * 0.5) / rows
    assert rows == n and fitted == pytest.approx(1.0)  # least squares would say -5.3 -> 0


def test_a_later_cutoff_calibrates_on_an_earlier_bundle_already_saved(league, tmp_path):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    nov = date(2022, 11, 1)
    first = registry.obtain_many(tmp_path, ex, [nov], "v1")  # November saved on its own
    later = registry.obtain_many(tmp_path, ex, [nov, CUTOFF], "v1")  # December's holdout reads it
    fresh = registry.obtain_many(tmp_path / "fresh", ex, [nov, CUTOFF], "v1")
    assert later[nov].versions == first[nov].versions
    assert later[CUTOFF].versions == fresh[CUTOFF].versions


def test_a_frozen_model_predicts_a_whole_later_season_from_what_it_knew_then(tmp_path):
    from fullcourt.models import evaluation

    lg = synthetic.make_league(seasons=(2022, 2023), teams=6, roster=8, game_days=30, seed=5)
    con = ibis.duckdb.connect()
    con.create_table("ml_feature_store", lg.feature_store)
    con.create_table("player_game_summary", lg.summary)
    inputs = {n: con.table(n) for n in ("ml_feature_store", "player_game_summary")}
    through = date(2023, 6, 30)
    f = evaluation.frozen(con.to_pyarrow, inputs, "2023-24", through, min_prior_games=5)
    labelled = lg.summary.filter((pc.field("played")) & (pc.field("game_date") <= pa.scalar(through)))
    assert f["train_rows"] == labelled.num_rows and f["train_through"] == "2023-06-30"
    fs = lg.feature_store
    season = fs.filter(pc.and_(pc.equal(fs["season"], "2023-24"), pc.greater_equal(fs["games_played_season"], 5)))
    played = lg.summary.filter(pc.field("played"))
    keys = set(zip(played["game_id"].to_pylist(), played["player_id"].to_pylist(), strict=True))
    expected = sum((g, p) in keys for g, p in zip(season["game_id"].to_pylist(), season["player_id"].to_pylist(), strict=True))
    assert f["player_games"] == expected > 0
    by = {s["system"]: s for s in f["systems"]}
    assert set(by) == set(bundle.SYSTEMS)
    assert all(s["mae"] is not None and s["lined_mae"] is not None for s in f["systems"])
    assert by["gradient_boosting"]["bets"] > 0 and 0 <= by["gradient_boosting"]["hit_rate"] <= 1
    assert f["lined_player_games"] < f["player_games"] and f["line_mae"] is not None
    # the freeze date is what the model knows: a later one trains on more and predicts differently
    later = evaluation.frozen(con.to_pyarrow, inputs, "2023-24", date(2023, 11, 30), min_prior_games=5)
    assert later["train_rows"] > f["train_rows"]
    assert later["systems"] != f["systems"]
    assert not any(tmp_path.iterdir())  # nothing is left behind


def test_a_feature_the_source_never_provides_trains_similarity_without_a_warning():
    import warnings

    from fullcourt.catalog.features import FEATURES
    from fullcourt.models.examples import Examples
    from fullcourt.models.similarity import Similarity

    rng = np.random.default_rng(2)
    n = 400
    X = rng.normal(10, 3, size=(n, len(FEATURES)))
    X[:, FEATURES.index("opp_zone_matchup_factor")] = np.nan  # no play-by-play: zones unknown
    nan = np.full(n, np.nan)
    days = np.datetime64("2024-01-01") + np.arange(n).astype("timedelta64[D]")
    ex = Examples(FEATURES, X, nan, nan, nan, days, y=rng.normal(12, 5, n))
    s = Similarity(FEATURES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.fit(ex)
        pred = s.predict(ex)
    assert np.isfinite(pred).all()


def test_bundles_made_by_other_training_code_are_not_loaded(league, tmp_path, monkeypatch):
    ex = from_arrow(labelled(league, CUTOFF), label="points")
    first = registry.obtain(tmp_path, ex, CUTOFF, "v1")
    again = registry.obtain(tmp_path, ex, CUTOFF, "v1")
    assert again.versions == first.versions and len(list(tmp_path.iterdir())) == 1
    registry.training_code.cache_clear()
    monkeypatch.setattr(registry.codehash, "modules_of", lambda name: {"fullcourt.models.ensemble": "edited"})
    registry.obtain(tmp_path, ex, CUTOFF, "v1")  # the blend's code changed: trained anew
    assert len(list(tmp_path.iterdir())) == 2
    registry.training_code.cache_clear()
