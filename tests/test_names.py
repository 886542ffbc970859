"""The one rule that matches a printed name to a player (`processors.analytics.names`)."""

from __future__ import annotations

import ibis
import pytest

from fullcourt.processors.analytics import names

PLAYERS = [
    ("g1", "p1", "Nicolas Claxton"),
    ("g1", "p2", "Jaime Jaquez Jr."),
    ("g1", "p3", "Jonathan Isaac"),
    ("g1", "p4", "Nikola Jokić"),
    ("g1", "p5", "P.J. Tucker"),
    ("g1", "p6", "Jalen Williams"),
    ("g1", "p7", "Jaylin Williams"),  # same last name and initial as p6
    ("g2", "p8", "Nic Batum"),
]


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def _match(con, printed: list[tuple[str, str]]) -> dict[str, str | None]:
    people = ibis.memtable({"game_id": [p[0] for p in PLAYERS], "player_id": [p[1] for p in PLAYERS],
                            "player_name": [p[2] for p in PLAYERS]})
    named = ibis.memtable({"game_id": [g for g, _ in printed], "player_name": [n for _, n in printed]})
    out = con.to_pyarrow(names.match(named, people, ["game_id"])).to_pylist()
    return {r["player_name"]: r["player_id"] for r in out}


def test_spellings_books_and_reports_use_match_one_player(con):
    got = _match(con, [
        ("g1", "Nic Claxton"),        # short first name
        ("g1", "Nicolas Claxton"),
        ("g1", "Jaime Jaquez"),       # suffix dropped
        ("g1", "Jaime Jaquez Jr"),
        ("g1", "J. Isaac"),           # initial
        ("g1", "Nikola Jokic"),       # accent folded
        ("g1", "PJ Tucker"),          # punctuation
        ("g1", "p.j. tucker"),
    ])
    assert got == {"Nic Claxton": "p1", "Nicolas Claxton": "p1", "Jaime Jaquez": "p2",
                   "Jaime Jaquez Jr": "p2", "J. Isaac": "p3", "Nikola Jokic": "p4",
                   "PJ Tucker": "p5", "p.j. tucker": "p5"}


def test_the_rule_never_guesses(con):
    got = _match(con, [
        ("g1", "J. Williams"),        # two players fit: nobody
        ("g1", "Jalen Williams"),     # the full name still decides
        ("g2", "Nicolas Claxton"),    # not a player of this game
        ("g1", "Someone Else"),
    ])
    assert got == {"J. Williams": None, "Jalen Williams": "p6", "Nicolas Claxton": None,
                   "Someone Else": None}


def test_folded_keys(con):
    t = ibis.memtable({"n": ["Dennis Smith Jr.", "Robert Williams III", "Vučević, Nikola", "D'Angelo Russell"]})
    out = con.to_pyarrow(t.select(k=names.name_key(t.n), i=names.initial_key(t.n))).to_pylist()
    assert [r["k"] for r in out] == ["dennissmith", "robertwilliams", "vucevicnikola", "dangelorussell"]
    assert [r["i"] for r in out] == ["smith d", "williams r", "nikola v", "russell d"]
