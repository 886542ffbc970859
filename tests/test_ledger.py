"""The run ledger: work whose holder died reads `interrupted`, and readers never write.

Tests of the ledger's API run on both backends: a SQLite file and a throwaway Postgres
server (marker `postgres`, skipped with the reason when no server can be started)."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from tests.conftest import FakeClock

from fullcourt.engine.holders import HEARTBEAT_EVERY, STALE_AFTER, holder_dead, new_holder
from fullcourt.engine.ledger import Ledger
from fullcourt.engine.status import AttemptStatus, Outcome

D1, D2, D3 = date(2024, 1, 10), date(2024, 1, 11), date(2024, 1, 12)
ELSEWHERE = "elsewhere.invalid:4242:0badc0de"  # a holder on another host: no signal reaches it


@pytest.fixture(scope="module")
def dead_holder() -> str:
    """A holder on this host whose process has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:deadbeef"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request, tmp_path) -> Path | str:
    """Where a ledger lives: a SQLite file, or a fresh Postgres database."""
    if request.param == "sqlite":
        return tmp_path / "ledger.sqlite"
    return request.getfixturevalue("postgres_url")


def open_ledger(target: Path | str, clock: FakeClock) -> Ledger:
    return Ledger(target, clock=clock)


def seen_at(ledger: Ledger, run_id: str) -> float:
    return ledger.db.execute("SELECT seen_at FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0]


def test_holder_dead_by_signal_here_and_by_heartbeat_elsewhere(dead_holder):
    assert not holder_dead(new_holder(), None, now=0.0)  # this process: alive, however quiet
    assert holder_dead(dead_holder, last_seen=100.0, now=100.0)  # gone, however recent
    assert not holder_dead(ELSEWHERE, last_seen=100.0, now=100.0 + STALE_AFTER)
    assert holder_dead(ELSEWHERE, last_seen=100.0, now=100.0 + STALE_AFTER + 0.001)
    assert holder_dead(ELSEWHERE, last_seen=None, now=100.0)
    assert not holder_dead(ELSEWHERE, last_seen=100.0, now=160.0, stale_after=60.0)


def test_a_dead_holders_run_and_attempts_read_interrupted_with_last_seen(target, dead_holder):
    clock = FakeClock(time.time() - 50)  # attempts are stamped by the real clock, later
    ledger = open_ledger(target, clock)
    run_id = ledger.start_run("backfill", dead_holder)
    ledger.begin(run_id, "games", [D1, D2], dead_holder, {}, "v1")
    done = ledger.begin(run_id, "games", [D3], dead_holder, {}, "v1")
    ledger.finish(done, "games", {D3: Outcome(AttemptStatus.SUCCESS, 3, 1, "fp")})

    hist = {r["game_date"]: r for r in ledger.history()}
    assert {d: r["status"] for d, r in hist.items()} == {
        "2024-01-10": "interrupted", "2024-01-11": "interrupted", "2024-01-12": "success",
    }
    # last seen: the run's heartbeat, or the attempt's own start when that is later
    assert hist["2024-01-10"]["last_seen"] == hist["2024-01-10"]["started_at"]
    assert hist["2024-01-12"]["last_seen"] is None
    clock.advance(100)  # now the run's heartbeat is the later of the two
    ledger._beat([dead_holder])
    assert ledger.history("games", D1)[0]["last_seen"] == clock.now == seen_at(ledger, run_id)

    [run] = ledger.runs()
    assert (run["run_id"], run["status"], run["last_seen"]) == (run_id, "interrupted", clock.now)
    assert ledger.active_runs() == []
    latest = ledger.latest()
    assert latest[("games", D1)].status == "interrupted"
    assert latest[("games", D1)].last_seen == clock.now
    assert latest[("games", D3)].status == "success" and latest[("games", D3)].last_seen is None
    ledger.close()


def test_a_live_holder_is_running_and_an_ended_runs_leftovers_are_interrupted(target):
    clock = FakeClock(time.time())
    ledger = open_ledger(target, clock)
    me = new_holder()
    run_id = ledger.start_run("backfill", me)
    ledger.begin(run_id, "games", [D1], me, {}, "v1")
    assert [r["status"] for r in ledger.history()] == ["running"]
    assert ledger.history()[0]["last_seen"] is not None
    assert ledger.latest()[("games", D1)].status == "running"
    [active] = ledger.active_runs()
    assert active["run_id"] == run_id and active["last_seen"] == clock.now
    # the run ended (e.g. crashed on a second Ctrl-C) with the attempt never finished
    clock.advance(1)
    ledger.end_run(run_id, "crashed")
    assert [r["status"] for r in ledger.history()] == ["interrupted"]
    assert ledger.latest()[("games", D1)].status == "interrupted"
    [run] = ledger.runs()
    assert run["status"] == "crashed" and run["last_seen"] is None
    assert ledger.active_runs() == []
    ledger.close()


def test_a_holder_on_another_host_is_interrupted_once_its_heartbeat_is_stale(target):
    clock = FakeClock(time.time())
    ledger = open_ledger(target, clock)
    run_id = ledger.start_run("backfill", ELSEWHERE)
    ledger.begin(run_id, "games", [D1], ELSEWHERE, {}, "v1")
    started = ledger.history()[0]["started_at"]
    clock.advance(STALE_AFTER / 2)
    ledger.acquire(ELSEWHERE, "games", [D2])  # renews its leases: a heartbeat
    clock.advance(STALE_AFTER)
    assert ledger.history()[0]["status"] == "running"  # seen STALE_AFTER ago: maybe alive
    assert [r["run_id"] for r in ledger.active_runs()] == [run_id]
    clock.advance(1)
    [row] = ledger.history()
    assert row["status"] == "interrupted"
    assert row["last_seen"] == seen_at(ledger, run_id) > started
    assert ledger.runs()[0]["status"] == "interrupted"
    assert ledger.active_runs() == []
    assert ledger.latest()[("games", D1)].status == "interrupted"
    ledger.close()


def test_heartbeats_are_cheap_at_most_one_per_interval_and_only_on_open_runs(target):
    clock = FakeClock(time.time())
    ledger = open_ledger(target, clock)
    me = new_holder()
    run_id = ledger.start_run("backfill", me)
    t0 = clock.now
    assert seen_at(ledger, run_id) == t0
    clock.advance(HEARTBEAT_EVERY - 1)
    ledger.acquire(me, "games", [D1])
    batch = ledger.begin(run_id, "games", [D1], me, {}, "v1")
    ledger.finish(batch, "games", {D1: Outcome(AttemptStatus.SUCCESS, 1, 1, "fp")})
    assert seen_at(ledger, run_id) == t0  # within the interval: not written again
    clock.advance(1)
    batch = ledger.begin(run_id, "games", [D2], me, {}, "v1")
    ledger.finish(batch, "games", {D2: Outcome(AttemptStatus.SUCCESS, 1, 1, "fp")})  # a batch finished
    assert seen_at(ledger, run_id) == t0 + HEARTBEAT_EVERY
    clock.advance(HEARTBEAT_EVERY)
    ledger.acquire(me, "games", [D3])  # leases renewed
    assert seen_at(ledger, run_id) == t0 + 2 * HEARTBEAT_EVERY
    clock.advance(1)
    ledger.end_run(run_id, "ok")
    ended = seen_at(ledger, run_id)
    assert ended == clock.now
    clock.advance(HEARTBEAT_EVERY)
    ledger.acquire(me, "games", [D3])
    assert seen_at(ledger, run_id) == ended  # an ended run is no longer stamped
    ledger.close()


def old_ledger(path: Path, holder: str) -> None:
    """A ledger file as written before heartbeats: `runs` without `seen_at`."""
    Ledger(path).close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE runs DROP COLUMN seen_at")
    db.execute("INSERT INTO runs VALUES ('r-old', 'backfill', ?, 100.0, NULL, 'running')", (holder,))
    db.execute("INSERT INTO attempts (run_id, batch_id, table_name, game_date, status,"
               " started_at, attempt, holder) VALUES ('r-old', 'b', 'games', ?, 'running',"
               " 101.0, 1, ?)", (D1.isoformat(), holder))
    db.commit()
    db.close()  # the last connection: the write-ahead log is folded in and removed


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_reader_of_an_old_ledger_derives_and_never_writes(tmp_path, dead_holder):
    path = tmp_path / "ledger.sqlite"
    old_ledger(path, dead_holder)
    before = files(tmp_path)
    assert list(before) == ["ledger.sqlite"]
    reader = Ledger(path)
    [row] = reader.history()
    assert (row["status"], row["last_seen"]) == ("interrupted", 101.0)
    [run] = reader.runs()
    assert (run["status"], run["last_seen"]) == ("interrupted", 100.0)  # when it started
    assert reader.active_runs() == []
    assert reader.latest()[("games", D1)].status == "interrupted"
    reader.close()
    assert files(tmp_path) == before


def test_a_writer_migrates_an_old_ledger(tmp_path, dead_holder):
    path = tmp_path / "ledger.sqlite"
    old_ledger(path, dead_holder)
    clock = FakeClock(500.0)
    writer = Ledger(path, clock=clock)
    me = new_holder()
    run_id = writer.start_run("backfill", me)
    assert seen_at(writer, run_id) == 500.0
    runs = {r["run_id"]: r for r in writer.runs()}
    assert runs["r-old"]["status"] == "interrupted" and runs["r-old"]["last_seen"] == 100.0
    assert runs[run_id]["status"] == "running" and runs[run_id]["last_seen"] == 500.0
    writer.close()
    again = Ledger(path)  # migrating twice is a no-op
    again._migrate()
    cols = [r[1] for r in again.db.execute("PRAGMA table_info(runs)")]
    assert cols.count("seen_at") == 1
    again.close()



# -- the API both backends share --------------------------------------------------------


def test_facts_calendar_requests_and_code_versions_round_trip(target):
    ledger = open_ledger(target, FakeClock(time.time()))
    me = new_holder()
    run_id = ledger.start_run("backfill", me)
    ledger.remember_request(run_id, [D1, D2], lambda d: "2023-24")
    batch = ledger.begin(run_id, "games", [D1], me, {D1: "in1"}, "v1", code_modules={"m": "h1"})
    ledger.begin(run_id, "games", [D2], me, {}, "v1", code_modules={"m": "h1"})  # once per version
    ledger.finish(batch, "games", {D1: Outcome(AttemptStatus.SUCCESS, 3, 1, "fp1")})

    class F:
        def __init__(self, rows, games, fingerprint):
            self.rows, self.games, self.fingerprint = rows, games, fingerprint

    ledger.save_facts("games", {D1: F(3, 1, "fp1"), D2: F(2, 1, "fp2")})
    ledger.save_facts("games", {D1: F(4, 1, "fp3")})  # an update of one date
    ledger.save_calendar({D1: ("2023-24", {"games": 1}), D2: ("2023-24", {"games": 1})})
    ledger.end_run(run_id, "ok")
    ledger.close()

    reader = Ledger(target, read_only=True)
    assert reader.requested_seasons() == ["2023-24"]
    assert reader.recorded_modules() == {"v1": {"m": "h1"}}
    assert reader.load_facts() == {"games": {D1: (4, 1, "fp3"), D2: (2, 1, "fp2")}}
    assert reader.load_calendar()[D2] == ("2023-24", {"games": 1})
    latest = reader.latest()
    assert latest[("games", D1)].status == "success" and latest[("games", D1)].input_fp == "in1"
    assert latest[("games", D2)].status == "interrupted"  # its run ended with it open
    assert [r["status"] for r in reader.runs()] == ["ok"]
    reader.close()


def test_a_reader_writes_nothing(target, dead_holder):
    writer = open_ledger(target, FakeClock(time.time()))
    run_id = writer.start_run("backfill", dead_holder)
    writer.begin(run_id, "games", [D1], dead_holder, {}, "v1")
    writer.close()
    before = files(target.parent) if isinstance(target, Path) else None
    reader = Ledger(target, read_only=True)
    reader.runs(), reader.history(), reader.latest(), reader.leases(), reader.active_runs()
    reader.load_facts(), reader.load_calendar(), reader.requested_seasons()
    reader.recorded_modules()
    assert reader.history()[0]["status"] == "interrupted"  # derived, not rewritten
    with pytest.raises(Exception):  # noqa: B017 - the driver's own read-only error
        reader.start_run("backfill", new_holder())
    reader.close()
    if before is not None:
        assert files(target.parent) == before
    again = Ledger(target, read_only=True)
    assert [r["status"] for r in again.history()] == ["interrupted"]
    assert again.db.execute("SELECT status FROM attempts").fetchall() == [("running",)]
    again.close()


def test_leases_keep_others_off_until_they_expire_or_their_holder_dies(target, dead_holder):
    ledger = open_ledger(target, FakeClock(time.time()))
    me, other = new_holder(), ELSEWHERE
    assert ledger.acquire(other, "games", [D1, D2], ttl=600) == [D1, D2]
    assert ledger.acquire(me, "games", [D1, D2, D3]) == [D3]
    assert ledger.acquire(me, "games", [D3]) == [D3]  # renewing one's own lease
    assert ledger.acquire(other, "games", [D1], ttl=-1) == [D1]  # now expired
    assert ledger.acquire(me, "games", [D1]) == [D1]
    assert ledger.acquire(dead_holder, "scores", [D1]) == [D1]
    assert ledger.acquire(me, "scores", [D1]) == [D1]  # its holder is gone
    assert ledger.leases() == {("games", D1): me, ("games", D2): other, ("games", D3): me,
                               ("scores", D1): me}  # fmt: skip
    ledger.release(me, "games", [D1])
    assert ("games", D1) not in ledger.leases()
    ledger.release(me)
    assert ledger.leases() == {("games", D2): other}
    ledger.close()


_RACER = """
import json, sys, time
from datetime import date, timedelta
from fullcourt.engine.holders import new_holder
from fullcourt.engine.ledger import Ledger
target, start, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
ledger = Ledger(target)
me = new_holder()
days = [date(2024, 1, 1) + timedelta(days=i) for i in range(60)]
while time.time() < start:
    time.sleep(0.005)
got = {}
for r in range(rounds):
    for i in range(0, 60, 7):  # overlapping chunks, in a different order each round
        chunk = days[i : i + 14] if r % 2 else list(reversed(days))[i : i + 14]
        got.setdefault(f"t{r}", []).extend(d.isoformat() for d in ledger.acquire(me, f"t{r}", chunk))
print(json.dumps(got))
"""


def test_two_processes_racing_for_leases_never_both_get_a_partition(target):
    Ledger(target).close()  # the schema exists before the race
    start = time.time() + 1.5
    env_path = str(Path(__file__).resolve().parents[1] / "src")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(target), str(start), "6"],
            stdout=subprocess.PIPE, text=True, env={**__import__("os").environ, "PYTHONPATH": env_path},
        )
        for _ in range(2)
    ]
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        results.append(__import__("json").loads(out))
    for r in range(6):
        a, b = (set(res.get(f"t{r}", [])) for res in results)
        assert not a & b, f"round {r}: granted to both: {sorted(a & b)[:5]}"
        assert len(a | b) == 60  # every partition went to someone
