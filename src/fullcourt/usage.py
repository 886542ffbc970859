"""Usage errors as one line: what was typed wrong, and how to type it right.

The command-line parser reports a typo as an exception that carries its context (the
command, the option, close matches). `explain` turns it into one line naming the problem
and the fix; for an option given on the wrong side of its command (`fullcourt demo
--source replay`) the fix is the whole corrected command line.

Only attributes are read (`params`, `opts`, `commands`, `option_name`, ...), so this
module imports no terminal library: `cli.py` hands it the exception, the arguments and
the root command.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["explain"]


def explain(exc: Any, argv: Sequence[str], root: Any, prog: str = "fullcourt") -> str | None:
    """One line for the parser's usage error `exc`, or None when it has shown help already."""
    message = str(exc.format_message()).strip()
    if not message:
        return None  # `fullcourt` alone: the parser printed the help
    line = _Line.parse(root, argv)
    ctx = getattr(exc, "ctx", None)
    if hasattr(exc, "possibilities"):
        return _no_such_option(exc.option_name, list(exc.possibilities or ()), ctx, line, prog)
    if hasattr(exc, "option_name"):
        return _bad_option_usage(exc.option_name, message, line, prog)
    if getattr(exc, "param", None) is not None:
        return _bad_value(exc, message, ctx, line, prog)
    if line.stray is not None and hasattr(line.chain[-1].command, "commands"):
        return _no_such_command(line, prog)
    where = _where(ctx, line, prog)
    return f"{where}: {_lower(message)} (`{where} --help` shows the usage)"


@dataclass
class _Step:
    command: Any
    at: int  # index of the command's name in argv; -1 for the root


@dataclass
class _Line:
    """argv split at its command names: which command each option was given to."""

    argv: list[str]
    chain: list[_Step]
    stray: str | None  # a word where a command name was expected

    @classmethod
    def parse(cls, root: Any, argv: Sequence[str]) -> _Line:
        args, chain, stray = list(argv), [_Step(root, -1)], None
        i = 0
        while i < len(args):
            token = args[i]
            if token == "--":
                break
            command = chain[-1].command
            if token.startswith("-") and len(token) > 1:
                i += 1 + (_takes_value(command, token) and "=" not in token)
                continue
            sub = getattr(command, "commands", {}).get(token)
            if sub is None:
                if hasattr(command, "commands"):
                    stray = token
                break
            chain.append(_Step(sub, i))
            i += 1
        return cls(args, chain, stray)

    def end(self, k: int) -> int:
        """Where the arguments of chain[k] end: the next command's name, or the end."""
        stop = self.argv.index("--") if "--" in self.argv else len(self.argv)
        return self.chain[k + 1].at if k + 1 < len(self.chain) else stop

    def region(self, i: int) -> int:
        return max(k for k, step in enumerate(self.chain) if step.at < i)

    def path(self, k: int) -> list[str]:
        return [self.argv[step.at] for step in self.chain[1 : k + 1]]

    def owner(self, opt: str) -> int | None:
        return next((k for k, s in enumerate(self.chain) if _param(s.command, opt)), None)

    def corrected(self) -> tuple[list[str], list[str]] | None:
        """(the options that were misplaced, argv with each moved to its own command)."""
        moves: dict[int, list[int]] = {}
        names: list[str] = []
        i = 0
        while i < len(self.argv) and self.argv[i] != "--":
            token = self.argv[i]
            if not (token.startswith("-") and len(token) > 1) or i in (s.at for s in self.chain):
                i += 1
                continue
            opt, here = token.split("=", 1)[0], self.region(i)
            owner = self.owner(opt)
            width = 1 + (_takes_value(self.chain[owner if owner is not None else here].command,
                                      token) and "=" not in token)  # fmt: skip
            if owner is not None and owner != here and not _param(self.chain[here].command, opt):
                moves.setdefault(owner, []).extend(range(i, min(i + width, len(self.argv))))
                names.append(opt)
            i += width
        if not moves:
            return None
        moved = {i for span in moves.values() for i in span}
        out: list[str] = []
        for k, step in enumerate(self.chain):
            if step.at >= 0:
                out.append(self.argv[step.at])
            out += [self.argv[i] for i in range(step.at + 1, self.end(k)) if i not in moved]
            out += [self.argv[i] for i in moves.get(k, [])]
        out += self.argv[self.end(len(self.chain) - 1) :]
        return names, out


def _no_such_option(opt: str, close: list[str], ctx: Any, line: _Line, prog: str) -> str:
    fixed = line.corrected()
    owner = line.owner(opt)
    if fixed is not None and owner is not None and opt in fixed[0]:
        whose = " ".join([prog, *line.path(owner)])
        others = [o for o in fixed[0] if o != opt]
        also = f" ({', '.join(others)} moved too)" if others else ""
        itself = " itself" if owner == 0 else ""
        return f"{opt} is an option of {whose}{itself}{also}: {shlex.join([prog, *fixed[1]])}"
    where = _where(ctx, line, prog)
    close = sorted(c for c in close if c != "--help")  # the line ends with --help anyway
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"{where} has no option {opt}{hint} (`{where} --help` lists its options)"


def _bad_option_usage(opt: str, message: str, line: _Line, prog: str) -> str:
    spots = [i for i, t in enumerate(line.argv) if t.split("=", 1)[0] == opt]
    k = line.region(spots[-1]) if spots else len(line.chain) - 1
    where = " ".join([prog, *line.path(k)])
    param = _param(line.chain[k].command, opt)
    about = f" ({_help(param)})" if _help(param) else f" (`{where} --help`)"
    if "requires an argument" in message:
        return f"{where}: {opt} needs a value{about}"
    return f"{where}: {_lower(message)}{about}"


def _bad_value(exc: Any, message: str, ctx: Any, line: _Line, prog: str) -> str:
    where = _where(ctx, line, prog)
    param = exc.param
    opts = list(getattr(param, "opts", []) or [])
    name = opts[0] if opts else str(getattr(param, "name", "?"))
    if hasattr(exc, "param_type"):  # a missing parameter: the parser's sentence says it all
        return f"{where}: {_lower(message)} (`{where} --help`)"
    given = _value_of(line.argv, opts)
    shown = f"{name} {given!r}" if given is not None else name
    about = f" ({_help(param)})" if _help(param) else f" (`{where} --help`)"
    reason = getattr(exc, "message", None) or message
    return f"{where}: {shown} is not valid: {_lower(str(reason))}{about}"


def _no_such_command(line: _Line, prog: str) -> str:
    where = " ".join([prog, *line.path(len(line.chain) - 1)])
    names = sorted(getattr(line.chain[-1].command, "commands", {}))
    close = difflib.get_close_matches(str(line.stray), names, n=2)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"{where} has no command {line.stray!r}{hint} (commands: {', '.join(names)})"


def _where(ctx: Any, line: _Line, prog: str) -> str:
    if ctx is None:
        return " ".join([prog, *line.path(len(line.chain) - 1)])
    names = []
    while getattr(ctx, "parent", None) is not None:
        names.append(str(ctx.info_name))
        ctx = ctx.parent
    return " ".join([prog, *reversed(names)])


def _param(command: Any, opt: str) -> Any:
    return next(
        (p for p in getattr(command, "params", ())
         if opt in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))),
        None,
    )  # fmt: skip


def _takes_value(command: Any, token: str) -> bool:
    """Whether option `token` consumes the next word, as `command` (or, unknown there, any
    of its subcommands) defines it: so `fullcourt --season 2023-24 status` reads right."""
    opt = token.split("=", 1)[0]
    param = _param(command, opt)
    if param is None:
        subs = getattr(command, "commands", {}).values()
        param = next((p for s in subs if (p := _param(s, opt)) is not None), None)
    return (
        param is not None
        and not getattr(param, "is_flag", False)
        and not getattr(param, "count", False)
    )


def _value_of(argv: Sequence[str], opts: Sequence[str]) -> str | None:
    for i in range(len(argv) - 1, -1, -1):
        name, eq, value = argv[i].partition("=")
        if name in opts:
            if eq:
                return value
            return argv[i + 1] if i + 1 < len(argv) else None
    return None


def _help(param: Any) -> str:
    """The first sentence of the option's help: what a value looks like."""
    text = " ".join(str(getattr(param, "help", None) or "").split())
    return text.split(". ", 1)[0].rstrip(".")


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text
