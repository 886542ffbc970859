"""The `fullcourt` command: the entry point, and the one place errors become exit codes.

The commands live in `fullcourt.commands` (writers, reports, the operator's view); this
module registers them and turns every error into one line and an exit code: 0 ok, 1 the
work finished with failures or gaps left (or the machine is at fault), 2 bad usage, bad
settings or an unusable home.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
from rich.markup import escape

from fullcourt import errors, usage
from fullcourt.commands import build, operator, report  # noqa: F401 - registers the commands
from fullcourt.commands.common import app
from fullcourt.console import err

__all__ = ["app", "main"]


# -- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    debug = "--debug" in args
    try:
        # Without standalone mode typer returns the code of a `typer.Exit` instead of exiting.
        code = app(args=args, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("[yellow]aborted[/]")
        sys.exit(130)
    except typer.TyperException as exc:  # what the parser rejects: a usage error, exit 2
        line = usage.explain(exc, args, typer.main.get_command(app))
        if line:
            err.print(f"[red]error:[/] {escape(line)}")
        sys.exit(exc.exit_code)
    except errors.FullcourtError as exc:
        if debug:
            err.print_exception()
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: run the same command again to resume[/]")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        if errors.is_disk_full(exc):
            err.print(f"[red]error:[/] {escape(str(errors.disk_full('the data home')))}")
            sys.exit(1)
        if type(exc).__module__.split(".")[0] == "redis":
            err.print(f"[red]error:[/] lost the event bus: {escape(str(exc))} "
                      "(start Redis, or pass --bus memory://)")
            sys.exit(1)
        err.print(f"[red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')} "
                  "(--debug shows the traceback)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
