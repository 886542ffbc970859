"""The warehouse: the only code that talks to a database engine.

`open(home, settings)` picks the engine the home's settings name — DuckDB by default,
Spark with `[warehouse] engine = "spark"` — and returns a `base.Warehouse`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fullcourt import errors

if TYPE_CHECKING:
    from fullcourt.config import Home
    from fullcourt.settings import Settings
    from fullcourt.warehouse.base import Warehouse

__all__ = ["open"]


def open(  # noqa: A001 - `warehouse.open(home, settings)` reads as what it does
    home: Home,
    settings: Settings | None = None,
    *,
    read_only: bool = False,
    wait: float = 0.0,
) -> Warehouse:
    """The home's warehouse on the engine its settings choose. Read-only opens of a
    warehouse that was never written raise `errors.WarehouseMissing`; a DuckDB file held
    by another process raises `errors.HomeBusy` after `wait` seconds."""
    if settings is None:
        from fullcourt import settings as settings_mod

        settings = settings_mod.load(home)
    chosen = settings.warehouse
    if chosen.engine == "spark":
        try:
            from fullcourt.warehouse import spark
        except ImportError as exc:
            raise errors.EnvironmentFault(
                f"warehouse.engine is spark but pyspark cannot be imported ({exc}); "
                "install fullcourt[spark] and a Java runtime"
            ) from None
        return spark.Warehouse(
            chosen.location or home.root / "spark-warehouse",
            master=chosen.master or "local[2]",
            read_only=read_only,
        )
    from fullcourt.warehouse import duck

    return duck.Warehouse(home.warehouse_path, read_only=read_only, wait=wait, memory=chosen.memory)
