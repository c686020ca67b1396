"""Opening the store: where it is, creating or refusing to create it, migrating it, and saying clearly why it
cannot be opened (missing, locked by another process, made by a newer iip)."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from iip.errors import StoreError
from iip.store import migrations, schema
from iip.store.checkpoints import checkpoint

DEFAULT_DB = "iip.duckdb"
_LOCK_PID = re.compile(r"\(PID (\d+)\)")


def db_path(path: str | os.PathLike | None = None) -> Path:
    """Resolve the store path: explicit argument, else $IIP_DB, else ./iip.duckdb."""
    return Path(path or os.environ.get("IIP_DB") or DEFAULT_DB)


def _process(pid: str) -> str:
    """'PID 1234 (iip serve ...)' from /proc when it can be read."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return f"PID {pid}"
    words = cmd.split()
    if len(words) > 1 and Path(words[0]).name.startswith("python"):
        words = words[1:]
    shown = " ".join([Path(words[0]).name, *words[1:]])[:120] if words else ""
    return f"PID {pid}" + (f" ({shown})" if shown else "")


def _open_error(exc: duckdb.Error, p: Path) -> StoreError:
    """A StoreError that says why DuckDB could not open the store and what to do."""
    text = str(exc)
    m = _LOCK_PID.search(text)
    if "lock" in text.lower():
        who = _process(m.group(1)) if m else "another process"
        return StoreError(f"the store {p} is in use by {who}; wait until it finishes, or stop it "
                          "(an `iip serve` on the same store must be stopped first), then try again")
    return StoreError(f"cannot open the store {p}: {text.splitlines()[0]}")


def install_objects(con: duckdb.DuckDBPyConnection, *, temporary: bool = False) -> None:
    """(Re)create every view and table macro (``schema.object_sql``); ``temporary`` for read-only connections."""
    for sql in schema.object_sql():
        if temporary:
            sql = sql.replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO")
            sql = sql.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW")
        con.execute(sql)


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False,
            create: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the store, migrated to the current schema, with its views and macros.

    ``create=False`` refuses a store that does not exist (read commands must never create one: a mistyped
    ``--db`` is an error naming the path). ``read_only`` opens without writing; a store whose schema is older
    than this code's is then read with the views installed for this connection only (tables it lacks stay
    missing: open it once for writing to migrate it)."""
    p = db_path(path)
    memory = str(p) == ":memory:"
    if not memory and not p.exists():
        if read_only or not create:
            raise StoreError(f"no store at {p}: give the right --db PATH (or $IIP_DB), or build one with "
                             "`iip demo` / `iip ingest`")
        p.parent.mkdir(parents=True, exist_ok=True)
    if not memory and p.exists() and not p.is_file():
        raise StoreError(f"the store path {p} is not a file")
    try:
        con = duckdb.connect(str(p), read_only=read_only)
    except duckdb.Error as exc:
        raise _open_error(exc, p) from None
    try:
        if read_only:
            migrations.check_version(con, where=str(p))
            if migrations.pending(con):
                install_objects(con, temporary=True)
        else:
            migrations.migrate(con, where=str(p))
            install_objects(con)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, *, name: str = "transaction"
                ) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: BEGIN ... COMMIT, ROLLBACK on any exception. ``name`` labels the crash-test checkpoints
    ``<name>:before-commit`` and ``<name>:after-commit`` (:mod:`iip.store.checkpoints`)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        checkpoint(f"{name}:before-commit")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    checkpoint(f"{name}:after-commit")
