"""A small synthetic league in the exact raw (phase 2) schemas, for analytics tests.

Six teams of eight players play a short 2023-24 season: regular-season dates (some on
back-to-back nights), one play-in date and a few playoff dates, optionally followed by a
slate that is scheduled but not played yet. Every raw table is consistent with the
others: team box scores are the sums of the player rows, play-by-play shots add up to
the player stats, prop lines and injury reports are timestamped before tip-off.

Deterministic for a seed, so separate processes and repeated calls see the same data.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import ibis
import pyarrow as pa

from fullcourt.catalog.graph import Catalog
from fullcourt.catalog.schemas import RAW_SCHEMAS
from fullcourt.catalog.spec import Expectation, Phase, TableSpec
from fullcourt.warehouse.duck import Warehouse

__all__ = [
    "SEASON",
    "TEAMS",
    "arrow",
    "build_catalog",
    "build_into",
    "game_dates",
    "league_tables",
    "load_warehouse",
    "serve",
]

SEASON = "2023-24"
TEAMS = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF")
PLAYERS_PER_TEAM = 8
BOOKS = ("bookone", "booktwo")

_TYPES = {
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
}

# (offset in days from opening night, season type, games that night)
_REGULAR_OFFSETS = (0, 1, 3, 4, 6, 7, 8, 10, 12, 13, 15, 16, 18, 20)
_PLAY_IN_OFFSET = 22
_PLAYOFF_OFFSETS = (24, 25, 27)
OPENING = date(2023, 10, 24)


def game_dates(scheduled_last: bool = False) -> list[date]:
    offsets = [*_REGULAR_OFFSETS, _PLAY_IN_OFFSET, *_PLAYOFF_OFFSETS]
    if scheduled_last:
        offsets.append(_PLAYOFF_OFFSETS[-1] + 2)
    return [OPENING + timedelta(days=o) for o in offsets]


def arrow(name: str, rows: list[dict]) -> pa.Table:
    """Rows as an Arrow table with exactly the raw schema of `name`."""
    schema = RAW_SCHEMAS[name]
    return pa.table(
        {c: pa.array([r[c] for r in rows], _TYPES[t]) for c, t in schema.items()}
    )


def _pairings(i: int, kind: str) -> list[tuple[str, str]]:
    if kind == "play_in":
        return [("AAA", "DDD")]
    if kind == "playoffs":
        return [("BBB", "EEE"), ("CCC", "FFF")]
    # circle method: the first team stays, the others rotate, so opponents vary
    k = i % (len(TEAMS) - 1)
    rest = TEAMS[1:][k:] + TEAMS[1:][:k]
    ring = (TEAMS[0], *rest)
    pairs = [(ring[j], ring[-1 - j]) for j in range(len(TEAMS) // 2)]
    return [(a, b) if (i + j) % 2 else (b, a) for j, (a, b) in enumerate(pairs)]


def _player_line(rng: random.Random, skill: float, minutes: float) -> dict[str, int]:
    scale = minutes / 30.0
    fg2a = max(0, round(rng.gauss(8 * skill * scale, 2)))
    fg3a = max(0, round(rng.gauss(4 * skill * scale, 1.5)))
    fta = max(0, round(rng.gauss(3 * skill * scale, 1.5)))
    fg2m = sum(rng.random() < 0.52 for _ in range(fg2a))
    fg3m = sum(rng.random() < 0.36 for _ in range(fg3a))
    ftm = sum(rng.random() < 0.78 for _ in range(fta))
    return {
        "fg2m": fg2m, "fg2a": fg2a, "fg3m": fg3m, "fg3a": fg3a, "ftm": ftm, "fta": fta,
        "points": 2 * fg2m + 3 * fg3m + ftm,
        "oreb": rng.randint(0, 3), "dreb": rng.randint(0, 7), "ast": rng.randint(0, 6),
        "stl": rng.randint(0, 2), "blk": rng.randint(0, 2), "tov": rng.randint(0, 3),
        "pf": rng.randint(0, 4),
    }


def league_tables(seed: int = 7, scheduled_last: bool = False) -> dict[str, pa.Table]:
    """Every raw table of the little season, keyed by raw table name."""
    rng = random.Random(seed)
    skill = {
        (t, k): 1.4 - 0.12 * k + rng.uniform(-0.1, 0.1)
        for t in TEAMS
        for k in range(PLAYERS_PER_TEAM)
    }
    rows: dict[str, list[dict]] = {name: [] for name in RAW_SCHEMAS}
    kinds = ["regular"] * len(_REGULAR_OFFSETS) + ["play_in"] + ["playoffs"] * len(_PLAYOFF_OFFSETS)
    if scheduled_last:
        kinds.append("playoffs")
    n = 0
    for i, (d, kind) in enumerate(zip(game_dates(scheduled_last), kinds, strict=True)):
        final = not (scheduled_last and i == len(kinds) - 1)
        for home, away in _pairings(i, kind):
            n += 1
            gid = f"00{n:05d}"
            tip = datetime(d.year, d.month, d.day, 23, 30)
            score = {}
            for team, opp in ((home, away), (away, home)):
                score[team] = _team_game(
                    rng, rows, gid, d, tip, team, opp, team == home, skill, i, final
                )
            _props(rng, rows, gid, d, tip, home, away, skill)
            rows["nbac_schedule"].append({
                "game_id": gid, "game_date": d, "season": SEASON, "season_type": kind,
                "tipoff_utc": tip, "home_team": home, "away_team": away,
                "status": "final" if final else "scheduled",
                "home_score": score[home] if final else None,
                "away_score": score[away] if final else None,
            })
    return {name: arrow(name, r) for name, r in rows.items()}


def player_id(team: str, k: int) -> str:
    return f"{team}{k:02d}"


def player_name(team: str, k: int) -> str:
    return f"Player {team.title()} {k}"


def _team_game(rng, rows, gid, d, tip, team, opp, is_home, skill, i, final) -> int | None:
    matchup = f"{opp}@{team}" if is_home else f"{team}@{opp}"
    # One player sits out injured on some nights (reported before tip-off), one more
    # is a coach's decision; the rest share 240 minutes.
    injured = (i + TEAMS.index(team)) % 3 == 0 or not final
    out_k = 4 + (i + TEAMS.index(team)) % 3 if injured else -1
    dnp_k = PLAYERS_PER_TEAM - 1 if i % 2 == 0 else -1
    if injured:
        pid = player_id(team, out_k)
        for hours, status in ((20, "questionable"), (2, "out")):
            rows["nbac_injury_report"].append({
                "game_date": d, "matchup": matchup, "report_at": tip - timedelta(hours=hours),
                "team": team, "player_name": player_name(team, out_k),
                "status": status, "reason": "Injury/Illness - Left Ankle; Sprain",
            })
    if not final:
        return None
    active = [k for k in range(PLAYERS_PER_TEAM) if k not in (out_k, dnp_k)]
    weights = {k: skill[(team, k)] for k in active}
    total = sum(weights.values())
    minutes = {k: round(240.0 * w / total, 1) for k, w in weights.items()}
    team_sum = {c: 0 for c in ("points", "fg2m", "fg2a", "fg3m", "fg3a", "ftm", "fta",
                                "oreb", "dreb", "ast", "tov")}
    for k in range(PLAYERS_PER_TEAM):
        pid, name = player_id(team, k), player_name(team, k)
        base = {"game_id": gid, "game_date": d, "season": SEASON, "team": team,
                "opponent": opp, "player_id": pid, "player_name": name}
        if k in minutes:
            line = _player_line(rng, skill[(team, k)], minutes[k])
            status, reason, mins = "active", None, minutes[k]
        else:
            line = {c: 0 for c in ("points", "fg2m", "fg2a", "fg3m", "fg3a", "ftm", "fta",
                                   "oreb", "dreb", "ast", "stl", "blk", "tov", "pf")}
            status = "inactive" if k == out_k else "dnp"
            reason = "Injury/Illness - Left Ankle; Sprain" if k == out_k else "Coach's Decision"
            mins = None
        rows["nbac_gamebook_player_stats"].append(
            {**base, "starter": k < 5 and k in minutes, "status": status,
             "dnp_reason": reason, "minutes": mins, **line}
        )
        if k in minutes:
            rows["bdl_player_boxscores"].append({
                **base, "minutes": mins, "points": line["points"],
                "fgm": line["fg2m"] + line["fg3m"], "fga": line["fg2a"] + line["fg3a"],
                "fg3m": line["fg3m"], "fg3a": line["fg3a"], "ftm": line["ftm"],
                "fta": line["fta"], "oreb": line["oreb"], "dreb": line["dreb"],
                "ast": line["ast"], "stl": line["stl"], "blk": line["blk"],
                "tov": line["tov"], "pf": line["pf"],
            })
            _shots(rng, rows, gid, d, team, opp, pid, line)
            for c in team_sum:
                team_sum[c] += line[c]
    rows["nbac_team_boxscore"].append({
        "game_id": gid, "game_date": d, "season": SEASON, "team": team, "opponent": opp,
        "is_home": is_home, "minutes": 240.0, "points": team_sum["points"],
        "fgm": team_sum["fg2m"] + team_sum["fg3m"], "fga": team_sum["fg2a"] + team_sum["fg3a"],
        "fg3m": team_sum["fg3m"], "fg3a": team_sum["fg3a"], "ftm": team_sum["ftm"],
        "fta": team_sum["fta"], "oreb": team_sum["oreb"], "dreb": team_sum["dreb"],
        "ast": team_sum["ast"], "tov": team_sum["tov"],
    })
    return team_sum["points"]


def _shots(rng, rows, gid, d, team, opp, pid, line) -> None:
    pbp = rows["bdb_play_by_play"]

    def add(event_type: str, zone: str | None, made: bool, value: int) -> None:
        pbp.append({
            "game_id": gid, "game_date": d, "event_num": len(pbp) + 1,
            "period": rng.randint(1, 4), "team": team, "opponent": opp, "player_id": pid,
            "event_type": event_type, "zone": zone, "made": made,
            "points": value if made else 0,
        })

    for j in range(line["fg2a"]):
        zone = ("restricted_area", "paint", "mid_range")[rng.randrange(3)]
        add("field_goal", zone, j < line["fg2m"], 2)
    for j in range(line["fg3a"]):
        zone = "corner_three" if rng.random() < 0.3 else "above_break_three"
        add("field_goal", zone, j < line["fg3m"], 3)
    for j in range(line["fta"]):
        add("free_throw", None, j < line["ftm"], 1)


def _props(rng, rows, gid, d, tip, home, away, skill) -> None:
    for team in (home, away):
        for k in range(3):
            base = round(18 * skill[(team, k)]) + 0.5
            for b, book in enumerate(BOOKS):
                for hours, move in ((9, 0.0), (1, 1.0)):
                    rows["odds_player_points_props"].append({
                        "event_id": f"ev{gid}", "game_date": d, "commence_time": tip,
                        "home_team": home, "away_team": away, "bookmaker": book,
                        "player_name": player_name(team, k), "line": base + move + 0.5 * b,
                        "main_line": True,
                        "over_price": -110 - 5 * b, "under_price": -110 + 5 * b,
                        "snapshot_at": tip - timedelta(hours=hours, minutes=b),
                    })


# -- the fixture as a catalog, for end-to-end runs through the executor ----------------

_SERVED: dict[str, pa.Table] = {}


def serve(tables: dict[str, pa.Table]) -> None:
    """Make `tables` what the raw tables of `build_catalog` read (replacing what was there)."""
    _SERVED.clear()
    _SERVED.update(tables)


def _server(name: str):
    def build(inputs, dates):
        t = ibis.memtable(_SERVED[name])
        return t.filter(t.game_date.isin(list(dates)))

    return build


_RAW_KEYS = {
    "nbac_schedule": ("game_id",),
    "nbac_gamebook_player_stats": ("game_id", "player_id"),
    "bdl_player_boxscores": ("game_id", "player_id"),
    "nbac_team_boxscore": ("game_id", "team"),
    "bdb_play_by_play": ("game_id", "event_num"),
    "odds_player_points_props": ("event_id", "bookmaker", "player_name", "snapshot_at", "line"),
    "nbac_injury_report": ("game_date", "team", "player_name", "report_at"),
}


def build_catalog() -> Catalog:
    """The fixture's raw tables plus every analytics and precompute table."""
    from fullcourt import pipeline as tables

    raw = [
        TableSpec(name, Phase.RAW, keys=keys, build=_server(name), expectation=Expectation.ANY)
        for name, keys in _RAW_KEYS.items()
    ]
    return Catalog([*raw, *tables.specs(("analytics", "precompute"), scrapes=False)])


def load_warehouse(path, tables: dict[str, pa.Table]) -> Warehouse:
    """A warehouse at `path` holding `tables` (every date of each)."""
    wh = Warehouse(path)
    for name, t in tables.items():
        dates = sorted(set(t.column("game_date").to_pylist()))
        wh.replace_partitions(name, dates, t)
    return wh


def build_into(wh: Warehouse, spec: TableSpec, dates) -> pa.Table:
    """Run `spec.build` over `dates` against the warehouse, store the result and return it."""
    inputs = {i.table: wh.table(i.table) for i in spec.inputs if wh.has_table(i.table)}
    inputs.setdefault("nbac_schedule", wh.table("nbac_schedule"))
    wh.replace_partitions(spec.name, list(dates), spec.build(inputs, list(dates)))
    t = wh.table(spec.name)
    return wh.execute(t.filter(t.game_date.isin(list(dates))))
