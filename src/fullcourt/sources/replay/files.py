"""A folder of real NBA files read into the raw tables every source normalises into.

The files (see the folder's README) are per-player game logs of the regular season and
the playoffs and, for part of one season, daily-fantasy player-points lines. Everything
the raw layer needs is derived from them, and nothing else:

- `nbac_schedule`: one row per game of the logs. Home and away from MATCHUP ("BOS vs.
  NYK" at home, "BOS @ NYK" away), scores as the sum of each team's player points,
  status final, season type from the file (regular season or playoffs). The logs carry
  no tip-off time: a game the lines quote keeps the book's `commence_time`, any other
  game is given 7 pm US/Eastern of its date (`DEFAULT_TIPOFF`), the commonest tip-off.
- `nbac_gamebook_player_stats` and `bdl_player_boxscores`: the same rows in both shapes,
  every player active with the logs' MIN; field goals split into twos and threes.
  Regular-season logs say nothing of starters, so `starter` is NULL there; the playoff
  logs' START_POSITION says it. Players who did not play are absent from the logs, so
  there are no DNP rows.
- `nbac_team_boxscore`: each team's sums. The logs round MIN to whole minutes, so team
  minutes are 240 plus 25 per overtime period, the number of periods read off the sum.
- `odds_player_points_props`: the lines of PrizePicks and Underdog. `price` in the file
  is a constant placeholder, so both prices are NULL (grading then assumes -110). A book
  names players, and its names are resolved to the logs' spelling among the players of
  the game, then of both teams' season (`names`); an unresolved name stays as written.
  The files hold one snapshot per day and no capture time: `snapshot_at` is one hour
  before tip-off (`SNAPSHOT_LEAD`). When a book lists two lines for one player and game,
  the first listed is kept.
- `bdb_play_by_play`, `nbac_injury_report`: empty; the files have none (`unavailable`).

Game ids are normalised to NBA.com's ten digits ("22100069" -> "0022100069"); dates are
read in any of the formats the files use; commence times are UTC and dated in US/Eastern.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa

from fullcourt import errors
from fullcourt.catalog import calendar as catalog_calendar
from fullcourt.catalog.calendar import EASTERN, eastern_date
from fullcourt.catalog.schemas import ARROW_TYPES, RAW_SCHEMAS
from fullcourt.sources.replay import names
from fullcourt.sources.teams import tricode_of_name

__all__ = [
    "DEFAULT_TIPOFF",
    "EASTERN",
    "SNAPSHOT_LEAD",
    "ReplayFiles",
    "ReplaySeason",
    "eastern_date",
    "normal_game_date",
    "normal_game_id",
]

DEFAULT_TIPOFF = time(19, 0)  # US/Eastern, for a game no line quotes
SNAPSHOT_LEAD = timedelta(hours=1)
MARKET = "player_points"

_LOGS = re.compile(r"^(regular_season|playoff)_player_logs_(\d{4}-\d{2})\.csv$")
_PROPS = re.compile(r"^points_props_(\d{4}-\d{2})\.csv$")
_SEASON_TYPES = {"regular_season": "regular", "playoff": "playoffs"}
_LOG_COLUMNS = (
    "GAME_ID", "GAME_DATE", "MATCHUP", "TEAM_ABBREVIATION", "PLAYER_ID", "PLAYER_NAME",
    "MIN", "PTS", "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB", "AST", "STL",
    "BLK", "TOV", "PF",
)  # fmt: skip
_COUNTS = {
    "points": "PTS", "fgm": "FGM", "fga": "FGA", "fg3m": "FG3M", "fg3a": "FG3A",
    "ftm": "FTM", "fta": "FTA", "oreb": "OREB", "dreb": "DREB", "ast": "AST",
    "stl": "STL", "blk": "BLK", "tov": "TOV", "pf": "PF",
}  # fmt: skip
_PROP_COLUMNS = ("player", "market", "bookmaker", "side", "line", "home_team", "away_team",
                 "game_id", "commence_time")  # fmt: skip
_DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y", "%m/%d/%Y", "%Y%m%d", "%d-%b-%Y")


# -- normalising one value ----------------------------------------------------------------


def normal_game_id(text: object) -> str:
    """NBA.com's ten-digit game id, whatever happened to its leading zeros on the way."""
    s = str(text).strip()
    if s.endswith(".0"):  # read as a float somewhere upstream
        s = s[:-2]
    if not s.isdigit() or len(s) > 10:
        raise ValueError(f"not an NBA game id: {text!r}")
    return s.zfill(10)


def normal_game_date(text: object) -> date:
    """A GAME_DATE in any of the files' formats: "2022-04-16", "2022-04-16T00:00:00",
    "APR 16, 2022", "04/16/2022"."""
    s = " ".join(str(text).split())
    if re.match(r"^\d{4}-\d{2}-\d{2}", s):
        return date.fromisoformat(s[:10])
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s.title(), fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unreadable game date {text!r}")


def _default_tipoff(day: date) -> datetime:
    local = datetime.combine(day, DEFAULT_TIPOFF, tzinfo=EASTERN)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _table(name: str, frame: pd.DataFrame) -> pa.Table:
    """A raw table with exactly the columns and types of `RAW_SCHEMAS[name]`."""
    arrays = {}
    for col, kind in RAW_SCHEMAS[name].items():
        values = frame[col].tolist() if col in frame.columns and len(frame) else [None] * len(frame)
        values = [None if (isinstance(v, float) and np.isnan(v)) or v is pd.NaT else v for v in values]
        arrays[col] = pa.array(values, ARROW_TYPES[kind])
    return pa.table(arrays)


# -- reading the files --------------------------------------------------------------------


def _read_csv(path: Path, needed: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise errors.UsageError(f"cannot read replay file {path}: {exc}") from exc
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise errors.UsageError(f"replay file {path} lacks columns {', '.join(missing)}")
    return frame


def _ints(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    values = pd.to_numeric(frame[column].replace("", np.nan), errors="coerce")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna())[0])
        raise errors.UsageError(f"replay file {path}: {column} is not a number on data row {row + 1}")
    return values.round().astype("int64").to_numpy()


def _read_logs(path: Path, season: str, season_type: str) -> pd.DataFrame:
    """One season type's game logs in the raw vocabulary (team, opponent, is_home, ...)."""
    raw = _read_csv(path, _LOG_COLUMNS)
    try:
        game_ids = [normal_game_id(g) for g in raw["GAME_ID"]]
        dates = {text: normal_game_date(text) for text in raw["GAME_DATE"].unique()}
    except ValueError as exc:
        raise errors.UsageError(f"replay file {path}: {exc}") from exc
    matchup = raw["MATCHUP"].str.split().str.join(" ")
    home = matchup.str.contains(" vs. ", regex=False)
    away = matchup.str.contains(" @ ", regex=False)
    if not (home | away).all():
        bad = matchup[~(home | away)].iloc[0]
        raise errors.UsageError(f"replay file {path}: unreadable MATCHUP {bad!r}")
    # "A vs. B": A at home to B; "A @ B": A away at B. The row's own team is
    # TEAM_ABBREVIATION, which need not be A (a neutral-site game can carry one
    # MATCHUP text for both teams), so sides are read off the text, not the position.
    parts = matchup.str.split(r" vs\. | @ ", regex=True)
    left, right = parts.str[0].str.strip().str.upper(), parts.str[-1].str.strip().str.upper()
    home_side = left.where(home, right)
    away_side = right.where(home, left)
    team = raw["TEAM_ABBREVIATION"].str.strip().str.upper()
    strangers = (team != home_side) & (team != away_side)
    if strangers.any():
        row = int(np.flatnonzero(strangers.to_numpy())[0])
        raise errors.UsageError(
            f"replay file {path}: team {team.iloc[row]} is not in MATCHUP {matchup.iloc[row]!r}"
        )
    out = pd.DataFrame(
        {
            "game_id": game_ids,
            "game_date": raw["GAME_DATE"].map(dates),
            "season": season,
            "season_type": season_type,
            "team": team,
            "opponent": away_side.where(team == home_side, home_side),
            "is_home": (team == home_side).to_numpy(),
            "player_id": raw["PLAYER_ID"].str.strip().str.replace(r"\.0$", "", regex=True),
            "player_name": raw["PLAYER_NAME"].str.split().str.join(" "),
            "minutes": _ints(raw, "MIN", path).astype("float64"),
            **{k: _ints(raw, c, path) for k, c in _COUNTS.items()},
        }
    )
    if "START_POSITION" in raw.columns:
        out["starter"] = raw["START_POSITION"].str.strip() != ""
    else:
        out["starter"] = None
    _check_games(out, path)
    return out.drop_duplicates(["game_id", "player_id"], keep="first")


def _check_games(logs: pd.DataFrame, path: Path) -> None:
    per_game = logs.groupby("game_id").agg(
        dates=("game_date", "nunique"), teams=("team", "nunique"), homes=("is_home", "sum")
    )
    home_teams = logs[logs.is_home].groupby("game_id").team.nunique()
    bad = per_game[(per_game.dates != 1) | (per_game.teams != 2)]
    bad_home = home_teams[home_teams != 1]
    if len(bad) or len(bad_home) or len(home_teams) != len(per_game):
        game = (bad.index.tolist() or bad_home.index.tolist()
                or sorted(set(per_game.index) - set(home_teams.index)))[0]
        raise errors.UsageError(
            f"replay file {path}: game {game} does not have one date, two teams and one home team"
        )


@dataclass(frozen=True)
class ReplaySeason:
    """One season of the files as raw tables, and what the files do not cover."""

    name: str
    tables: dict[str, pa.Table]
    play_in: tuple[date, date] | None  # dates between the regular season and the playoffs
    props_window: tuple[date, date] | None  # first and last US/Eastern date with lines
    lines_resolved: int = 0  # prop rows whose player name was matched to a player id
    lines_unresolved: int = 0
    unresolved_names: tuple[str, ...] = ()
    truth: None = field(default=None, repr=False)  # real games have no known expectation


def _schedule(logs: pd.DataFrame, tipoffs: Mapping[str, datetime]) -> pd.DataFrame:
    teams = logs.groupby(["game_id", "team"], as_index=False).agg(
        game_date=("game_date", "first"),
        season=("season", "first"),
        season_type=("season_type", "first"),
        is_home=("is_home", "first"),
        points=("points", "sum"),
    )
    home = teams[teams.is_home].set_index("game_id")
    away = teams[~teams.is_home].set_index("game_id")
    games = home.join(away[["team", "points"]], rsuffix="_away")
    return pd.DataFrame(
        {
            "game_id": games.index,
            "game_date": games.game_date.to_numpy(),
            "season": games.season.to_numpy(),
            "season_type": games.season_type.to_numpy(),
            "tipoff_utc": [
                tipoffs.get(g) or _default_tipoff(d) for g, d in zip(games.index, games.game_date, strict=True)
            ],
            "home_team": games.team.to_numpy(),
            "away_team": games.team_away.to_numpy(),
            "status": "final",
            "home_score": games.points.to_numpy(),
            "away_score": games.points_away.to_numpy(),
        }
    ).sort_values(["game_date", "game_id"])


def _team_box(logs: pd.DataFrame) -> pd.DataFrame:
    sums = ["minutes", "points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb",
            "ast", "tov"]  # fmt: skip
    box = logs.groupby(["game_id", "team"], as_index=False).agg(
        game_date=("game_date", "first"),
        season=("season", "first"),
        opponent=("opponent", "first"),
        is_home=("is_home", "first"),
        **{c: (c, "sum") for c in sums},
    )
    overtimes = np.maximum(0, np.round((box.minutes - 240.0) / 25.0))
    box["minutes"] = 240.0 + 25.0 * overtimes
    return box


def _gamebook(logs: pd.DataFrame) -> pd.DataFrame:
    return logs.assign(
        status="active",
        dnp_reason=None,
        fg2m=logs.fgm - logs.fg3m,
        fg2a=logs.fga - logs.fg3a,
    )


@dataclass(frozen=True)
class _Lines:
    rows: pd.DataFrame  # raw odds columns
    tipoffs: dict[str, datetime]  # game_id -> quoted commence time
    resolved: int
    unresolved: int
    unresolved_names: tuple[str, ...]


def _rosters(logs: pd.DataFrame) -> tuple[dict[str, names.Roster], dict[tuple[str, str], names.Roster]]:
    """Rosters of each game's players, and of every player a team used in the season."""
    by_game = {
        g: names.Roster(zip(rows.player_id, rows.player_name, strict=True))
        for g, rows in logs.groupby("game_id")
    }
    by_team = {
        t: list(zip(rows.player_id, rows.player_name, strict=True))
        for t, rows in logs.groupby("team")
    }
    pairs: dict[tuple[str, str], names.Roster] = {}
    for home, away in logs[["team", "opponent"]].drop_duplicates().itertuples(index=False):
        pairs[(home, away)] = names.Roster([*by_team.get(home, []), *by_team.get(away, [])])
    return by_game, pairs


def _read_lines(path: Path, logs: pd.DataFrame, schedule_keys: pd.DataFrame) -> _Lines:
    raw = _read_csv(path, _PROP_COLUMNS)
    raw = raw[raw["market"].str.strip() == MARKET].reset_index(drop=True)
    commence = pd.to_datetime(raw["commence_time"], utc=True, format="ISO8601")
    raw = raw.assign(
        line=pd.to_numeric(raw["line"], errors="coerce"),
        commence=commence.dt.tz_localize(None),
        home=raw["home_team"].map(tricode_of_name),
        away=raw["away_team"].map(tricode_of_name),
        event=raw["game_id"].str.strip(),
        book=raw["bookmaker"].str.strip(),
        player=raw["player"].str.split().str.join(" "),
    )
    raw = raw[raw.line.notna() & raw.home.notna() & raw.away.notna() & (raw.player != "")]
    # One event, one tip-off: books re-quote a start time by minutes; the latest wins.
    raw["commence"] = raw.groupby("event").commence.transform("max")
    raw["game_date"] = [eastern_date(t.to_pydatetime()) for t in raw.commence]
    events = raw.drop_duplicates("event")[["event", "game_date", "home", "away", "commence"]]
    games = events.merge(schedule_keys, on=["game_date", "home", "away"], how="left")
    game_of = dict(zip(games.event, games.game_id, strict=True))
    tipoffs = {
        g: t.to_pydatetime() for g, t in zip(games.game_id, games.commence, strict=True) if isinstance(g, str)
    }

    by_game, pairs = _rosters(logs)
    resolved_name: dict[tuple[str, str], str | None] = {}
    for event, home, away, player in raw[["event", "home", "away", "player"]].drop_duplicates().itertuples(index=False):
        game = game_of.get(event)
        rosters = [r for r in (by_game.get(game) if isinstance(game, str) else None,
                               pairs.get((home, away))) if r is not None]  # fmt: skip
        pid = names.resolve(player, rosters)
        resolved_name[(event, player)] = (
            next(r.names[pid] for r in rosters if pid in r.names) if pid is not None else None
        )
    canonical = [resolved_name[(e, p)] for e, p in zip(raw.event, raw.player, strict=True)]
    raw["resolved"] = [c is not None for c in canonical]
    raw["player_name"] = [c or p for c, p in zip(canonical, raw.player, strict=True)]
    # Two lines of one book for one player and game: the first listed is kept.
    first = raw.drop_duplicates(["event", "book", "player_name"], keep="first")
    rows = pd.DataFrame(
        {
            "event_id": first.event,
            "game_date": first.game_date,
            "commence_time": [t.to_pydatetime() for t in first.commence],
            "home_team": first.home,
            "away_team": first.away,
            "bookmaker": first.book,
            "player_name": first.player_name,
            "line": first.line.astype("float64"),
            "over_price": None,
            "under_price": None,
            "snapshot_at": [(t - SNAPSHOT_LEAD).to_pydatetime() for t in first.commence],
        }
    ).sort_values(["game_date", "event_id", "bookmaker", "player_name"])
    return _Lines(
        rows,
        tipoffs,
        resolved=int(first.resolved.sum()),
        unresolved=int((~first.resolved).sum()),
        unresolved_names=tuple(sorted(set(first.player_name[~first.resolved]))),
    )


class ReplayFiles:
    """The files of one folder as a league: `season(name).tables`, `season_of(day)`, and
    `unavailable(source, day)` — why the files cannot provide a source on a date, or None.
    """

    def __init__(self, root: Path | str):
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise errors.UsageError(f"replay folder {self.root} does not exist")
        self._logs: dict[str, dict[str, Path]] = {}
        self._props: dict[str, Path] = {}
        for path in sorted(self.root.iterdir()):
            if m := _LOGS.match(path.name):
                season = catalog_calendar.parse_season(m.group(2))
                self._logs.setdefault(season, {})[_SEASON_TYPES[m.group(1)]] = path
            elif m := _PROPS.match(path.name):
                self._props[catalog_calendar.parse_season(m.group(1))] = path
        if not self._logs:
            raise errors.UsageError(
                f"replay folder {self.root} holds no game logs "
                "(regular_season_player_logs_SEASON.csv, playoff_player_logs_SEASON.csv)"
            )
        self._seasons: dict[str, ReplaySeason] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"ReplayFiles({str(self.root)!r})"

    def seasons(self) -> list[str]:
        return sorted(self._logs)

    def season_of(self, day: date) -> str | None:
        name = catalog_calendar.season_of(day)
        return name if name in self._logs and catalog_calendar.in_window(day) else None

    def season(self, name: str) -> ReplaySeason:
        if name not in self._logs:
            raise errors.DateOutsideSeasons(
                f"the replayed files hold no games of {name} (they cover {', '.join(self.seasons())})"
            )
        with self._lock:
            if name not in self._seasons:
                self._seasons[name] = self._load(name)
            return self._seasons[name]

    def unavailable(self, source: str, day: date) -> str | None:
        """Why the files cannot provide `source` on `day` ("source provides none"), or None."""
        name = self.season_of(day)
        if name is None:
            covered = ", ".join(self.seasons())
            return f"the replayed files hold no games of {catalog_calendar.season_of(day) or day} (they cover {covered})"
        if source == "bdb_pbp":
            return "the replayed files have no play-by-play, so no shot zones"
        if source == "nbac_injury_report":
            return "the replayed files have no injury reports"
        season = self.season(name)
        if season.play_in is not None and season.play_in[0] <= day <= season.play_in[1]:
            lo, hi = season.play_in
            return f"the replayed files have no play-in games ({lo}..{hi}, between regular season and playoffs)"
        if source == "odds_props":
            if season.props_window is None:
                return f"the replayed files have no prop lines for {name}"
            lo, hi = season.props_window
            if not lo <= day <= hi:
                return f"the replayed files have prop lines only from {lo} to {hi}"
        return None

    # -- building one season --------------------------------------------------------------

    def _load(self, name: str) -> ReplaySeason:
        parts = [_read_logs(path, name, kind) for kind, path in sorted(self._logs[name].items())]
        logs = pd.concat(parts, ignore_index=True).sort_values(["game_date", "game_id", "team", "player_id"])
        teams = logs.drop_duplicates(["game_id", "team"])
        keys = teams[teams.is_home][["game_date", "game_id", "team", "opponent"]].rename(
            columns={"team": "home", "opponent": "away"}
        )
        lines = (
            _read_lines(self._props[name], logs, keys) if name in self._props else None
        )
        schedule = _schedule(logs, lines.tipoffs if lines else {})
        tables = {
            "nbac_schedule": _table("nbac_schedule", schedule),
            "nbac_gamebook_player_stats": _table("nbac_gamebook_player_stats", _gamebook(logs)),
            "bdl_player_boxscores": _table("bdl_player_boxscores", logs),
            "nbac_team_boxscore": _table("nbac_team_boxscore", _team_box(logs)),
            "bdb_play_by_play": _table("bdb_play_by_play", pd.DataFrame()),
            "odds_player_points_props": _table(
                "odds_player_points_props", lines.rows if lines else pd.DataFrame()
            ),
            "nbac_injury_report": _table("nbac_injury_report", pd.DataFrame()),
        }
        return ReplaySeason(
            name,
            tables,
            play_in=_play_in(logs),
            props_window=(
                (min(lines.rows.game_date), max(lines.rows.game_date))
                if lines is not None and len(lines.rows)
                else None
            ),
            lines_resolved=lines.resolved if lines else 0,
            lines_unresolved=lines.unresolved if lines else 0,
            unresolved_names=lines.unresolved_names if lines else (),
        )


def _play_in(logs: pd.DataFrame) -> tuple[date, date] | None:
    """The dates strictly between the last regular-season and the first playoff game."""
    regular = logs.game_date[logs.season_type == "regular"]
    playoffs = logs.game_date[logs.season_type == "playoffs"]
    if regular.empty or playoffs.empty:
        return None
    lo, hi = max(regular) + timedelta(days=1), min(playoffs) - timedelta(days=1)
    return (lo, hi) if lo <= hi else None
