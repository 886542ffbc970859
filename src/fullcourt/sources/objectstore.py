"""Raw payloads kept as files: `raw/{source}/{game_date}/{fetched_at}.json` under a root.

Every fetch is kept, never overwritten in place, so a stat correction or a bad payload
can be traced to the exact bytes a provider sent. Writes go to a temporary file in the
same folder and are renamed into place (`os.replace`), so a reader — or a crash — sees
either no object or the whole object. Payloads that fail validation are moved under
`quarantine/` next to a `.reason.txt`, which takes them out of `latest` so the next
fetch, not the bad one, is what phase 2 parses.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime
from pathlib import Path

from fullcourt.files import write_atomic
from fullcourt.sources.faults import utc_naive

__all__ = ["ObjectStore"]

_STAMP = "%Y%m%dT%H%M%S%fZ"


class ObjectStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    @staticmethod
    def key(source: str, game_date: date, fetched_at: datetime) -> str:
        return f"raw/{source}/{game_date.isoformat()}/{utc_naive(fetched_at).strftime(_STAMP)}.json"

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, source: str, game_date: date, fetched_at: datetime, body: bytes) -> str:
        """Store `body` atomically and return its key."""
        key = self.key(source, game_date, fetched_at)
        write_atomic(self.path(key), body)
        return key

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def keys(self, source: str, game_date: date) -> list[str]:
        """Keys of every kept payload of (source, date), oldest first."""
        folder = self.root / "raw" / source / game_date.isoformat()
        if not folder.is_dir():
            return []
        names = sorted(p.name for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
        return [f"raw/{source}/{game_date.isoformat()}/{n}" for n in names]

    def latest(self, source: str, game_date: date) -> tuple[str, bytes] | None:
        """The most recently fetched payload of (source, date), if any."""
        keys = self.keys(source, game_date)
        if not keys:
            return None
        return keys[-1], self.get(keys[-1])

    def quarantine(self, key: str, reason: str) -> str:
        """Move the object out of `raw/` under `quarantine/`, keeping why; return its new key."""
        target_key = f"quarantine/{key}"
        target = self.path(target_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target.with_name(target.name + ".reason.txt"), reason.encode() + b"\n")
        shutil.move(self.path(key), target)
        return target_key
