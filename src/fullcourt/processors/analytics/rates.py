"""Ratios that are NULL, not infinite or an error, when the denominator is zero or unknown.

Rolling rates over a short history meet empty denominators all the time (a player with
no attempts from a zone yet, a team without play-by-play); NULL says "not known yet",
which the feature store and the models treat as missing rather than as a number.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["ratio"]


def ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """`num / den` as float64, NULL when `den` is NULL or not positive."""
    return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"), ibis.null("float64"))
