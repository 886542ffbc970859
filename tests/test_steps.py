"""Each step kind's contract is checked when the catalog loads, naming the function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import ibis
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


def test_a_build_returning_the_wrong_kind_of_value_is_named_when_it_runs(tmp_path):
    from fullcourt.catalog import steps

    def untyped(inputs, dates):
        return {"not": "a table"}

    catalog(TableSpec("summary", Phase.ANALYTICS, ("game_id",), build=untyped, inputs=(Input("scrape.feed"),)))
    with pytest.raises(errors.CatalogError, match=r"untyped returned dict, a transform step returns ibis Table"):
        steps.check_result("summary", Step.TRANSFORM, untyped, untyped({}, []))
    table = ibis.memtable({"game_date": [date(2024, 1, 1)]})
    assert steps.check_result("summary", Step.TRANSFORM, untyped, table) is table
