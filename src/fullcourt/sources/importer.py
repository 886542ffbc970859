"""Captured provider responses filed into the object store, as if fullcourt had fetched them.

An operator often starts with payloads already saved somewhere — a bucket of raw
responses, a folder of captures. `import_paths` takes files and folders of bodies as
the providers sent them (JSON, PDF), recognises each one from its content
(`processors.raw.bodies`), finds its game date(s), and files it exactly like a fetch:
the body stored as received under its partition's item, the partition's manifest
rewritten, one fetch-ledger row per (body, date) with status `imported`, and a
successful attempt on the scrape partition — so `backfill` builds the raw layers from
it, and a later scrape asks only for what is still missing.

A body's game date comes from the body when it carries one (schedules, game logs, CDN
box scores, odds, the injury report); else from the object-store layout of its path
(`raw/{source}/{date}/...`, so a copied bucket imports whole), the other files of the
same import that date its game (a schedule, a scoreboard, a game log), a schedule
already in the home, or `--date`. A file that is not a provider body, or is corrupt, is
reported `invalid` with the reason and nothing is written for it; the other files
still import.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from fullcourt import errors
from fullcourt.processors.raw import bodies
from fullcourt.processors.raw.nbac_schedule import schedule_rows, scoreboard_rows
from fullcourt.processors.raw.nbac_team_boxscore import game_log_rows
from fullcourt.processors.raw.payload import game_season, load_json
from fullcourt.sources.fetcher import FetchRow
from fullcourt.sources.objectstore import MANIFEST, SHARED, Entry, ObjectStore, digest

__all__ = ["Filed", "Report", "import_paths", "scrape_input_fp"]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Report:
    """One line of the import's report: one (file, game date)."""

    file: str
    provider: str | None
    game_date: date | None
    records: int
    status: str  # ok | invalid
    reason: str | None = None

    def to_json(self) -> dict:
        return {"file": self.file, "provider": self.provider,
                "game_date": self.game_date.isoformat() if self.game_date else None,
                "records": self.records, "status": self.status, "reason": self.reason}


@dataclass
class Filed:
    """What a real import wrote, for the ledger: partitions (source, date) touched."""

    rows: list[FetchRow] = field(default_factory=list)
    partitions: dict[tuple[str, date], tuple[int, int, str]] = field(default_factory=dict)


def scrape_input_fp() -> str:
    """The input fingerprint the planner derives for a scrape partition: scrape tables
    have no inputs, so it is the hash of nothing (`engine.planner._status`)."""
    return hashlib.blake2b(b"", digest_size=8).hexdigest()


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")
                          and MANIFEST not in f.parts and "quarantine" not in f.parts
                          and not f.name.endswith(".reason.txt"))
        else:
            out.append(p)
    return out


def _layout(path: Path) -> tuple[str | None, date | None]:
    """(source, date) when the path is laid out like the object store."""
    parts = path.parts
    for i in range(len(parts) - 3):
        if parts[i] == "raw" and _DAY.match(parts[i + 2]):
            return parts[i + 1], date.fromisoformat(parts[i + 2])
    return None, None


def _dates_of_games(body: bytes, kind: str) -> dict[str, date]:
    """game id -> date of every game a schedule, scoreboard or game log names."""
    data = load_json(body, "import", None)
    if kind == "schedule":
        rows = schedule_rows(data, None)
    elif kind == "scoreboard":
        rows = scoreboard_rows(data, None)
    elif kind == "game_log":
        rows = game_log_rows(data, None)
    else:
        return {}
    return {r["game_id"]: r["game_date"] for r in rows}


def _home_schedule(store: ObjectStore, seasons: Iterable[str]) -> dict[str, date]:
    """game id -> date from the newest schedule document the home keeps of each season."""
    out: dict[str, date] = {}
    for season in seasons:
        folder = store.root / "raw" / "nbac_schedule" / SHARED / season
        docs = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if docs:
            try:
                out.update(_dates_of_games(docs[-1].read_bytes(), "schedule"))
            except errors.FullcourtError:
                continue
    return out


@dataclass
class _Candidate:
    path: Path
    body: bytes
    found: bodies.Described | None
    reason: str | None
    layout: tuple[str | None, date | None]


def import_paths(
    paths: Sequence[Path],
    store: ObjectStore,
    *,
    provider: str | None = None,
    day: date | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> tuple[list[Report], Filed]:
    """Report every (file, game date); unless `dry_run`, file the valid ones in `store`.

    Raises `UsageError` (before writing anything) when a body carries no date, nothing
    dates its game and `day` is not given."""
    if provider is not None and provider not in bodies.PROVIDERS:
        raise errors.UsageError(f"unknown provider {provider!r}; providers are {', '.join(bodies.PROVIDERS)}")
    now = now or datetime.now(UTC)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise errors.UsageError(f"no such file or folder: {', '.join(missing)}")
    candidates = []
    for path in _files(paths):
        body = path.read_bytes()
        try:
            found, reason = bodies.describe(body), None
        except errors.PayloadInvalid as exc:
            found, reason = None, str(exc)
        if found is not None and provider is not None and found.provider != provider:
            found, reason = None, f"a {found.provider} {found.kind}, not a {provider} body"
        layout = _layout(path)
        if found is not None and layout[0] is not None and layout[0] not in found.sources:
            found, reason = None, f"the path says {layout[0]} but the body is a {found.provider} {found.kind}"
        candidates.append(_Candidate(path, body, found, reason, layout))
    # what the import itself says about the dates of games, then the home's schedule
    known: dict[str, date] = {}
    for c in candidates:
        if c.found is not None and c.found.kind in ("schedule", "scoreboard", "game_log"):
            known.update(_dates_of_games(c.body, c.found.kind))
    undated = {c.found.game_id for c in candidates if c.found and None in c.found.records and c.found.game_id}
    seasons = {game_season(g) for g in undated if g and len(g) == 10 and g.isdigit()}
    known = {**_home_schedule(store, seasons), **known}

    reports: list[Report] = []
    plans: list[tuple[_Candidate, dict[date, int]]] = []
    for c in candidates:
        if c.found is None:
            reports.append(Report(str(c.path), None, None, 0, "invalid", c.reason))
            continue
        records = dict(c.found.records)
        if None in records:
            n = records.pop(None)
            when = c.layout[1] or known.get(c.found.game_id or "") or day
            if when is None:
                what = f"game {c.found.game_id}" if c.found.game_id else "its game"
                why = (f"the body carries no game date and no schedule dates {what}: "
                       "importing it needs --date YYYY-MM-DD")
                if not dry_run:
                    raise errors.UsageError(f"{c.path}: {why}")
                reports.append(Report(str(c.path), c.found.provider, None, n, "ok", why))
                continue
            records[when] = records.get(when, 0) + n
        for d, n in sorted(records.items()):
            reports.append(Report(str(c.path), c.found.provider, d, n, "ok"))
        if records:
            plans.append((c, records))
        elif not c.found.records:
            reports.append(Report(str(c.path), c.found.provider, None, 0, "ok", "holds no game dates"))
    filed = Filed()
    if not dry_run:
        for c, records in plans:
            _file(store, c, records, known, now, filed)
    return reports, filed


def _file(store: ObjectStore, c: _Candidate, records: Mapping[date, int], known: Mapping[str, date],
          now: datetime, filed: Filed) -> None:
    found = c.found
    assert found is not None
    ext = "pdf" if c.body[:5] == b"%PDF-" else "json"
    sha = digest(c.body)
    for source in found.sources:
        shared = None
        if found.kind == "schedule" and len(records) > 1:
            shared = store.put_shared(source, found.item.removeprefix("schedule-") or "schedule", now, c.body, ext)
        for d, n in records.items():
            key = shared or store.put(source, d, now, c.body, found.item, ext)
            games = sorted(found.games.get(d) or found.games.get(None) or ())
            prior = [e for e in store.manifest(source, d) or [] if e.item != found.item]
            entries = [*prior, Entry(found.item, key, sha, n, tuple(games))]
            fp = store.commit(source, d, now, entries)
            covered = {g for e in entries for g in e.games}
            filed.partitions[(source, d)] = (sum(e.records for e in entries), len(covered), fp)
            filed.rows.append(FetchRow(source, d, found.item, found.provider, f"import:{c.path.name}",
                                       "imported", len(c.body), n, key, now, None))
