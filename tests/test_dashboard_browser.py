"""The dashboard in a real browser: headless Chromium over the DevTools protocol.

It opens the heatmap of a home with known gaps, checks one cell (or merged span) per
partition with the status class the CLI reports, hovers a failed cell for its details,
and checks that no page logs a console error. Skipped where Chromium is absent
(`make ci-deps` installs it; CI runs this).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from tests.conftest import ROOT, TINY, run_cli
from tests.resources.devtools import Browser, find_chromium
from tests.resources.homefiles import digest

pytestmark = pytest.mark.server

ENV = {"FULLCOURT_CATALOG": TINY}
FAIL = "2023-10-25"
STALE = "2023-11-02"  # scores of this date deleted behind fullcourt's back


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (`make ci-deps` installs it)")
    return binary


@pytest.fixture(scope="module")
def served(tmp_path_factory, chromium):
    home = tmp_path_factory.mktemp("browser") / "home"
    proc = run_cli("backfill", "--season", "2023-24", home=home, env={**ENV, "TINY_FAIL_DATES": FAIL})
    assert proc.returncode == 1, proc.stderr
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute(f"DELETE FROM scores WHERE game_date = DATE '{STALE}'")
    con.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "FULLCOURT_HOME": str(home), **ENV}
    server = subprocess.Popen([sys.executable, "-m", "fullcourt.cli", "web", "--port", str(port)],
                              env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            httpx.get(base + "/api/runs", timeout=5)
            break
        except httpx.TransportError:
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
            time.sleep(0.3)
    before = digest(home)
    yield home, base
    server.send_signal(signal.SIGINT)
    server.communicate(timeout=30)
    assert digest(home) == before


_SPANS = """[...document.querySelectorAll('.hm-row[data-table]')].map(r => ({
  table: r.dataset.table,
  spans: [...r.querySelectorAll('.cell')].map(c => ({
    cls: [...c.classList].filter(x => x.startsWith('st-')), first: c.dataset.first,
    last: c.dataset.last, n: +c.dataset.n, width: c.getBoundingClientRect().width}))}))"""


def test_heatmap_cells_match_the_planner_and_the_page_is_clean(served, chromium, tmp_path):
    home, base = served
    gaps = json.loads(run_cli("gaps", "--json", home=home, env=ENV).stdout)
    expected = {(g["table"], g["game_date"]): g["status"] for g in gaps}
    assert expected[("scores", FAIL)] == "failed" and expected[("scores", STALE)] == "stale"
    assert any(s == "blocked" for s in expected.values())
    with Browser(chromium, width=1500, height=700) as b:
        b.goto(base + "/")
        b.wait_events(1.0)
        rows = {r["table"]: r["spans"] for r in b.eval(_SPANS)}
        assert set(rows) == {"games", "scores", "form"}
        seen: dict[tuple[str, str], str] = {}
        for table, spans in rows.items():
            assert sum(s["n"] for s in spans) == 274  # every partition of the season, once
            for s in spans:
                assert len(s["cls"]) == 1 and s["width"] > 0, s
                first, last = date.fromisoformat(s["first"]), date.fromisoformat(s["last"])
                assert (last - first).days + 1 == s["n"]  # a season's dates are consecutive
                for i in range(s["n"]):
                    seen[(table, (first + timedelta(days=i)).isoformat())] = s["cls"][0][3:]
        for key, status in expected.items():
            assert seen[key] == status, key
        for key, status in seen.items():  # and no other cell reads as a gap
            assert status in ("complete", "no_data", "bootstrap") or expected.get(key) == status, key
        assert seen[("form", "2023-10-24")] == "bootstrap"

        box = b.eval(f"""(() => {{ const c = document.querySelector(
            '.cell[data-table="scores"][data-first="{FAIL}"]'); const r = c.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; }})()""")
        b.hover(*box)
        deadline = time.monotonic() + 10
        while "source broken" not in (text := b.eval("document.getElementById('detail').innerText")):
            assert time.monotonic() < deadline, text
            b.wait_events(0.2)
        assert "failed" in text and "attempt status" in text
        shot = b.screenshot(tmp_path / "dashboard.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("FULLCOURT_SCREENSHOT"):
            shutil.copy(shot, Path(os.environ["FULLCOURT_SCREENSHOT"]))
        for page in ("/gaps", "/predictions", "/?season=2023-24", "/runs"):
            b.goto(base + page)
            b.wait_events(0.5)
        b.eval("document.querySelector('#runs-live table').dataset.mark = 'old'")
        deadline = time.monotonic() + 15  # the runs view refreshes itself without a reload
        while b.eval("document.querySelector('#runs-live table').dataset.mark === 'old'"):
            assert time.monotonic() < deadline
            b.wait_events(0.5)
        assert b.errors == [], b.errors
