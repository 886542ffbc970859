"""Provider keys never leave the fetcher: not in the ledger, the object store, the logs,
error messages or any `--json` output."""

from __future__ import annotations

import json

from tests.conftest import run_cli

PLANTED = "PLANTED-9f3c2e1d-SECRET"


def test_a_planted_key_is_nowhere_in_the_home_or_the_output(tmp_path):
    home = tmp_path / "home"
    env = {"FULLCOURT_BALLDONTLIE_KEY": PLANTED, "FULLCOURT_ODDSAPI_KEY": PLANTED,
           "FULLCOURT_CATALOG": "tests.test_raw:build_catalog"}
    outputs = []
    for args in (("scrape", "--start", "2023-11-01", "--end", "2023-11-01", "--json"),
                 ("backfill", "--start", "2023-11-01", "--end", "2023-11-01", "--json"),
                 ("history", "--json", "--limit", "500"),
                 ("gaps", "--json"),
                 ("status", "--json")):
        proc = run_cli(*args, home=home, env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    assert json.loads(outputs[0])["written"] > 0
    assert not any(PLANTED in text for text in outputs)
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pdf" for p in files) and (home / "ledger.sqlite").is_file()
    found = [p for p in files if PLANTED.encode() in p.read_bytes()]
    assert found == []
    # the requests did carry it: the fetch ledger shows the keyed services were asked
    from fullcourt.engine.ledger import Ledger

    ledger = Ledger(home / "ledger.sqlite")
    try:
        urls = [f["url"] for f in ledger.fetches("odds_props")]
    finally:
        ledger.close()
    assert urls and all("apiKey" not in u for u in urls)
