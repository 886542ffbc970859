"""Who holds a run, a batch or a lease, and whether that process still lives.

A holder is `host:pid:nonce`. On this host a signal tells whether it lives; a holder on
another host (a runner sharing a Postgres ledger) is presumed dead once it has not sent
a heartbeat for `STALE_AFTER` seconds. Readers use this to report an attempt left
`running` by a dead holder as `interrupted`, without rewriting anything.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable

__all__ = ["HEARTBEAT_EVERY", "STALE_AFTER", "attempt_state", "holder_alive", "holder_dead", "judge", "new_holder"]

HEARTBEAT_EVERY = 5.0  # seconds: a holder stamps its open runs as seen at most this often
# Seconds without a heartbeat after which a holder on another host is presumed dead: the
# executor's lease lifetime, after which its leases are free for others anyway.
STALE_AFTER = 900.0


def new_holder() -> str:
    """`host:pid:nonce`, so a lease names a process that can be checked for life."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_alive(holder: str) -> bool:
    host, pid, *_ = holder.split(":") + ["", ""]
    if host != socket.gethostname():
        return True  # cannot tell; the lease expiry decides
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def holder_dead(
    holder: str | None, last_seen: float | None, now: float, stale_after: float = STALE_AFTER
) -> bool:
    """Whether the process behind `holder` is gone. On this host a signal tells; a holder on
    another host is presumed dead once it has not been seen for `stale_after` seconds."""
    if holder and holder.split(":")[0] == socket.gethostname():
        return not holder_alive(holder)
    return last_seen is None or now - last_seen > stale_after


def judge(now: float) -> Callable[[str | None, float | None], bool]:
    """`holder_dead` for one read: each process on this host is signalled once."""
    host = socket.gethostname()
    local: dict[str, bool] = {}

    def dead(holder: str | None, last_seen: float | None) -> bool:
        if holder in local:
            return local[holder]
        verdict = holder_dead(holder, last_seen, now)
        if holder and holder.split(":")[0] == host:  # a verdict by signal, not by time
            local[holder] = verdict
        return verdict

    return dead


def attempt_state(
    status: str,
    holder: str | None,
    started_at: float | None,
    run_seen: float | None,
    run_ended: float | None,
    dead: Callable[[str | None, float | None], bool],
) -> tuple[str, float | None]:
    """(status, last seen) of an attempt as reported: one left `running` by a holder that
    died, or in a run that ended, is `interrupted`. Last seen is its run's heartbeat, or
    when the attempt began if that is later."""
    if status != "running":
        return status, None
    seen = max((t for t in (run_seen, started_at) if t is not None), default=None)
    if run_ended is not None or dead(holder, seen):
        return "interrupted", seen
    return status, seen
