"""BallDontLie: `v1/stats?dates[]=YYYY-MM-DD&per_page=100&cursor=N`, key in `Authorization`.

A date's player box scores come in pages; the next page is asked with the cursor of the
last (`meta.next_cursor`) until a page has none. The pages of one fetch are one item
(each page kept as received): a page that fails makes the whole date's fetch fail, since
a date with a page missing would silently lose players. BallDontLie's game ids are its
own, so the games a date covers are counted, not matched to the schedule's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fullcourt.sources.providers import Context, Fetched, Game, Item, decoded, provides_none

__all__ = ["PATH", "PER_PAGE", "stats"]

PATH = "/v1/stats"
PER_PAGE = 100
MAX_PAGES = 200  # a date has a few; more means a cursor that never ends


def stats(ctx: Context, day: date, games: Sequence[Game], skip: frozenset[str],
          per_page: int = PER_PAGE) -> Fetched:
    out = Fetched()
    pages = []
    ids: set[str] = set()
    cursor = None
    for number in range(1, MAX_PAGES + 1):
        params: dict = {"dates[]": day.isoformat(), "per_page": per_page}
        if cursor is not None:
            params["cursor"] = cursor
        ex = ctx.get("balldontlie", PATH, params)
        out.calls.append(ex)
        if (reason := provides_none(ex)) is not None:
            return Fetched(calls=out.calls, unavailable=reason)
        data = decoded(ex, f"stats page {number}")
        if data is not None:
            try:
                records = data["data"]
                ids |= {str(r["game"]["id"]) for r in records}
                ex.records = len(records)
                cursor = (data.get("meta") or {}).get("next_cursor")
            except (KeyError, TypeError, AttributeError) as exc:
                ex.error = f"stats page {number}: not the provider's shape ({type(exc).__name__}: {exc})"
        if not ex.ok:
            return Fetched(calls=out.calls, failed=ex.error or f"stats page {number}: HTTP {ex.status}")
        pages.append(ex)
        if cursor is None:
            break
    else:
        return Fetched(calls=out.calls, failed=f"more than {MAX_PAGES} pages: the cursor never ended")
    out.items.append(Item("stats", pages, sum(p.records for p in pages), frozenset(ids)))
    if len(ids) < len(games):
        out.missing["games"] = f"BallDontLie lists {len(ids)} of {len(games)} final games"
    return out
