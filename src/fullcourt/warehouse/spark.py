"""The Spark warehouse: the same tables and the same Ibis expressions, on PySpark.

Queries run on Spark through Ibis' pyspark backend, on `local[N]` or any master. Tables
are folders of immutable Parquet files under the warehouse location, one file per
(game_date, version), and one small pointer per partition naming its live file:

    <location>/<table>/_schema.parquet             zero rows: the table's columns
    <location>/<table>/data/<game_date>/<v>.parquet  immutable, never rewritten
    <location>/<table>/_live/<game_date>            the name <v> of the live file

A replace writes and fsyncs the new files first, then swaps each partition's pointer
with one `os.replace` (removing it when the partition is now empty). A rename is atomic,
so a driver killed at any moment leaves each partition pointing at its old file or its
new one, never at half of either; files a dead writer left unreferenced are removed
later, as are superseded ones once no reader can still be reading them (`GRACE`).
Readers read the pointers, so a table expression is a snapshot of the files live when
it was made. Two runners on one location write different partitions (the ledger's
leases keep them apart), and each partition's pointer is its own file, so they never
overwrite each other's work.

Rows pass through the driver on their way to Parquet: a partition is one day of games
(hundreds to thousands of rows), and writing it from the driver is what lets one rename
commit it. Facts are one grouped Spark query per table, as on DuckDB; the fingerprint
is a sum of xxhash64 row hashes, so it is comparable only with other Spark fingerprints.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fullcourt import errors
from fullcourt.catalog.schemas import arrow_schema
from fullcourt.files import write_atomic
from fullcourt.warehouse.facts import Facts

__all__ = ["GRACE", "Warehouse", "session"]

GRACE = 3600.0  # seconds a superseded file is kept for readers of an older snapshot
_DECIMALS = 9  # floats stored to 9 decimals, as on DuckDB
_U64 = 18446744073709551616

_sessions: dict[str, object] = {}
_session_lock = threading.Lock()


def session(master: str, location: Path):
    """This process's Spark session (one per process), configured for a small machine:
    few shuffle partitions, no UI, quiet logs, UTC, nothing fetched at run time."""
    from pyspark.sql import SparkSession

    with _session_lock:
        spark = _sessions.get(master)
        if spark is not None:
            return spark
        cores = _cores(master)
        if master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # a local driver stays on loopback
        quiet = _log_config(Path(tempfile.gettempdir()))
        builder = (
            SparkSession.builder.master(master)
            .appName("fullcourt")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(max(2, cores)))
            .config("spark.default.parallelism", str(max(2, cores)))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.sql.warehouse.dir", str(location / "_spark"))
            .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "1000000")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={quiet}")
        )
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        _sessions[master] = spark
        return spark


def _log_config(folder: Path) -> Path:
    """A log4j2 configuration that lets only errors through (Spark's default is chatty)."""
    target = folder / "fullcourt-spark-log4j2.properties"
    if not target.is_file():
        write_atomic(target, "rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = console\n"
                     "appender.console.type = Console\nappender.console.name = console\n"
                     "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n"
                     "appender.console.layout.pattern = %p %c{1}: %m%n\n", durable=False)
    return target


def _cores(master: str) -> int:
    if master.startswith("local[") and master[6:-1].isdigit():
        return int(master[6:-1])
    return os.cpu_count() or 2


class Warehouse:
    """Tables as folders of Parquet files under `location`, queried with Spark."""

    shared = True  # several runners may write one location at once (leases keep them apart)

    def __init__(self, location: Path | str, *, master: str = "local[2]", read_only: bool = False):
        self.location = Path(location)
        self.read_only = read_only
        self.master = master
        self.query_seconds = 0.0
        self._lock = threading.Lock()
        self._views: dict[str, tuple[tuple, ir.Table]] = {}
        if read_only and not self.location.is_dir():
            raise errors.WarehouseMissing(f"warehouse {self.location} is missing")
        if not read_only:
            self.location.mkdir(parents=True, exist_ok=True)
        self.spark = session(master, self.location)
        self.con = ibis.pyspark.connect(self.spark)
        self.suspended = False

    # -- the folders -------------------------------------------------------------------

    def _dir(self, table: str) -> Path:
        if not table or "/" in table or table.startswith((".", "_")):
            raise errors.PartitionError(f"not a table name: {table!r}", table, [])
        return self.location / table

    def _live(self, table: str) -> dict[date, Path]:
        """The live file of every partition of `table`, read from its pointers."""
        folder = self._dir(table)
        live = folder / "_live"
        out: dict[date, Path] = {}
        try:
            names = os.listdir(live)
        except FileNotFoundError:
            return out
        for name in names:
            if name.startswith("."):
                continue  # a pointer being written
            try:
                version = (live / name).read_text().strip()
            except FileNotFoundError:
                continue  # emptied meanwhile
            out[date.fromisoformat(name)] = folder / "data" / name / f"{version}.parquet"
        return out

    # -- reading -----------------------------------------------------------------------

    def has_table(self, name: str) -> bool:
        return (self._dir(name) / "_schema.parquet").is_file()

    def list_tables(self) -> set[str]:
        if not self.location.is_dir():
            return set()
        return {
            p.name for p in self.location.iterdir()
            if not p.name.startswith(("_", ".")) and (p / "_schema.parquet").is_file()
        }  # fmt: skip

    def table(self, name: str) -> ir.Table:
        """The table as its pointers say now: a snapshot, reused until a pointer changes."""
        if not self.has_table(name):
            raise errors.PartitionError(f"table {name} does not exist", name, [])
        live = self._live(name)
        schema_file = self._dir(name) / "_schema.parquet"
        key = (schema_file.stat().st_mtime_ns, tuple(sorted((d, str(p)) for d, p in live.items())))
        with self._lock:
            cached = self._views.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        view = f"fc_{name}_{uuid.uuid4().hex[:8]}"
        paths = [str(schema_file), *sorted(str(p) for p in live.values())]
        df = self.spark.read.option("mergeSchema", "true").parquet(*paths)
        columns = pq.read_schema(schema_file).names
        df.select(*columns).createOrReplaceTempView(view)
        t = self.con.table(view)
        with self._lock:
            self._views[name] = (key, t)
        return t

    def execute(self, expr: ir.Table) -> pa.Table:
        t0 = time.perf_counter()
        try:
            return self.con.to_pyarrow(expr)
        finally:
            self._spent(t0)

    def rows(self, expr: ir.Table) -> list[dict]:
        return self.execute(expr).to_pylist()

    def partition_rows(
        self, table: str, dates: Sequence[date], columns: Sequence[str]
    ) -> list[tuple]:
        live = self._live(table)
        out: list[tuple] = []
        for d in sorted(set(dates)):
            if d in live:
                part = pq.read_table(live[d], columns=list(columns))
                out.extend(zip(*(part.column(c).to_pylist() for c in columns), strict=True))
        return out

    def facts(self, table: str, dates: Iterable[date] | None = None) -> dict[date, Facts]:
        """Rows, distinct games and a fingerprint per date, in one grouped Spark query."""
        if not self.has_table(table):
            return {}
        from pyspark.sql import functions as F

        live = self._live(table)
        if dates is not None:
            wanted = set(dates)
            live = {d: p for d, p in live.items() if d in wanted}
        if not live:
            return {}
        t0 = time.perf_counter()
        schema_file = self._dir(table) / "_schema.parquet"
        columns = pq.read_schema(schema_file).names
        df = (
            self.spark.read.option("mergeSchema", "true")
            .parquet(str(schema_file), *sorted(str(p) for p in live.values()))
            .select(*columns)
        )
        games = F.countDistinct("game_id") if "game_id" in columns else F.count(F.lit(1))
        row_hash = F.xxhash64(*[F.col(c) for c in sorted(columns)]).cast("decimal(38,0)")
        rows = (
            df.groupBy("game_date")
            .agg(F.count(F.lit(1)).alias("n"), games.alias("g"), F.sum(row_hash).alias("h"))
            .collect()
        )
        self._spent(t0)
        return {
            r["game_date"]: Facts(int(r["n"]), int(r["g"]), f"{int(r['h']) % _U64:016x}")
            for r in rows
        }

    # -- writing -----------------------------------------------------------------------

    def ensure_table(self, name: str, schema: Mapping[str, str]) -> None:
        if not self.has_table(name):
            self._write_schema(name, arrow_schema(schema))

    def replace_partitions(
        self, table: str, dates: Sequence[date], expr: ir.Table | pa.Table
    ) -> int:
        """Replace `dates` of `table` with the rows of `expr` on those dates: new files
        first, then one atomic pointer swap per partition."""
        if self.read_only:
            raise errors.HomeError(f"warehouse {self.location} is open read-only")
        dates = sorted(set(dates))
        t0 = time.perf_counter()
        data = expr if isinstance(expr, pa.Table) else self.con.to_pyarrow(expr)
        if "game_date" not in data.column_names:
            raise errors.PartitionError(f"{table} has no game_date column", table, dates)
        data = _rounded(data)
        keep = pc.is_in(data["game_date"], value_set=pa.array(dates, pa.date32()))
        data = data.filter(keep)
        self._widen_schema(table, data.schema)
        folder = self._dir(table)
        version = f"{time.time_ns():x}-{uuid.uuid4().hex[:8]}"
        by_date = _split(data, dates)
        for d in dates:  # every new file durable before any pointer moves
            part = by_date.get(d)
            if part is not None and part.num_rows:
                target = folder / "data" / d.isoformat() / f"{version}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp")
                pq.write_table(part, tmp)
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
        live = folder / "_live"
        live.mkdir(parents=True, exist_ok=True)
        for d in dates:  # one rename commits one partition
            pointer = live / d.isoformat()
            part = by_date.get(d)
            if part is not None and part.num_rows:
                write_atomic(pointer, version + "\n")
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(pointer)
        _fsync_dir(live)
        for d in dates:
            self._collect(folder / "data" / d.isoformat(), by_date.get(d) is not None and version)
        with self._lock:
            self._views.pop(table, None)
        self._spent(t0)
        return data.num_rows

    def _write_schema(self, table: str, schema: pa.Schema) -> None:
        folder = self._dir(table)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "_schema.parquet"
        tmp = folder / f"._schema.{uuid.uuid4().hex[:8]}.tmp"
        pq.write_table(schema.empty_table(), tmp)
        os.replace(tmp, target)

    def _widen_schema(self, table: str, incoming: pa.Schema) -> None:
        """The table's columns, plus any new ones (older files read them as NULL)."""
        target = self._dir(table) / "_schema.parquet"
        if not target.is_file():
            self._write_schema(table, incoming)
            return
        current = pq.read_schema(target)
        extra = [f for f in incoming if f.name not in current.names]
        if extra:
            self._write_schema(table, pa.schema([*current, *extra]))

    def _collect(self, folder: Path, live: str | bool) -> None:
        """Remove files of this partition nobody points at any more, once old enough."""
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return
        pointer = self._dir(folder.parent.parent.name) / "_live" / folder.name
        try:
            current = pointer.read_text().strip()
        except FileNotFoundError:
            current = None
        cutoff = time.time() - GRACE
        for e in entries:
            stem = e.name.removesuffix(".parquet")
            if stem in (current, live):
                continue
            with contextlib.suppress(FileNotFoundError):
                if e.stat().st_mtime < cutoff:
                    os.unlink(e.path)

    # -- lifecycle ---------------------------------------------------------------------

    def suspend(self) -> None:
        """Nothing to let go of: other runners write the same location meanwhile."""

    def resume(self, wait: float = 3600.0) -> None:  # noqa: ARG002
        """Nothing to take back."""

    def close(self) -> None:
        """The session is the process's, shared by every warehouse it opens; it stops
        with the process."""
        with self._lock:
            self._views.clear()

    def _spent(self, t0: float) -> None:
        with self._lock:
            self.query_seconds += time.perf_counter() - t0


def _rounded(data: pa.Table) -> pa.Table:
    for i, field in enumerate(data.schema):
        if pa.types.is_floating(field.type):
            data = data.set_column(i, field, pc.round(data.column(i), _DECIMALS))
    return data


def _split(data: pa.Table, dates: Sequence[date]) -> dict[date, pa.Table]:
    if data.num_rows == 0:
        return {}
    data = data.sort_by([("game_date", "ascending")])
    days = data["game_date"].to_pylist()
    out: dict[date, pa.Table] = {}
    start = 0
    for i in range(1, len(days) + 1):
        if i == len(days) or days[i] != days[start]:
            out[days[start]] = data.slice(start, i - start)
            start = i
    return {d: t for d, t in out.items() if d in set(dates)}


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
