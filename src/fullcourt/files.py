"""Writing a file so that a reader, or a crash, sees the old content or the new, never half.

Every file fullcourt writes outside its databases (payloads, exports, settings, alert
memory) goes through `write_atomic`: a temporary file in the same folder, renamed into
place. `durable` adds an fsync before the rename, for files that must survive a power
loss (payloads, settings); exports can be rebuilt from the warehouse and skip it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes | str, *, durable: bool = True, mode: int | None = None) -> None:
    """Replace `path` with `data` in one rename; `mode` sets the permissions of a new file
    (an existing file keeps its own)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode() if isinstance(data, str) else data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        try:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        except FileNotFoundError:
            os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
