"""The ``iip`` command line: one Typer app; commands parse, call, print.

No traceback reaches a user: domain errors (:class:`iip.errors.IIPError`) become one clear message on stderr and
exit code 1; a file that cannot be read or written is named (exit 1); Ctrl-C stops with exit code 130 and says
that every write is all or nothing (the store keeps what was committed before); anything unexpected is one line
naming its type (``IIP_DEBUG=1`` shows the traceback). Command modules register themselves on ``app`` or on one
of the groups below.
"""
from __future__ import annotations

import os

import click
import typer
from typer.core import TyperGroup

from iip.errors import IIPError


def _passes_through(exc: BaseException) -> bool:
    """Exits and usage errors of the command-line library (click, or typer's own copy of it): they print their
    own message and exit code."""
    if isinstance(exc, (typer.Exit, typer.Abort, click.exceptions.ClickException, click.exceptions.Exit,
                        click.exceptions.Abort)):
        return True
    return hasattr(exc, "exit_code") and hasattr(exc, "show")


INTERRUPTED = ("Interrupted (Ctrl-C). Every write of iip is all or nothing: the store keeps what was committed "
               "before the interruption and nothing of the step that was running.")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"Error: {message}", fg="red", err=True)
    return typer.Exit(code)


class _Group(TyperGroup):
    """Turn every failure into one clear sentence and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except IIPError as exc:
            raise _fail(str(exc)) from None
        except KeyboardInterrupt:
            typer.secho(INTERRUPTED, fg="yellow", err=True)
            raise typer.Exit(130) from None
        except OSError as exc:
            what = f" {exc.filename}" if exc.filename else ""
            raise _fail(f"cannot use{what}: {exc.strerror or exc}") from None
        except Exception as exc:  # noqa: BLE001 - the last resort: one line, never a traceback
            if os.environ.get("IIP_DEBUG") or _passes_through(exc):
                raise
            raise _fail(f"unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                        "(set IIP_DEBUG=1 for the details and report it)") from None


app = typer.Typer(cls=_Group, help="iip: Vietnam's Index of Industrial Production, from reports to release.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
import_app = typer.Typer(cls=_Group, help="Import official published figures (GSO workbooks, SDMX).", no_args_is_help=True)
export_app = typer.Typer(cls=_Group, help="Export tables to CSV or Parquet.", no_args_is_help=True)
check_app = typer.Typer(cls=_Group, help="Consistency checks across sources.", no_args_is_help=True)
users_app = typer.Typer(cls=_Group, help="User accounts (admin).", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(check_app, name="check")
app.add_typer(users_app, name="users")


class State:
    """Options given before the command (``--db``), for the commands to read."""
    db: str | None = None


state = State()


@app.callback()
def _main(db: str = typer.Option(None, "--db", help="The store: a DuckDB file (default ./iip.duckdb) or a "
                                 "PostgreSQL database, postgresql://user@host:port/dbname. Default $IIP_DB.",
                                 envvar="IIP_DB")) -> None:
    state.db = db


def db() -> str:
    """The store chosen by --db, $IIP_DB or the default: a DuckDB file path or a PostgreSQL URL."""
    from iip.store import store_target
    return store_target(state.db)


# command modules (each owns its commands)
from iip.cli import core as _core  # noqa: E402,F401
from iip.cli import published as _published  # noqa: E402,F401
from iip.cli import seasonal as _seasonal  # noqa: E402,F401
from iip.cli import release as _release  # noqa: E402,F401
from iip.cli import web as _web  # noqa: E402,F401
from iip.cli import collection as _collection  # noqa: E402,F401
