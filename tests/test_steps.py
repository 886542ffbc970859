"""Each step kind's contract is checked when the catalog loads, naming the function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import ibis.expr.types as ir
import pyarrow as pa
import pytest

from fullcourt import errors
from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.spec import Input, Phase, Step, TableSpec
from fullcourt.pipeline import build_catalog

FEED = TableSpec("scrape.feed", Phase.SCRAPE, keys=())


def parse(body: bytes, game_date: date) -> pa.Table:
    return pa.table({"game_date": [game_date]})


def transform(inputs: Mapping[str, ir.Table], dates: Sequence[date]) -> ir.Table:
    return inputs["raw"]


def model(inputs, dates, ctx) -> ir.Table:
    return inputs["raw"]


def returns_arrow(inputs, dates) -> pa.Table:
    return pa.table({"game_date": list(dates)})


def catalog(*specs: TableSpec) -> Catalog:
    return Catalog([FEED, *specs], schedule=None)


def test_the_real_catalog_declares_its_parse_and_model_steps():
    cat, _ = build_catalog()
    kinds = {s.name: s.step for s in cat}
    assert {n for n, k in kinds.items() if k is Step.FETCH} == {n for n in kinds if n.startswith("scrape.")}
    assert {n for n, k in kinds.items() if k is Step.PARSE} == {s.name for s in cat if s.phase is Phase.RAW}
    assert kinds["player_prop_predictions"] is Step.MODEL
    assert cat.feed("nbac_schedule") == "scrape.nbac_schedule"
    assert cat.feed("player_game_summary") is None


def test_a_well_formed_catalog_of_every_kind_loads():
    cat = catalog(
        TableSpec("raw", Phase.RAW, ("game_id",), build=parse, inputs=(Input("scrape.feed"),), step=Step.PARSE),
        TableSpec("summary", Phase.ANALYTICS, ("game_id",), build=transform, inputs=(Input("raw"),)),
        TableSpec("pred", Phase.PREDICT, ("game_id",), build=model, inputs=(Input("raw", "all"),), step=Step.MODEL),
    )
    assert [s.step for s in cat] == [Step.FETCH, Step.PARSE, Step.TRANSFORM, Step.MODEL]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        # a parse function declared as a transform: two parameters fit, the return type does not
        (TableSpec("summary", Phase.ANALYTICS, ("game_id",), build=parse, inputs=(Input("scrape.feed"),)),
         "test_steps.parse returns Table, a transform step returns ibis Table"),
        (TableSpec("pred", Phase.PREDICT, ("game_id",), build=transform, inputs=(Input("scrape.feed"),),
                   step=Step.MODEL), "does not fit a model step, which calls build(inputs, dates, ctx)"),
        (TableSpec("raw", Phase.RAW, ("game_id",), build=model, inputs=(Input("scrape.feed"),), step=Step.PARSE),
         "does not fit a parse step, which calls build(body, game_date) -> pyarrow.Table"),
        (TableSpec("summary", Phase.ANALYTICS, ("game_id",), build=returns_arrow, inputs=(Input("scrape.feed"),)),
         "returns_arrow returns Table, a transform step returns ibis Table"),
        (TableSpec("raw", Phase.RAW, ("game_id",), build=parse, step=Step.PARSE),
         "a parse step reads exactly one fetched source"),
        (TableSpec("summary", Phase.ANALYTICS, ("game_id",), inputs=(Input("scrape.feed"),)),
         "table summary: no build function"),
        (TableSpec("early", Phase.SCRAPE, (), build=transform, step=Step.TRANSFORM),
         "phase 1 tables, and only they, are fetch steps"),
    ],
)
def test_a_build_that_breaks_its_contract_fails_when_the_catalog_loads(spec, words):
    with pytest.raises(errors.CatalogError) as caught:
        catalog(spec)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"table {spec.name}:")


def untyped(inputs, dates):  # no annotation: only the value it returns can be checked
    return {"not": "a table"}


def test_a_build_returning_the_wrong_kind_of_value_fails_its_partitions_naming_it(tmp_path):
    from dataclasses import replace

    from tests.resources import tiny_catalog as tiny

    from fullcourt.config import Home
    from fullcourt.engine.executor import Executor, Request
    from fullcourt.engine.holders import new_holder
    from fullcourt.engine.ledger import Ledger
    from fullcourt.warehouse.duck import Warehouse

    cat = Catalog([tiny.GAMES_SPEC, replace(tiny.SCORES_SPEC, build=untyped, gates=())], schedule="games")
    home = Home(tmp_path / "home").ensure()
    wh, ledger = Warehouse(home.warehouse_path), Ledger(home.ledger_path)
    try:
        ex = Executor(home, cat, wh, ledger, new_holder(), workers=1)
        days = tuple(tiny.FIRST + timedelta(days=i) for i in range(3))
        result = ex.execute("test", Request(("games", "scores"), days))
        st = result.statuses[("scores", days[0])]
        assert st.status == "failed"
        assert "test_steps.untyped returned dict, a transform step returns ibis Table" in st.reason
        assert result.statuses[("games", days[0])].status in ("complete", "no_data")
    finally:
        wh.close()
        ledger.close()
