"""A small league with a known generating process, for testing the prediction systems.

The simulator is the honest evaluation; this is its pocket version, built in
milliseconds, with the truth known exactly: each player's scoring rate drifts through
the season, the opponent's defense of his shot zones scales it, rest and home court
nudge it, and his points are Poisson around that mean. Features are computed only from
earlier games (as the feature store does) and lines are the true mean plus bookmaker
noise, so a good system must beat a moving average and can approach the truth.

Returns Arrow tables shaped like `ml_feature_store`, `player_game_summary` and the
simulator's oracle (`game_id`, `player_id`, `expected_points`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from fullcourt.catalog import features as catalog_features

__all__ = ["League", "make_league"]


@dataclass(frozen=True)
class League:
    feature_store: pa.Table
    summary: pa.Table
    oracle: pa.Table


def _season_name(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def make_league(
    seasons: tuple[int, ...] = (2022, 2023),
    teams: int = 12,
    roster: int = 10,
    game_days: int = 60,
    line_noise: float = 1.5,
    line_share: float = 0.8,
    seed: int = 7,
) -> League:
    """Every team plays on every game day (every other calendar day from 20 October)."""
    rng = np.random.default_rng(seed)
    n_players = teams * roster
    player_team = np.repeat(np.arange(teams), roster)
    base = rng.gamma(4.0, 3.0, n_players) + 2.0
    mix = rng.dirichlet(np.ones(5) * 2.0, n_players)
    rows = []
    for year in seasons:
        defense = 1.0 + rng.normal(0, 0.12, (teams, 5))
        # a player's rate drifts through the season: a random walk the averages lag behind
        drift = np.exp(np.cumsum(rng.normal(0, 0.03, (game_days, n_players)), axis=0))
        first = date(year, 10, 20)
        for day in range(game_days):
            d = first + timedelta(days=2 * day + (day // 10))
            order = rng.permutation(teams)
            opp = np.empty(teams, dtype=int)
            home = np.zeros(teams, dtype=bool)
            opp[order[0::2]], opp[order[1::2]] = order[1::2], order[0::2]
            home[order[0::2]] = True
            game_of = np.empty(teams, dtype=int)
            game_of[order[0::2]] = np.arange(teams // 2)
            game_of[order[1::2]] = np.arange(teams // 2)
            t = player_team
            rest = rng.choice([1.0, 2.0, 3.0], teams, p=[0.2, 0.6, 0.2])[t]
            matchup = (mix * defense[opp[t]]).sum(axis=1)
            mu = base * drift[day] * matchup * np.where(home[t], 1.03, 0.97) * np.where(rest == 1, 0.94, 1.0)
            played = rng.random(n_players) > 0.05
            rows.append(
                pd.DataFrame(
                    {
                        "game_id": [f"{year}{day:03d}{g:02d}" for g in game_of[t]],
                        "player_id": [f"P{p:04d}" for p in range(n_players)],
                        "game_date": d,
                        "season": _season_name(year),
                        "season_type": "playoffs" if day >= game_days - 6 else "regular",
                        "team": [f"T{x:02d}" for x in t],
                        "opponent": [f"T{x:02d}" for x in opp[t]],
                        "is_home": home[t].astype(float),
                        "days_rest": rest,
                        "back_to_back": (rest == 1).astype(float),
                        "mu": mu,
                        "played": played,
                        "points": np.where(played, rng.poisson(mu), 0),
                        "minutes": np.where(played, np.clip(base * 1.6 + rng.normal(0, 3, n_players), 4, 44), 0.0),
                        "matchup_est": matchup * (1 + rng.normal(0, 0.02, n_players)),
                        "zone": list(mix),
                        "opp_pace": 98 + rng.normal(0, 2, n_players),
                    }
                )
            )
    df = pd.concat(rows, ignore_index=True).sort_values(["game_date", "game_id", "player_id"])
    df = df.reset_index(drop=True)
    return _assemble(df, rng, line_noise, line_share)


def _assemble(df: pd.DataFrame, rng: np.random.Generator, line_noise: float, line_share: float) -> League:
    pts = df["points"].where(df["played"]).astype(float)
    mins = df["minutes"].where(df["played"]).astype(float)
    g = df.assign(pts=pts, mins=mins).groupby(["player_id", "season"], sort=False)

    def rolling(col: str, n: int | None, fn: str = "mean") -> pd.Series:
        past = g[col].shift(1)
        grouped = past.groupby([df["player_id"], df["season"]], sort=False)
        if n is None:
            return grouped.transform(lambda s: s.expanding().mean())
        return grouped.transform(lambda s: getattr(s.rolling(n, min_periods=1), fn)())

    f: dict[str, pd.Series | np.ndarray | float] = {}
    f["pts_avg_last5"] = rolling("pts", 5)
    f["pts_avg_last10"] = rolling("pts", 10)
    f["pts_avg_last20"] = rolling("pts", 20)
    f["pts_avg_season"] = rolling("pts", None)
    f["pts_std_last10"] = rolling("pts", 10, "std")
    f["min_avg_last5"] = rolling("mins", 5)
    f["min_avg_last10"] = rolling("mins", 10)
    f["min_avg_season"] = rolling("mins", None)
    f["pts_per_min_last10"] = f["pts_avg_last10"] / f["min_avg_last10"]
    f["games_played_season"] = g["played"].cumsum() - df["played"]
    f["days_rest"] = df["days_rest"]
    f["back_to_back"] = df["back_to_back"]
    f["is_home"] = df["is_home"]
    f["injury_status_code"] = 0.0
    zones = np.stack(df["zone"].to_numpy())
    for j, z in enumerate(catalog_features.ZONES):
        f[f"zone_share_{z}"] = zones[:, j]
    f["opp_zone_matchup_factor"] = df["matchup_est"]
    f["opp_pace_last10"] = df["opp_pace"]
    f["pace_factor"] = df["opp_pace"] / 98.0
    f["fatigue_factor"] = np.where(df["back_to_back"] > 0, 0.95, 1.0)
    n = len(df)
    store = {c: df[c] for c in ("game_id", "player_id", "game_date", "season", "season_type", "team", "opponent")}
    for name in catalog_features.FEATURES:
        v = f.get(name)
        store[name] = np.asarray(v, dtype=np.float64) if v is not None else rng.normal(0, 1, n)
    mu = df["mu"].to_numpy()
    has_line = (rng.random(n) < line_share) & (mu > 3)
    line = np.floor(mu + rng.normal(0, line_noise, n)) + 0.5  # books hang half points
    price = rng.choice([-120.0, -115.0, -110.0, -105.0, 100.0], n)
    store["feature_version"] = catalog_features.FEATURE_VERSION
    store["line"] = np.where(has_line, line, np.nan)
    store["opening_line"] = np.where(has_line, line, np.nan)
    store["over_price"] = np.where(has_line, price, np.nan)
    store["under_price"] = np.where(has_line, -220.0 - price, np.nan)
    fs = pa.Table.from_pandas(pd.DataFrame(store), preserve_index=False)
    fs = fs.set_column(fs.schema.get_field_index("game_date"), "game_date", fs.column("game_date").cast(pa.date32()))
    summary = pa.table(
        {
            "game_id": df["game_id"].to_numpy(),
            "player_id": df["player_id"].to_numpy(),
            "game_date": fs.column("game_date"),
            "season": df["season"].to_numpy(),
            "season_type": df["season_type"].to_numpy(),
            "points": pa.array(df["points"].where(df["played"]).astype("Int64")),
            "minutes_played": pa.array(mins, pa.float64(), from_pandas=True),
            "played": df["played"].to_numpy(),
        }
    )
    oracle = pa.table(
        {
            "game_id": df["game_id"].to_numpy(),
            "player_id": df["player_id"].to_numpy(),
            "expected_points": pa.array(np.where(df["played"], mu, np.nan), pa.float64(), from_pandas=True),
        }
    )
    return League(fs, summary, oracle)
