"""What the data holds of one partition: rows, distinct games, a content fingerprint.

The warehouse measures them (one grouped query per table), the ledger mirrors them for
readers that find the warehouse busy, and the planner compares them with what the ledger
says was written. A plain value with no engine behind it, so the planner stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Facts"]


@dataclass(frozen=True)
class Facts:
    rows: int
    games: int
    fingerprint: str
