"""A text-only PDF writer: just enough PDF to print a report the way the league does.

The simulator publishes the injury report as a PDF because the league does, so the
phase-2 parser reads simulated and real reports through the same PDF library. Nothing
here draws: every text run is placed with its own text matrix (`Tm`) in one of the
standard Type 1 fonts, which every PDF reader knows without embedding (Helvetica,
Helvetica-Bold), in WinAnsiEncoding. A character WinAnsi cannot encode is folded to
its unaccented form ("ć" -> "c"), as a report printed in a Latin-1 font would show it.
The output is deterministic: the same pages give the same bytes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Page", "Text", "render"]

_FONTS = {"regular": "Helvetica", "bold": "Helvetica-Bold"}


@dataclass(frozen=True)
class Text:
    """One run of text with its baseline's left end at (x, y) points from the bottom left."""

    x: float
    y: float
    text: str
    size: float = 8.0
    font: str = "regular"  # regular | bold


@dataclass
class Page:
    width: float = 841.95
    height: float = 595.35
    texts: list[Text] = field(default_factory=list)


def _winansi(text: str) -> bytes:
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore")
            out += folded or b"?"
    return bytes(out)


def _literal(text: str) -> bytes:
    raw = _winansi(text)
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _content(page: Page) -> bytes:
    ops = [b"BT"]
    for t in page.texts:
        font = b"/F2" if t.font == "bold" else b"/F1"
        ops.append(b"%s %.2f Tf 1 0 0 1 %.2f %.2f Tm %s Tj" % (font, t.size, t.x, t.y, _literal(t.text)))
    ops.append(b"ET")
    return b"\n".join(ops)


def render(pages: Sequence[Page], title: str = "", created: str | None = None) -> bytes:
    """The PDF document of `pages`; `created` is a PDF date ("D:20240101183000-05'00'")."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    tree = add(b"")
    fonts = [
        add(b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
            % _FONTS[name].encode())
        for name in ("regular", "bold")
    ]
    kids = []
    for page in pages:
        stream = _content(page)
        contents = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /Font "
            b"<< /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>"
            % (tree, page.width, page.height, fonts[0], fonts[1], contents)
        ))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    info_fields = [b"/Producer (fullcourt simulator)"]
    if title:
        info_fields.append(b"/Title " + _literal(title))
    if created:
        info_fields.append(b"/CreationDate " + _literal(created))
    info = add(b"<< " + b" ".join(info_fields) + b" >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, info, xref)
    return bytes(out)
