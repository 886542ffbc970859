"""The Odds API v4: player-points lines, one event at a time, key as `apiKey`.

For a date already played, the historical endpoints: the events of the date as of an
hour before its first tip-off (`historical/sports/basketball_nba/events?date=T` with the
date's Eastern day as `commenceTimeFrom`/`To`), then each event's odds at two moments
(`historical/sports/basketball_nba/events/{id}/odds?regions=us&markets=player_points&
oddsFormat=american&date=T`): a day before tip-off (the opening line) and five minutes
before (the closing one). The API answers with the last snapshot at or before `date`,
in the wrapper `{timestamp, previous_timestamp, next_timestamp, data}`; an event with no
snapshot yet is a 404, not a failure. For tonight (no game of the date started yet), the
live endpoints (`sports/basketball_nba/events`, `.../events/{id}/odds`), whose lines
accumulate over the day's fetches.

Every response's `x-requests-remaining` / `x-requests-used` are recorded with its
request; `Context.get` refuses a request that would take the quota below its reserve.
Events are matched to the schedule's games by teams; a scheduled game with no event
listed has no lines to fetch, and counts as fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from fullcourt.processors.raw.payload import EASTERN, eastern_date
from fullcourt.sources.faults import utc_naive
from fullcourt.sources.providers import (
    Context,
    Exchange,
    Fetched,
    Game,
    Item,
    decoded,
    provides_none,
)
from fullcourt.sources.teams import tricode_of_name

__all__ = ["props"]

SPORT = "basketball_nba"
ODDS = {"regions": "us", "markets": "player_points", "oddsFormat": "american", "dateFormat": "iso"}
OPENING = timedelta(hours=24)
CLOSING = timedelta(minutes=5)


def _iso(moment: datetime) -> str:
    return utc_naive(moment).replace(microsecond=0).isoformat() + "Z"


def _outcomes(data) -> int:
    event = data["data"] if isinstance(data, dict) and "timestamp" in data else data
    return sum(len(m["outcomes"]) for b in event["bookmakers"] for m in b["markets"]
               if m["key"] == "player_points")


def props(ctx: Context, day: date, games: Sequence[Game], skip: frozenset[str]) -> Fetched:
    out = Fetched()
    tips = [g.tipoff_utc for g in games if g.tipoff_utc is not None]
    if not games or not tips:
        return out
    now = utc_naive(ctx.now())
    first = min(tips)
    live = now < first and now >= first - timedelta(days=2)
    lo = datetime.combine(day, time(0), EASTERN)
    window = {"commenceTimeFrom": _iso(lo), "commenceTimeTo": _iso(lo + timedelta(days=1)), "dateFormat": "iso"}
    if live:
        listed = ctx.get("oddsapi", f"/v4/sports/{SPORT}/events", window)
    else:
        asked = min(first - timedelta(hours=1), now)
        listed = ctx.get("oddsapi", f"/v4/historical/sports/{SPORT}/events", {"date": _iso(asked), **window})
    out.calls.append(listed)
    if (reason := provides_none(listed)) is not None:
        return Fetched(calls=out.calls, unavailable=reason)
    data = decoded(listed, "events")
    if data is None:
        return Fetched(calls=out.calls, failed=listed.error or f"events: HTTP {listed.status}")
    try:
        events = data if live else data["data"]
        found = [(e["id"], tricode_of_name(e["home_team"]), tricode_of_name(e["away_team"]),
                  datetime.fromisoformat(e["commence_time"].replace("Z", "+00:00"))) for e in events]
    except (KeyError, TypeError, ValueError) as exc:
        listed.error = f"events: not the provider's shape ({type(exc).__name__}: {exc})"
        return Fetched(calls=out.calls, failed=listed.error)
    out.items.append(Item("events", [listed], 0))
    by_teams = {(g.home, g.away): g for g in games}
    accounted = {g.game_id for g in games}
    for event_id, home, away, commence in found:
        if eastern_date(commence) != day:
            continue
        game = by_teams.get((home, away))
        label = game.game_id if game else event_id
        asks = ([("live", None)] if live else
                [("open", utc_naive(commence) - OPENING), ("close", utc_naive(commence) - CLOSING)])
        for name, at in asks:
            item = f"{event_id}-{name}-{now:%Y%m%dT%H%M}" if live else f"{event_id}-{name}"
            if item in skip or (at is not None and at > now):
                continue
            path = (f"/v4/sports/{SPORT}/events/{event_id}/odds" if live
                    else f"/v4/historical/sports/{SPORT}/events/{event_id}/odds")
            ex = ctx.get("oddsapi", path, ODDS if live else {**ODDS, "date": _iso(at)})
            out.calls.append(ex)
            if ex.status == 404:  # no snapshot of this event at or before `at`
                continue
            _keep(out, ex, item, label, game)
            if not ex.ok:
                accounted.discard(label)
    out.games = frozenset(accounted)
    return out


def _keep(out: Fetched, ex: Exchange, item: str, label: str, game: Game | None) -> None:
    data = decoded(ex, f"odds of event {item}")
    if data is not None:
        try:
            ex.records = _outcomes(data)
        except (KeyError, TypeError) as exc:
            ex.error = f"odds of event {item}: not the provider's shape ({type(exc).__name__}: {exc})"
    if ex.ok:
        out.items.append(Item(item, [ex], ex.records, frozenset({game.game_id}) if game else frozenset()))
    else:
        out.missing[label] = ex.error or f"HTTP {ex.status}"
