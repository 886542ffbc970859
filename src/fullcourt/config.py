"""The data home: one folder holding warehouse, ledger, object store, models and exports."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fullcourt import errors

__all__ = ["DEFAULT_HOME", "Home"]

DEFAULT_HOME = "./fullcourt-home"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, path: str | os.PathLike | None = None) -> Home:
        return cls(Path(path or os.environ.get("FULLCOURT_HOME") or DEFAULT_HOME))

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def ledger_path(self) -> Path:
        return self.root / "ledger.sqlite"

    @property
    def objects(self) -> Path:
        return self.root / "objects"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def oracle(self) -> Path:
        return self.root / "oracle"

    def ensure(self) -> Home:
        """Create the home if needed; refuse one that cannot be written, before any work."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-probe"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise errors.HomeError(f"cannot use home {self.root}: {exc.strerror or exc}") from exc
        return self

    def exists(self) -> bool:
        return self.ledger_path.exists()
