"""How the core reports progress without knowing about terminals.

The executor talks to a `Progress`; the CLI hands it a rich implementation, tests and
benchmarks the silent default. The core never imports rich or typer.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "Silent"]


class Progress(Protocol):
    def start(self, key: str, label: str, total: int) -> None: ...

    def advance(self, key: str, n: int = 1) -> None: ...

    def finish(self, key: str) -> None: ...

    def log(self, message: str) -> None: ...


class Silent:
    def start(self, key: str, label: str, total: int) -> None:
        pass

    def advance(self, key: str, n: int = 1) -> None:
        pass

    def finish(self, key: str) -> None:
        pass

    def log(self, message: str) -> None:
        pass
