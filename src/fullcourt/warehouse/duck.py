"""The DuckDB warehouse: the only code that writes tables.

Everything above this module speaks Ibis expressions; this adapter compiles them and
owns transactions. `replace_partitions` deletes and inserts a set of dates in one
transaction, so a re-run is idempotent and a crash leaves the old partition or the new
one, never half of each. Facts (rows, games, fingerprint per date) come from one grouped
query per table, whatever the number of dates.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.expr import operations as ops

from fullcourt import errors
from fullcourt.warehouse.facts import Facts

__all__ = ["Warehouse"]

_U64 = 18446744073709551616
_DECIMALS: int | None = 9  # None stores floats exactly as computed


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Warehouse:
    """One DuckDB file, opened by one process at a time (DuckDB's own rule)."""

    shared = False  # one process per file: DuckDB's lock keeps a second runner out

    def __init__(
        self,
        path: Path | str,
        *,
        read_only: bool = False,
        threads: int | None = None,
        wait: float = 0.0,
        memory: str | None = None,
    ):
        self.path = Path(path)
        self.read_only = read_only
        self.threads = threads
        self.memory = memory  # DuckDB's memory_limit, e.g. "512MB"; None: DuckDB's default
        self._lock = threading.Lock()
        self.query_seconds = 0.0
        self._generation = 0
        self._tables: dict[str, ir.Table] = {}
        self._compiled: dict[object, str] = {}  # query template -> its SQL (`_compile`)
        self._token = next(_tokens)  # id(self) can be reused after a close; this cannot
        self._connect(wait)

    def _connect(self, wait: float) -> None:
        """Open the file, waiting up to `wait` seconds for another process to let it go."""
        deadline = time.monotonic() + wait
        if self.read_only and not self.path.is_file():
            raise errors.WarehouseMissing(f"warehouse {self.path} is missing")
        while True:
            try:
                self._raw = duckdb.connect(str(self.path), read_only=self.read_only)
                break
            except duckdb.Error as exc:
                if not isinstance(exc, duckdb.IOException) or "lock" not in str(exc).lower():
                    raise _unusable(self.path, exc) from exc
                if time.monotonic() >= deadline:
                    raise errors.HomeBusy(
                        f"warehouse {self.path} is held by another fullcourt process; "
                        "wait for it to finish or pass --wait "
                        "(`fullcourt status` reads the ledger meanwhile)"
                    ) from exc
                time.sleep(0.2)
        if self.threads:
            self._raw.execute(f"SET threads = {int(self.threads)}")
        if self.memory:  # bound, not spliced: DuckDB itself rejects what is not a size
            self._raw.execute("SET memory_limit = ?", [self.memory])
        self._generation += 1
        self._tables = {}
        self.suspended = False

    def suspend(self) -> None:
        """Let go of the file between bursts of work, so another runner can write."""
        if not self.suspended:
            self._raw.close()
            self.suspended = True

    def resume(self, wait: float = 3600.0) -> None:
        if self.suspended:
            self._connect(wait)

    # -- reading -------------------------------------------------------------------------

    def has_table(self, name: str) -> bool:
        return name in self.list_tables()

    def list_tables(self) -> set[str]:
        rows = self._cursor().execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            " AND table_type = 'BASE TABLE' AND NOT starts_with(table_name, '_fc_')"
        ).fetchall()
        return {r[0] for r in rows}

    def table(self, name: str) -> ir.Table:
        """An Ibis table; its schema is looked up once, not per use (a query each time)."""
        with self._lock:
            cached = self._tables.get(name)
        if cached is None:
            cached = self.con.table(name)
            with self._lock:
                self._tables[name] = cached
        return cached

    def execute(self, expr: ir.Table) -> pa.Table:
        """Run an Ibis expression on a private cursor (safe from several threads)."""
        t0 = time.perf_counter()
        sql = self._compile(expr)
        cur = self._cursor()
        self._register_memtables(cur, expr)
        out = cur.sql(sql).to_arrow_table()
        self._spent(t0)
        return out

    def rows(self, expr: ir.Table) -> list[dict]:
        return self.execute(expr).to_pylist()

    def sql(self, query: str, params: Sequence | None = None) -> list[tuple]:
        try:
            return self._cursor().execute(query, params or []).fetchall()
        except duckdb.OutOfMemoryException as exc:
            raise self._out_of_memory() from exc

    def _out_of_memory(self) -> errors.EnvironmentFault:
        """One line for a query that needs more memory than DuckDB may use here."""
        return errors.EnvironmentFault(
            f"warehouse {self.path} needs more memory than its limit of {self.memory or 'DuckDB default'}:"
            ' raise it ([warehouse] memory = "4GB" in settings.toml, or FULLCOURT_WAREHOUSE_MEMORY)'
            " and run the same command again"
        )

    def partition_rows(
        self, table: str, dates: Sequence[date], columns: Sequence[str]
    ) -> list[tuple]:
        cols = ", ".join(_ident(c) for c in columns)
        return self.sql(
            f"SELECT {cols} FROM {_ident(table)} WHERE game_date IN (SELECT unnest(?::DATE[]))",
            [sorted(set(dates))],
        )

    def ensure_table(self, name: str, schema: Mapping[str, str]) -> None:
        """Create an empty table of a known schema (raw tables exist before their first write)."""
        cols = ", ".join(f"{_ident(c)} {_duck_type(t)}" for c, t in schema.items())
        self._cursor().execute(f"CREATE TABLE IF NOT EXISTS {_ident(name)} ({cols})")

    def facts(self, table: str, dates: Iterable[date] | None = None) -> dict[date, Facts]:
        """Rows, distinct games and a content fingerprint per date, in one grouped query."""
        if not self.has_table(table):
            return {}
        cols = self.table(table).columns  # cached schema: no lookup query per write
        games = "count(DISTINCT game_id)" if "game_id" in cols else "count(*)"
        where = ""
        params: list = []
        if dates is not None:
            dates = sorted(set(dates))
            if not dates:
                return {}
            where = "WHERE game_date IN (SELECT unnest(?::DATE[]))"
            params = [dates]
        query = (
            f"SELECT game_date, count(*), {games}, "
            f"(sum(hash(t)::HUGEINT) % {_U64})::UBIGINT "
            f"FROM {_ident(table)} t {where} GROUP BY game_date"
        )
        t0 = time.perf_counter()
        rows = self.sql(query, params)
        self._spent(t0)
        return {d: Facts(int(n), int(g), f"{int(h):016x}") for d, n, g, h in rows}

    # -- writing -------------------------------------------------------------------------

    def replace_partitions(
        self, table: str, dates: Sequence[date], expr: ir.Table | pa.Table
    ) -> int:
        """Atomically replace `dates` of `table` with the rows of `expr` on those dates."""
        dates = sorted(set(dates))
        t0 = time.perf_counter()
        cur = self._cursor()
        if isinstance(expr, pa.Table):
            cur.register("_fc_incoming", expr)
            source = "SELECT * FROM _fc_incoming"
        else:
            self._register_memtables(cur, expr)
            source = self._compile(expr)
        staged = "_fc_stage"
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {staged} AS SELECT * FROM ({source}) s "
            "WHERE game_date IN (SELECT unnest(?::DATE[]))",
            [dates],
        )
        stage_cols = cur.execute(f"DESCRIBE {staged}").fetchall()
        floats = [name for name, typ, *_ in stage_cols if typ in ("DOUBLE", "FLOAT")]
        if floats and _DECIMALS is not None:
            # Stored to 9 decimals, below any meaningful precision. Rounding alone cannot
            # make a fingerprint independent of batching (two sums an ulp apart may
            # straddle a rounding boundary): processors aggregate exactly for that
            # (`processors.analytics.sums`), and a stored value lands on their grid.
            sets = ", ".join(f"{_ident(c)} = round({_ident(c)}, {_DECIMALS})" for c in floats)
            cur.execute(f"UPDATE {staged} SET {sets}")
        began = False
        try:
            # Schema changes are committed on their own, before the data transaction:
            # DuckDB 2.0 mis-prunes `IN` filters on a table created and filled in one
            # transaction (it reads the empty table's statistics), and an empty table or
            # an extra NULL column is harmless if the write below never commits.
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {_ident(table)} AS SELECT * FROM {staged} LIMIT 0"
            )
            existing = {
                r[0]
                for r in cur.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                    [table],
                ).fetchall()
            }
            for name, typ, *_ in stage_cols:
                if name not in existing:
                    cur.execute(f"ALTER TABLE {_ident(table)} ADD COLUMN {_ident(name)} {typ}")
            with self._lock:
                self._tables.pop(table, None)
            cur.execute("BEGIN TRANSACTION")
            began = True
            cur.execute(
                f"DELETE FROM {_ident(table)} WHERE game_date IN (SELECT unnest(?::DATE[]))",
                [dates],
            )
            cur.execute(f"INSERT INTO {_ident(table)} BY NAME SELECT * FROM {staged}")
            n = cur.execute(f"SELECT count(*) FROM {staged}").fetchone()[0]
            cur.execute("COMMIT")
        except BaseException:
            if began:
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {staged}")
        self._spent(t0)
        return int(n)

    def _spent(self, t0: float) -> None:
        """Add to `query_seconds` (read by benchmarks); writes come from several threads."""
        with self._lock:
            self.query_seconds += time.perf_counter() - t0

    def close(self) -> None:
        self._raw.close()

    # -- internals -----------------------------------------------------------------------

    @property
    def con(self):
        """This thread's Ibis backend: DuckDB refuses concurrent calls on one connection."""
        local = _local.__dict__.setdefault("backends", {})
        key = (self._token, self._generation)
        backend = local.get(key)
        if backend is None:
            backend = local[key] = ibis.duckdb.from_connection(self._cursor())
        return backend

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        local = _local.__dict__.setdefault("cursors", {})
        key = (self._token, self._generation)
        cur = local.get(key)
        if cur is None:
            cur = self._raw.cursor()
            local[key] = cur
        return cur

    def _compile(self, expr: ir.Table) -> str:
        """The SQL of `expr`, compiled once per shape of query rather than once per batch.

        A processor's expression differs from one batch to the next only in the dates it
        filters on (`game_date.isin(dates)`), yet compiling it is most of the time of a
        small batch. So every set of date literals tested with IN is swapped for a
        placeholder date, the SQL of that template is kept, and the batch's dates are
        written into the kept SQL. Ibis nodes compare by structure, so the template is
        its own key; a query whose dates appear in any other form simply compiles anew.
        """
        op = expr.op()
        sets: dict[tuple, int] = {}
        swap = {}
        for node in op.find(ops.InValues):
            options = node.options
            if options and all(
                isinstance(o, ops.Literal) and o.dtype.is_date() and o.value is not None for o in options
            ):
                values = tuple(sorted({o.value for o in options}))
                i = sets.setdefault(values, len(sets))
                if i >= len(_PLACEHOLDERS):
                    return self.con.compile(expr)
                swap[node] = (ops.Literal(_PLACEHOLDERS[i], dtype="date"),)
        if not swap:
            return self.con.compile(expr)

        def placeholders(node, kwargs):  # rebuilt on the rewritten children, as Ibis requires
            if node in swap:
                args = kwargs or dict(zip(node.__argnames__, node.__args__, strict=True))
                return node.__recreate__({**args, "options": swap[node]})
            return node.__recreate__(kwargs) if kwargs else node

        template = op.replace(placeholders)
        with self._lock:
            sql = self._compiled.get(template)
        if sql is None:
            sql = self.con.compile(template.to_expr())
            if not all(_date_sql(_PLACEHOLDERS[i]) in sql for i in sets.values()):
                return self.con.compile(expr)  # the placeholder was rendered unlike a literal
            with self._lock:
                if len(self._compiled) >= _COMPILED_KEPT:
                    self._compiled.pop(next(iter(self._compiled)))
                self._compiled[template] = sql
        for values, i in sets.items():
            sql = sql.replace(_date_sql(_PLACEHOLDERS[i]), ", ".join(map(_date_sql, values)))
        return sql

    def _register_memtables(self, cur: duckdb.DuckDBPyConnection, expr: ir.Table) -> None:
        for op in expr.op().find(ops.InMemoryTable):
            cur.register(op.name, op.data.to_pyarrow(op.schema))


_local = threading.local()
_tokens = itertools.count()
# Dates no game is ever on, standing in for a query's date sets while it compiles.
_PLACEHOLDERS = tuple(date(1, 1, day) for day in range(1, 29))
_COMPILED_KEPT = 512  # templates kept per warehouse; the oldest goes first


def _date_sql(d: date) -> str:
    """A date as Ibis renders a date literal for DuckDB."""
    return f"MAKE_DATE({d.year}, {d.month}, {d.day})"


def _unusable(path: Path, exc: Exception) -> errors.FullcourtError:
    """One line for a warehouse file DuckDB refuses: full disk, or a damaged file."""
    first = (str(exc).strip().splitlines() or [""])[0]
    if "space left" in first.lower() or "disk is full" in first.lower():
        return errors.EnvironmentFault(
            f"disk full writing the warehouse {path}: free some space and run the same command again"
        )
    return errors.HomeError(
        f"warehouse {path} cannot be opened ({first}): move it aside and run `fullcourt heal`,"
        " which rebuilds it from the object store"
    )


def _duck_type(t: str) -> str:
    return {
        "string": "VARCHAR",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "int64": "BIGINT",
        "float64": "DOUBLE",
        "boolean": "BOOLEAN",
    }.get(t, t)
