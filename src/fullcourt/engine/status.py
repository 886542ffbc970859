"""The words of the ledger and the planner: partition statuses, attempt outcomes, reason codes.

They are `StrEnum`s, so they are stored, printed and compared as the plain words users
see (`"complete" == Status.COMPLETE`), while code branches on members rather than on
message text: a reason's wording may change, its code may not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["AttemptStatus", "Outcome", "Reason", "Status"]


class Status(StrEnum):
    """The one status of a (table, game_date) partition, derived by the planner."""

    COMPLETE = "complete"
    NO_DATA = "no_data"
    BOOTSTRAP = "bootstrap"
    UNAVAILABLE = "unavailable"
    NEVER_RAN = "never_ran"
    FAILED = "failed"
    PARTIAL = "partial"
    GATE_FAILED = "gate_failed"
    STALE = "stale"
    BLOCKED = "blocked"
    RUNNING = "running"

    @property
    def is_ready(self) -> bool:
        """Downstream may build on it."""
        return self in _READY

    @property
    def is_gap(self) -> bool:
        return self in _GAPS

    @property
    def is_runnable(self) -> bool:
        """Running it again may fix it (a blocked partition waits for its root cause)."""
        return self in _RUNNABLE


_READY = frozenset({Status.COMPLETE, Status.NO_DATA, Status.BOOTSTRAP, Status.UNAVAILABLE})
_GAPS = frozenset({Status.NEVER_RAN, Status.FAILED, Status.PARTIAL, Status.GATE_FAILED,
                   Status.STALE, Status.BLOCKED})
_RUNNABLE = _GAPS - {Status.BLOCKED}


class AttemptStatus(StrEnum):
    """What the ledger records of one attempt on one partition."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    GATE_FAILED = "gate_failed"
    UNAVAILABLE = "unavailable"
    IMPORTED = "imported"  # a captured provider response added by `fullcourt import`
    INTERRUPTED = "interrupted"  # read back for a `running` attempt whose holder died

    @property
    def built(self) -> bool:
        """Something was written (and may be out of date once its inputs change)."""
        return self in (AttemptStatus.SUCCESS, AttemptStatus.GATE_FAILED, AttemptStatus.IMPORTED)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt on one partition ended: what the ledger's `finish` records."""

    status: AttemptStatus
    rows: int | None = None
    games: int | None = None
    fingerprint: str | None = None
    error: str | None = None

    @property
    def written(self) -> bool:
        """The partition was replaced (a gate may still have failed on what was written)."""
        return self.status in (AttemptStatus.SUCCESS, AttemptStatus.GATE_FAILED)

    @classmethod
    def failed(cls, error: str) -> Outcome:
        return cls(AttemptStatus.FAILED, error=error)


class Reason(StrEnum):
    """Why a partition has its status, as a code beside the human-readable reason."""

    BUILT = "built"
    FETCHED = "fetched"
    EMPTY = "empty"
    NO_GAMES = "no_games"  # the schedule has none of this table's games that day
    NOT_FINAL = "not_final"  # games scheduled, none final yet
    BOOTSTRAP = "bootstrap"
    NEVER_RAN = "never_ran"
    INTERRUPTED = "interrupted"
    ERROR = "error"
    QUARANTINED = "quarantined"  # the payload failed validation and was set aside
    SOURCE_NONE = "source_none"
    CODE_CHANGED = "code_changed"
    INPUT_CHANGED = "input_changed"
    CONTENT_CHANGED = "content_changed"  # the warehouse changed outside fullcourt
    UPSTREAM_CHANGED = "upstream_changed"
    GATE = "gate"
    SHORT = "short"  # fewer games or rows than the schedule implies
    WAITING = "waiting"
    LEASED = "leased"
