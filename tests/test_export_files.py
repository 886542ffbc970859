"""Export files are rewritten only when their content changes."""

from __future__ import annotations

from pathlib import Path

from tests.test_export import build_catalog, quick_trees  # noqa: F401 - the fixture applies here too

from fullcourt.catalog.calendar import season_dates
from fullcourt.config import Home
from fullcourt.engine.executor import Executor, Request
from fullcourt.engine.holders import new_holder
from fullcourt.engine.ledger import Ledger
from fullcourt.warehouse.duck import Warehouse


def _files(root: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in root.rglob("*.json")}


def test_a_rebuild_that_changes_nothing_leaves_every_export_file_alone(tmp_path: Path, monkeypatch):
    home = Home(tmp_path / "home").ensure()
    catalog = build_catalog()
    wh, ledger = Warehouse(home.warehouse_path), Ledger(home.ledger_path)
    try:
        ex = Executor(home, catalog, wh, ledger, new_holder(), workers=1)
        season = tuple(season_dates("2023-24"))
        ex.execute("test", Request(tuple(catalog.names()), season))
        before = _files(home.exports)
        assert len(before) > 100
        exports = tuple(n for n in catalog.names() if n.startswith("export_"))
        tampered = sorted(before)[len(before) // 2]
        tampered.write_text('{"edited": "by hand"}')
        tampered_stamp = _files(home.exports)[tampered]

        reads: list[Path] = []
        read_bytes = Path.read_bytes
        monkeypatch.setattr(Path, "read_bytes", lambda p: reads.append(p) or read_bytes(p))
        rebuilt = ex.execute("test", Request(exports, season, force=True))
        monkeypatch.undo()

        assert rebuilt.written > 0 and rebuilt.failed == 0
        after = _files(home.exports)
        assert after.keys() == before.keys()
        assert after[tampered] != tampered_stamp  # the document differed, so it was written
        assert '"edited"' not in tampered.read_text()
        untouched = {p: s for p, s in after.items() if p != tampered}
        assert untouched == {p: s for p, s in before.items() if p != tampered}
        # the partitions' fingerprints did not change: sizes were checked, nothing read back
        assert not [p for p in reads if home.exports in p.parents]
    finally:
        wh.close()
        ledger.close()
