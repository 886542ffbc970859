"""BallDontLie `v1/stats` as it serves it: nested player, team and game, integer team ids.

A record's `min` is a string of whole minutes ("35", "05"; "00" for a player who dressed
and did not play); pages follow a cursor, `meta.next_cursor` absent on the last page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fullcourt.sources.wire import split_name

__all__ = ["page", "records"]

Row = Mapping[str, Any]


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _minutes(m: float | None) -> str | None:
    return None if m is None else f"{int(m):02d}"


def records(
    rows: Sequence[Row],
    homes: Mapping[str, tuple[str, str]],
    team_ids: Mapping[str, int],
    postseason: Mapping[str, bool],
) -> list[dict]:
    out = []
    for r in rows:
        home, away = homes.get(r["game_id"]) or (r["team"], r["opponent"])
        first, last = split_name(r["player_name"] or "")
        pid = r["player_id"]
        out.append(
            {
                "min": _minutes(r["minutes"]),
                "pts": r["points"], "fgm": r["fgm"], "fga": r["fga"], "fg3m": r["fg3m"],
                "fg3a": r["fg3a"], "ftm": r["ftm"], "fta": r["fta"], "oreb": r["oreb"],
                "dreb": r["dreb"], "reb": _add(r["oreb"], r["dreb"]), "ast": r["ast"],
                "stl": r["stl"], "blk": r["blk"], "turnover": r["tov"], "pf": r["pf"],
                "player": {"id": int(pid) if str(pid).isdigit() else pid, "first_name": first,
                           "last_name": last},
                "team": {"id": team_ids.get(r["team"]), "abbreviation": r["team"]},
                "game": {
                    "id": r["game_id"],
                    "date": r["game_date"].isoformat(),
                    "season": int(r["season"][:4]),
                    "status": "Final",
                    "postseason": postseason.get(r["game_id"], False),
                    "home_team_id": team_ids.get(home),
                    "visitor_team_id": team_ids.get(away),
                },
            }
        )  # fmt: skip
    return out


def page(records: Sequence[dict], cursor: int, per_page: int) -> dict:
    """One page of `records` from offset `cursor`; the cursor is opaque to a client."""
    chunk = [{"id": cursor + i + 1, **r} for i, r in enumerate(records[cursor : cursor + per_page])]
    meta: dict[str, Any] = {"per_page": per_page}
    if cursor + per_page < len(records):
        meta["next_cursor"] = cursor + per_page
    return {"data": chunk, "meta": meta}
