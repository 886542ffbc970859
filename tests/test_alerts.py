"""Gap alerts: new, old and large gaps reported apart; a webhook that never breaks a sweep."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from fullcourt.config import Home
from fullcourt.engine import alerts
from fullcourt.engine.alerts import GapMemory, GapRun, LargeGap, classify
from fullcourt.engine.planner import PartitionStatus

NOW = datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def d(n: int) -> date:
    return date(2024, 1, n)


def gap(table: str, n: int, status: str = "failed", **kw) -> PartitionStatus:
    return PartitionStatus(table, d(n), status, **kw)


def test_classify_separates_new_old_and_large():
    statuses = [
        # first seen now: new
        gap("bdl_player_boxscores", 20, reason="HTTP 503"),
        # first seen 3 days ago: old; 12 hours ago: neither
        gap("player_daily_cache", 5, "blocked", root_cause=("bdl_player_boxscores", d(5))),
        gap("player_daily_cache", 6, "blocked", root_cause=("bdl_player_boxscores", d(5))),
        gap("player_daily_cache", 9, "stale"),
        # four consecutive never_ran dates: large at 4
        *(gap("ml_feature_store", n, "never_ran") for n in range(10, 14)),
        # not gaps at all
        PartitionStatus("nbac_schedule", d(20), "complete"),
        PartitionStatus("player_daily_cache", d(1), "bootstrap"),
    ]
    first_seen = {
        ("player_daily_cache", d(5)): NOW - 3 * DAY,
        ("player_daily_cache", d(6)): NOW - 2 * DAY,
        ("player_daily_cache", d(9)): NOW - timedelta(hours=12),
        **{("ml_feature_store", d(n)): NOW - timedelta(hours=1) for n in range(10, 14)},
    }
    report = classify(statuses, first_seen, NOW, old_after=DAY, large_at=4)

    assert report.open == 8
    assert report.new == (
        GapRun("bdl_player_boxscores", "failed", d(20), d(20), 1, "HTTP 503", None, NOW),
    )
    assert report.old == (
        GapRun(
            "player_daily_cache", "blocked", d(5), d(6), 2, "",
            ("bdl_player_boxscores", d(5)), NOW - 3 * DAY,
        ),
    )
    assert report.large == (
        LargeGap("ml_feature_store", 4, (d(10), d(13), 4), 1, (("never_ran", 4),)),
    )
    assert report.alerting
    assert (report.new_partitions, report.old_partitions) == (1, 2)


def test_large_by_count_or_by_run_and_runs_span_off_days_of_the_universe():
    scattered = [gap("a", n) for n in (2, 4, 6, 8, 10)]  # 5 gaps, longest run 1
    contiguous = [gap("b", n, s) for n, s in ((3, "failed"), (4, "stale"), (8, "stale"))]
    both = scattered + contiguous
    by_count = classify(both, {}, NOW, DAY, large_at=5, run_at=10)
    assert [g.table for g in by_count.large] == ["a"]
    assert by_count.large[0].runs == 5 and by_count.large[0].longest == (d(2), d(2), 1)

    by_run = classify(both, {}, NOW, DAY, large_at=50, run_at=2)
    assert [g.table for g in by_run.large] == ["b"]
    # a run ignores status changes; calendar days: Jan 8 is not next to Jan 4
    assert by_run.large[0].longest == (d(3), d(4), 2)
    assert by_run.large[0].statuses == (("stale", 2), ("failed", 1))

    # no games on Jan 5-7: over game dates, Jan 4 and Jan 8 are consecutive
    game_dates = [d(n) for n in (1, 2, 3, 4, 8, 9)]
    over_games = classify(both, {}, NOW, DAY, large_at=50, run_at=3, universe=game_dates)
    assert [(g.table, g.longest) for g in over_games.large] == [("b", (d(3), d(8), 3))]


def test_new_runs_split_on_status_and_gaps_default_to_new():
    report = classify(
        [gap("t", 1), gap("t", 2), gap("t", 3, "partial"), gap("t", 5)],
        {},
        NOW,
        DAY,
        large_at=100,
    )
    assert [(r.first, r.last, r.status, r.count) for r in report.new] == [
        (d(1), d(2), "failed", 2),
        (d(3), d(3), "partial", 1),
        (d(5), d(5), "failed", 1),
    ]
    assert report.old == () and report.large == ()


def test_no_gaps_no_alert():
    report = classify([PartitionStatus("t", d(1), "complete")], {}, NOW, DAY, 3)
    assert not report.alerting and report.open == 0
    assert report.lines() == [
        "gaps: 0 open, 0 new, 0 open longer than 1d, 0 tables with large gaps"
    ]


def test_lines_say_what_is_wrong_and_are_capped():
    why = "waiting for bdl_player_boxscores 2024-01-05 (failed)"
    root = ("bdl_player_boxscores", d(5))
    statuses = [
        gap("player_daily_cache", 5, "blocked", reason=why, root_cause=root),
        gap("player_daily_cache", 6, "blocked", reason=why, root_cause=root),
        *(gap(f"t{i}", 1, reason=f"boom {i}") for i in range(3)),
        gap("t3", 1, "stale", root_cause=("nbac_schedule", d(1))),
    ]
    first_seen = {("player_daily_cache", d(n)): NOW - timedelta(days=2, hours=3) for n in (5, 6)}
    lines = classify(statuses, first_seen, NOW, DAY, large_at=2).lines(limit=3)
    assert lines[0] == "gaps: 6 open, 4 new, 2 open longer than 1d, 1 table with large gaps"
    assert "new: t0 2024-01-01 failed: boom 0" in lines
    assert "new: ... and 1 more" in lines
    assert "new: t3 2024-01-01 stale (root cause nbac_schedule 2024-01-01)" not in lines  # capped
    assert (
        "old: player_daily_cache 2024-01-05..2024-01-06 (2 dates) blocked: waiting for "
        "bdl_player_boxscores 2024-01-05 (failed) (open since 2024-01-30 09:00Z, 2d 3h)"
    ) in lines
    assert classify(statuses[-1:], {}, NOW, DAY, 5).lines()[1] == (
        "new: t3 2024-01-01 stale (root cause nbac_schedule 2024-01-01)"
    )
    assert any(
        line.startswith("large: player_daily_cache 2 gap partitions in 1 run") for line in lines
    )


# --------------------------------------------------------------------------- memory


def test_gap_memory_keeps_first_seen_across_sweeps_and_forgets_healed(tmp_path):
    memory = GapMemory.in_home(Home(tmp_path))
    first = memory.observe([gap("t", 1), gap("t", 2)], NOW)
    assert first == {("t", d(1)): NOW, ("t", d(2)): NOW}

    later = NOW + 2 * DAY
    # a new process reads the file: Jan 1 keeps its time, Jan 2 healed, Jan 3 new
    reopened = GapMemory.in_home(Home(tmp_path))
    second = reopened.observe([gap("t", 1, "stale"), gap("t", 3)], later)
    assert second == {("t", d(1)): NOW, ("t", d(3)): later}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gap-memory.json"]  # no temp left

    report = alerts.review([gap("t", 1), gap("t", 3), gap("t", 2)], reopened, later, DAY, 99)
    assert [r.first for r in report.old] == [d(1)]
    assert [(r.first, r.last, r.count, r.since) for r in report.new] == [(d(2), d(3), 2, later)]
    # Jan 2 reopened: it is new again
    assert GapMemory.in_home(Home(tmp_path)).load()[("t", d(2))] == later


def test_gap_memory_partial_scan_only_forgets_what_it_saw_healed(tmp_path):
    memory = GapMemory(tmp_path / "m.json")
    memory.observe([gap("a", 1), gap("b", 1)], NOW)
    after = memory.observe([PartitionStatus("a", d(1), "complete")], NOW, forget_missing=False)
    assert after == {("b", d(1)): NOW}


def test_gap_memory_survives_a_corrupt_file(tmp_path, caplog):
    path = tmp_path / "gap-memory.json"
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="fullcourt.engine.alerts"):
        assert GapMemory(path).observe([gap("t", 1)], NOW) == {("t", d(1)): NOW}
    assert "unreadable" in caplog.text
    assert json.loads(path.read_text())["first_seen"] == {"t": {"2024-01-01": NOW.isoformat()}}


# --------------------------------------------------------------------------- webhook


def _report() -> alerts.AlertReport:
    return classify([gap("bdl_player_boxscores", 20, reason="HTTP 503")], {}, NOW, DAY, 5)


def test_webhook_posts_the_report_as_json():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert alerts.post_webhook("https://hooks.example/gaps", _report(), client)
    assert len(seen) == 1
    request = seen[0]
    assert request.method == "POST" and str(request.url) == "https://hooks.example/gaps"
    body = json.loads(request.content)
    assert body["text"].startswith("gaps: 1 open, 1 new")
    assert "bdl_player_boxscores 2024-01-20 failed: HTTP 503" in body["text"]
    assert body["new"][0]["table"] == "bdl_player_boxscores"
    assert body["new"][0]["first"] == "2024-01-20"
    assert body["old"] == [] and body["large"] == []


def test_webhook_retries_once_on_server_error():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503 if len(calls) == 1 else 200)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert alerts.post_webhook("https://h/x", _report(), client, retry_wait=0)
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("behaviour", "attempts", "logged"),
    [("500", 2, "failed twice: HTTP 500"), ("connect", 2, "ConnectError"),
     ("404", 1, "refused the report: HTTP 404"), ("crash", 1, "failed unexpectedly")],
)
def test_webhook_failure_is_logged_never_raised(behaviour, attempts, logged, caplog):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if behaviour == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if behaviour == "crash":
            raise RuntimeError("receiver bug")
        return httpx.Response(int(behaviour))

    with (
        caplog.at_level(logging.WARNING, logger="fullcourt.engine.alerts"),
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
    ):
        assert alerts.post_webhook("https://h/x", _report(), client, retry_wait=0) is False
    assert len(calls) == attempts
    assert logged in caplog.text
