"""The ``iip`` command line: one Typer app; commands parse, call, print.

Domain errors (:class:`iip.errors.IIPError`) become one clear message on stderr and exit code 1.
Command modules register themselves on ``app`` or on one of the groups below.
"""
from __future__ import annotations

import typer
from typer.core import TyperGroup

from iip.errors import IIPError


class _Group(TyperGroup):
    """Turn domain errors into one clear sentence and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except IIPError as exc:
            typer.secho(f"Error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None


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
