"""Helpers for tests of read commands: a digest of every file of a home, and a process
that holds the warehouse the way a running backfill does."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["digest", "holding_warehouse"]


def digest(home: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `home` (new, lost or changed all show)."""
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*")) if p.is_file()
    }


@contextmanager
def holding_warehouse(home: Path) -> Iterator[subprocess.Popen]:
    """Another process with the warehouse open for writing (DuckDB: nobody else may open it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(120)",
         str(home / "warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()
