"""The league injury report: two publications per game date, both before tip-off.

The evening before (17:30 Eastern) and an hour before the date's first tip-off, each
one report for the whole league, as the league publishes it. Both come from the
same injury spells that decide who is inactive in the box score, so the report is
informative but not omniscient: a spell that starts on game day only shows up in the
second report, players coming back from a spell are listed as questionable, probable or
available (and do play), and a few healthy players carry a precautionary 'probable'.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from fullcourt.sources.sim.calendar import eastern_to_utc
from fullcourt.sources.sim.engine import ASSIGNED, INJURED
from fullcourt.sources.sim.franchises import TRICODES
from fullcourt.sources.sim.injuries import REASONS
from fullcourt.sources.sim.season import REPORTS, SeasonArrays, stream
from fullcourt.sources.sim.tables import ON_ASSIGNMENT, coded, dates, table_of

__all__ = ["STATUSES", "injury_reports"]

STATUSES: tuple[str, ...] = ("out", "doubtful", "questionable", "probable", "available")
OUT, DOUBTFUL, QUESTIONABLE, PROBABLE, AVAILABLE = range(5)
_PRECAUTION = REASONS.index("Injury/Illness - Rest; Injury Management")


def injury_reports(s: SeasonArrays, seed: int) -> pa.Table:
    box = s.box
    rng = stream(seed, s.calendar.first_year, REPORTS)
    n = s.n_games
    status = box.status.reshape(-1)
    row = box.player.reshape(-1)
    game = np.repeat(np.arange(n), 30)
    day = s.day[game]
    out = s.injuries.out
    reason_of = s.injuries.reason

    injured = status == INJURED
    assigned = status == ASSIGNED
    healthy = ~injured & ~assigned
    # back from a spell within the last three days
    recent = np.zeros(len(row), bool)
    recent_reason = np.full(len(row), -1)
    for back in (3, 2, 1):
        was = out[row, day - back]
        recent |= was
        recent_reason = np.where(was, reason_of[row, day - back], recent_reason)
    returning = healthy & recent
    precaution = healthy & ~recent & (rng.random(len(row)) < 0.012)

    u = rng.random(len(row))
    listed_status = np.select(
        [
            injured,
            assigned,
            returning,
            precaution,
        ],
        [
            np.where(u < 0.85, OUT, DOUBTFUL),
            OUT,
            np.where(u < 0.4, QUESTIONABLE, np.where(u < 0.75, PROBABLE, AVAILABLE)),
            PROBABLE,
        ],
        -1,
    )
    reason = np.select(
        [injured, assigned, returning, precaution],
        [box.reason.reshape(-1), len(REASONS), recent_reason, _PRECAUTION],
        0,
    )
    listed = listed_status >= 0
    # the evening report knows spells that started before game day only
    known_early = listed & ~(injured & ~out[row, day - 1])

    tip = s.tipoff_utc
    early_at = np.array(
        [eastern_to_utc(s.calendar.date_of(d - 1), 17 * 60 + 30) for d in s.day.tolist()],
        dtype="datetime64[us]",
    )
    # one late publication a date: an hour before that date's first tip-off
    first_tip = np.full(int(s.day.max()) + 1, np.datetime64("2262-01-01", "us"))
    np.minimum.at(first_tip, s.day, tip.astype("datetime64[us]"))
    late_at = (first_tip[s.day] - np.timedelta64(60, "m")).astype("datetime64[us]")
    early_at = np.minimum(early_at, late_at - np.timedelta64(60, "m"))
    cells = np.concatenate([np.flatnonzero(known_early), np.flatnonzero(listed)])
    report_at = np.concatenate(
        [early_at[game[known_early]], late_at[game[listed]]]
    )
    order = np.lexsort((cells, report_at, game[cells]))
    cells, report_at = cells[order], report_at[order]
    g = game[cells]
    team = box.team.reshape(-1)[cells // 15]
    players = s.rosters.players
    matchups = [f"{TRICODES[a]}@{TRICODES[h]}" for a, h in zip(s.away.tolist(), s.home.tolist(), strict=True)]
    return table_of(
        "nbac_injury_report",
        {
            "game_date": dates(s.epoch_day[g]),
            "matchup": coded(g, pa.array(matchups, pa.string())),
            "report_at": pa.array(report_at, pa.timestamp("us")),
            "team": coded(team, pa.array(TRICODES, pa.string())),
            "player_name": coded(row[cells], pa.array(players.name, pa.string())),
            "status": coded(listed_status[cells], list(STATUSES)),
            "reason": coded(reason[cells], [*REASONS, ON_ASSIGNMENT]),
        },
    )
