"""The run ledger: every attempt, every lease, and the facts a runner observed.

SQLite in WAL mode, beside the warehouse rather than inside it: DuckDB lets one process
hold its file and nobody else may even read it, while `status` in a second terminal must
work mid-backfill. WAL gives concurrent readers during a write and serialises writers
across processes. The ledger is append-mostly; the latest attempt per partition is what
the planner reads, and resuming a run is nothing more than planning again.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from fullcourt import errors

__all__ = ["Attempt", "Ledger", "new_holder"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, command TEXT, holder TEXT, started_at REAL, ended_at REAL,
    status TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT, batch_id TEXT, table_name TEXT, game_date TEXT, status TEXT,
    rows INTEGER, games INTEGER, fingerprint TEXT, input_fp TEXT, code_version TEXT,
    started_at REAL, ended_at REAL, error TEXT, attempt INTEGER, holder TEXT
);
CREATE INDEX IF NOT EXISTS attempts_partition ON attempts (table_name, game_date, id);
CREATE INDEX IF NOT EXISTS attempts_ended ON attempts (ended_at);
CREATE TABLE IF NOT EXISTS leases (
    table_name TEXT, game_date TEXT, holder TEXT, expires_at REAL,
    PRIMARY KEY (table_name, game_date)
);
CREATE TABLE IF NOT EXISTS facts (
    table_name TEXT, game_date TEXT, rows INTEGER, games INTEGER, fingerprint TEXT,
    observed_at REAL, PRIMARY KEY (table_name, game_date)
);
CREATE TABLE IF NOT EXISTS calendar (
    game_date TEXT PRIMARY KEY, season TEXT, payload TEXT
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, season TEXT, first_date TEXT,
    last_date TEXT, at REAL
);
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT, source TEXT, game_date TEXT, item TEXT, service TEXT, url TEXT,
    status INTEGER, bytes INTEGER, records INTEGER, object_key TEXT, fetched_at TEXT,
    error TEXT, quota_remaining INTEGER, quota_used INTEGER
);
CREATE INDEX IF NOT EXISTS fetches_partition ON fetches (source, game_date, id);
CREATE TABLE IF NOT EXISTS code_versions (
    version TEXT PRIMARY KEY, modules TEXT  -- JSON {module: code hash} the version hashes
);
"""


@dataclass(frozen=True)
class Attempt:
    """The latest attempt on one partition, as the planner sees it."""

    run_id: str
    status: str  # running | success | failed | gate_failed | unavailable
    rows: int | None
    games: int | None
    fingerprint: str | None
    input_fp: str | None
    code_version: str | None
    error: str | None
    holder: str | None
    attempt: int
    started_at: float | None = None
    ended_at: float | None = None


def new_holder() -> str:
    """`host:pid:nonce`, so a lease names a process that can be checked for life."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_alive(holder: str) -> bool:
    host, pid, *_ = holder.split(":") + ["", ""]
    if host != socket.gethostname():
        return True  # cannot tell; the lease expiry decides
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


class Ledger:
    """The ledger of one home. `read_only` opens it the way readers must: nothing is
    created, migrated or written, and no file of the home changes (a quiescent ledger is
    opened immutable, so not even SQLite's shared-memory files appear)."""

    def __init__(self, path: Path | str, *, timeout: float = 30.0, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        try:
            if read_only:
                if not self.path.is_file():
                    raise errors.HomeError(f"no ledger at {self.path}: nothing has run in this home")
                quiet = not Path(f"{self.path}-wal").exists()  # no writer has it open
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro" + ("&immutable=1" if quiet else "")
                self.db = sqlite3.connect(
                    uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
                )
                self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            else:
                self.db = sqlite3.connect(
                    str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
                )
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise errors.HomeError(_unusable(self.path, exc)) from exc

        self._lock = threading.RLock()
        # `latest` is read before every planning round: keep it, and read only what changed
        # since (new rows by id, finished rows by end time; SQLite hands out ids in commit order).
        self._latest: dict[tuple[str, date], tuple[int, Attempt]] = {}
        self._max_id = 0
        self._read_at = 0.0
        # A code version's modules never change (the version is their hash): read each once.
        self._modules: dict[str, dict[str, str]] = {}
        self._modules_rowid = 0

    def close(self) -> None:
        self.db.close()

    def _write(self, sql: str, params: Iterable = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.db.execute(sql, tuple(params))

    def _many(self, sql: str, rows: Iterable[Sequence]) -> None:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(sql, rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # -- runs ------------------------------------------------------------------------------

    def start_run(self, command: str, holder: str) -> str:
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self._write(
            "INSERT INTO runs VALUES (?, ?, ?, ?, NULL, 'running')",
            (run_id, command, holder, time.time()),
        )
        return run_id

    def end_run(self, run_id: str, status: str) -> None:
        self._write(
            "UPDATE runs SET ended_at = ?, status = ? WHERE run_id = ?",
            (time.time(), status, run_id),
        )

    def active_runs(self) -> list[dict]:
        rows = self.db.execute(
            "SELECT run_id, command, holder, started_at FROM runs WHERE status = 'running'"
        ).fetchall()
        return [
            {"run_id": r, "command": c, "holder": h, "started_at": s}
            for r, c, h, s in rows
            if holder_alive(h)
        ]

    # -- attempts --------------------------------------------------------------------------

    def begin(
        self,
        run_id: str,
        table: str,
        dates: Sequence[date],
        holder: str,
        input_fps: Mapping[date, str],
        code_version: str,
        attempt: int = 1,
        code_modules: Mapping[str, str] | None = None,
    ) -> str:
        """Record a batch as running; `code_modules` are the {module: hash} that
        `code_version` was made of, kept once per version so a later plan can name the
        modules that changed since."""
        batch_id = uuid.uuid4().hex[:10]
        now = time.time()
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if code_modules and code_version not in self._modules:
                    self.db.execute(
                        "INSERT OR IGNORE INTO code_versions VALUES (?, ?)",
                        (code_version, json.dumps(dict(sorted(code_modules.items())))),
                    )
                self.db.executemany(
                    "INSERT INTO attempts (run_id, batch_id, table_name, game_date, status,"
                    " input_fp, code_version, started_at, attempt, holder)"
                    " VALUES (?,?,?,?, 'running', ?,?,?,?,?)",
                    [
                        (run_id, batch_id, table, d.isoformat(), input_fps.get(d), code_version,
                         now, attempt, holder)
                        for d in dates
                    ],
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            if code_modules:
                self._modules.setdefault(code_version, dict(sorted(code_modules.items())))
        return batch_id

    def recorded_modules(self) -> dict[str, dict[str, str]]:
        """The modules of every recorded code version: {version: {module: hash}}."""
        with self._lock:
            try:
                rows = self.db.execute(
                    "SELECT rowid, version, modules FROM code_versions WHERE rowid > ?",
                    (self._modules_rowid,),
                ).fetchall()
            except sqlite3.OperationalError:  # a ledger older than recorded modules, read-only
                rows = []
            for rowid, version, modules in rows:
                self._modules[version] = json.loads(modules)
                self._modules_rowid = max(self._modules_rowid, rowid)
            return dict(self._modules)

    def finish(
        self,
        batch_id: str,
        table: str,
        outcomes: Mapping[date, tuple[str, int | None, int | None, str | None, str | None]],
    ) -> None:
        """Close a batch: per date (status, rows, games, fingerprint, error)."""
        now = time.time()
        self._many(
            "UPDATE attempts SET status = ?, rows = ?, games = ?, fingerprint = ?, error = ?,"
            " ended_at = ? WHERE batch_id = ? AND table_name = ? AND game_date = ?",
            [
                (s, r, g, fp, err, now, batch_id, table, d.isoformat())
                for d, (s, r, g, fp, err) in outcomes.items()
            ],
        )

    def latest(self, tables: Iterable[str] | None = None) -> dict[tuple[str, date], Attempt]:
        """The newest attempt per partition; after the first call, only changes are read."""
        with self._lock:
            now = time.time()
            rows = self.db.execute(
                "SELECT id, table_name, game_date, run_id, status, rows, games, fingerprint,"
                " input_fp, code_version, error, holder, attempt, started_at, ended_at"
                " FROM attempts WHERE id > ? OR ended_at > ?",
                (self._max_id, self._read_at - 5.0),
            ).fetchall()
            cache = self._latest
            for r in rows:
                key = (r[1], date.fromisoformat(r[2]))
                held = cache.get(key)
                if held is None or r[0] >= held[0]:
                    cache[key] = (r[0], Attempt(*r[3:]))
                self._max_id = max(self._max_id, r[0])
            self._read_at = now
            wanted = None if tables is None else set(tables)
            return {k: a for k, (_, a) in cache.items() if wanted is None or k[0] in wanted}

    def history(
        self, table: str | None = None, game_date: date | None = None, limit: int = 1000
    ) -> list[dict]:
        clauses, params = [], []
        if table:
            clauses.append("table_name = ?")
            params.append(table)
        if game_date:
            clauses.append("game_date = ?")
            params.append(game_date.isoformat())
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        cur = self.db.execute(
            "SELECT run_id, table_name, game_date, status, rows, games, fingerprint, input_fp,"
            " code_version, started_at, ended_at, error, attempt, holder FROM attempts"
            f" {where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    # -- the fetch ledger: one row per request (or imported body) -------------------------

    def record_fetches(self, run_id: str, rows: Iterable[object]) -> None:
        """Rows with the fields of `sources.fetcher.FetchRow` (`status` "imported" rows
        come from `fullcourt import`); URLs and errors arrive with keys already removed."""
        batch = [
            (run_id, r.source, r.game_date.isoformat(), r.item, r.service, r.url, r.status,
             r.bytes, r.records, r.object_key, _stamp(r.fetched_at), r.error,
             r.quota_remaining, r.quota_used)
            for r in rows
        ]
        if batch:
            self._many(
                "INSERT INTO fetches (run_id, source, game_date, item, service, url, status, bytes,"
                " records, object_key, fetched_at, error, quota_remaining, quota_used)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                batch,
            )

    def fetches(self, source: str | None = None, game_date: date | None = None, limit: int = 1000) -> list[dict]:
        clauses, params = [], []
        if source:
            clauses.append("source = ?")
            params.append(source)
        if game_date:
            clauses.append("game_date = ?")
            params.append(game_date.isoformat())
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        try:
            cur = self.db.execute(f"SELECT * FROM fetches {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        except sqlite3.OperationalError:  # a ledger older than the fetch ledger, read-only
            return []
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    # -- leases ----------------------------------------------------------------------------

    def acquire(
        self, holder: str, table: str, dates: Sequence[date], ttl: float = 600.0
    ) -> list[date]:
        """Lease the dates nobody live holds; returns the dates granted."""
        now = time.time()
        granted: list[date] = []
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                held = {
                    d: h
                    for d, h, exp in self.db.execute(
                        "SELECT game_date, holder, expires_at FROM leases WHERE table_name = ?",
                        (table,),
                    ).fetchall()
                    if h != holder and exp > now and holder_alive(h)
                }
                rows = []
                for d in dates:
                    if d.isoformat() in held:
                        continue
                    granted.append(d)
                    rows.append((table, d.isoformat(), holder, now + ttl))
                self.db.executemany("INSERT OR REPLACE INTO leases VALUES (?,?,?,?)", rows)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return granted

    def release(self, holder: str, table: str | None = None, dates: Sequence[date] = ()) -> None:
        if table is None:
            self._write("DELETE FROM leases WHERE holder = ?", (holder,))
            return
        self._many(
            "DELETE FROM leases WHERE holder = ? AND table_name = ? AND game_date = ?",
            [(holder, table, d.isoformat()) for d in dates],
        )

    def leases(self) -> dict[tuple[str, date], str]:
        """Leases held right now by live holders."""
        now = time.time()
        return {
            (t, date.fromisoformat(d)): h
            for t, d, h, exp in self.db.execute(
                "SELECT table_name, game_date, holder, expires_at FROM leases"
            ).fetchall()
            if exp > now and holder_alive(h)
        }

    # -- observed facts and calendar, for readers that cannot open the warehouse -----------

    def save_facts(self, table: str, facts: Mapping[date, object], replace_all: bool = False) -> None:
        now = time.time()
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if replace_all:
                    self.db.execute("DELETE FROM facts WHERE table_name = ?", (table,))
                self.db.executemany(
                    "INSERT OR REPLACE INTO facts VALUES (?,?,?,?,?,?)",
                    [
                        (table, d.isoformat(), f.rows, f.games, f.fingerprint, now)
                        for d, f in facts.items()
                    ],
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def load_facts(self) -> dict[str, dict[date, tuple[int, int, str]]]:
        out: dict[str, dict[date, tuple[int, int, str]]] = {}
        for t, d, r, g, fp in self.db.execute(
            "SELECT table_name, game_date, rows, games, fingerprint FROM facts"
        ).fetchall():
            out.setdefault(t, {})[date.fromisoformat(d)] = (r, g, fp)
        return out

    def save_calendar(self, days: Mapping[date, tuple[str, dict]]) -> None:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("DELETE FROM calendar")
                self.db.executemany(
                    "INSERT INTO calendar VALUES (?,?,?)",
                    [(d.isoformat(), s, json.dumps(p)) for d, (s, p) in days.items()],
                )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # -- what was ever asked for ---------------------------------------------------------

    def remember_request(self, run_id: str, dates: Iterable[date], season_of) -> None:
        """Record the seasons (and date span within each) a run was asked to cover, so a
        season whose schedule never arrived, or whose warehouse was lost, stays in view."""
        spans: dict[str, list[date]] = {}
        for d in dates:
            span = spans.setdefault(season_of(d), [d, d])
            span[0], span[1] = min(span[0], d), max(span[1], d)
        now = time.time()
        self._many(
            "INSERT INTO requests (run_id, season, first_date, last_date, at) VALUES (?,?,?,?,?)",
            [(run_id, s, lo.isoformat(), hi.isoformat(), now) for s, (lo, hi) in sorted(spans.items())],
        )

    def requested_seasons(self) -> list[str]:
        try:
            rows = self.db.execute("SELECT DISTINCT season FROM requests").fetchall()
        except sqlite3.OperationalError:  # a ledger written before requests were recorded
            return []
        return sorted(s for (s,) in rows if s)

    def load_calendar(self) -> dict[date, tuple[str, dict]]:
        return {
            date.fromisoformat(d): (s, json.loads(p))
            for d, s, p in self.db.execute("SELECT game_date, season, payload FROM calendar")
        }


def _stamp(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _unusable(path: Path, exc: sqlite3.DatabaseError) -> str:
    if "full" in str(exc).lower():
        return f"disk full writing the ledger {path}: free some space and run the same command again"
    return (
        f"ledger {path} cannot be read ({exc}): restore it or move it aside "
        "(a new ledger starts empty and `fullcourt heal` rebuilds what it lacks)"
    )
