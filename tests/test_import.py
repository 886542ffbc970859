"""`fullcourt import`: captured provider responses filed like fetches, then built.

The recorded real responses of `../shared/data/real_payloads/` are recognised and
counted; simulated responses scraped into one home import into another, which then
builds its raw tables from them without fetching anything.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.conftest import run_cli

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real_payloads"
if not REAL.is_dir():
    REAL = Path("/work/shared/data/real_payloads")
real = pytest.mark.skipif(not REAL.is_dir(), reason="no ../shared/data/real_payloads")


def _json(proc) -> list[dict]:
    return json.loads(proc.stdout)


@real
def test_dry_run_recognises_and_counts_every_recorded_response(tmp_path):
    home = tmp_path / "home"
    proc = run_cli("import", "--dry-run", "--json", *map(str, sorted(REAL.iterdir())), home=home)
    assert proc.returncode == 1, proc.stderr  # the README is not a provider body
    rows = _json(proc)
    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(Path(r["file"]).name, []).append(r)
    assert [r["status"] for r in by_file["README.md"]] == ["invalid"]
    assert "not JSON or a PDF" in by_file["README.md"][0]["reason"]
    ok = {n: rs for n, rs in by_file.items() if n != "README.md"}
    assert all(r["status"] == "ok" for rs in ok.values() for r in rs)
    records = {n: sum(r["records"] for r in rs) for n, rs in ok.items()}
    assert records == {
        "nbacdn__liveData_boxscore__1.json": 34,
        "nbacdn__liveData_boxscore__2.json": 2,
        "nbastats__boxscoretraditionalv2__2.json": 23,
        "nbastats__boxscoretraditionalv3__1.json": 29,
        "nbastats__boxscoretraditionalv3__2.json": 23,
        "nbastats__leaguegamelog__2.json": 1688,
        "nbastats__playbyplayv3__1.json": 560,
        "nbastats__playbyplayv3__2.json": 475,
        "nbastats__scoreboardv2__2.json": 11,
        "nbainjury__official_pdf__2.pdf": 114,
    }
    providers = {n: {r["provider"] for r in rs} for n, rs in ok.items()}
    assert providers["nbainjury__official_pdf__2.pdf"] == {"injuries"}
    assert {p for n, ps in providers.items() if n.startswith("nba") and "injury" not in n for p in ps} == {"nbacom"}
    assert len(ok["nbastats__leaguegamelog__2.json"]) == 115  # one object per game date
    assert {r["game_date"]: r["records"] for r in ok["nbainjury__official_pdf__2.pdf"]} == {
        "2026-02-08": 53, "2026-02-09": 61}
    assert ok["nbacdn__liveData_boxscore__1.json"][0]["game_date"] == "2021-01-17"
    # the game log of 2025-26 dates the v3 box score of one of its games
    assert ok["nbastats__boxscoretraditionalv3__1.json"][0]["game_date"] == "2025-11-04"
    # bodies with no date and no schedule naming their game: counted, dated by --date
    undated = ok["nbastats__playbyplayv3__1.json"][0]
    assert undated["game_date"] is None and "--date" in undated["reason"]
    assert not home.exists()  # a dry run writes nothing


@real
def test_import_files_bodies_and_ledger_rows(tmp_path):
    home = tmp_path / "home"
    box = REAL / "nbastats__boxscoretraditionalv3__2.json"
    proc = run_cli("import", "--json", "--date", "2023-01-02", str(box),
                   str(REAL / "nbastats__playbyplayv3__1.json"), home=home)
    assert proc.returncode == 0, proc.stderr
    rows = _json(proc)
    assert [(r["game_date"], r["records"], r["status"]) for r in rows] == [
        ("2023-01-02", 23, "ok"), ("2023-01-02", 560, "ok")]
    kept = home / "objects" / "raw" / "nbac_gamebook" / "2023-01-02" / "0022200552"
    [body] = list(kept.iterdir())
    assert body.read_bytes() == box.read_bytes()  # stored as received
    assert list((home / "objects" / "raw" / "nbac_team_boxscore" / "2023-01-02").glob("0022200552/*.json"))
    history = run_cli("history", "--json", "--table", "scrape.nbac_gamebook", home=home)
    [attempt] = _json(history)
    assert (attempt["status"], attempt["rows"], attempt["games"]) == ("success", 23, 1)
    from fullcourt.engine.ledger import Ledger

    ledger = Ledger(home / "ledger.sqlite")
    fetched = ledger.fetches("bdb_pbp")
    ledger.close()
    assert [(f["status"], f["records"], f["item"]) for f in fetched] == [("imported", 560, "0022200552")]


@real
def test_a_body_without_a_date_needs_one_and_nothing_is_written(tmp_path):
    home = tmp_path / "home"
    proc = run_cli("import", str(REAL / "nbastats__playbyplayv3__2.json"), home=home)
    assert proc.returncode == 2
    assert "--date" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not list((home / "objects").rglob("*.json")) if (home / "objects").exists() else True


@real
def test_a_corrupt_file_is_invalid_and_the_others_still_import(tmp_path):
    home = tmp_path / "home"
    broken = tmp_path / "broken.json"
    broken.write_bytes((REAL / "nbacdn__liveData_boxscore__2.json").read_bytes()[:900])
    pdf = tmp_path / "cut.pdf"
    pdf.write_bytes((REAL / "nbainjury__official_pdf__2.pdf").read_bytes()[:4000])
    proc = run_cli("import", "--json", str(broken), str(pdf), str(REAL / "nbacdn__liveData_boxscore__1.json"),
                   home=home)
    assert proc.returncode == 1
    rows = {Path(r["file"]).name: r for r in _json(proc)}
    assert rows["broken.json"]["status"] == "invalid" and "malformed JSON" in rows["broken.json"]["reason"]
    assert rows["cut.pdf"]["status"] == "invalid" and "PDF" in rows["cut.pdf"]["reason"]
    assert rows["nbacdn__liveData_boxscore__1.json"]["status"] == "ok"
    assert list((home / "objects" / "raw" / "nbac_gamebook" / "2021-01-17").glob("0022000196/*.json"))


@real
def test_provider_option_checks_what_the_content_says(tmp_path):
    proc = run_cli("import", "--dry-run", "--json", "--provider", "oddsapi",
                   str(REAL / "nbacdn__liveData_boxscore__1.json"), home=tmp_path / "home")
    assert proc.returncode == 1
    [row] = _json(proc)
    assert row["status"] == "invalid" and "not a oddsapi body" in row["reason"]


def test_a_scraped_bucket_imports_whole_and_builds_without_fetching(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    days = ["--start", "2023-11-01", "--end", "2023-11-02"]
    env = {"FULLCOURT_CATALOG": "tests.test_raw:build_catalog"}
    assert run_cli("scrape", *days, home=first, env=env, timeout=600).returncode == 0
    bucket = tmp_path / "bucket"
    shutil.copytree(first / "objects" / "raw", bucket / "raw")
    proc = run_cli("import", "--json", str(bucket), home=second, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows = _json(proc)
    assert {r["status"] for r in rows} == {"ok"}
    built = run_cli("backfill", *days, "--json", home=second, env=env, timeout=600)
    assert built.returncode == 0, built.stderr + built.stdout
    from fullcourt.engine.ledger import Ledger

    ledger = Ledger(second / "ledger.sqlite")
    statuses = Counter(f["status"] for f in ledger.fetches(limit=100000))
    ledger.close()
    assert set(statuses) == {"imported"}  # nothing was fetched: the bucket had it all
    status = json.loads(run_cli("status", "--json", home=second, env=env).stdout)
    counts = {t["table"]: t["counts"] for t in status["tables"]}
    for table in ("nbac_gamebook_player_stats", "bdb_play_by_play", "odds_player_points_props",
                  "nbac_injury_report", "bdl_player_boxscores", "nbac_team_boxscore"):
        assert counts[table].get("complete") == 2, (table, counts[table])
    for d in (date(2023, 11, 1), date(2023, 11, 1) + timedelta(days=1)):
        assert (second / "objects" / "raw" / "nbac_schedule" / d.isoformat() / "_manifest").is_dir()
