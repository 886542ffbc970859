"""NBA.com team box scores: one row per team per game.

Two kinds of body carry them. The stats `leaguegamelog?PlayerOrTeam=T` table (one
request a date: `DateFrom`=`DateTo`) sends a header list and positional rows, integer
`MIN`, and says home or away only in the MATCHUP text ("BOS vs. NYK" at home, "BOS @
NYK" away); its rows carry `GAME_DATE`, and one body may hold many dates. A game's own box
score (CDN liveData or stats v3) carries both teams' totals and which one was at home;
v2 box scores do not say who was at home, so they give no team rows. Rows are read by
header name, so a provider reordering columns does not shift values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from fullcourt.catalog.calendar import season_name
from fullcourt.catalog.gates import Check, Unique
from fullcourt.catalog.spec import Expectation, Input, Phase, Step, TableSpec
from fullcourt.processors.raw import boxscore
from fullcourt.processors.raw.payload import (
    Model,
    decode,
    dedupe,
    game_season,
    invalid,
    load_json,
    minutes,
    to_table,
)

__all__ = ["SPEC", "build", "game_log_rows", "is_game_log"]

TABLE = "nbac_team_boxscore"
_NEEDED = ("GAME_ID", "GAME_DATE", "TEAM_ABBREVIATION", "MATCHUP", "MIN", "PTS",
           "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB", "AST", "TOV")  # fmt: skip
_COUNTS = {"points": "PTS", "fgm": "FGM", "fga": "FGA", "fg3m": "FG3M", "fg3a": "FG3A",
           "ftm": "FTM", "fta": "FTA", "oreb": "OREB", "dreb": "DREB", "ast": "AST", "tov": "TOV"}  # fmt: skip


class _ResultSet(Model):
    name: str
    headers: list[str]
    rowSet: list[list[Any]]


class _GameLog(Model):
    resultSets: list[_ResultSet]


def is_game_log(data: Any) -> bool:
    sets = data.get("resultSets") if isinstance(data, dict) else None
    return isinstance(sets, list) and any(
        isinstance(s, dict) and s.get("name") == "LeagueGameLog" for s in sets
    )


def game_log_rows(data: Any, day: date | None) -> list[dict]:
    """Every team row of a `leaguegamelog` body (any dates), with its `game_date`."""
    payload = decode(data, _GameLog, TABLE, day)
    log = next((s for s in payload.resultSets if s.name == "LeagueGameLog"), None)
    if log is None:
        raise invalid(TABLE, day, "no LeagueGameLog result set")
    missing = [h for h in _NEEDED if h not in log.headers]
    if missing:
        raise invalid(TABLE, day, f"LeagueGameLog lacks columns {', '.join(missing)}")
    col = {h: log.headers.index(h) for h in (*_NEEDED, "SEASON_ID") if h in log.headers}
    rows = []
    for n, raw in enumerate(log.rowSet):
        if len(raw) != len(log.headers):
            raise invalid(TABLE, day, f"row {n} has {len(raw)} values for {len(log.headers)} headers")
        get = {h: raw[i] for h, i in col.items()}
        try:
            played = date.fromisoformat(str(get["GAME_DATE"])[:10])
        except ValueError:
            raise invalid(TABLE, day, f"row {n}: unreadable GAME_DATE {get['GAME_DATE']!r}") from None
        matchup = " ".join(str(get["MATCHUP"]).split())
        home = " vs. " in matchup
        if not home and " @ " not in matchup:
            raise invalid(TABLE, day, f"row {n}: unreadable MATCHUP {matchup!r}")
        opponent = matchup.split(" vs. " if home else " @ ")[-1].strip()
        try:
            mins = minutes(get["MIN"])
        except ValueError as exc:
            raise invalid(TABLE, day, f"row {n}: {exc}") from None
        game_id = str(get["GAME_ID"])
        season_id = str(get.get("SEASON_ID") or "")
        rows.append(
            {
                "game_id": game_id,
                "game_date": played,
                "season": season_name(int(season_id[1:])) if len(season_id) == 5 else game_season(game_id),
                "team": str(get["TEAM_ABBREVIATION"]).upper(),
                "opponent": opponent.upper(),
                "is_home": home,
                "minutes": mins,
                **{k: boxscore.whole(get[h], f"row {n} {h}", TABLE, day) for k, h in _COUNTS.items()},
            }
        )
    return rows


def build(body: bytes, game_date: date) -> pa.Table:
    data = load_json(body, TABLE, game_date)
    if is_game_log(data):
        rows = [r for r in game_log_rows(data, game_date) if r["game_date"] == game_date]
    else:
        box = boxscore.read(data, TABLE, game_date)
        if box.game_date is not None and box.game_date != game_date:
            raise invalid(TABLE, game_date, f"game {box.game_id} was played on {box.game_date}")
        if not box.teams:
            raise invalid(TABLE, game_date, f"game {box.game_id}: a {box.kind} body does not say "
                          "which team was at home; team totals need a game log or a v3/CDN box score")
        rows = [{**t, "game_date": game_date} for t in box.teams]
    return to_table(TABLE, dedupe(rows, ("game_id", "team")))


SPEC = TableSpec(
    TABLE,
    Phase.RAW,
    keys=("game_id", "team"),
    build=build,
    inputs=(Input("scrape.nbac_team_boxscore"),),
    step=Step.PARSE,
    gates=(
        Unique(),
        Check("minutes = 240 + 25 per overtime",
              lambda t: (t.minutes >= 240) & ((t.minutes - 240) % 25 == 0)),
        Check("points == 2*fgm + fg3m + ftm", lambda t: t.points == 2 * t.fgm + t.fg3m + t.ftm),
    ),
    expectation=Expectation.GAMES,
    description="NBA.com team box scores: one row per team per game.",
)
