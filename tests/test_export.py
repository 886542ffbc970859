"""Phase 6 exports, and phases 5 to 6 run by the real executor over a synthetic league."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import ibis
import jsonschema
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.resources import synthetic

from fullcourt.catalog.calendar import season_dates
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.config import Home
from fullcourt.engine.executor import Executor, Request
from fullcourt.engine.holders import new_holder
from fullcourt.engine.ledger import Ledger
from fullcourt.models import boosting
from fullcourt.processors.export import documents, export_dates, export_players, export_seasons
from fullcourt.processors.predict import player_prop_predictions, prediction_accuracy
from fullcourt.warehouse.duck import Warehouse

D1, D2 = date(2024, 1, 10), date(2024, 1, 12)


@pytest.fixture(autouse=True)
def quick_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boosting, "ROUNDS", 30)
    monkeypatch.setitem(boosting.PARAMS, "num_threads", 1)


def predictions() -> pa.Table:
    rows = [  # date, player, system, predicted, line, recommendation, price
        (D1, "A", "moving_average", 20.0, 22.5, "UNDER", -110.0),
        (D1, "A", "zone_matchup", 25.0, 22.5, "OVER", 120.0),
        (D2, "A", "moving_average", 21.0, 21.5, "PASS", None),
        (D2, "A", "zone_matchup", 18.0, 21.5, "UNDER", -110.0),
        (D2, "B", "moving_average", 9.0, 7.5, "OVER", -110.0),
        (D2, "B", "zone_matchup", 9.5, 7.5, "OVER", -110.0),
    ]
    n = len(rows)
    return pa.table(
        {
            "game_id": [f"G{r[0].day}" for r in rows],
            "player_id": [r[1] for r in rows],
            "game_date": [r[0] for r in rows],
            "season": ["2023-24"] * n,
            "season_type": ["regular"] * n,
            "team": ["T1"] * n,
            "opponent": ["T2"] * n,
            "system": [r[2] for r in rows],
            "predicted_points": [r[3] for r in rows],
            "line": [r[4] for r in rows],
            "recommendation": [r[5] for r in rows],
            "confidence": [0.6] * n,
            "price": pa.array([r[6] for r in rows], pa.float64()),
            "model_version": [f"{r[2]}-v" for r in rows],
            "train_start": [date(2023, 10, 1)] * n,
            "train_end": [date(2023, 12, 31)] * n,
            "reason": pa.array([None] * n, pa.string()),
            "over_probability": [0.6] * n,
            "recommended": [r[2] == "zone_matchup" for r in rows],
        }
    )


def context() -> pa.Table:
    """Who and when: the names, tip-offs and books the documents show."""
    return pa.table(
        {
            "game_id": ["G10", "G12", "G12"],
            "player_id": ["A", "A", "B"],
            "game_date": [D1, D2, D2],
            "player_name": ["Ann Archer", "Ann Archer", "Bo Baker"],
            "tipoff_utc": [datetime(2024, 1, 11, 0, 30), datetime(2024, 1, 13, 1, 0), datetime(2024, 1, 13, 1, 0)],
            "line_bookmaker": ["draftkings", "fanduel", None],
        }
    )


def validate(path: str, doc: dict) -> None:
    """The document matches the JSON Schema of its kind (the path's first folder)."""
    jsonschema.validate(doc, documents.schema(path.split("/")[0]), format_checker=jsonschema.FormatChecker())


def exported(module, dates: list[date], graded_dates: list[date]) -> dict[str, dict]:
    """Build an export from fixed predictions, with grades only for `graded_dates`."""
    con = ibis.duckdb.connect()
    preds = predictions()
    summary = pa.table(
        {
            "game_id": ["G10", "G12", "G12"],
            "player_id": ["A", "A", "B"],
            "game_date": [D1, D2, D2],
            "points": [27, 16, 7],
            "played": [True, True, True],
        }
    )
    con.create_table("player_prop_predictions", preds)
    con.create_table("player_game_summary", summary)
    con.create_table("upcoming_player_game_context", context())
    acc = prediction_accuracy.build(
        {n: con.table(n) for n in ("player_prop_predictions", "player_game_summary")}, graded_dates
    )
    con.create_table("prediction_accuracy", con.to_pyarrow(acc))
    inputs = {n: con.table(n) for n in ("player_prop_predictions", "prediction_accuracy", documents.CONTEXT)}
    out = con.to_pyarrow(module.build(inputs, dates))
    assert set(out.column_names) == {"game_date", "path", "payload"}
    paths = out.column("path").to_pylist()
    assert len(paths) == len(set(paths))
    docs = {p: json.loads(doc) for p, doc in zip(paths, out.column("payload").to_pylist(), strict=True)}
    for p, doc in docs.items():
        validate(p, doc)
    return docs


def test_date_documents_hold_predictions_and_results_once_graded():
    docs = exported(export_dates, [D1, D2], graded_dates=[D1])
    assert set(docs) == {"dates/2024-01-10.json", "dates/2024-01-12.json"}
    d1 = docs["dates/2024-01-10.json"]
    assert d1["game_date"] == "2024-01-10"
    (game,) = d1["predictions"]
    assert game["actual_points"] == 27 and game["line"] == 22.5
    assert (game["player_name"], game["bookmaker"]) == ("Ann Archer", "draftkings")
    assert game["tipoff_utc"] == "2024-01-11T00:30:00Z" and game["team"] == "T1" and game["opponent"] == "T2"
    assert game["recommended_system"] == "zone_matchup"
    assert [s["system"] for s in game["systems"] if s["recommended"]] == ["zone_matchup"]
    assert all(s["confidence"] == 0.6 and s["predicted_points"] is not None for s in game["systems"])
    zm = next(s for s in game["systems"] if s["system"] == "zone_matchup")
    assert zm["result"] == "WIN" and zm["profit"] == pytest.approx(1.2)
    card = {r["system"]: r for r in d1["results"]}
    assert card["moving_average"]["losses"] == 1 and card["moving_average"]["roi"] == -1.0
    d2 = docs["dates/2024-01-12.json"]  # predicted, not graded yet
    assert len(d2["predictions"]) == 2 and d2["results"] is None
    assert all(s["result"] is None for g in d2["predictions"] for s in g["systems"])


def test_a_document_that_drifts_from_its_schema_is_caught():
    docs = exported(export_dates, [D1], graded_dates=[D1])
    doc = docs["dates/2024-01-10.json"]
    del doc["predictions"][0]["player_name"]
    with pytest.raises(jsonschema.ValidationError, match="player_name"):
        validate("dates/2024-01-10.json", doc)
    doc = exported(export_dates, [D1], graded_dates=[D1])["dates/2024-01-10.json"]
    doc["predictions"][0]["systems"][0]["recommendation"] = "MAYBE"
    with pytest.raises(jsonschema.ValidationError, match="MAYBE"):
        validate("dates/2024-01-10.json", doc)


def test_player_documents_are_one_per_player_game():
    docs = exported(export_players, [D1, D2], graded_dates=[D1, D2])
    assert set(docs) == {
        "players/A/2024-01-10.json",
        "players/A/2024-01-12.json",
        "players/B/2024-01-12.json",
    }
    b = docs["players/B/2024-01-12.json"]
    assert b["actual_points"] == 7 and b["season"] == "2023-24"
    assert b["player_name"] == "Bo Baker" and b["bookmaker"] is None and b["tipoff_utc"] == "2024-01-13T01:00:00Z"
    assert [s["result"] for s in b["systems"]] == ["LOSS", "LOSS"]


def test_season_documents_accumulate_the_season_so_far():
    docs = exported(export_seasons, [D1, D2], graded_dates=[D1, D2])
    first = {s["system"]: s for s in docs["seasons/2023-24/2024-01-10.json"]["systems"]}
    later = docs["seasons/2023-24/2024-01-12.json"]
    assert later["graded_dates"] == 2 and later["first_date"] == "2024-01-10"
    so_far = {s["system"]: s for s in later["systems"]}
    assert first["zone_matchup"]["graded"] == 1 and so_far["zone_matchup"]["graded"] == 3
    # zone matchup: +1.2 (A, D1), UNDER 18 vs 21.5 with 16 -> win .909, OVER 9.5 vs 7.5 with 7 -> loss
    assert so_far["zone_matchup"]["profit"] == pytest.approx(1.2 + 100 / 110 - 1, abs=1e-3)
    assert so_far["zone_matchup"]["hit_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert later["season_types"][0]["season_type"] == "regular"


# -- the real executor ------------------------------------------------------------------


LEAGUE = synthetic.make_league(seasons=(2023,), teams=6, roster=8, game_days=20, seed=3)


def schedule() -> pa.Table:
    s = LEAGUE.summary.group_by(["game_id", "game_date", "season", "season_type"]).aggregate([])
    return s.append_column("status", pa.array(["final"] * s.num_rows))


def source(table: pa.Table):
    def build(inputs, dates):
        t = ibis.memtable(table)
        return t.filter(t.game_date.isin(list(dates)))

    return build


def build_catalog() -> Catalog:
    games = TableSpec("games", Phase.RAW, keys=("game_id",), build=source(schedule()), expectation=Expectation.ANY)
    summary = TableSpec(
        "player_game_summary", Phase.ANALYTICS, keys=("game_id", "player_id"),
        build=source(LEAGUE.summary), inputs=(Input("games", 0),),
    )
    store = TableSpec(
        "ml_feature_store", Phase.PRECOMPUTE, keys=("game_id", "player_id"),
        build=source(LEAGUE.feature_store), inputs=(Input("games", 0),),
    )
    fs = LEAGUE.feature_store
    who = pa.table(
        {
            "game_id": fs["game_id"],
            "player_id": fs["player_id"],
            "game_date": fs["game_date"],
            "player_name": pa.array([f"Player {p}" for p in fs["player_id"].to_pylist()]),
            "tipoff_utc": pc.cast(fs["game_date"], pa.timestamp("s")),
            "line_bookmaker": pa.array([None if x is None else "draftkings" for x in fs["line"].to_pylist()], pa.string()),
        }
    )
    context = TableSpec(
        documents.CONTEXT, Phase.ANALYTICS, keys=("game_id", "player_id"),
        build=source(who), inputs=(Input("games", 0),),
    )
    return Catalog(
        [
            games, summary, store, context, player_prop_predictions.SPEC, prediction_accuracy.SPEC,
            export_dates.SPEC, export_players.SPEC, export_seasons.SPEC,
        ],
        schedule="games",
    )


def test_the_executor_predicts_grades_and_exports_every_date(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    catalog = build_catalog()
    wh, ledger = Warehouse(home.warehouse_path), Ledger(home.ledger_path)
    try:
        # one worker: tables of a level built in threads race on the shared DuckDB connection
        ex = Executor(home, catalog, wh, ledger, new_holder(), workers=1)
        days = sorted(set(LEAGUE.summary.column("game_date").to_pylist()))
        season = tuple(season_dates("2023-24"))
        result = ex.execute("test", Request(tuple(catalog.names()), season))
        assert result.gaps(catalog.names(), season) == []
        statuses = Counter(
            s.status for (t, d), s in result.statuses.items() if t == "export_dates" and d in days
        )
        assert statuses == {"complete": len(days)}
        for d in days:
            doc = json.loads((home.exports / "dates" / f"{d}.json").read_text())
            assert doc["results"] and doc["predictions"]
        last = json.loads((home.exports / "seasons" / "2023-24" / f"{days[-1]}.json").read_text())
        assert last["graded_dates"] == len(days)
        written = sorted(home.exports.rglob("*.json"))
        assert {p.relative_to(home.exports).parts[0] for p in written} == set(documents.KINDS)
        for path in written:
            validate(path.relative_to(home.exports).as_posix(), json.loads(path.read_text()))
        players = list((home.exports / "players").glob("*/*.json"))
        preds = wh.execute(wh.table("player_prop_predictions"))
        assert len(players) == len(set(zip(preds["game_id"].to_pylist(), preds["player_id"].to_pylist(), strict=True)))
        first = preds.filter(pc.equal(preds["game_date"], days[0]))
        assert set(first.filter(pc.is_null(first["predicted_points"]))["system"].to_pylist()) == {
            "zone_matchup", "similarity", "gradient_boosting", "ensemble", "line_aware",
        }
        assert any((home.models).iterdir())
        again = ex.execute("test", Request(tuple(catalog.names()), season))
        assert again.written == 0
    finally:
        wh.close()
        ledger.close()
