"""Event bus: at-least-once delivery of hints, the same rules in process and on Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.conftest import FakeClock

from fullcourt import errors
from fullcourt.engine import events
from fullcourt.engine.events import Event, InProcessBus, NullBus

D1, D2, D3 = date(2024, 1, 10), date(2024, 1, 11), date(2024, 1, 12)
AT = datetime(2024, 1, 12, 6, 30, tzinfo=UTC)


def ev(table: str = "nbac_gamebook_player_stats", *pairs: tuple[date, str | None]) -> Event:
    pairs = pairs or ((D1, "fp1"),)
    return Event(table, tuple(d for d, _ in pairs), tuple(f for _, f in pairs), "run-1", AT)


# --------------------------------------------------------------------------- Event


def test_event_json_round_trip_keeps_every_field():
    e = Event(
        "player_daily_cache",
        (D1, D2),
        ("ab" * 8, None),
        "run-7",
        datetime(2024, 1, 12, 1, 2, 3, tzinfo=timezone(timedelta(hours=-5))),
    )
    back = Event.from_json(e.to_json(), id="17-0")
    assert back == e
    assert back.id == "17-0"
    assert back.at == e.at and back.at.utcoffset() == timedelta(hours=-5)
    assert back.fingerprints == ("ab" * 8, None)
    assert Event.from_json(e.to_json().encode()) == e


def test_event_naive_time_is_utc_and_missing_fingerprints_are_unknown():
    e = Event("t", (D1, D2), (), "r", datetime(2024, 1, 1, 12))
    assert e.at.tzinfo is UTC
    assert e.fingerprints == (None, None)


def test_event_rejects_mismatched_fingerprints():
    with pytest.raises(errors.PartitionError, match="2 dates but 1 fingerprints"):
        Event("t", (D1, D2), ("x",), "r", AT)


@pytest.mark.parametrize(
    "text",
    ["not json", "{}", '{"table": "t", "dates": ["2024-13-01"], "at": "2024-01-01T00:00"}',
     '{"v": 99, "table": "t", "dates": [], "at": "2024-01-01T00:00"}'],
)
def test_malformed_event_json_raises_fullcourt_error(text):
    with pytest.raises(errors.PartitionError, match="malformed event"):
        Event.from_json(text)


# --------------------------------------------------------------------------- buses


def test_in_process_publish_poll_ack():
    bus = InProcessBus(claim_idle=60)
    a, b = ev("t", (D1, "1")), ev("t", (D2, "2"))
    bus.publish(a)
    bus.publish(b)
    got = bus.poll("runner")
    assert got == [a, b]
    assert len({e.id for e in got}) == 2
    assert bus.poll("runner") == []  # handed out, not yet re-deliverable
    assert bus.pending() == 2
    bus.ack("runner", got)
    assert bus.pending() == 0
    assert bus.poll("runner") == []


def test_in_process_poll_waits_for_a_publish_from_another_thread():
    clock = FakeClock()  # stands still: only the publish can end the wait
    waiting = threading.Event()
    woken: list[bool] = []

    def wait(cond: threading.Condition, seconds: float) -> bool:
        clock.waits.append(seconds)
        waiting.set()
        woken.append(cond.wait(seconds))  # really blocks, until notified
        if not woken[-1]:
            clock.advance(seconds)
        return woken[-1]

    bus = InProcessBus(clock=clock, wait=wait)
    publisher = threading.Thread(target=lambda: (waiting.wait(), bus.publish(ev())))
    publisher.start()
    got = bus.poll("runner", timeout=60)
    publisher.join()
    assert got == [ev()]
    assert clock.waits == [60] and woken == [True]  # one wait, ended by the publish


def test_in_process_poll_times_out_empty():
    clock = FakeClock()
    bus = InProcessBus(clock=clock, wait=clock.wait)
    assert bus.poll("runner", timeout=0.1) == []
    assert clock.waits == [pytest.approx(0.1)]  # waited out the whole timeout, in one wait
    assert bus.poll("runner") == [] and len(clock.waits) == 1  # no timeout: no wait


def test_in_process_drops_oldest_beyond_maxlen():
    bus = InProcessBus(maxlen=3)
    for i in range(5):
        bus.publish(ev("t", (D1, str(i))))
    assert [e.fingerprints[0] for e in bus.poll("c")] == ["2", "3", "4"]


def test_in_process_unacked_delivery_is_reclaimed_by_another_consumer():
    clock = FakeClock()
    bus = InProcessBus(claim_idle=0.1, clock=clock, wait=clock.wait)
    bus.publish(ev())
    assert bus.poll("dead") == [ev()]  # handed out, then its consumer dies
    assert bus.poll("alive") == []
    got = bus.poll("alive", timeout=3)
    assert got == [ev()]
    assert clock.waits == [pytest.approx(0.1)]  # woke when the delivery turned idle
    bus.ack("alive", got)
    clock.advance(0.15)
    assert bus.poll("other") == []


def test_in_process_bus_delivers_each_event_once_across_threads():
    bus = InProcessBus(claim_idle=60, count=7)
    handled: dict[str, list[str]] = {"a": [], "b": []}
    done = threading.Event()

    def consume(name: str) -> None:
        while True:
            produced = done.is_set()  # before the poll: then an empty poll means none left
            got = bus.poll(name, timeout=0.02)
            handled[name].extend(e.fingerprints[0] for e in got)
            bus.ack(name, got)
            if produced and not got and not bus.pending():
                return

    def produce(k: int) -> None:
        for i in range(100):
            bus.publish(ev("t", (D1, f"{k}-{i}")))

    consumers = [threading.Thread(target=consume, args=(n,)) for n in handled]
    producers = [threading.Thread(target=produce, args=(k,)) for k in range(4)]
    for t in consumers + producers:
        t.start()
    for t in producers:
        t.join()
    done.set()
    for t in consumers:
        t.join()
    everything = handled["a"] + handled["b"]
    assert sorted(everything) == sorted(f"{k}-{i}" for k in range(4) for i in range(100))


def test_null_bus_drops_everything_and_still_waits():
    clock = FakeClock()
    bus = NullBus(wait=clock.wait)
    bus.publish(ev())
    assert bus.poll("runner", timeout=0.05) == []
    assert clock.waits == [pytest.approx(0.05)]
    bus.close()
    assert bus.poll("runner", timeout=5) == []
    assert len(clock.waits) == 1  # closed: no more waiting


def test_open_bus_by_url():
    assert isinstance(events.open_bus(None), InProcessBus)
    assert isinstance(events.open_bus("memory://"), InProcessBus)
    assert isinstance(events.open_bus("null://"), NullBus)
    assert events.open_bus("memory://", claim_idle=5).claim_idle == 5
    with pytest.raises(errors.UsageError, match="unknown event bus URL"):
        events.open_bus("kafka://broker:9092")


# --------------------------------------------------------------------------- redis

REDIS = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    if REDIS is None:
        pytest.skip("redis-server binary not found on PATH; install redis-server to run")
    pytest.importorskip("redis", reason="the redis package (dev extra) is not installed")
    import redis

    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        while True:  # until it answers or exits; pytest's timeout bounds a hang
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if proc.poll() is not None:
                    pytest.fail(f"redis-server did not start on port {port}")
                time.sleep(0.02)
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def stream(request) -> str:
    return f"test:{request.node.name}"


def redis_bus(url: str, stream: str, **kw) -> events.RedisStreamsBus:
    return events.RedisStreamsBus(url, stream=stream, **kw)


@pytest.mark.server
def test_redis_round_trip_and_ack(redis_url, stream):
    bus = redis_bus(redis_url, stream)
    e = ev("t", (D1, "a"), (D2, None))
    bus.publish(e)
    got = bus.poll("runner", timeout=1)
    assert got == [e] and got[0].id
    assert got[0].fingerprints == ("a", None) and got[0].at == AT
    assert bus.pending() == 1
    bus.ack("runner", got)
    assert bus.pending() == 0
    assert bus.poll("runner", timeout=0.05) == []
    bus.close()


@pytest.mark.server
def test_redis_events_published_before_the_group_exists_are_delivered(redis_url, stream):
    producer = redis_bus(redis_url, stream, group="producer-side")
    producer.publish(ev("t", (D1, "early")))
    consumer = redis_bus(redis_url, stream, group="late-runners")
    assert [e.fingerprints for e in consumer.poll("c")] == [("early",)]
    producer.close()
    consumer.close()


@pytest.mark.server
def test_redis_two_consumers_in_one_group_share_the_events(redis_url, stream):
    a = redis_bus(redis_url, stream, count=5)
    b = redis_bus(redis_url, stream, count=5)
    published = [ev("t", (D1, str(i))) for i in range(8)]
    for e in published:
        a.publish(e)
    got_a = a.poll("a")
    got_b = b.poll("b")
    assert len(got_a) == 5 and len(got_b) == 3
    assert not {e.id for e in got_a} & {e.id for e in got_b}
    assert sorted(e.fingerprints[0] for e in got_a + got_b) == sorted(str(i) for i in range(8))
    a.ack("a", got_a)
    b.ack("b", got_b)
    assert a.pending() == 0
    a.close()
    b.close()


@pytest.mark.server
def test_redis_two_groups_each_get_every_event(redis_url, stream):
    planner = redis_bus(redis_url, stream, group="planner")
    monitor = redis_bus(redis_url, stream, group="monitor")
    planner.publish(ev())
    assert planner.poll("p") == [ev()]
    assert monitor.poll("m") == [ev()]
    planner.close()
    monitor.close()


_DYING_CONSUMER = """
import sys
from fullcourt.engine.events import RedisStreamsBus
bus = RedisStreamsBus(sys.argv[1], stream=sys.argv[2])
got = bus.poll("doomed", timeout=5)
print(" ".join(e.id for e in got), flush=True)
sys.stdin.read()  # hold the events, never ack, until killed
"""


@pytest.mark.server
def test_redis_killed_consumer_events_are_redelivered_after_idle(redis_url, stream):
    bus = redis_bus(redis_url, stream, claim_idle=60)
    published = [ev("t", (D1, "a")), ev("t", (D2, "b"))]
    for e in published:
        bus.publish(e)
    src = str(Path(events.__file__).parents[2])
    proc = subprocess.Popen(
        [sys.executable, "-c", _DYING_CONSUMER, redis_url, stream],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": src},
    )
    try:
        taken = proc.stdout.readline().split()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
    assert len(taken) == 2
    assert bus.poll("survivor") == []  # still within the idle timeout
    bus.close()
    # a bus whose idle timeout has passed, however little time the kill took
    idle = redis_bus(redis_url, stream, claim_idle=0)
    got = idle.poll("survivor")
    assert sorted(e.id for e in got) == sorted(taken)
    assert sorted(e.fingerprints[0] for e in got) == ["a", "b"]
    idle.ack("survivor", got)
    assert idle.poll("survivor") == [] and idle.pending() == 0  # acknowledged: never again
    idle.close()


@pytest.mark.server
def test_redis_restarted_consumer_gets_its_own_unacked_events_back(redis_url, stream):
    first = redis_bus(redis_url, stream, claim_idle=60)
    first.publish(ev())
    assert first.poll("runner-1") == [ev()]
    first.close()  # process restarts under the same consumer name
    again = redis_bus(redis_url, stream, claim_idle=60)
    assert again.poll("runner-1") == [ev()]
    assert again.poll("runner-1") == []
    again.close()


@pytest.mark.server
def test_redis_malformed_entries_are_dropped_not_fatal(redis_url, stream):
    bus = redis_bus(redis_url, stream)
    bus._client.xadd(stream, {"event": "{broken"})
    bus._client.xadd(stream, {"other": "x"})
    bus.publish(ev())
    assert bus.poll("c") == [ev()]
    assert bus.pending() == 1  # the two bad entries were acknowledged away
    bus.close()


@pytest.mark.server
def test_redis_stream_is_trimmed_to_maxlen(redis_url, stream):
    bus = redis_bus(redis_url, stream, maxlen=5)
    for i in range(12):
        bus.publish(ev("t", (D1, str(i))))
    assert bus._client.xlen(stream) == 5
    assert [e.fingerprints[0] for e in bus.poll("c")] == [str(i) for i in range(7, 12)]
    bus.close()


@pytest.mark.server
def test_open_bus_redis_url_with_options(redis_url, stream):
    bus = events.open_bus(f"{redis_url}?stream={stream}&group=g2&claim_idle=2.5&maxlen=7")
    assert isinstance(bus, events.RedisStreamsBus)
    assert (bus.stream, bus.group, bus.claim_idle, bus.maxlen) == (stream, "g2", 2.5, 7)
    bus.publish(ev())
    assert bus.poll("c") == [ev()]
    bus.close()


@pytest.mark.server
def test_redis_poll_blocks_until_a_publish(redis_url, stream):
    bus = redis_bus(redis_url, stream)
    bus.poll("c")  # first poll: nothing pending
    blocks: list[int | None] = []
    read = bus._client.xreadgroup

    def spy(*args, **kwargs):
        blocks.append(kwargs.get("block"))
        return read(*args, **kwargs)

    bus._client.xreadgroup = spy
    other = redis_bus(redis_url, stream)
    threading.Timer(0.1, other.publish, args=(ev(),)).start()
    assert bus.poll("c", timeout=60) == [ev()]
    assert blocks == [60_000]  # one read, blocking in Redis until the publish or the timeout
    bus.close()
    other.close()
