"""Code versions follow every module a table's build reaches, and only those.

Edits are simulated, never made: the hasher's source lookup is patched, or a package is
written to a temporary folder on `sys.path`.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from fullcourt import pipeline as tables
from fullcourt.catalog import codehash
from fullcourt.catalog.graph import Catalog

SRC = Path(codehash.__file__).resolve().parents[1]  # .../src/fullcourt
LOOKBACK = "fullcourt.processors.analytics.lookback"


@pytest.fixture(scope="module")
def real() -> Catalog:
    return Catalog(tables.specs(), schedule="nbac_schedule")


def edited(monkeypatch: pytest.MonkeyPatch, module: str, edit) -> Catalog:
    """The real catalog as it would be with `module`'s source passed through `edit`."""
    original = codehash.source_of
    monkeypatch.setattr(
        codehash, "source_of", lambda name: edit(original(name)) if name == module else original(name)
    )
    return Catalog(tables.specs(), schedule="nbac_schedule")


def changed(before: Catalog, after: Catalog) -> set[str]:
    return {n for n, v in after.code_versions.items() if before.code_versions[n] != v}


def add_code(source: str) -> str:
    return source + "\n_EDITED = True\n"


# -- an independent reading of the imports, by regular expression over the files --------

_FROM = re.compile(r"^[ \t]*from (fullcourt[\w.]*) import (?:\(([^)]*)\)|([\w ,]*))", re.M)
_IMPORT = re.compile(r"^[ \t]*import (fullcourt[\w.]*)", re.M)


def _file(module: str) -> Path | None:
    path = SRC.parent.joinpath(*module.split("."))
    for p in (path.with_suffix(".py"), path / "__init__.py"):
        if p.is_file():
            return p
    return None


def grepped_imports(module: str) -> set[str]:
    text = _file(module).read_text()  # type: ignore[union-attr]
    out = set(_IMPORT.findall(text))
    for base, wrapped, names in _FROM.findall(text):
        for n in (x.split(" as ")[0].strip() for x in (wrapped or names).split(",")):
            out.add(f"{base}.{n}" if n and _file(f"{base}.{n}") else base)
    return {m for m in out if _file(m)}


def grepped_closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(
            d for d in grepped_imports(m)
            if d in ("fullcourt.catalog.gates", "fullcourt.catalog.context")
            or not any(d == x or d.startswith(x + ".") for x in codehash.MACHINERY)
        )
    return seen


def tables_importing(catalog: Catalog, helper: str) -> set[str]:
    return {
        s.name for s in catalog
        if s.build is not None and helper in grepped_closure(s.build.__module__)
    }


# -- tests -------------------------------------------------------------------------------


def test_a_docstring_or_comment_edit_changes_no_version(real, monkeypatch) -> None:
    def reword(source: str) -> str:
        source = source.replace("Joining each row", "Joining every row", 1)
        source = source.replace('"""`left` with the other', '"""`left`, with the other', 1)
        return "# a new comment\n" + source.replace("\n\n\ndef ", "\n\n\n# a comment\ndef ")

    assert reword(codehash.source_of(LOOKBACK)) != codehash.source_of(LOOKBACK)
    assert changed(real, edited(monkeypatch, LOOKBACK, reword)) == set()


def test_a_code_edit_of_lookback_changes_exactly_the_tables_that_import_it(real, monkeypatch) -> None:
    after = edited(monkeypatch, LOOKBACK, add_code)
    expected = {
        "upcoming_player_game_context", "team_defense_zone_analysis", "player_shot_zone_analysis",
        "player_daily_cache", "player_composite_factors", "ml_feature_store",
    }
    assert tables_importing(real, LOOKBACK) == expected
    assert changed(real, after) == expected


@pytest.mark.parametrize(
    "helper",
    [
        "fullcourt.processors.analytics.conform",
        "fullcourt.processors.analytics.rates",
        "fullcourt.processors.raw.payload",
        "fullcourt.catalog.features",
        "fullcourt.processors.export.documents",
        "fullcourt.processors.predict.prediction_accuracy",
        "fullcourt.models.similarity",
        "fullcourt.catalog.gates",
    ],
)
def test_a_code_edit_of_a_helper_changes_exactly_the_tables_that_reach_it(
    real, monkeypatch, helper
) -> None:
    expected = tables_importing(real, helper)
    assert expected, f"no table reaches {helper}"
    assert changed(real, edited(monkeypatch, helper, add_code)) == expected


def test_the_model_code_is_part_of_the_prediction_version(real, monkeypatch) -> None:
    modules = set(real.code_modules["player_prop_predictions"])
    models = {f"fullcourt.models.{m}" for m in (
        "betting", "boosting", "bundle", "ensemble", "examples", "formulas", "registry",
        "similarity", "system", "walkforward",
    )}
    assert models <= modules
    assert not {"fullcourt.models.report"} & modules
    # a system reached only through walkforward -> registry -> bundle
    assert changed(real, edited(monkeypatch, "fullcourt.models.formulas", add_code)) == {
        "player_prop_predictions"
    }


def test_no_table_reaches_the_engine_machinery(real) -> None:
    reached = {m for mods in real.code_modules.values() for m in mods}
    engine = {m for m in reached if m.startswith("fullcourt.engine")}
    assert engine == set()
    assert not reached & {"fullcourt.catalog.graph", "fullcourt.pipeline", "fullcourt.cli"}


def test_a_scrape_has_no_modules_and_keeps_its_version(real) -> None:
    assert real.code_modules["scrape.bdl_stats"] == {}
    assert real.code_versions["scrape.bdl_stats"]


def write_package(root: Path, name: str, files: dict[str, str]) -> None:
    pkg = root / name
    pkg.mkdir()
    for rel, text in files.items():
        (pkg / rel).write_text(textwrap.dedent(text))


def test_every_kind_of_import_is_followed(tmp_path, monkeypatch) -> None:
    write_package(tmp_path, "codehash_pkg", {
        "__init__.py": '"""A package whose __init__ nobody takes names from."""\n',
        "build.py": """
            import json

            import codehash_pkg.plain
            from codehash_pkg import sub
            from fullcourt.catalog import gates
            from fullcourt.engine import planner

            from .rel import VALUE


            def build(inputs, dates):
                from codehash_pkg.lazy import helper  # loaded on first use

                return helper(codehash_pkg.plain, sub, VALUE, gates, planner, json)
        """,
        "plain.py": "X = 1\n",
        "sub.py": "Y = 2\n",
        "rel.py": "from . import deep\n\nVALUE = deep.Z\n",
        "deep.py": "Z = 3\n",
        "lazy.py": "def helper(*args):\n    return args\n",
        "unused.py": "W = 4\n",
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    assert set(codehash.modules_of("codehash_pkg.build")) == {
        "codehash_pkg.build", "codehash_pkg.plain", "codehash_pkg.sub", "codehash_pkg.rel",
        "codehash_pkg.deep", "codehash_pkg.lazy", "fullcourt.catalog.gates",
    }
    before = codehash.modules_of("codehash_pkg.build")
    (tmp_path / "codehash_pkg" / "deep.py").write_text('"""Reworded."""\n\n# note\nZ = 3\n')
    assert codehash.modules_of("codehash_pkg.build") == before
    (tmp_path / "codehash_pkg" / "deep.py").write_text("Z = 4\n")
    after = codehash.modules_of("codehash_pkg.build")
    assert {m for m in after if after[m] != before[m]} == {"codehash_pkg.deep"}
