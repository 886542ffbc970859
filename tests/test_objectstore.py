"""The object store: every fetch kept, atomic writes, quarantine takes a payload out of `latest`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from fullcourt.sources.objectstore import ObjectStore

DAY = date(2024, 1, 10)
T0 = datetime(2024, 1, 11, 3, 0, 0, 123456)


def test_keys_follow_source_date_and_fetch_time(tmp_path):
    store = ObjectStore(tmp_path)
    key = store.put("bdl_stats", DAY, T0, b'{"data": []}')
    assert key == "raw/bdl_stats/2024-01-10/20240111T030000123456Z.json"
    assert (tmp_path / key).read_bytes() == b'{"data": []}'
    aware = datetime(2024, 1, 10, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert store.key("x", DAY, aware) == "raw/x/2024-01-10/20240111T030000000000Z.json"


def test_every_fetch_is_kept_and_latest_is_the_newest(tmp_path):
    store = ObjectStore(tmp_path)
    assert store.latest("bdl_stats", DAY) is None
    store.put("bdl_stats", DAY, T0 + timedelta(hours=1), b"second")
    store.put("bdl_stats", DAY, T0, b"first")
    store.put("bdl_stats", DAY + timedelta(days=1), T0 + timedelta(days=1), b"other day")
    assert len(store.keys("bdl_stats", DAY)) == 2
    key, body = store.latest("bdl_stats", DAY)
    assert body == b"second" and key.endswith("040000123456Z.json")
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave nothing behind


def test_quarantine_moves_the_payload_out_of_latest_and_keeps_the_reason(tmp_path):
    store = ObjectStore(tmp_path)
    store.put("nbac_gamebook", DAY, T0, b"good")
    bad = store.put("nbac_gamebook", DAY, T0 + timedelta(minutes=5), b"{trunc")
    moved = store.quarantine(bad, "malformed JSON")
    assert moved == f"quarantine/{bad}"
    assert store.get(moved) == b"{trunc"
    assert (tmp_path / (moved + ".reason.txt")).read_text().strip() == "malformed JSON"
    assert store.latest("nbac_gamebook", DAY) == (store.keys("nbac_gamebook", DAY)[0], b"good")
    store.quarantine(store.latest("nbac_gamebook", DAY)[0], "schema")
    assert store.latest("nbac_gamebook", DAY) is None
