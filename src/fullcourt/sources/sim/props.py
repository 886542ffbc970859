"""Player-points prop lines from several bookmakers, opening and closing, before tip-off.

The market sees the simulator's true mean through noise: a consensus belief that is
about 1.2 points off the truth (RMS), which moves between the opening snapshot (the
evening before) and the closing one (minutes before tip-off). Each book rounds its own
view to a half point and prices the sides around -110, shading the price towards the
side its rounding favours. Books list the players who will play real minutes, not
the deep bench, and spell names their own way (one folds accents to ASCII, one drops
suffixes), as real feeds do. One book also quotes an alternate-line ladder in the same
market at closing (five points below and five above its main line, priced off the same
belief), which the raw layer must keep apart from the main line.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
import pyarrow as pa

from fullcourt.sources.sim.engine import ACTIVE
from fullcourt.sources.sim.franchises import TRICODES
from fullcourt.sources.sim.season import PROPS, SeasonArrays, stream
from fullcourt.sources.sim.tables import coded, dates, table_of

__all__ = ["BOOKMAKERS", "MIN_MINUTES", "prop_lines"]

BOOKMAKERS: tuple[str, ...] = ("draftkings", "fanduel", "betmgm", "williamhill_us")
MIN_MINUTES = 20.0  # books list players expected to play at least this much
_MARKET_SD = 1.15  # the consensus belief's error against the true mean at close
_MOVE_SD = 0.9  # how far the consensus moves from open to close
_BOOK_SD = 0.35  # one book's own deviation from the consensus
_VIG = 1.045
_SUFFIX = re.compile(r"\s+(Jr\.|Sr\.|II|III|IV)$")
LADDER_BOOK = 3  # index in BOOKMAKERS of the book that quotes alternate lines
_LADDER = (-5.0, 5.0)  # far enough that the main line stays the one priced closest to even


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def _name_styles(names: list[str]) -> list[list[str]]:
    """How each book spells every player: as is, ASCII-folded, without suffix, as is."""
    return [names, [_ascii(n) for n in names], [_SUFFIX.sub("", n) for n in names], names]


def american(p: np.ndarray) -> np.ndarray:
    """Win probabilities (with the book's margin) as American odds rounded to 5."""
    fav = -100.0 * p / (1.0 - p)
    dog = 100.0 * (1.0 - p) / p
    odds = np.where(p >= 0.5, fav, dog)
    odds = np.round(odds / 5.0) * 5.0
    return np.where((odds > -100) & (odds < 100), np.where(p >= 0.5, -100, 100), odds).astype(
        np.int64
    )


def event_ids(seed: int, game_ids: list[str]) -> list[str]:
    return [hashlib.md5(f"{seed}:{g}".encode()).hexdigest() for g in game_ids]


def prop_lines(s: SeasonArrays, seed: int) -> pa.Table:
    box = s.box
    rng = stream(seed, s.calendar.first_year, PROPS)
    status = box.status.reshape(-1)
    exp_min = box.expected_minutes.reshape(-1)
    truth = box.expected_points.reshape(-1)
    cand = np.flatnonzero((status == ACTIVE) & (np.nan_to_num(exp_min) >= MIN_MINUTES))
    n_c = len(cand)
    close = truth[cand] + rng.normal(0, _MARKET_SD, n_c)
    opening = close + rng.normal(0, _MOVE_SD, n_c)
    star = exp_min[cand] >= 28.0
    n_books = len(BOOKMAKERS)

    listed = rng.random((n_c, n_books)) < np.where(star, 0.95, 0.75)[:, None]
    has_open = listed & (rng.random((n_c, n_books)) < 0.85)
    parts = []
    for snap, belief, mask in ((0, opening, has_open), (1, close, listed)):
        c, b = np.nonzero(mask)
        view = belief[c] + rng.normal(0, _BOOK_SD, len(c))
        line = np.maximum(np.floor(view), 0.0) + 0.5  # half points: no pushes
        p_over = np.clip(0.5 + 0.06 * (belief[c] - line), 0.38, 0.62)
        over, under = american(p_over * _VIG), american((1 - p_over) * _VIG)
        parts.append((np.full(len(c), snap), c, b, line, over, under, np.ones(len(c), bool)))
        if snap == 1:  # the ladder book's alternate points, priced off the same belief
            rung = b == LADDER_BOOK
            for step in _LADDER:
                alt = np.maximum(line[rung] + step, 0.5)
                p_alt = np.clip(0.5 + 0.06 * (belief[c[rung]] - alt), 0.2, 0.8)
                parts.append((np.full(rung.sum(), snap), c[rung], b[rung], alt,
                              american(p_alt * _VIG), american((1 - p_alt) * _VIG),
                              np.zeros(rung.sum(), bool)))
    snap = np.concatenate([p[0] for p in parts])
    c = np.concatenate([p[1] for p in parts])
    book = np.concatenate([p[2] for p in parts])
    line = np.concatenate([p[3] for p in parts])
    over = np.concatenate([p[4] for p in parts])
    under = np.concatenate([p[5] for p in parts])
    main = np.concatenate([p[6] for p in parts])

    flat = cand[c]
    game = flat // 30
    tip = s.tipoff_utc[game]
    snapshot_at = np.where(
        snap == 0, tip - np.timedelta64(26 * 3600, "s"), tip - np.timedelta64(10 * 60, "s")
    ).astype("datetime64[us]")
    order = np.lexsort((line, book, flat, snapshot_at, game))
    game, flat, book, line, over, under, snapshot_at, tip, main = (
        a[order] for a in (game, flat, book, line, over, under, snapshot_at, tip, main)
    )

    # names per book spelling: code = style * n_players + player row
    names = s.rosters.players.name
    styles = _name_styles(names)
    spellings = pa.array([n for style in styles for n in style], pa.string())
    row = box.player.reshape(-1)[flat]
    teams = pa.array(TRICODES, pa.string())
    return table_of(
        "odds_player_points_props",
        {
            "event_id": coded(game, pa.array(event_ids(seed, s.game_id.tolist()), pa.string())),
            "game_date": dates(s.epoch_day[game]),
            "commence_time": pa.array(tip, pa.timestamp("us")),
            "home_team": coded(s.home[game], teams),
            "away_team": coded(s.away[game], teams),
            "bookmaker": coded(book, list(BOOKMAKERS)),
            "player_name": coded(book * len(names) + row, spellings),
            "line": line,
            "main_line": main,
            "over_price": over,
            "under_price": under,
            "snapshot_at": pa.array(snapshot_at, pa.timestamp("us")),
        },
    )
