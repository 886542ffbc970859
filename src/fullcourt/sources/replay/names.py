"""Matching a bookmaker's spelling of a player to the box score's.

Books and the league write the same man differently: "Nikola Jokic" against "Nikola
Jokić", "Jaren Jackson Jr" against "Jaren Jackson Jr.", "C.J. McCollum" against
"CJ McCollum", "K.J. Martin" against "Kenyon Martin Jr.". A line that joins to nobody
is a line the models never see, so a book's name is looked up in a `Roster` — the
players who could be meant — twice:

1. by `name_key`: accents folded, punctuation dropped, generational suffixes removed;
2. failing that, by first initial and surname (`initial_key`), when exactly one
   player of the roster has them;
3. last, among the players of the game itself only, by surname alone when exactly one
   of them has it ("Carlton Carrington" is the box score's "Bub Carrington").

Two players of one roster sharing a key are never guessed between; a name still
unmatched stays as the book wrote it and simply joins to no player.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = ["Roster", "initial_key", "name_key", "resolve"]

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})
_NOT_LETTER = re.compile(r"[^a-z0-9 ]+")
# Letters that Unicode decomposition does not reduce to ASCII.
_FOLD = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "ß": "ss", "ı": "i"})


def _tokens(name: str) -> list[str]:
    text = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’.]", "", text)  # "Ja'Kobe" -> "jakobe", "P.J." -> "pj"
    words = _NOT_LETTER.sub(" ", text).split()
    while len(words) > 2 and words[-1] in _SUFFIXES:
        words.pop()
    return words


def name_key(name: str) -> str:
    """"Nikola Jokić" and "Nikola Jokic" -> "nikola jokic"; "Gary Trent Jr." -> "gary trent"."""
    return " ".join(_tokens(name))


def initial_key(name: str) -> str:
    """First initial and surname: "K.J. Martin" and "Kenyon Martin Jr." -> "k martin"."""
    words = _tokens(name)
    if len(words) < 2:
        return " ".join(words)
    return f"{words[0][0]} {words[-1]}"


class Roster:
    """Players who could be meant by a name: (player id, box-score name) pairs."""

    def __init__(self, players: Iterable[tuple[str, str]]):
        self.names: dict[str, str] = dict(players)
        self._exact: dict[str, set[str]] = {}
        self._loose: dict[str, set[str]] = {}
        self._surname: dict[str, set[str]] = {}
        for pid, name in self.names.items():
            self._exact.setdefault(name_key(name), set()).add(pid)
            self._loose.setdefault(initial_key(name), set()).add(pid)
            self._surname.setdefault(_surname(name), set()).add(pid)

    def exact(self, book_name: str) -> str | None:
        ids = self._exact.get(name_key(book_name), set())
        return next(iter(ids)) if len(ids) == 1 else None

    def loose(self, book_name: str) -> str | None:
        if self._exact.get(name_key(book_name)):
            return None  # the full name exists but is shared: refuse to guess
        ids = self._loose.get(initial_key(book_name), set())
        return next(iter(ids)) if len(ids) == 1 else None

    def surname(self, book_name: str) -> str | None:
        ids = self._surname.get(_surname(book_name), set())
        return next(iter(ids)) if len(ids) == 1 else None


def _surname(name: str) -> str:
    words = _tokens(name)
    return words[-1] if words else ""


def resolve(book_name: str, rosters: Sequence[Roster]) -> str | None:
    """The player id `book_name` means: the first roster that names him decides; the
    surname alone is tried last and only in the first roster (the game's players)."""
    for roster in rosters:
        pid = roster.exact(book_name) or roster.loose(book_name)
        if pid is not None:
            return pid
    return rosters[0].surname(book_name) if rosters else None
