"""The league's injury report PDF read back into rows (not a table itself).

The report is a table printed for people, not a data feed: Game Date, Game Time ("07:30
(ET)"), Matchup ("MIL@SAS"), Team (full name), Player Name ("Last, First"), Current
Status and Reason. Game Date, Game Time, Matchup and Team are printed only on the first
row of their group and carry on below it, across page breaks; a long Reason wraps onto
extra lines, above and below the baseline of its row. So the text is placed back into
the table by position:

1. every text segment of every page with its box, from PDFium (`pypdfium2`, the
   maintained bindings to the PDF engine of Chrome): a segment is a run of characters
   without a gap, a word or a whole cell; native text extraction is what makes reading
   a few thousand reports in a rebuild affordable (a pure-Python extraction costs ten
   times as much);
2. the column starts read off the header row (Game, Game, Matchup, Team, Player,
   Current, Reason), segments put into columns by their left edge, lines by their
   vertical middle;
4. a line with a player name is a row; a line with only Reason text is a wrapped part
   of the nearest row on the same page; group cells update the carried group.

`read(body)` returns the publication time (naive UTC, from the title "Injury Report:
02/08/26 06:30 PM", US/Eastern) and the rows; `ReportError` says what could not be read.
"""

from __future__ import annotations

import ctypes
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

__all__ = ["COLUMNS", "ReportError", "ReportRow", "read"]

EASTERN = ZoneInfo("America/New_York")
COLUMNS = ("game_date", "game_time", "matchup", "team", "player", "status", "reason")
_LABELS = ("game", "game", "matchup", "team", "player", "current", "reason")
_TITLE = re.compile(r"Injury\s*Report:\s*(\d{2}/\d{2}/\d{2,4})\s*(\d{1,2}:\d{2})\s*([AP]M)", re.I)
_FOOTER = re.compile(r"^Page\s*\d+\s*of\s*\d+$", re.I)
_LINE = 2.5  # points between the middles of segments on one printed line
_CARRIED = -10_000.0  # a continuation from the next page sorts below the row's own lines


class ReportError(ValueError):
    """The PDF is not a readable injury report; the message says why."""


@dataclass(frozen=True)
class ReportRow:
    game_date: date
    game_time: str | None  # as printed, "07:30 (ET)"
    matchup: str  # "MIL@SAS": away @ home
    team: str  # full name as printed
    player: str  # "Last, First" as printed
    status: str
    reason: str | None
    page: int


@dataclass
class _Word:
    x0: float
    x1: float
    y: float  # vertical middle
    text: str
    h: float = 8.0  # height of the segment's box


_PDFIUM = threading.Lock()  # PDFium is not thread-safe: one document at a time


def _pages(body: bytes) -> list[list[_Word]]:
    """The text segments of every page, with their boxes (PDF points, origin bottom left)."""
    with _PDFIUM:
        return _read_pages(body)


def _read_pages(body: bytes) -> list[list[_Word]]:
    try:
        document = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        raise ReportError(f"unreadable PDF: {exc}") from None
    pages = []
    try:
        for page in document:
            text = page.get_textpage()
            try:
                words = []
                for i in range(text.count_rects()):
                    left, bottom, right, top = text.get_rect(i)
                    chunk = " ".join(_bounded(text, left, bottom, right, top).split())
                    if chunk:
                        words.append(_Word(left, right, (bottom + top) / 2.0, chunk, top - bottom))
                pages.append(words)
            finally:
                text.close()
                page.close()
    except pdfium.PdfiumError as exc:
        raise ReportError(f"unreadable PDF page: {exc}") from None
    finally:
        document.close()
    return pages


_BUFFER = ctypes.create_string_buffer(2 * 4096)  # one segment's UTF-16 text (under _PDFIUM)


def _bounded(text: pdfium.PdfTextPage, left: float, bottom: float, right: float, top: float) -> str:
    """The text inside a box, read straight into a reused buffer (the helper's own
    method allocates and asks twice; a rebuild reads thousands of segments)."""
    buf = _BUFFER
    n = pdfium_c.FPDFText_GetBoundedText(
        text.raw, left, top, right, bottom, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), 4095)
    return buf.raw[: 2 * max(0, n)].decode("utf-16-le", "replace").rstrip("\x00")


def _lines(words: list[_Word]) -> list[tuple[float, list[_Word]]]:
    """Segments grouped into printed lines, top to bottom: a segment whose middle lies
    within 40% of the line's height of the line's first segment is on it (glyph boxes
    of one line differ by their ascenders and descenders, lines by a whole row)."""
    lines: list[tuple[float, list[_Word]]] = []
    for w in sorted(words, key=lambda w: (-w.y, w.x0)):
        if lines:
            y, ws = lines[-1]
            if abs(y - w.y) < max(0.4 * min(ws[0].h, w.h), 1.0):
                ws.append(w)
                continue
        lines.append((w.y, [w]))
    return [(y, sorted(ws, key=lambda w: w.x0)) for y, ws in lines]


def _columns(lines: list[tuple[float, list[_Word]]]) -> tuple[float, list[float]] | None:
    """(baseline, column starts) of the header row, if this page has one."""
    for y, ws in lines:
        starts = [w.x0 for w in ws if w.text.split()[0].lower() in _LABELS]
        labels = [w.text.split()[0].lower() for w in ws if w.text.split()[0].lower() in _LABELS]
        if tuple(labels) == _LABELS:
            return y, starts
    return None


def _cells(ws: list[_Word], starts: list[float]) -> list[str]:
    cells: list[list[str]] = [[] for _ in starts]
    for w in ws:
        i = max((k for k, s in enumerate(starts) if w.x0 >= s - 3.0), default=0)
        cells[i].append(w.text)
    return [" ".join(c) for c in cells]


def _published(text: str) -> datetime:
    m = _TITLE.search(text)
    if m is None:
        raise ReportError("no 'Injury Report: MM/DD/YY hh:mm AM|PM' title on the first page")
    day, clock, half = m.groups()
    fmt = "%m/%d/%y" if len(day) == 8 else "%m/%d/%Y"
    local = datetime.strptime(f"{day} {clock} {half.upper()}", f"{fmt} %I:%M %p")
    return local.replace(tzinfo=EASTERN).astimezone(UTC).replace(tzinfo=None)


def read(body: bytes) -> tuple[datetime, list[ReportRow]]:
    """The report's publication time and every player row, in printed order."""
    if not body.startswith(b"%PDF"):
        raise ReportError("not a PDF (no %PDF header)")
    pages = _pages(body)
    if not pages:
        raise ReportError("the PDF has no pages")
    published: datetime | None = None
    starts: list[float] | None = None
    group = {"game_date": None, "game_time": None, "matchup": None, "team": None}
    rows: list[ReportRow] = []
    carried: dict | None = None  # the last row of the previous page: its Reason may go on
    for number, words in enumerate(pages, start=1):
        lines = _lines(words)
        if published is None:
            published = _published(" ".join(w.text for _, ws in lines for w in ws))
        header = _columns(lines)
        if header is not None:
            header_y, starts = header
            lines = [(y, ws) for y, ws in lines if y < header_y - _LINE]
        elif starts is None:
            raise ReportError(f"page {number}: no header row (Game Date ... Reason)")
        else:
            lines = [(y, ws) for y, ws in lines if not _TITLE.search(" ".join(w.text for w in ws))]
        assert starts is not None
        page_rows: list[tuple[float, dict]] = []
        loose: list[tuple[float, str]] = []  # (baseline, text) of wrapped Reason lines
        for y, ws in lines:
            text = " ".join(w.text for w in ws)
            if _FOOTER.match(text.replace(" ", "")) or _FOOTER.match(text):
                continue
            cells = dict(zip(COLUMNS, _cells(ws, starts), strict=True))
            if cells["game_date"]:
                group["game_date"] = cells["game_date"]
            if cells["game_time"] or cells["matchup"]:
                group["game_time"] = cells["game_time"] or group["game_time"]  # same slot
                group["matchup"] = cells["matchup"] or group["matchup"]
                group["team"] = None
            if cells["team"]:
                group["team"] = cells["team"]
            if cells["player"]:
                page_rows.append((y, {**group, "player": cells["player"], "status": cells["status"],
                                      "parts": [(y, cells["reason"])] if cells["reason"] else []}))
            elif cells["reason"] and not any(cells[c] for c in ("team", "matchup", "game_time")):
                loose.append((y, cells["reason"]))
        for y, text in loose:
            target = _owner(y, page_rows, carried)
            if target is not None:
                target["parts"].append((y + (_CARRIED if target is carried else 0.0), text))
        if carried is not None:
            rows.append(_row(carried, number - 1))
        carried = page_rows[-1][1] if page_rows else None
        for _, r in page_rows[:-1]:
            rows.append(_row(r, number))
    if carried is not None:
        rows.append(_row(carried, len(pages)))
    assert published is not None
    return published, rows


def _owner(y: float, rows: list[tuple[float, dict]], carried: dict | None) -> dict | None:
    """The row a wrapped Reason line at baseline `y` belongs to: the nearest row of its
    page, except that a line above a page's first row continues the previous page's
    last row when that row's Reason is unfinished ("...; Surgery -") or the first row
    already has its Reason on its own line."""
    if not rows:
        return carried
    first_y, first = rows[0]
    if y > first_y and carried is not None:
        own = any(abs(py - first_y) < _LINE for py, _ in first["parts"])
        text = " ".join(t for _, t in carried["parts"]).rstrip()
        if own or text.endswith(("-", ";", ",")):
            return carried
    return min(rows, key=lambda r: abs(r[0] - y))[1]


def _row(r: dict, page: int) -> ReportRow:
    missing = [c for c in ("game_date", "matchup", "team") if not r.get(c)]
    if missing:
        raise ReportError(f"page {page}: player {r['player']!r} has no {', '.join(missing)} above it")
    if not r["status"]:
        raise ReportError(f"page {page}: player {r['player']!r} has no Current Status")
    try:
        day = datetime.strptime(r["game_date"], "%m/%d/%Y").date()
    except ValueError:
        raise ReportError(f"page {page}: unreadable Game Date {r['game_date']!r}") from None
    parts = [t for _, t in sorted(r["parts"], key=lambda p: -p[0])]
    reason = " ".join(" ".join(parts).split()) or None
    return ReportRow(day, r["game_time"], r["matchup"].replace(" ", ""), r["team"],
                     " ".join(r["player"].split()), " ".join(r["status"].split()), reason, page)
