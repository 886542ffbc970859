"""Every error fullcourt raises on purpose.

The CLI catches `FullcourtError` in one place, prints one line and exits with the
error's `exit_code`; anything else is a bug and shows a traceback with `--debug`.

    FullcourtError
    ├── UsageError              bad input from the user (exit 2)
    │   ├── UnknownTable
    │   ├── UnknownPhase
    │   ├── BadDateRange
    │   ├── DateOutsideSeasons
    │   └── SettingsError       settings.toml or a FULLCOURT_* variable is invalid
    ├── HomeError               the data home cannot be used (exit 2)
    │   ├── HomeBusy            another runner holds the warehouse
    │   └── WarehouseMissing    the home has a ledger but no warehouse file
    ├── EnvironmentFault        the machine, not the input: disk full, a service down (exit 1)
    ├── CatalogError            a table spec is inconsistent (exit 2)
    ├── PartitionError          a build failed for some (table, dates)
    │   ├── TransientError      worth retrying with backoff (timeouts, 5xx, locks)
    │   ├── PayloadInvalid      a raw payload failed validation; it is quarantined
    │   ├── SourceUnavailable   the source provides none of this
    │   └── ModelError          a model is missing or does not match its features
    └── FetchError              a scrape failed
        └── TransientFetchError 5xx, timeouts: retried
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from datetime import date


class FullcourtError(Exception):
    """Base of every deliberate fullcourt error."""

    exit_code = 1


class UsageError(FullcourtError):
    exit_code = 2


class UnknownTable(UsageError):
    pass


class UnknownPhase(UsageError):
    pass


class BadDateRange(UsageError):
    pass


class DateOutsideSeasons(UsageError):
    pass


class SettingsError(UsageError):
    """One line naming the file (or variable), the key and the form it expects."""


class HomeError(FullcourtError):
    exit_code = 2


class HomeBusy(HomeError):
    pass


class WarehouseMissing(HomeError):
    pass


class EnvironmentFault(FullcourtError):
    """What a person fixes on the machine, not on the command line: exit 1."""

    exit_code = 1


class CatalogError(FullcourtError):
    exit_code = 2


class PartitionError(FullcourtError):
    """A failure tied to a table and some of its dates."""

    def __init__(self, message: str, table: str | None = None, dates: Sequence[date] = ()):
        super().__init__(message)
        self.table = table
        self.dates = tuple(dates)


class TransientError(PartitionError):
    pass


class PayloadInvalid(PartitionError):
    pass


class SourceUnavailable(PartitionError):
    pass


class ModelError(PartitionError):
    pass


class FetchError(FullcourtError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class TransientFetchError(FetchError):
    pass


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc`, from any layer (OS, SQLite, DuckDB), means the disk is full: the
    one environment failure no retry or narrowing can fix, so a run stops on it."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        text = str(exc).lower()
        if "no space left on device" in text or "database or disk is full" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def disk_full(where: object) -> EnvironmentFault:
    return EnvironmentFault(
        f"disk full writing under {where}: free some space and run the same command again "
        "(what was written is kept; the interrupted work is redone)"
    )
