"""Play-by-play shot events: where on the floor every field goal and free throw came from.

One body is one game's play-by-play: CDN `liveData/playbyplay/playbyplay_{gameId}.json`
(actions typed "2pt"/"3pt"/"freethrow", shots with an `area` in words and court
coordinates) or stats `playbyplayv3?GameID=` (actions typed "Made Shot"/"Missed
Shot"/"Free Throw", a `shotValue`, legacy coordinates, no area). Only shots are kept.
A shot's zone — one of the five of the feature store (`catalog.features.ZONES`) — comes
from its `area` when the feed names one, else from its legacy coordinates (tenths of a
foot from the basket: the restricted area within 4 ft, the paint 16 ft wide up to the
free-throw line, a three from the corner below the 14-ft break). An area the mapping
does not know is a payload error, not a silent NULL: zone features would quietly lose
shots otherwise. Neither feed names the game's teams outside the actions, so a team's
opponent is the other team that has actions in the game.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from fullcourt.catalog.gates import Check, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, Step, TableSpec
from fullcourt.processors.raw.payload import (
    Model,
    decode,
    dedupe,
    eastern_date,
    invalid,
    load_json,
    to_table,
)

__all__ = ["SPEC", "build", "is_play_by_play", "read_actions"]

TABLE = "bdb_play_by_play"
_AREAS = {
    "restricted area": "restricted_area",
    "in the paint (non-ra)": "paint",
    "paint": "paint",
    "mid-range": "mid_range",
    "mid range": "mid_range",
    "left corner 3": "corner_three",
    "right corner 3": "corner_three",
    "corner 3": "corner_three",
    "above the break 3": "above_break_three",
    "backcourt": "above_break_three",  # heaves from beyond half court are threes above the break
}
_THREES = frozenset({"corner_three", "above_break_three"})
_KINDS = {"2pt": "2pt", "3pt": "3pt", "freethrow": "ft", "made shot": "fg", "missed shot": "fg",
          "free throw": "ft"}  # fmt: skip


class _Action(Model):
    actionNumber: int
    actionId: int | None = None
    period: int
    teamTricode: str | None = None
    personId: int | str | None = None
    actionType: str
    subType: str | None = None
    shotResult: str | None = None
    shotValue: int | None = None
    description: str | None = None
    area: str | None = None
    xLegacy: float | None = None
    yLegacy: float | None = None
    timeActual: datetime | None = None


class _Game(Model):
    gameId: str
    actions: list[_Action]


class _Payload(Model):
    game: _Game


def is_play_by_play(data: Any) -> bool:
    game = data.get("game") if isinstance(data, dict) else None
    return isinstance(game, dict) and isinstance(game.get("actions"), list)


def _zone_of_point(x: float | None, y: float | None, value: int) -> str | None:
    if x is None or y is None:
        return None
    if value == 3:
        return "corner_three" if y <= 87.5 and abs(x) >= 220 else "above_break_three"
    if math.hypot(x, y) <= 40:
        return "restricted_area"
    if abs(x) <= 80 and y <= 137.5:
        return "paint"
    return "mid_range"


def read_actions(data: Any, day: date | None) -> tuple[str, date | None, int, list[dict]]:
    """(game id, game date if the body says, number of actions, shot rows without date)."""
    g = decode(data, _Payload, TABLE, day).game
    teams = list(dict.fromkeys(a.teamTricode.upper() for a in g.actions if a.teamTricode))
    if len(teams) > 2:
        raise invalid(TABLE, day, f"game {g.gameId}: actions of {len(teams)} teams")
    stamps = [a.timeActual for a in g.actions if a.timeActual is not None]
    played = eastern_date(min(stamps)) if stamps else None
    rows = []
    for a in g.actions:
        kind = _KINDS.get(a.actionType.strip().lower())
        if kind is None:
            continue
        where = f"game {g.gameId} action {a.actionNumber}"
        team = (a.teamTricode or "").upper()
        if team not in teams:
            raise invalid(TABLE, day, f"{where}: a shot without a team")
        result = (a.shotResult or "").strip().lower()
        if kind == "ft":
            made = not (a.description or "").strip().upper().startswith("MISS") if not result else result == "made"
            event_type, zone, value = "free_throw", None, 1
        else:
            if kind == "fg":
                value = a.shotValue if a.shotValue in (2, 3) else None
                if value is None:
                    raise invalid(TABLE, day, f"{where}: shotValue {a.shotValue!r} for a field goal")
            else:
                value = 3 if kind == "3pt" else 2
            made = result == "made"
            zone = _AREAS.get((a.area or "").strip().lower()) if a.area else None
            if a.area and zone is None:
                raise invalid(TABLE, day, f"{where}: unknown area {a.area!r}")
            if zone is None:
                zone = _zone_of_point(a.xLegacy, a.yLegacy, value)
            if zone is None:
                raise invalid(TABLE, day, f"{where}: a field goal with neither area nor coordinates")
            if (value == 3) != (zone in _THREES):
                raise invalid(TABLE, day, f"{where}: a {value}-point shot from {a.area or zone}")
            event_type = "field_goal"
        rows.append(
            {
                "game_id": g.gameId,
                "event_num": a.actionId if a.actionId is not None else a.actionNumber,
                "period": a.period,
                "team": team,
                "opponent": next((t for t in teams if t != team), None),
                "player_id": None if a.personId in (None, 0, "0", "") else str(a.personId),
                "event_type": event_type,
                "zone": zone,
                "made": made,
                "points": value if made else 0,
            }
        )
    return g.gameId, played, len(g.actions), rows


def build(body: bytes, game_date: date) -> pa.Table:
    game_id, played, _, rows = read_actions(load_json(body, TABLE, game_date), game_date)
    if played is not None and played != game_date:
        raise invalid(TABLE, game_date, f"game {game_id} was played on {played}")
    rows = [{**r, "game_date": game_date} for r in rows]
    return to_table(TABLE, dedupe(rows, ("game_id", "event_num")))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id", "event_num"),
    build=build,
    inputs=(Input("scrape.bdb_pbp"),),
    step=Step.PARSE,
    gates=(
        Unique(),
        Check("zone set exactly for field goals",
              lambda t: (t.event_type == "field_goal") == t.zone.notnull()),
    ),
    expectation=Expectation.GAMES,
    description="Shot events (field goals with zone, free throws) of every game.",
)
