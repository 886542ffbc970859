"""Play-by-play shot events: where on the floor every field goal and free throw came from.

The feed names shot areas in words ("Restricted Area", "Left Corner 3", "In The Paint
(Non-RA)") and shot types as "2pt"/"3pt"/"freethrow"; they are mapped to the five zones
of the feature store (`catalog.features.ZONES`). An area the mapping does not know is a
payload error, not a silent NULL: zone features would quietly lose shots otherwise.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from fullcourt.catalog.gates import Check, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, TableSpec
from fullcourt.processors.raw.payload import Model, decode, dedupe, invalid, to_table

__all__ = ["SPEC", "build"]

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
}
_THREES = frozenset({"corner_three", "above_break_three"})


class _Action(Model):
    actionNumber: int
    period: int
    teamTricode: str
    personId: str | int
    actionType: str
    shotResult: str | None = None
    area: str | None = None


class _Game(Model):
    gameId: str
    homeTeam: str
    awayTeam: str
    actions: list[_Action]


class _Payload(Model):
    gameDate: str
    games: list[_Game]


def _event(g: _Game, a: _Action, game_date: date) -> dict:
    kind = a.actionType.strip().lower()
    team = a.teamTricode.upper()
    home, away = g.homeTeam.upper(), g.awayTeam.upper()
    if team not in (home, away):
        raise invalid(TABLE, game_date, f"game {g.gameId} action {a.actionNumber}: team {team} not in game")
    made = None if a.shotResult is None else a.shotResult.strip().lower() == "made"
    if kind == "freethrow":
        event_type, zone, value = "free_throw", None, 1
    elif kind in ("2pt", "3pt"):
        zone = _AREAS.get((a.area or "").strip().lower())
        if zone is None:
            raise invalid(TABLE, game_date, f"game {g.gameId} action {a.actionNumber}: unknown area {a.area!r}")
        if (kind == "3pt") != (zone in _THREES):
            raise invalid(TABLE, game_date, f"game {g.gameId} action {a.actionNumber}: {kind} from {a.area}")
        event_type, value = "field_goal", 3 if kind == "3pt" else 2
    else:
        raise invalid(TABLE, game_date, f"game {g.gameId} action {a.actionNumber}: unknown actionType {a.actionType!r}")
    return {
        "game_id": g.gameId,
        "game_date": game_date,
        "event_num": a.actionNumber,
        "period": a.period,
        "team": team,
        "opponent": away if team == home else home,
        "player_id": str(a.personId),
        "event_type": event_type,
        "zone": zone,
        "made": made,
        "points": value if made else 0,
    }


def build(body: bytes, game_date: date) -> pa.Table:
    payload = decode(body, _Payload, TABLE, game_date)
    if payload.gameDate[:10] != game_date.isoformat():
        raise invalid(TABLE, game_date, f"payload is for {payload.gameDate[:10]}")
    rows = [_event(g, a, game_date) for g in payload.games for a in g.actions]
    return to_table(TABLE, dedupe(rows, ("game_id", "event_num")))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id", "event_num"),
    build=build,
    inputs=(Input("scrape.bdb_pbp"),),
    gates=(
        Unique(),
        Check("zone set exactly for field goals",
              lambda t: (t.event_type == "field_goal") == t.zone.notnull()),
    ),
    expectation=Expectation.GAMES,
    description="Shot events (field goals with zone, free throws) of every game.",
)
