"""Matching a name as a book or a report prints it to a player: one tested rule.

Bookmakers and the injury report name players, they do not identify them, and each
spells names its own way: accents folded or not ("Jokić"/"Jokic"), suffixes kept or
dropped ("Jaime Jaquez Jr."/"Jaime Jaquez"), punctuation ("P.J."/"PJ"), short first
names ("Nic Claxton" for "Nicolas Claxton") and initials ("J. Isaac"). The rule, applied
within a group of candidates (the players of one game, or of one team):

1. the names agree once folded — lowercase, accents to ASCII, punctuation dropped, a
   trailing generational suffix (Jr, Sr, II, III, IV, V) dropped;
2. else the folded last names agree and so do the first initials, and exactly one
   candidate of the group fits — never a guess between two.

A name that fits nobody stays unmatched (NULL player), visibly. Everything is an Ibis
expression over whole tables: no Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir

__all__ = ["folded", "initial_key", "match", "name_key"]

_ACCENTED = "àáâãäåāăąçćčďđèéêëēėęěğìíîïīįıķĺļľłñńņňòóôõöøōőŕřśşšţťùúûüūůűųýÿźżž"
_PLAIN = "aaaaaaaaacccddeeeeeeeegiiiiiiiklllnnnnoooooooorrssstttuuuuuuuuyyzzz"
_SUFFIX = r"\s+(jr|sr|ii|iii|iv|v)$"


def folded(name: ir.StringValue) -> ir.StringValue:
    """"P.J. Tucker Jr." -> "p j tucker": lowercase ASCII words, no trailing suffix."""
    text = name.lower().translate(_ACCENTED, _PLAIN).re_replace(r"[^a-z0-9]+", " ").strip()
    return text.re_replace(_SUFFIX, "")


def name_key(name: ir.StringValue) -> ir.StringValue:
    """The folded name without spaces ("p.j. tucker" and "PJ Tucker" -> "pjtucker")."""
    return folded(name).re_replace(" ", "")


def initial_key(name: ir.StringValue) -> ir.StringValue:
    """Folded last name and first initial: "Nic Claxton", "Nicolas Claxton" -> "claxton n"."""
    f = folded(name)
    return f.re_extract(r"([a-z0-9]+)$", 1).concat(" ", f.substr(0, 1))


def match(named: ir.Table, people: ir.Table, by: Sequence[str], column: str = "player_name") -> ir.Table:
    """`named` with the `player_id` of the one candidate of `people` (columns `by`,
    `player_id`, `player_name`) its `column` names within the same `by` group; NULL
    when the rule finds nobody or more than one."""
    by = list(by)
    n = named.mutate(_k=name_key(named[column]), _i=initial_key(named[column]))
    p = people.select(*by, "player_id", _pn="player_name").distinct()
    p = p.mutate(_k=name_key(p._pn), _i=initial_key(p._pn))
    exact = p.group_by([*by, "_k"]).aggregate(_exact=p.player_id.min(), _ne=p.player_id.nunique())
    exact = exact.filter(exact._ne == 1).drop("_ne")
    loose = p.group_by([*by, "_i"]).aggregate(_loose=p.player_id.min(), _nl=p.player_id.nunique())
    loose = loose.filter(loose._nl == 1).drop("_nl")
    out = n.left_join(exact, [*by, "_k"])
    out = out.drop(*[c for c in out.columns if c.endswith("_right")])
    out = out.left_join(loose, [*by, "_i"])
    out = out.drop(*[c for c in out.columns if c.endswith("_right")])
    keep = [c for c in named.columns if c != "player_id"]
    return out.select(*keep, player_id=out._exact.fill_null(out._loose))
