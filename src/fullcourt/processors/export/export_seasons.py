"""Phase 6: the season's scorecard as of each graded date.

`exports/seasons/<season>/<game_date>.json` summarises every graded game of the season
up to and including that date: MAE, bets, hit rate and ROI per system, overall and per
season type. One document per date rather than one rewritten file, so each document
depends only on its own window (the season so far) and a re-export is reproducible;
the newest date's document is the current season summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import ibis
import ibis.expr.types as ir

from fullcourt.catalog import gates
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.export import documents
from fullcourt.processors.predict import prediction_accuracy

__all__ = ["SPEC", "build"]

CARD = prediction_accuracy.CARD


def build(inputs: Mapping[str, ir.Table], dates: Sequence[date]) -> ir.Table:
    a = inputs["prediction_accuracy"]
    asof = a.filter(a.game_date.isin(list(dates))).select(as_of=a.game_date, as_of_season=a.season).distinct()
    j = asof.join(a, [asof.as_of_season == a.season, a.game_date <= asof.as_of])
    overall = prediction_accuracy.scorecard(j, ["as_of", "system"])
    overall = overall.group_by("as_of").aggregate(
        systems=ibis.struct({"system": overall.system, **{c: overall[c] for c in CARD}}).collect(
            order_by=overall.system
        )
    )
    typed = prediction_accuracy.scorecard(j, ["as_of", "season_type", "system"])
    typed = typed.group_by("as_of").aggregate(
        season_types=ibis.struct(
            {"season_type": typed.season_type, "system": typed.system, **{c: typed[c] for c in CARD}}
        ).collect(order_by=[typed.season_type, typed.system])
    )
    span = j.group_by("as_of").aggregate(
        season=j.season.max(), first_date=j.game_date.min(), graded_dates=j.game_date.nunique()
    )
    doc = span.join(overall, "as_of").join(typed, "as_of")
    payload = ibis.struct(
        {
            "season": doc.season,
            "as_of": doc.as_of.cast("string"),
            "first_date": doc.first_date.cast("string"),
            "graded_dates": doc.graded_dates,
            "systems": doc.systems,
            "season_types": doc.season_types,
        }
    )
    return doc.select(
        game_date=doc.as_of,
        path="seasons/" + doc.season + "/" + doc.as_of.cast("string") + ".json",
        payload=documents.json_text(payload),
    )


SPEC = TableSpec(
    "export_seasons",
    Phase.EXPORT,
    keys=("path",),
    build=build,
    inputs=(Input("prediction_accuracy", "season"),),
    expectation=Expectation.ANY,
    gates=(gates.Unique(),),
    description="exports/seasons/<season>/<game_date>.json: the season's scorecard per system as of each graded date.",
)
