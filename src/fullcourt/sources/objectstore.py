"""Raw payloads kept as files, exactly as received, and what each partition is made of.

One scrape partition (source, date) is many bodies — one per game, per event snapshot,
per page, per report — so the layout is

    raw/{source}/{game_date}/{item}/{fetched_at}-{hash}.{ext}       one body
    raw/{source}/{game_date}/{item}/{fetched_at}-{hash}.p002.{ext}  page 2 of one fetch
    raw/{source}/_shared/{name}/{fetched_at}-{hash}.{ext}           one body many dates
                                                                     share (a schedule)
    raw/{source}/{game_date}/_manifest/{n}-{written_at}.json        the partition, n-th

Every body is kept, never overwritten in place, so a stat correction or a bad payload
can be traced to the exact bytes a provider sent. A manifest lists the bodies that make
up the partition (item, key, content hash, records, games); the newest manifest is the
partition, so a fetch that asks only for the missing games carries the others over, and
a body quarantined after the fact simply drops out of it. Writes go to a temporary file
in the same folder and are renamed into place (`os.replace`), so a reader — or a crash —
sees either no object or the whole object; the manifest is written last. Payloads that
fail validation are moved under `quarantine/` next to a `.reason.txt`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from fullcourt.files import write_atomic
from fullcourt.sources.faults import utc_naive

__all__ = ["Entry", "ObjectStore", "digest"]

_STAMP = "%Y%m%dT%H%M%S%fZ"
_SAFE = re.compile(r"[^A-Za-z0-9._@-]+")
MANIFEST = "_manifest"
SHARED = "_shared"


def digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=12).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One body of a partition."""

    item: str
    key: str
    sha: str
    records: int = 0
    games: tuple[str, ...] = field(default_factory=tuple)


def _item(name: str) -> str:
    return _SAFE.sub("-", name).strip("-.") or "body"


class ObjectStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    # -- bodies --------------------------------------------------------------------------

    @staticmethod
    def key(source: str, game_date: date, fetched_at: datetime, item: str = "body",
            ext: str = "json", part: int | None = None, body: bytes = b"") -> str:
        stamp = utc_naive(fetched_at).strftime(_STAMP)
        page = f".p{part:03d}" if part is not None else ""
        return f"raw/{source}/{game_date.isoformat()}/{_item(item)}/{stamp}-{digest(body)[:8]}{page}.{ext}"

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, source: str, game_date: date, fetched_at: datetime, body: bytes,
            item: str = "body", ext: str = "json", part: int | None = None) -> str:
        """Store `body` atomically and return its key."""
        key = self.key(source, game_date, fetched_at, item, ext, part, body)
        write_atomic(self.path(key), body)
        return key

    def put_shared(self, source: str, name: str, fetched_at: datetime, body: bytes, ext: str = "json") -> str:
        stamp = utc_naive(fetched_at).strftime(_STAMP)
        key = f"raw/{source}/{SHARED}/{_item(name)}/{stamp}-{digest(body)[:8]}.{ext}"
        write_atomic(self.path(key), body)
        return key

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    # -- partitions ----------------------------------------------------------------------

    def _manifests(self, source: str, game_date: date) -> list[Path]:
        folder = self.root / "raw" / source / game_date.isoformat() / MANIFEST
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))

    def manifest(self, source: str, game_date: date) -> list[Entry] | None:
        """The entries of the partition's newest manifest; None if it was never written."""
        paths = self._manifests(source, game_date)
        if not paths:
            return None
        data = json.loads(paths[-1].read_text())
        return [Entry(e["item"], e["key"], e["sha"], e.get("records", 0), tuple(e.get("games", ())))
                for e in data["entries"]]

    def commit(self, source: str, game_date: date, written_at: datetime, entries: Sequence[Entry]) -> str:
        """Write the partition's new manifest; returns its fingerprint (the items' hashes)."""
        ordered = sorted(entries, key=lambda e: (e.item, e.key))
        fp = fingerprint(ordered)
        folder = self.root / "raw" / source / game_date.isoformat() / MANIFEST
        existing = self._manifests(source, game_date)
        n = int(existing[-1].name.split("-", 1)[0]) + 1 if existing else 1
        name = f"{n:06d}-{utc_naive(written_at).strftime(_STAMP)}.json"
        doc = {"source": source, "game_date": game_date.isoformat(), "fingerprint": fp,
               "entries": [asdict(e) | {"games": list(e.games)} for e in ordered]}
        write_atomic(folder / name, json.dumps(doc, indent=1).encode())
        return fp

    def bodies(self, source: str, game_date: date) -> list[tuple[str, bytes]]:
        """(key, body) of every body of the partition that is still kept, in item order."""
        entries = self.manifest(source, game_date)
        if entries is None:
            return []
        out = []
        for e in entries:
            try:
                out.append((e.key, self.get(e.key)))
            except FileNotFoundError:  # quarantined since
                continue
        return out

    def keys(self, source: str, game_date: date) -> list[str]:
        """Keys of every body ever kept for (source, date), oldest first."""
        folder = self.root / "raw" / source / game_date.isoformat()
        if not folder.is_dir():
            return []
        found = [p for p in folder.rglob("*") if p.is_file() and MANIFEST not in p.parts
                 and not p.name.startswith(".")]
        found.sort(key=lambda p: (p.name, str(p)))
        return [str(p.relative_to(self.root)) for p in found]

    def latest(self, source: str, game_date: date) -> tuple[str, bytes] | None:
        """The most recently fetched body of the partition still in it, if any."""
        kept = self.bodies(source, game_date)
        if not kept:
            return None
        return max(kept, key=lambda kb: kb[0].rsplit("/", 1)[-1])

    def quarantine(self, key: str, reason: str) -> str:
        """Move the object out of `raw/` under `quarantine/`, keeping why; return its new key."""
        target_key = f"quarantine/{key}"
        target = self.path(target_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target.with_name(target.name + ".reason.txt"), reason.encode() + b"\n")
        if self.path(key).exists():
            shutil.move(self.path(key), target)
        return target_key


def fingerprint(entries: Iterable[Entry]) -> str:
    h = hashlib.blake2b(digest_size=8)
    for e in sorted(entries, key=lambda e: (e.item, e.sha)):
        h.update(f"{e.item}\0{e.sha}\n".encode())
    return h.hexdigest()
