"""What a processor may know about where it runs, beyond its inputs.

Most processors need nothing but their input expressions. Phases 5 and 6 need a
place for model files and a way to materialise a training set; they declare a third
parameter `ctx: BuildContext` and the executor passes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa

__all__ = ["BuildContext"]


@dataclass(frozen=True)
class BuildContext:
    home: Path
    execute: Callable[[ir.Table], pa.Table]

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

