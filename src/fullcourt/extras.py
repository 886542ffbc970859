"""Optional dependencies: imported where used, with one clear line when absent.

fullcourt installs only what the default path needs; Redis Streams (`run --bus redis://`)
and listening on a port (`sources serve`, `web`) come with the `redis` and `serve`
extras, so a machine that never uses them never installs them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from fullcourt import errors

__all__ = ["need"]


def need(module: str, extra: str, purpose: str) -> ModuleType:
    """`module`, or a usage error naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise errors.UsageError(
            f"{purpose} needs the {module} package: pip install 'fullcourt[{extra}]'"
        ) from None
