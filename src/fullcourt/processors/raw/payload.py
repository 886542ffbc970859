"""Shared parsing of provider payloads into raw tables (not a table itself).

Every phase-2 parser does the same four things: decode JSON, validate it against the
provider's shape with pydantic, normalise units and names, and emit exactly the columns
of `RAW_SCHEMAS`. A payload that fails the first two is the provider's fault and raises
`PayloadInvalid` with a reason precise enough to act on (which field of which record);
the executor then quarantines the bytes. Duplicated records — providers do resend rows —
are dropped on the table's key, keeping the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pyarrow as pa
import pydantic

from fullcourt import errors
from fullcourt.catalog.calendar import EASTERN, eastern_date
from fullcourt.catalog.schemas import RAW_SCHEMAS, arrow_schema

__all__ = [
    "EASTERN",
    "Model",
    "clean_name",
    "decode",
    "dedupe",
    "eastern_date",
    "game_season",
    "game_season_type",
    "invalid",
    "load_json",
    "minutes",
    "to_table",
    "utc",
]

# NBA.com game ids: "00" league, a season-type digit, the season's first year, a number.
_GAME_TYPES = {"2": "regular", "4": "playoffs", "5": "play_in", "6": "regular"}


M = TypeVar("M", bound=pydantic.BaseModel)


class Model(pydantic.BaseModel):
    """Provider records: unknown fields are ignored, known ones are type-checked."""

    model_config = pydantic.ConfigDict(extra="ignore", populate_by_name=True)


def load_json(body: bytes, table: str, game_date: date | None) -> Any:
    """Decoded JSON, or `PayloadInvalid` naming the byte count and the decoder's reason."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(table, game_date, f"malformed JSON ({len(body)} bytes): {exc}") from None


def decode(body: bytes | Any, model: type[M], table: str, game_date: date | None) -> M:
    """JSON bytes (or already decoded JSON) validated as `model`, or `PayloadInvalid`
    saying what is wrong."""
    data = load_json(body, table, game_date) if isinstance(body, bytes | bytearray) else body
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise invalid(table, game_date, f"{where}: {first['msg']}{more}") from None


def invalid(table: str, game_date: date | None, reason: str) -> errors.PayloadInvalid:
    where = f"{table} {game_date}" if game_date else table
    return errors.PayloadInvalid(f"{where}: {reason}", table, [game_date] if game_date else [])


def game_season(game_id: str) -> str:
    """The season of an NBA.com game id: "0022300061" -> "2023-24"."""
    first = 2000 + int(game_id[3:5])
    return f"{first}-{(first + 1) % 100:02d}"


def game_season_type(game_id: str) -> str | None:
    """regular | playoffs | play_in from an NBA.com game id; None for preseason and
    All-Star games, which no table holds. The NBA Cup final (type 6) counts as regular."""
    return _GAME_TYPES.get(game_id[2:3]) if len(game_id) == 10 and game_id.isdigit() else None


_CLOCK = re.compile(r"^\s*(\d+)(?::(\d{1,2})(?:\.(\d+))?)?\s*$")
_ISO = re.compile(r"^P(?:T)?(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


def minutes(value: str | float | int | None) -> float | None:
    """Minutes played as decimal minutes from "MM:SS", "MM", ISO "PT34M12.00S" or a number.

    Empty strings and NULL are unknown (None); rounded to the second.
    """
    if value is None:
        return None
    if isinstance(value, int | float):
        return round(float(value), 4)
    text = value.strip()
    if not text:
        return None
    m = _ISO.match(text.upper())
    if m and any(m.groups()):
        h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        return round(h * 60 + mi + s / 60.0, 4)
    m = _CLOCK.match(text)
    if m:
        whole, secs, frac = m.groups()
        seconds = int(secs or 0) + (float(f"0.{frac}") if frac else 0.0)
        return round(int(whole) + seconds / 60.0, 4)
    raise ValueError(f"unreadable minutes {value!r}")


def clean_name(name: str | None) -> str | None:
    """Player names with single spaces; "Last, First" turned around to "First Last"."""
    if name is None:
        return None
    text = " ".join(name.split())
    if "," in text:
        last, _, first = text.partition(",")
        text = f"{first.strip()} {last.strip()}".strip()
    return text or None


def utc(moment: datetime) -> datetime:
    """Naive UTC, the warehouse's timestamp convention."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def dedupe(rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[Mapping[str, Any]]:
    seen: set[tuple] = set()
    out = []
    for r in rows:
        k = tuple(r[c] for c in keys)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def to_table(table: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows as a table with exactly the columns and types of `RAW_SCHEMAS[table]`.

    Arrow converts the rows itself (C++, not a Python list per column); the parser's
    rows all have one shape, so the first one tells whether a column was forgotten."""
    schema = RAW_SCHEMAS[table]
    if rows and (missing := [c for c in schema if c not in rows[0]]):
        raise KeyError(f"{table} rows lack {missing}")
    return pa.Table.from_pylist(list(rows), schema=_ARROW[table])


_ARROW = {name: arrow_schema(columns) for name, columns in RAW_SCHEMAS.items()}
