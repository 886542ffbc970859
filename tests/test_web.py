"""`fullcourt web`: every page and its JSON, on a built home and while another process holds
the warehouse; only GET is served; the home is left byte-identical."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import pyarrow as pa
import pytest
from starlette.testclient import TestClient
from tests.conftest import ROOT, TINY, run_cli
from tests.resources.homefiles import digest, holding_warehouse

from fullcourt.config import Home
from fullcourt.engine import alerts
from fullcourt.engine.planner import PartitionStatus
from fullcourt.warehouse.duck import Warehouse
from fullcourt.web.app import create_app, is_loopback

ENV = {"FULLCOURT_CATALOG": TINY}
FAIL = "2023-10-25"
PAGES = ["/", "/runs", "/runs?fragment=1", "/gaps", "/predictions"]
APIS = ["/api/heatmap", "/api/runs", "/api/gaps", "/api/alerts", "/api/predictions", "/api/coverage",
        f"/api/partition?table=scores&date={FAIL}"]


def _graded(dates: list[date]) -> pa.Table:
    """A small prediction_accuracy table: two systems over two months."""
    rows = {k: [] for k in ("game_id", "player_id", "game_date", "season", "season_type", "system",
                            "abs_error", "result", "profit", "actual_points", "line_error")}
    for i, d in enumerate(dates):
        for system, err in (("moving_average", 5.0 + i % 3), ("ensemble", 4.0 + i % 2)):
            rows["game_id"].append(f"G{i}")
            rows["player_id"].append(i)
            rows["game_date"].append(d)
            rows["season"].append("2023-24")
            rows["season_type"].append("regular")
            rows["system"].append(system)
            rows["abs_error"].append(err)
            rows["result"].append("WIN" if i % 2 else "LOSS")
            rows["profit"].append(0.91 if i % 2 else -1.0)
            rows["actual_points"].append(20.0)
            rows["line_error"].append(4.5)
    return pa.table(rows)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Tiny home with known gaps (scores failed on FAIL, so form is blocked after it),
    a graded table, and gap memory from an earlier sweep."""
    home = tmp_path_factory.mktemp("web") / "home"
    proc = run_cli("backfill", "--season", "2023-24", home=home, env={**ENV, "TINY_FAIL_DATES": FAIL})
    assert proc.returncode == 1, proc.stderr
    wh = Warehouse(home / "warehouse.duckdb")
    days = [date(2023, 11, 1), date(2023, 11, 2), date(2023, 12, 7)]
    wh.replace_partitions("prediction_accuracy", days, _graded(days))
    wh.close()
    old = datetime.now(UTC) - timedelta(days=3)
    alerts.GapMemory.in_home(Home(home)).observe(
        [PartitionStatus("scores", date.fromisoformat(FAIL), "failed", "failed: boom")], old)
    return home


@pytest.fixture(scope="module")
def client(home):
    with TestClient(create_app(Home(home), TINY)) as c:
        yield c


def test_every_page_and_endpoint_answers_and_writes_nothing(home, client):
    before = digest(home)
    for url in PAGES + APIS + ["/static/dashboard.css", "/static/dashboard.js"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
    assert digest(home) == before


def test_heatmap_has_one_span_per_run_of_statuses(client):
    hm = client.get("/api/heatmap").json()
    assert hm["season"] == "2023-24" and hm["seasons"] == ["2023-24"] and hm["dates"] == 274
    rows = {t["table"]: t for ph in hm["phases"] for t in ph["tables"]}
    assert [ph["phase"] for ph in hm["phases"]] == ["2", "3", "4"]
    for t in rows.values():
        assert sum(s["n"] for s in t["spans"]) == 274
        assert all(a["status"] != b["status"] for a, b in zip(t["spans"], t["spans"][1:], strict=False))
    failed = [s for s in rows["scores"]["spans"] if s["status"] == "failed"]
    assert failed == [{"status": "failed", "first": FAIL, "last": FAIL, "n": 1, "start": 24}]
    form = {s["status"] for s in rows["form"]["spans"]}
    assert form == {"no_data", "bootstrap", "blocked"}
    page = client.get("/").text
    assert page.count('class="cell ') == sum(len(t["spans"]) for t in rows.values())
    assert f'class="cell st-failed" style="flex-grow: 1" data-table="scores" data-status="failed" data-first="{FAIL}"' in page
    for s in ("stale", "blocked", "failed", "never_ran"):  # a distinct colour per status
        assert f"--{s}:" in client.get("/static/dashboard.css").text


def test_partition_detail_names_reason_root_cause_and_attempts(client):
    p = client.get("/api/partition", params={"table": "scores", "date": FAIL}).json()
    assert p["status"] == "failed" and "source broken" in p["reason"]
    assert p["attempts"] and p["attempts"][0]["status"] == "failed"
    b = client.get("/api/partition", params={"table": "form", "date": "2023-11-02"}).json()
    assert b["status"] == "blocked" and b["root_cause"] == {"table": "scores", "game_date": FAIL}


def test_gaps_filter_and_alerts(client):
    all_gaps = client.get("/api/gaps").json()
    assert all_gaps["count"] == 1 + 37  # the failed partition, and form blocked behind it
    only = client.get("/api/gaps", params={"table": "scores", "status": "failed", "season": "2023-24"}).json()
    assert [g["game_date"] for g in only["gaps"]] == [FAIL]
    assert client.get("/api/gaps", params={"status": "stale"}).json()["count"] == 0
    page = client.get("/gaps", params={"table": "form"}).text
    assert "blocked" in page and f"scores {FAIL}" in page
    al = client.get("/api/alerts").json()
    assert al["swept"] and al["open"] == 38
    assert any(r["table"] == "scores" for r in al["old"])  # first seen three days ago
    assert any(g["table"] == "form" for g in al["large"])


def test_runs_and_predictions(client):
    runs = client.get("/api/runs").json()
    assert runs["active"] == [] and runs["runs"][0]["command"] == "backfill"
    r = runs["runs"][0]
    assert r["written"] > 0 and r["failed"] == 1
    assert [p["phase"] for p in r["phases"]] == ["2", "3"]  # form is blocked: never attempted
    assert "No run in flight" in client.get("/runs").text
    pred = client.get("/api/predictions").json()
    assert pred["available"] and pred["graded"] and pred["months"] == ["2023-11", "2023-12"]
    assert {s["system"] for s in pred["systems"]} == {"moving_average", "ensemble"}
    assert pred["line_mae"] == 4.5 and pred["baseline_mae"] is not None
    page = client.get("/predictions").text
    assert "<svg" in page and 'data-system="ensemble"' in page and "closing line" in page
    assert client.get("/api/predictions", params={"season": "all"}).json()["season"] == "all"


def test_no_endpoint_accepts_a_write_method(client):
    urls = PAGES + APIS + ["/static/dashboard.css", "/nowhere"]
    for url in urls:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            r = client.request(method, url)
            assert r.status_code in (405, 404) and (url == "/nowhere" or r.status_code == 405), (method, url)


def test_bad_parameters_are_400_with_one_message(client):
    assert client.get("/api/heatmap", params={"season": "2023-25"}).status_code == 400
    r = client.get("/api/partition", params={"table": "nope", "date": FAIL})
    assert r.status_code == 400 and "unknown table" in r.json()["error"]
    assert client.get("/api/partition", params={"table": "scores", "date": "x"}).status_code == 400
    assert client.get("/gaps", params={"status": "complete"}).status_code == 400


def test_everything_reads_from_the_ledger_while_the_warehouse_is_held(home):
    before = digest(home)
    with holding_warehouse(home), TestClient(create_app(Home(home), TINY)) as c:
        for url in PAGES + APIS:
            assert c.get(url).status_code == 200, url
        assert "warehouse busy" in c.get("/").text
        assert "warehouse busy" in c.get("/api/heatmap").json()["note"]
        rows = {t["table"]: t for ph in c.get("/api/heatmap").json()["phases"] for t in ph["tables"]}
        assert any(s["status"] == "failed" for s in rows["scores"]["spans"])
        pred = c.get("/api/predictions").json()
        assert pred["available"] is False and "held by another" in pred["reason"]
        assert "the ledger does not hold grades" in c.get("/predictions").text
    assert digest(home) == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "FULLCOURT_HOME": str(home), **ENV}


def test_served_by_one_process_on_loopback_and_refuses_other_hosts(tmp_path, home):
    refused = run_cli("web", "--host", "0.0.0.0", home=home, env=ENV)
    assert refused.returncode == 2
    lines = [x for x in refused.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "--allow-remote" in lines[0]
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    missing = run_cli("web", home=tmp_path / "none", env=ENV)
    assert missing.returncode == 2 and "no fullcourt home" in missing.stderr
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "fullcourt.cli", "web", "--port", str(port)],
                              env=_env(home), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(base + "/api/runs", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.3)
        assert r.status_code == 200
        assert httpx.post(base + "/api/runs").status_code == 405
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def test_a_run_in_flight_shows_progress_rate_and_eta(tmp_path):
    home = tmp_path / "home"
    assert run_cli("backfill", "--season", "2023-24", "--phases", "2", home=home, env=ENV).returncode == 0
    writer = subprocess.Popen(
        [sys.executable, "-m", "fullcourt.cli", "backfill", "--season", "2023-24"],
        env={**_env(home), "TINY_SLOW": "1.0", "TINY_BATCH": "4"}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        with TestClient(create_app(Home(home), TINY)) as c:
            deadline = time.monotonic() + 60
            while True:
                runs = c.get("/api/runs").json()
                if runs["active"] and runs["active"][0]["progress"]["done"] > 0:
                    break
                assert time.monotonic() < deadline and writer.poll() is None, runs
                time.sleep(0.5)
            p = runs["active"][0]["progress"]
            assert p["remaining_estimate"] > 0 and p["rate_per_second"] > 0 and p["eta_seconds"] > 0
            assert 0 < p["percent"] < 100
            live = c.get("/runs", params={"fragment": "1"}).text
            assert "In flight: backfill" in live and "ETA" in live
            assert "warehouse busy" in c.get("/").text
    finally:
        writer.wait(timeout=180)
