"""The object store: every body kept as received, a partition is its newest manifest,
atomic writes, quarantine takes a body out of its partition."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from fullcourt.sources.objectstore import Entry, ObjectStore, digest

DAY = date(2024, 1, 10)
T0 = datetime(2024, 1, 11, 3, 0, 0, 123456)


def _entry(store: ObjectStore, item: str, key: str) -> Entry:
    return Entry(item, key, digest(store.get(key)), 1, (item,))


def test_keys_follow_source_date_item_and_fetch_time(tmp_path):
    store = ObjectStore(tmp_path)
    body = b'{"data": []}'
    key = store.put("bdl_stats", DAY, T0, body, "stats", part=2)
    assert key == f"raw/bdl_stats/2024-01-10/stats/20240111T030000123456Z-{digest(body)[:8]}.p002.json"
    assert (tmp_path / key).read_bytes() == b'{"data": []}'
    aware = datetime(2024, 1, 10, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert store.key("x", DAY, aware, "0022300001").startswith("raw/x/2024-01-10/0022300001/20240111T030000000000Z-")
    pdf = store.put("nbac_injury_report", DAY, T0, b"%PDF-1.4", "report 2024-01-10 17:30", "pdf")
    assert pdf.endswith(".pdf") and "/report-2024-01-10-17-30/" in pdf


def test_a_partition_is_its_newest_manifest_and_every_body_is_kept(tmp_path):
    store = ObjectStore(tmp_path)
    assert store.manifest("nbac_gamebook", DAY) is None and store.bodies("nbac_gamebook", DAY) == []
    a = store.put("nbac_gamebook", DAY, T0, b"game a", "a")
    b = store.put("nbac_gamebook", DAY, T0, b"game b", "b")
    fp1 = store.commit("nbac_gamebook", DAY, T0, [_entry(store, "a", a), _entry(store, "b", b)])
    b2 = store.put("nbac_gamebook", DAY, T0 + timedelta(hours=1), b"game b, corrected", "b")
    fp2 = store.commit("nbac_gamebook", DAY, T0 - timedelta(days=1),  # a clock that went back
                       [_entry(store, "a", a), _entry(store, "b", b2)])
    assert fp1 != fp2
    assert [body for _, body in store.bodies("nbac_gamebook", DAY)] == [b"game a", b"game b, corrected"]
    assert len(store.keys("nbac_gamebook", DAY)) == 3  # the first fetch of b is kept too
    again = store.commit("nbac_gamebook", DAY, T0, [_entry(store, "b", b2), _entry(store, "a", a)])
    assert again == fp2  # the same bodies make the same fingerprint, in any order
    assert store.latest("nbac_gamebook", DAY) == (b2, b"game b, corrected")
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave nothing behind


def test_one_body_many_dates_share(tmp_path):
    store = ObjectStore(tmp_path)
    season = store.put_shared("nbac_schedule", "2023-24", T0, b"{}")
    assert season.startswith("raw/nbac_schedule/_shared/2023-24/")
    for d in (DAY, DAY + timedelta(days=1)):
        store.commit("nbac_schedule", d, T0, [Entry("schedule", season, digest(b"{}"))])
    assert store.bodies("nbac_schedule", DAY + timedelta(days=1)) == [(season, b"{}")]


def test_quarantine_moves_the_body_out_of_its_partition_and_keeps_the_reason(tmp_path):
    store = ObjectStore(tmp_path)
    good = store.put("nbac_gamebook", DAY, T0, b"good", "a")
    bad = store.put("nbac_gamebook", DAY, T0 + timedelta(minutes=5), b"{trunc", "b")
    store.commit("nbac_gamebook", DAY, T0, [_entry(store, "a", good), _entry(store, "b", bad)])
    moved = store.quarantine(bad, "malformed JSON")
    assert moved == f"quarantine/{bad}"
    assert store.get(moved) == b"{trunc"
    assert (tmp_path / (moved + ".reason.txt")).read_text().strip() == "malformed JSON"
    assert store.bodies("nbac_gamebook", DAY) == [(good, b"good")]
    assert [e.item for e in store.manifest("nbac_gamebook", DAY)] == ["a", "b"]  # still owed
