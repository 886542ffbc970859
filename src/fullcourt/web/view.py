"""A long-lived reader of one home: what the dashboard's requests read from.

Opening a reader costs seconds on a real home (the catalog's code hashes, one grouped
query per table), too slow per request and needless while nothing changes. So the
catalog is loaded once, and a reader is kept until the home's files change (the ledger,
its WAL, the warehouse — by size and modification time) or a few seconds pass (leases
expire by the clock). Everything is read-only: `open_reader` never writes a file of the
home, holds the warehouse only while it reads it, and falls back to the ledger's facts
when a writer holds it, which the view reports in `note`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from fullcourt.config import Home
from fullcourt.engine.planner import PartitionStatus
from fullcourt.engine.runtime import Runtime, load_catalog, open_reader

__all__ = ["HomeView"]

T = TypeVar("T")


class HomeView:
    def __init__(self, home: Home, catalog_spec: str | None = None, ttl: float = 30.0):
        self.home = home
        self.ttl = ttl
        self.loaded = load_catalog(catalog_spec)
        self._lock = threading.RLock()
        self._rt: Runtime | None = None
        self._stamp: tuple = ()
        self._opened = 0.0
        self._memo: dict[Any, Any] = {}
        self._depth = 0  # a panel computing inside another reuses its reader

    @property
    def catalog(self):
        return self.loaded[0]

    def _files(self) -> tuple:
        out = []
        for path in (self.home.ledger_path, self.home.ledger_path.with_name(
                self.home.ledger_path.name + "-wal"), self.home.warehouse_path):
            try:
                st = path.stat()
                out.append((st.st_size, st.st_mtime_ns))
            except OSError:
                out.append(None)
        return tuple(out)

    def runtime(self) -> Runtime:
        """The current reader, reopened when the home changed or it is older than `ttl`."""
        with self._lock:
            stamp = self._files()
            fresh = self._rt is not None and stamp == self._stamp and time.monotonic() - self._opened < self.ttl
            if not fresh:
                if self._rt is not None:
                    self._rt.close()
                    self._rt = None
                self._memo.clear()
                self._rt = open_reader(self.home, loaded=self.loaded)
                self._stamp, self._opened = stamp, time.monotonic()
            assert self._rt is not None
            return self._rt

    def memo(self, key: Any, compute: Callable[[Runtime], T]) -> T:
        """`compute(runtime)` once per reader: a panel asked twice between changes is free."""
        with self._lock:
            rt = self._rt if self._depth and self._rt is not None else self.runtime()
            if key not in self._memo:
                self._depth += 1
                try:
                    self._memo[key] = compute(rt)
                finally:
                    self._depth -= 1
            return self._memo[key]

    def statuses(self, season: str | None) -> dict[tuple[str, date], PartitionStatus]:
        return self.memo(("statuses", season), lambda rt: rt.statuses([season] if season else []))

    def seasons(self) -> list[str]:
        return self.memo("seasons", lambda rt: rt.seasons())

    @property
    def note(self) -> str:
        """Where the facts came from, when not the warehouse itself ("" when they did)."""
        return self.memo("note", lambda rt: rt.note)

    def close(self) -> None:
        with self._lock:
            if self._rt is not None:
                self._rt.close()
                self._rt = None
