"""A store in PostgreSQL, queried through DuckDB.

The store's tables live in a PostgreSQL database; every query runs in DuckDB, which reads and writes them through
its ``postgres`` extension (``ATTACH 'postgresql://...' AS iip_pg (TYPE postgres)``, from the PyPI package
``duckdb-extension-postgres``). So the SQL of the whole code base -- the growth formulas in
``iip/measures/*.sql``, the versioned upsert, the compile's writes -- is written once, in DuckDB's dialect, and
runs unchanged on both stores. The views and table macros are objects of the DuckDB session (``memory.main``),
never of the PostgreSQL database; what DuckDB cannot create in PostgreSQL (sequences, indexes, advisory locks) is
sent to PostgreSQL as it is (``postgres_execute`` / ``postgres_query``), inside the same transaction.

Why this and not Ibis' PostgreSQL backend: see README ("PostgreSQL store").
"""
from __future__ import annotations

import os
import re
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb

from iip.errors import StoreError

#: The name of the attached PostgreSQL database inside the DuckDB session.
CATALOG = "iip_pg"
_attached = False   # whether this process has attached a PostgreSQL store (:func:`attach`)
#: The DuckDB search path of a session on a PostgreSQL store: its tables first, then the session's macros/views.
SEARCH_PATH = f"{CATALOG}.public,memory.main"
URL_SCHEMES = ("postgresql://", "postgres://")
_SEQUENCE = re.compile(r"CREATE SEQUENCE IF NOT EXISTS (\w+) START (\d+);", re.IGNORECASE)


def is_url(target: str | os.PathLike | None) -> bool:
    """True for a PostgreSQL URL (``postgresql://user@host:port/dbname``)."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def shown(url: str) -> str:
    """The URL as it may be printed: the password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def extension_file() -> Path:
    """The postgres extension of the installed DuckDB, from the ``duckdb-extension-postgres`` package.

    DuckDB finds an extension's entry point from its file name (``postgres_scanner``), so the package's file is
    linked under that name in a per-user folder of the temporary directory."""
    try:
        import duckdb_extension_postgres
    except ImportError:
        raise StoreError("a PostgreSQL store needs the duckdb-extension-postgres package "
                         f"(pip install 'duckdb-extension-postgres=={duckdb.__version__}')") from None
    src = Path(duckdb_extension_postgres.__file__).parent / "extensions" / f"v{duckdb.__version__}" / \
        "postgres.duckdb_extension"
    if not src.is_file():
        raise StoreError(f"duckdb-extension-postgres does not match DuckDB {duckdb.__version__}: install "
                         f"'duckdb-extension-postgres=={duckdb.__version__}'")
    folder = Path(tempfile.gettempdir()) / f"iip-duckdb-{os.getuid()}" / f"v{duckdb.__version__}"
    link = folder / "postgres_scanner.duckdb_extension"
    if not (link.is_symlink() and link.resolve() == src.resolve()):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".link-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(src)
        tmp.replace(link)
    return link


def attach(url: str, *, read_only: bool = False, pool: int = 16) -> duckdb.DuckDBPyConnection:
    """A DuckDB session (in memory) with the PostgreSQL database at ``url`` attached as :data:`CATALOG` and
    first on the search path. ``pool``: PostgreSQL connections kept open for reuse (one per concurrent
    transaction)."""
    global _attached
    con = duckdb.connect()
    try:
        con.execute(f"LOAD '{extension_file()}'")
        con.execute(f"SET pg_pool_max_connections = {int(pool)}")
        mode = ", READ_ONLY" if read_only else ""
        con.execute(f"ATTACH '{_quote(url)}' AS {CATALOG} (TYPE postgres{mode})")
        _attached = True
    except duckdb.Error as exc:
        con.close()
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(f"cannot open the PostgreSQL store {shown(url)}: {first} (is the server running, and "
                         "do the database and the user exist? see README, 'PostgreSQL store')") from None
    use(con)
    return con


def use(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Make a connection (a new cursor, say) see the store's tables and the session's macros by their names."""
    con.execute(f"SET search_path = '{SEARCH_PATH}'")
    return con


@contextmanager
def session_objects(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Inside the block, objects created without a catalog go to the DuckDB session (``memory.main``) while
    table names still find the store's tables."""
    con.execute(f"SET search_path = 'memory.main,{CATALOG}.public'")
    try:
        yield
    finally:
        use(con)


def is_postgres(con: duckdb.DuckDBPyConnection) -> bool:
    """True when ``con`` works on a PostgreSQL store (its current database is the attached one); False without
    a query in a process that has attached none (a DuckDB store's service asks this several times per write)."""
    if not _attached:
        return False
    row = con.execute("SELECT current_database()").fetchone()
    return row is not None and row[0] == CATALOG


def _quote(text: str) -> str:
    return text.replace("'", "''")


def execute(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run PostgreSQL's own SQL in the current transaction (statements DuckDB cannot translate)."""
    con.execute(f"CALL postgres_execute('{CATALOG}', '{_quote(sql)}')")


def query_one(con: duckdb.DuckDBPyConnection, sql: str):
    """The first row of a query in PostgreSQL's own SQL, in the current transaction."""
    return con.execute(f"SELECT * FROM postgres_query('{CATALOG}', '{_quote(sql)}')").fetchone()


def run_ddl(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run a block of the store's DDL: sequences are created by PostgreSQL itself, the rest through DuckDB."""
    for name, start in _SEQUENCE.findall(sql):
        execute(con, f"CREATE SEQUENCE IF NOT EXISTS {name} START {int(start)}")
    rest = _SEQUENCE.sub("", sql)
    if rest.strip():
        con.execute(rest)


def nextval(con: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """The next value of a PostgreSQL sequence (never rolled back: ids stay unique across transactions)."""
    row = query_one(con, f"SELECT nextval('{sequence}')")
    if row is None:
        raise StoreError(f"PostgreSQL returned no value for sequence {sequence}")
    return int(row[0])


def lock_key(name: str) -> int:
    """A stable 32-bit key for a named advisory lock."""
    return zlib.crc32(f"iip:{name}".encode())


def advisory_lock(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Wait for the transaction-scoped advisory lock ``name`` (released at COMMIT or ROLLBACK): for the few
    writes that must not run twice at once (migrations, a compile's run and series ids)."""
    execute(con, f"SELECT pg_advisory_xact_lock({lock_key(name)})")


def clear_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Forget DuckDB's cached view of PostgreSQL's catalog (after DDL by another process)."""
    con.execute("CALL pg_clear_cache()")
