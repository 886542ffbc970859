"""The run ledger: every attempt, every lease, and the facts a runner observed.

SQLite in WAL mode by default, beside the warehouse rather than inside it: DuckDB lets
one process hold its file and nobody else may even read it, while `status` in a second
terminal must work mid-backfill. WAL gives concurrent readers during a write and
serialises writers across processes. Several runners on several machines share a
Postgres ledger instead (`ledger = "postgresql://..."`), on the same code path
(`engine.ledgerdb` holds what differs); leases are then taken by one upsert whose
condition (free, expired, or a dead holder's) Postgres re-checks under the row lock. The ledger is append-mostly; the latest attempt per partition is what
the planner reads, and resuming a run is nothing more than planning again.

A process that dies mid-batch leaves its run and attempts `running`. Holders stamp their
open runs as they work (`runs.seen_at`, a heartbeat), and every read reports work whose
holder is gone as `interrupted`, with when it was last seen: derived on read rather than
rewritten, so readers never write, and a holder on another host judged dead too early by
its heartbeat is reported `running` again once it is seen.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from fullcourt import errors
from fullcourt.engine import ledgerdb
from fullcourt.engine.holders import HEARTBEAT_EVERY, attempt_state, holder_alive, judge
from fullcourt.engine.status import Outcome

__all__ = ["Attempt", "Ledger"]

@dataclass(frozen=True)
class Attempt:
    """The latest attempt on one partition, as the planner sees it.

    `running` is stored when a batch begins; an attempt whose holder died before it
    finished is reported `interrupted`, with `last_seen` its holder's last heartbeat.
    """

    run_id: str
    status: str  # running | interrupted | success | failed | gate_failed | unavailable
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
    last_seen: float | None = None


class Ledger:
    """The ledger of one home. `read_only` opens it the way readers must: nothing is
    created, migrated or written, and no file of the home changes (a quiescent ledger is
    opened immutable, so not even SQLite's shared-memory files appear). Readers only
    select: `history`, `runs`, `active_runs` and `latest` derive `interrupted` from
    heartbeats; writers migrate older files.

    `clock` stamps runs (start, end, heartbeats) and is "now" when judging heartbeats.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        timeout: float = 30.0,
        read_only: bool = False,
        clock: Callable[[], float] = time.time,
    ):
        self.url = str(path) if ledgerdb.is_url(path) else None
        self.path = Path(path) if self.url is None else None
        self.read_only = read_only
        where = ledgerdb.redacted(self.url) if self.url else str(self.path)
        if read_only and self.path is not None and not self.path.is_file():
            raise errors.HomeError(f"no ledger at {self.path}: nothing has run in this home")
        try:
            self.db = ledgerdb.connect(path, read_only=read_only, timeout=timeout)
        except errors.FullcourtError:
            raise
        except Exception as exc:  # noqa: BLE001 - the driver's own errors, in one line
            raise errors.HomeError(_unusable(where, exc)) from exc

        self._lock = threading.RLock()
        # `latest` is read before every planning round: keep it, and read only what changed
        # since (new rows by id, finished rows by end time; SQLite hands out ids in commit order).
        self._latest: dict[tuple[str, date], tuple[int, Attempt]] = {}
        self._max_id = 0
        self._read_at = 0.0
        # A code version's modules never change (the version is their hash): read each once.
        self._modules: dict[str, dict[str, str]] = {}
        self._modules_rowid = 0
        self.clock = clock
        self._beats: dict[str, float] = {}  # holder -> when this process last stamped its runs
        self._has_seen_at = False

    def close(self) -> None:
        self.db.close()

    def _write(self, sql: str, params: Iterable = ()):
        with self._lock:
            return self.db.execute(sql, tuple(params))

    def _many(self, sql: str, rows: Iterable[Sequence]) -> None:
        with self._lock:
            self.db.begin()
            try:
                self.db.executemany(sql, rows)
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise

    # -- heartbeats -------------------------------------------------------------------------

    def _seen_column(self) -> bool:
        """Whether `runs.seen_at` exists: ledgers written before heartbeats lack it."""
        if not self._has_seen_at:
            self._has_seen_at = "seen_at" in self.db.columns("runs")
        return self._has_seen_at

    def _migrate(self) -> None:
        """Add what an older ledger file lacks; writers only, so readers never write."""
        if self._seen_column():
            return
        with self._lock:
            self.db.begin()
            try:
                if not self._seen_column():  # another writer may have added it meanwhile
                    self.db.execute("ALTER TABLE runs ADD COLUMN seen_at REAL")
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
        self._has_seen_at = True

    def _seen_sql(self, alias: str) -> str:
        """When a run was last seen: its heartbeat, or its start on an older ledger."""
        if self._seen_column():
            return f"coalesce({alias}.seen_at, {alias}.started_at)"
        return f"{alias}.started_at"

    def _beat(self, holders: Iterable[str]) -> None:
        """Stamp the open runs of `holders` as seen now, at most every HEARTBEAT_EVERY s."""
        now = self.clock()
        with self._lock:
            due = [h for h in holders if now - self._beats.get(h, float("-inf")) >= HEARTBEAT_EVERY]
            if not due:
                return
            self._beats.update(dict.fromkeys(due, now))
            self._migrate()
            self._many(
                "UPDATE runs SET seen_at = ? WHERE holder = ? AND ended_at IS NULL",
                [(now, h) for h in due],
            )

    # -- runs ------------------------------------------------------------------------------

    def start_run(self, command: str, holder: str) -> str:
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self._migrate()
        now = self.clock()
        self._write(
            "INSERT INTO runs (run_id, command, holder, started_at, ended_at, status, seen_at)"
            " VALUES (?, ?, ?, ?, NULL, 'running', ?)",
            (run_id, command, holder, now, now),
        )
        with self._lock:
            self._beats[holder] = now
        return run_id

    def end_run(self, run_id: str, status: str) -> None:
        self._migrate()
        now = self.clock()
        self._write(
            "UPDATE runs SET ended_at = ?, seen_at = ?, status = ? WHERE run_id = ?",
            (now, now, status, run_id),
        )

    def runs(self, limit: int = 50) -> list[dict]:
        """Runs, newest first. One whose holder died is `interrupted`, with `last_seen`."""
        return self._runs("", (), limit)

    def active_runs(self) -> list[dict]:
        """Runs whose holder is still at work."""
        return [
            {k: r[k] for k in ("run_id", "command", "holder", "started_at", "last_seen")}
            for r in self._runs("WHERE status = 'running'", (), -1)
            if r["status"] == "running"
        ]

    def _runs(self, where: str, params: Sequence, limit: int) -> list[dict]:
        cur = self.db.execute(
            "SELECT run_id, command, holder, started_at, ended_at, status,"
            f" {self._seen_sql('runs')} AS last_seen FROM runs {where}"
            f" ORDER BY started_at DESC, {self.db.rowid} DESC"
            + (" LIMIT ?" if limit >= 0 else ""),
            [*params, *([limit] if limit >= 0 else [])],
        )
        names = [c[0] for c in cur.description]
        dead = judge(self.clock())
        out = []
        for r in cur.fetchall():
            row = dict(zip(names, r, strict=True))
            if row["status"] != "running":
                row["last_seen"] = None
            elif dead(row["holder"], row["last_seen"]):
                row["status"] = "interrupted"
            out.append(row)
        return out

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
            self.db.begin()
            try:
                if code_modules and code_version not in self._modules:
                    self.db.execute(
                        "INSERT INTO code_versions (version, modules) VALUES (?, ?)"
                        " ON CONFLICT (version) DO NOTHING",
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
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
            if code_modules:
                self._modules.setdefault(code_version, dict(sorted(code_modules.items())))
        return batch_id

    def recorded_modules(self) -> dict[str, dict[str, str]]:
        """The modules of every recorded code version: {version: {module: hash}}."""
        with self._lock:
            try:
                seq = self.db.rowid
                rows = self.db.execute(
                    f"SELECT {seq}, version, modules FROM code_versions WHERE {seq} > ?",
                    (self._modules_rowid,),
                ).fetchall()
            except self.db.missing:  # a ledger older than recorded modules, read-only
                rows = []
            for rowid, version, modules in rows:
                self._modules[version] = json.loads(modules)
                self._modules_rowid = max(self._modules_rowid, rowid)
            return dict(self._modules)

    def finish(
        self,
        batch_id: str,
        table: str,
        outcomes: Mapping[date, Outcome],
    ) -> None:
        """Close a batch: per date how its attempt ended."""
        now = time.time()
        self._many(
            "UPDATE attempts SET status = ?, rows = ?, games = ?, fingerprint = ?, error = ?,"
            " ended_at = ? WHERE batch_id = ? AND table_name = ? AND game_date = ?",
            [
                (str(o.status), o.rows, o.games, o.fingerprint, o.error, now, batch_id, table, d.isoformat())
                for d, o in outcomes.items()
            ],
        )
        self._beat(list(self._beats))

    def latest(self, tables: Iterable[str] | None = None) -> dict[tuple[str, date], Attempt]:
        """The newest attempt per partition; after the first call, only changes are read."""
        with self._lock:
            now = time.time()
            since = self._read_at - 5.0
            late = "" if self.db.ids_in_commit_order else " OR started_at > ?"
            rows = self.db.execute(
                "SELECT id, table_name, game_date, run_id, status, rows, games, fingerprint,"
                " input_fp, code_version, error, holder, attempt, started_at, ended_at"
                f" FROM attempts WHERE id > ? OR ended_at > ?{late}",
                (self._max_id, since) + (() if self.db.ids_in_commit_order else (since,)),
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
            picked = {k: a for k, (_, a) in cache.items() if wanted is None or k[0] in wanted}
            return self._judged(picked)

    def _judged(self, attempts: dict[tuple[str, date], Attempt]) -> dict[tuple[str, date], Attempt]:
        """The attempts with `running` ones of dead holders reported `interrupted`."""
        open_runs = sorted({a.run_id for a in attempts.values() if a.status == "running"})
        if not open_runs:
            return attempts
        runs: dict[str, tuple[float | None, float | None]] = {}
        for i in range(0, len(open_runs), 500):
            chunk = open_runs[i : i + 500]
            for run_id, seen, ended in self.db.execute(
                f"SELECT run_id, {self._seen_sql('runs')}, ended_at FROM runs"
                f" WHERE run_id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                runs[run_id] = (seen, ended)
        dead = judge(self.clock())
        out = dict(attempts)
        for k, a in attempts.items():
            if a.status == "running":
                seen, ended = runs.get(a.run_id, (None, None))
                status, last = attempt_state(a.status, a.holder, a.started_at, seen, ended, dead)
                out[k] = replace(a, status=status, last_seen=last)
        return out

    def history(
        self, table: str | None = None, game_date: date | None = None, limit: int = 1000
    ) -> list[dict]:
        """Attempts, newest first. One left `running` by a holder that died is reported
        `interrupted`; `last_seen` is set on running and interrupted attempts."""
        clauses, params = [], []
        if table:
            clauses.append("a.table_name = ?")
            params.append(table)
        if game_date:
            clauses.append("a.game_date = ?")
            params.append(game_date.isoformat())
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        cur = self.db.execute(
            "SELECT a.run_id, a.table_name, a.game_date, a.status, a.rows, a.games,"
            " a.fingerprint, a.input_fp, a.code_version, a.started_at, a.ended_at, a.error,"
            f" a.attempt, a.holder, {self._seen_sql('r')} AS run_seen, r.ended_at AS run_ended"
            " FROM attempts a LEFT JOIN runs r ON r.run_id = a.run_id"
            f" {where} ORDER BY a.id DESC LIMIT ?",
            [*params, limit],
        )
        names = [c[0] for c in cur.description]
        dead = judge(self.clock())
        out = []
        for r in cur.fetchall():
            row = dict(zip(names, r, strict=True))
            run_seen, run_ended = row.pop("run_seen"), row.pop("run_ended")
            row["status"], row["last_seen"] = attempt_state(
                row["status"], row["holder"], row["started_at"], run_seen, run_ended, dead
            )
            out.append(row)
        return out

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
        except self.db.missing:  # a ledger older than the fetch ledger, read-only
            return []
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    # -- leases ----------------------------------------------------------------------------

    def acquire(
        self, holder: str, table: str, dates: Sequence[date], ttl: float = 600.0
    ) -> list[date]:
        """Lease the dates nobody live holds; returns the dates granted.

        One upsert per chunk of dates takes a lease that is free, expired, or already
        this holder's; Postgres re-checks that condition under the row lock, so two
        runners racing for one partition never both get it (SQLite's write lock
        serialises them anyway). Leases of holders on this host that died go first."""
        now = time.time()
        granted: list[date] = []
        with self._lock:
            self.db.begin()
            try:
                dead = sorted({
                    h for (h,) in self.db.execute(
                        "SELECT DISTINCT holder FROM leases WHERE table_name = ?"
                        " AND holder <> ? AND expires_at > ?",
                        (table, holder, now),
                    ).fetchall()
                    if not holder_alive(h)
                })  # fmt: skip
                for h in dead:
                    self.db.execute(
                        "DELETE FROM leases WHERE table_name = ? AND holder = ?", (table, h)
                    )
                wanted = sorted({d.isoformat() for d in dates})
                for i in range(0, len(wanted), 200):
                    chunk = wanted[i : i + 200]
                    values = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
                    params = [x for d in chunk for x in (table, d, holder, now + ttl)]
                    granted.extend(
                        date.fromisoformat(d)
                        for (d,) in self.db.execute(
                            "INSERT INTO leases (table_name, game_date, holder, expires_at)"
                            f" VALUES {values} ON CONFLICT (table_name, game_date) DO UPDATE"
                            " SET holder = excluded.holder, expires_at = excluded.expires_at"
                            " WHERE leases.holder = excluded.holder OR leases.expires_at <= ?"
                            " RETURNING game_date",
                            [*params, now],
                        ).fetchall()
                    )
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise
        self._beat([holder])
        return sorted(granted)

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
        """Record what the warehouse holds; unchanged facts are not written again, so a
        reader (`fullcourt status`) leaves the ledger file as it found it."""
        now = time.time()
        rows = {(d.isoformat(), f.rows, f.games, f.fingerprint) for d, f in facts.items()}
        with self._lock:
            stored = set(self.db.execute(
                "SELECT game_date, rows, games, fingerprint FROM facts WHERE table_name = ?",
                (table,),
            ).fetchall())  # fmt: skip
            if (rows == stored) if replace_all else (rows <= stored):
                return
            self.db.begin()
            try:
                if replace_all:
                    self.db.execute("DELETE FROM facts WHERE table_name = ?", (table,))
                self.db.executemany(
                    "INSERT INTO facts (table_name, game_date, rows, games, fingerprint,"
                    " observed_at) VALUES (?,?,?,?,?,?) ON CONFLICT (table_name, game_date)"
                    " DO UPDATE SET rows = excluded.rows, games = excluded.games,"
                    " fingerprint = excluded.fingerprint, observed_at = excluded.observed_at",
                    [(table, *row, now) for row in rows],
                )
                self.db.commit()
            except BaseException:
                self.db.rollback()
                raise

    def load_facts(self) -> dict[str, dict[date, tuple[int, int, str]]]:
        out: dict[str, dict[date, tuple[int, int, str]]] = {}
        for t, d, r, g, fp in self.db.execute(
            "SELECT table_name, game_date, rows, games, fingerprint FROM facts"
        ).fetchall():
            out.setdefault(t, {})[date.fromisoformat(d)] = (r, g, fp)
        return out

    def save_calendar(self, days: Mapping[date, tuple[str, dict]]) -> None:
        rows = {(d.isoformat(), s, json.dumps(p)) for d, (s, p) in days.items()}
        with self._lock:
            if rows == set(self.db.execute("SELECT game_date, season, payload FROM calendar")):
                return  # unchanged: a reader writes nothing
            self.db.begin()
            try:
                self.db.execute("DELETE FROM calendar")
                self.db.executemany(
                    "INSERT INTO calendar (game_date, season, payload) VALUES (?,?,?)",
                    sorted(rows),
                )
                self.db.commit()
            except BaseException:
                self.db.rollback()
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
        except self.db.missing:  # a ledger written before requests were recorded
            return []
        return sorted(s for (s,) in rows if s)

    def load_calendar(self) -> dict[date, tuple[str, dict]]:
        return {
            date.fromisoformat(d): (s, json.loads(p))
            for d, s, p in self.db.execute("SELECT game_date, season, payload FROM calendar")
        }

    # -- for operators --------------------------------------------------------------------

    def schema_problems(self) -> list[str]:
        """Tables or columns this ledger lacks against the current schema ([] when current);
        a read-only reader cannot migrate, so `doctor` says what a writer would add."""
        have = {t: self.db.columns(t) for t in _expected_columns()}
        problems = []
        for table, cols in _expected_columns().items():
            if not have[table]:
                problems.append(f"table {table} missing")
            elif missing := [c for c in cols if c not in have[table]]:
                problems.append(f"{table} lacks {', '.join(missing)}")
        return problems


def _expected_columns() -> dict[str, list[str]]:
    """The current schema's columns per table, read off the one schema text."""
    import sqlite3

    want = sqlite3.connect(":memory:")
    try:
        want.executescript(ledgerdb.SCHEMA.format(
            serial="INTEGER PRIMARY KEY AUTOINCREMENT", int="INTEGER", runs_seq="", versions_seq=""))
        names = [r[0] for r in want.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                 if not r[0].startswith("sqlite_")]
        return {t: [c[1] for c in want.execute(f'PRAGMA table_info("{t}")')] for t in names}
    finally:
        want.close()


def _stamp(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _unusable(path: str, exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    if "full" in first.lower():
        return f"disk full writing the ledger {path}: free some space and run the same command again"
    if "://" in path:
        return f"ledger {path} cannot be reached ({first}): check the server and the URL"
    return (
        f"ledger {path} cannot be read ({first}): restore it or move it aside "
        "(a new ledger starts empty and `fullcourt heal` rebuilds what it lacks)"
    )
