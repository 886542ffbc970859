"""The replayed files served on the same provider paths the simulator serves.

The simulator's app (`sources.api.create_app`) already renders any league shaped like
`ReplayFiles` in every provider's protocol, so the scrapers, the fetch ledger, the
object store and the phase-2 parsers see real games exactly as they see simulated
ones. This app sits in front of it and adds what only replayed files need: a request
about a (source, date) the files cannot provide — play-by-play, injury reports, the
play-in, lines outside the months the files cover — is answered `404` with the JSON
body `{"unavailable": "<reason>"}` and the header `X-Source-Provides-None: <reason>`;
the fetcher records it as "source provides none", never as an empty fetch. Which source
and date a request is about is the simulator app's own reading of it
(`_Api.about`: the date of its game, its `dates[]`, its `DateFrom`, its
`commenceTimeFrom`, its event, its report).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fullcourt.sources import api
from fullcourt.sources.replay.files import ReplayFiles

__all__ = ["UNAVAILABLE_HEADER", "create_app"]

UNAVAILABLE_HEADER = "X-Source-Provides-None"


class _ReplayApp:
    def __init__(self, files: ReplayFiles, inner: Any):
        self.files = files
        self.inner = inner

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            response = self._answer(Request(scope))
            if response is not None:
                await response(scope, receive, send)
                return
        await self.inner(scope, receive, send)

    def _answer(self, request: Request) -> Response | None:
        """A response of our own, or None to let the simulator's app answer."""
        source, day = self.inner.state.api.about(request)
        if source is None or day is None:
            return None
        reason = self.files.unavailable(source, day)
        if reason is None:
            return None
        return JSONResponse({"unavailable": reason}, status_code=404, headers={UNAVAILABLE_HEADER: reason})


def create_app(files: ReplayFiles, clock: Callable[[], datetime] | None = None) -> Any:
    """The ASGI app serving `files`: the simulator's API over them, plus "source provides
    none" answers. Without `clock` everything in the files is final."""
    inner = api.create_app(files, clock or (lambda: api.FAR_FUTURE))
    outer = _ReplayApp(files, inner)
    outer.state = inner.state  # type: ignore[attr-defined]
    return outer
