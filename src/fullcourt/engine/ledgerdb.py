"""The ledger's database: SQLite (a file in the home) or Postgres (a server several
runners on several machines share), behind one small connection interface.

The ledger writes one SQL text for both: `?` placeholders, upserts as
`INSERT ... ON CONFLICT ... DO UPDATE/NOTHING` (SQLite 3.24+ and Postgres), `RETURNING`
(SQLite 3.35+). What differs is here: how a connection opens (read-only too), how a
write transaction begins (`BEGIN IMMEDIATE` takes SQLite's write lock at once; Postgres
locks rows as they are written), the schema's types, the name of the insertion-order
column (`rowid` / `seq`), how columns are listed, and which error means "no such table".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from fullcourt import errors

__all__ = ["Connection", "connect", "is_url", "redacted"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, command TEXT, holder TEXT, started_at REAL, ended_at REAL,
    status TEXT, seen_at REAL{runs_seq}
);
CREATE TABLE IF NOT EXISTS attempts (
    id {serial},
    run_id TEXT, batch_id TEXT, table_name TEXT, game_date TEXT, status TEXT,
    rows {int}, games {int}, fingerprint TEXT, input_fp TEXT, code_version TEXT,
    started_at REAL, ended_at REAL, error TEXT, attempt {int}, holder TEXT
);
CREATE INDEX IF NOT EXISTS attempts_partition ON attempts (table_name, game_date, id);
CREATE INDEX IF NOT EXISTS attempts_ended ON attempts (ended_at);
CREATE TABLE IF NOT EXISTS leases (
    table_name TEXT, game_date TEXT, holder TEXT, expires_at REAL,
    PRIMARY KEY (table_name, game_date)
);
CREATE TABLE IF NOT EXISTS facts (
    table_name TEXT, game_date TEXT, rows {int}, games {int}, fingerprint TEXT,
    observed_at REAL, PRIMARY KEY (table_name, game_date)
);
CREATE TABLE IF NOT EXISTS calendar (
    game_date TEXT PRIMARY KEY, season TEXT, payload TEXT
);
CREATE TABLE IF NOT EXISTS requests (
    id {serial}, run_id TEXT, season TEXT, first_date TEXT,
    last_date TEXT, at REAL
);
CREATE TABLE IF NOT EXISTS fetches (
    id {serial},
    run_id TEXT, source TEXT, game_date TEXT, item TEXT, service TEXT, url TEXT,
    status {int}, bytes {int}, records {int}, object_key TEXT, fetched_at TEXT,
    error TEXT, quota_remaining {int}, quota_used {int}
);
CREATE INDEX IF NOT EXISTS fetches_partition ON fetches (source, game_date, id);
CREATE TABLE IF NOT EXISTS code_versions (
    version TEXT PRIMARY KEY, modules TEXT{versions_seq}
);
"""


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redacted(url: str) -> str:
    """A URL fit for a message: its password never appears."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    user = f"{parts.username}:***@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, parts.query, ""))


class Connection:
    """One ledger connection, autocommit unless `begin` opened a transaction."""

    kind: str
    rowid: str  # the column that orders rows by insertion
    ids_in_commit_order: bool  # whether a larger id was always committed later
    missing: tuple[type[BaseException], ...]  # "no such table" (an older ledger)
    errors: tuple[type[BaseException], ...]  # the driver's errors

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def begin(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def columns(self, table: str) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _Sqlite(Connection):
    kind = "sqlite"
    rowid = "rowid"
    ids_in_commit_order = True  # one writer at a time: ids are handed out in commit order
    missing = (sqlite3.OperationalError,)
    errors = (sqlite3.DatabaseError,)

    def __init__(self, path: Path, read_only: bool, timeout: float):
        if read_only:
            quiet = not Path(f"{path}-wal").exists()  # no writer has it open
            uri = f"file:{quote(str(path.resolve()))}?mode=ro" + ("&immutable=1" if quiet else "")
            self.db = sqlite3.connect(
                uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        else:
            self.db = sqlite3.connect(
                str(path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(
                SCHEMA.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", int="INTEGER",
                              runs_seq="", versions_seq="")  # fmt: skip
            )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.db.execute(f"PRAGMA table_info({table})")]

    def close(self) -> None:
        self.db.close()


class _Postgres(Connection):
    kind = "postgres"
    rowid = "seq"
    # Sequences hand out ids when rows are inserted, not when they commit: a reader
    # catching up by id also looks at rows started lately.
    ids_in_commit_order = False

    def __init__(self, url: str, read_only: bool, timeout: float):
        import psycopg
        from psycopg import errors as pg_errors

        self.missing = (pg_errors.UndefinedTable,)
        self.errors = (psycopg.Error,)
        self._psycopg = psycopg
        self.db = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
        if read_only:
            self.db.execute("SET default_transaction_read_only = on")
            found = self.db.execute("SELECT to_regclass('attempts') IS NOT NULL").fetchone()
            if not found or not found[0]:
                self.db.close()
                raise errors.HomeError(
                    f"no ledger at {redacted(url)}: nothing has run with this ledger"
                )
            return
        schema = SCHEMA.format(
            serial="BIGSERIAL PRIMARY KEY", int="BIGINT",
            runs_seq=", seq BIGSERIAL", versions_seq=", seq BIGSERIAL",
        ).replace(" REAL", " DOUBLE PRECISION")
        with self.db.transaction():
            # Two runners creating the schema at once would collide in the catalogs.
            self.db.execute("SELECT pg_advisory_xact_lock(7242016)")
            for statement in filter(str.strip, schema.split(";")):
                self.db.execute(statement)

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self.db.cursor() as cur:
                cur.executemany(self._sql(sql), rows)

    def begin(self) -> None:
        self.db.execute("BEGIN")

    def columns(self, table: str) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = %s AND table_schema = current_schema()"
                " ORDER BY ordinal_position",
                (table,),
            )
        ]

    def close(self) -> None:
        self.db.close()


def connect(target: str | Path, *, read_only: bool, timeout: float) -> Connection:
    """The ledger at `target`: a SQLite file path, or a postgresql:// URL."""
    if is_url(target):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise errors.EnvironmentFault(
                f"the ledger is a Postgres URL but psycopg cannot be imported ({exc}); "
                "install fullcourt[postgres]"
            ) from None
        return _Postgres(str(target), read_only, timeout)
    return _Sqlite(Path(target), read_only, timeout)
