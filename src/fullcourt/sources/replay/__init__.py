"""Real NBA files replayed through the provider APIs, for honest evaluation.

`ReplayFiles(folder)` reads the game logs and prop lines of a folder (see
`../shared/data/real/README.md`) into the raw tables; `create_app(files)` serves them
the way the simulator is served, answering "source provides none" for what the files
lack (play-by-play, injury reports, play-in games, lines outside their window).
"""

from __future__ import annotations

from fullcourt.sources.replay.app import create_app
from fullcourt.sources.replay.files import ReplayFiles, ReplaySeason

__all__ = ["ReplayFiles", "ReplaySeason", "create_app"]
