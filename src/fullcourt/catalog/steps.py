"""The kinds of step a table is built by, and the contract each kind's `build` keeps.

A table is one of four kinds of step, and the kind, not the table's name or phase,
tells the executor how to call its `build`:

- `fetch`: phase 1; no `build`, the fetcher asks the provider and stores the bodies.
- `parse`: `build(body: bytes, game_date: date) -> pyarrow.Table`, one stored response
  body at a time (validation is per body, so one bad body is quarantined alone).
- `transform`: `build(inputs, dates) -> ibis Table`, one set-based query over a batch.
- `model`: `build(inputs, dates, ctx) -> ibis Table`, a transform that also trains or
  loads models through the `BuildContext`.

`check` runs when the catalog loads, so a build with the wrong parameters or a declared
return type of another kind fails there, naming the function, rather than deep in a run;
`check_result` catches the return value the annotations could not promise.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fullcourt import errors

__all__ = ["Step", "check", "check_result", "function_name"]


class Step(StrEnum):
    FETCH = "fetch"
    PARSE = "parse"
    TRANSFORM = "transform"
    MODEL = "model"


@dataclass(frozen=True)
class _Contract:
    params: tuple[str, ...]  # what the executor passes; the last of MODEL is a keyword
    returns: str  # "arrow" or "ibis"

    @property
    def signature(self) -> str:
        kind = "pyarrow.Table" if self.returns == "arrow" else "ibis Table"
        return f"build({', '.join(self.params)}) -> {kind}"


_CONTRACTS = {
    Step.PARSE: _Contract(("body", "game_date"), "arrow"),
    Step.TRANSFORM: _Contract(("inputs", "dates"), "ibis"),
    Step.MODEL: _Contract(("inputs", "dates", "ctx"), "ibis"),
}


def function_name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _result_class(kind: str) -> type:
    if kind == "arrow":
        import pyarrow as pa

        return pa.Table
    import ibis.expr.types as ir

    return ir.Table


def check(table: str, step: Step, build: Callable[..., Any] | None) -> None:
    """Raise `CatalogError` unless `build` can be called the way its step kind calls it."""
    if step is Step.FETCH:
        if build is not None:
            raise errors.CatalogError(f"table {table}: a fetch step takes no build function")
        return
    if build is None:
        raise errors.CatalogError(f"table {table}: no build function")
    contract = _CONTRACTS[step]
    name = function_name(build)
    try:
        sig = inspect.signature(build)
    except (TypeError, ValueError):
        return  # a builtin or C callable: nothing to read; `check_result` still guards it
    try:
        if step is Step.MODEL:
            sig.bind(None, None, ctx=None)
        else:
            sig.bind(*([None] * len(contract.params)))
    except TypeError:
        raise errors.CatalogError(
            f"table {table}: {name}{sig} does not fit a {step} step, which calls"
            f" {contract.signature}"
        ) from None
    try:
        hints = typing.get_type_hints(build)
    except Exception:  # noqa: BLE001 - unresolvable annotations promise nothing either way
        return
    declared = hints.get("return")
    if isinstance(declared, type) and not issubclass(declared, _result_class(contract.returns)):
        raise errors.CatalogError(
            f"table {table}: {name} returns {declared.__qualname__}, a {step} step returns"
            f" {contract.signature.split(' -> ')[1]}"
        )


def check_result(table: str, step: Step, build: Callable[..., Any], result: Any) -> Any:
    """The value `build` returned, if it is of its step kind's type; else `CatalogError`."""
    kind = _CONTRACTS[step].returns
    if not isinstance(result, _result_class(kind)):
        raise errors.CatalogError(
            f"table {table}: {function_name(build)} returned {type(result).__qualname__},"
            f" a {step} step returns {_CONTRACTS[step].signature.split(' -> ')[1]}"
        )
    return result
