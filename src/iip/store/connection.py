"""Opening the store: where it is (a DuckDB file or a PostgreSQL URL), creating or refusing to create it,
migrating it, waiting briefly for another process that holds a DuckDB file, and saying clearly why it cannot be
opened (missing, held by another process, made by a newer iip, server unreachable).

This package is the one place that knows which backend a store uses: everything else gets a DuckDB connection
and writes DuckDB SQL (on a PostgreSQL store DuckDB reads and writes the tables through its postgres extension,
see :mod:`iip.store.postgres`).
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from iip.errors import ConflictError, StoreError
from iip.store import migrations, postgres, schema
from iip.store.checkpoints import checkpoint

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_DB = "iip.duckdb"
_LOCK_PID = re.compile(r"\(PID (\d+)\)")
#: Seconds a command waits for another process that holds a DuckDB store before giving up ($IIP_STORE_WAIT).
DEFAULT_WAIT = 30.0
#: DuckDB stores take one writing process; its writes within the process are serialised by this lock.
_DUCKDB_WRITES = threading.RLock()


def store_target(target: str | os.PathLike | None = None) -> str:
    """The store asked for: explicit argument, else $IIP_DB, else ./iip.duckdb (a path or a PostgreSQL URL)."""
    return str(target or os.environ.get("IIP_DB") or DEFAULT_DB)


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The path of a DuckDB store (explicit argument, else $IIP_DB, else ./iip.duckdb)."""
    target = store_target(path)
    if postgres.is_url(target):
        raise StoreError(f"{postgres.shown(target)} is a PostgreSQL store, not a file")
    return Path(target)


def describe(target: str | os.PathLike | None = None) -> str:
    """The store as it may be printed (a PostgreSQL URL without its password)."""
    t = store_target(target)
    return postgres.shown(t) if postgres.is_url(t) else t


def is_postgres_target(target: str | os.PathLike | None = None) -> bool:
    """True when the store asked for is a PostgreSQL URL."""
    return postgres.is_url(store_target(target))


def exists(target: str | os.PathLike | None = None) -> bool:
    """True when the store exists (a PostgreSQL store is taken to exist: opening it says otherwise)."""
    t = store_target(target)
    return postgres.is_url(t) or t == ":memory:" or Path(t).is_file()


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


def _is_lock(exc: duckdb.Error) -> bool:
    return "lock" in str(exc).lower()


def _open_error(exc: duckdb.Error, p: Path, waited: float = 0.0) -> StoreError:
    """A StoreError that says why DuckDB could not open the store and what to do."""
    text = str(exc)
    m = _LOCK_PID.search(text)
    if _is_lock(exc):
        who = _process(m.group(1)) if m else "another process"
        after = f" (waited {waited:.0f} s)" if waited >= 1 else ""
        return StoreError(f"the store {p} is in use by {who}{after}; wait until it finishes and try again, or "
                          "stop it. A DuckDB store takes one process at a time: `iip serve` lets commands in "
                          "between its requests, but a long command holds it (set $IIP_STORE_WAIT to wait longer), "
                          "and a PostgreSQL store (--db postgresql://...) takes many at once")
    return StoreError(f"cannot open the store {p}: {text.splitlines()[0]}")


def _wait_seconds(wait: float | None) -> float:
    if wait is not None:
        return max(0.0, wait)
    try:
        return max(0.0, float(os.environ.get("IIP_STORE_WAIT", DEFAULT_WAIT)))
    except ValueError:
        raise StoreError(f"$IIP_STORE_WAIT must be a number of seconds, not {os.environ['IIP_STORE_WAIT']!r}") \
            from None


def _open_duckdb(p: Path, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, retrying while another process holds it (up to ``wait`` seconds)."""
    t0 = time.monotonic()
    pause = 0.01
    while True:
        try:
            return duckdb.connect(str(p), read_only=read_only)
        except duckdb.Error as exc:
            waited = time.monotonic() - t0
            if not _is_lock(exc) or waited >= wait:
                raise _open_error(exc, p, waited) from None
        time.sleep(min(pause, max(0.0, wait - (time.monotonic() - t0))))
        pause = min(pause * 1.5, 0.2)


def objects_sha256() -> str:
    """The content hash of every view and table macro this code installs (``schema.object_sql``)."""
    return hashlib.sha256("\n".join(schema.object_sql()).encode()).hexdigest()


def install_objects(con: duckdb.DuckDBPyConnection, *, temporary: bool = False) -> None:
    """(Re)create every view and table macro (``schema.object_sql``); ``temporary`` for read-only connections."""
    for sql in schema.object_sql():
        if temporary:
            sql = sql.replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO")
            sql = sql.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW")
        con.execute(sql)


def _installed_sha(con: duckdb.DuckDBPyConnection) -> str | None:
    if not migrations.exists(con, "store_objects"):
        return None
    return scalar(con, "SELECT sha256 FROM store_objects")


def _ensure_objects(con: duckdb.DuckDBPyConnection, *, read_only: bool) -> None:
    """Views and macros of this code: installed in the store when they differ from what it holds (a writable
    open), or for this connection only (read-only)."""
    sha = objects_sha256()
    if _installed_sha(con) == sha:
        return
    if read_only:
        install_objects(con, temporary=True)
        return
    with transaction(con):
        install_objects(con)
        con.execute("DELETE FROM store_objects")
        con.execute("INSERT INTO store_objects (sha256) VALUES (?)", [sha])


def _connect_duckdb(target: str, *, read_only: bool, create: bool, wait: float) -> duckdb.DuckDBPyConnection:
    p = Path(target)
    memory = target == ":memory:"
    if not memory and not p.exists():
        if read_only or not create:
            raise StoreError(f"no store at {p}: give the right --db PATH (or $IIP_DB), or build one with "
                             "`iip demo` / `iip ingest`")
        p.parent.mkdir(parents=True, exist_ok=True)
    if not memory and p.exists() and not p.is_file():
        raise StoreError(f"the store path {p} is not a file")
    con = _open_duckdb(p, read_only=read_only, wait=wait)
    try:
        if read_only:
            migrations.check_version(con, where=str(p))
        else:
            migrations.migrate(con, where=str(p))
        _ensure_objects(con, read_only=read_only)
    except BaseException:
        con.close()
        raise
    return con


def _connect_postgres(url: str, *, read_only: bool, pool: int) -> duckdb.DuckDBPyConnection:
    con = postgres.attach(url, read_only=read_only, pool=pool)
    try:
        where = postgres.shown(url)
        if read_only:
            migrations.check_version(con, where=where)
        else:
            migrations.migrate(con, where=where)
        with postgres.session_objects(con):   # the views and macros live in the DuckDB session
            install_objects(con)
    except BaseException:
        con.close()
        raise
    return con


def connect(target: str | os.PathLike | None = None, *, read_only: bool = False, create: bool = True,
            wait: float | None = None, pool: int = 4) -> duckdb.DuckDBPyConnection:
    """Open the store, migrated to the current schema, with its views and macros.

    ``target``: a DuckDB file path or a PostgreSQL URL (``postgresql://user@host:port/dbname``); default $IIP_DB,
    else ./iip.duckdb. ``create=False`` refuses a DuckDB store that does not exist (read commands must never
    create one: a mistyped ``--db`` is an error naming the path). ``read_only`` opens without writing; a store
    whose schema is older than this code's is then read with the views installed for this connection only.
    ``wait``: seconds to wait for another process holding a DuckDB store (default $IIP_STORE_WAIT or 30).
    ``pool``: PostgreSQL connections kept for reuse."""
    t = store_target(target)
    if postgres.is_url(t):
        return _connect_postgres(t, read_only=read_only, pool=pool)
    return _connect_duckdb(t, read_only=read_only, create=create, wait=_wait_seconds(wait))


def scalar(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None):
    """The first column of the first row of a query (None when it returns no row)."""
    row = con.execute(sql, parameters).fetchone()
    return None if row is None else row[0]


def row(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None, *, width: int = 1) -> tuple:
    """The first row of a query (``width`` Nones when it returns none)."""
    got = con.execute(sql, parameters).fetchone()
    return tuple(got) if got is not None else (None,) * width


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Insert ``rows`` (tuples of ``columns``' values) into ``table`` in one statement (one VALUES list)."""
    if not rows:
        return
    one = "(" + ", ".join("?" * len(columns)) + ")"
    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(rows))}",
                [v for r in rows for v in r])


def among(column: str, values: Iterable) -> tuple[str, list]:
    """``column IN (?, ?, ...)`` over the distinct ``values``, with those values as its parameters (``false`` when
    there are none). A list of parameters rather than ``IN (SELECT unnest(?))``: DuckDB pushes the list into the
    table scan, so a PostgreSQL store sends those rows only (the subquery is a join that reads the whole table:
    540 ms against 1.8 ms among a million reports), and a DuckDB scan filters as it reads."""
    vals = sorted(set(values))
    if not vals:
        return "false", []
    return f"{column} IN ({', '.join('?' * len(vals))})", vals


def of_enterprises(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], enterprises: Iterable
                   ) -> pd.DataFrame:
    """``columns`` of the rows of ``table`` whose enterprise_id is one of ``enterprises``, that list the scan's only
    filter (cut the rows further in pandas): an index on enterprise_id then serves the read. DuckDB uses its ART
    index (:data:`iip.store.migrations.DUCKDB_INDEXES`) only for a scan filtered by nothing else: a month range
    beside the list makes it read the whole table (4 enterprises among 3 million reports: 2 ms against 28 ms)."""
    firms, args = among("enterprise_id", enterprises)
    return con.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {firms}", args).df()


def backend(con: duckdb.DuckDBPyConnection) -> str:
    """'postgres' or 'duckdb': the kind of store ``con`` works on."""
    return "postgres" if postgres.is_postgres(con) else "duckdb"


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


def _conflict(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "could not serialize" in text or "conflict" in text or "deadlock" in text


@contextmanager
def write_transaction(con: duckdb.DuckDBPyConnection, *, name: str = "write"
                      ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write of the service layer, all or nothing. On a DuckDB store the process's writes take turns (one
    lock: DuckDB has one writer); on PostgreSQL they run side by side, and a write that collides with a
    concurrent one on the same rows is rolled back and reported as a conflict (HTTP 409: try again). ``name``
    labels the crash-test checkpoints."""
    if postgres.is_postgres(con):
        try:
            with transaction(con, name=name):
                yield con
        except duckdb.Error as exc:
            if _conflict(exc):
                raise ConflictError("another change to the same records was saved at the same moment: nothing "
                                    "was written, please try again") from None
            raise
        return
    with _DUCKDB_WRITES, transaction(con, name=name):
        yield con


@contextmanager
def exclusive(con: duckdb.DuckDBPyConnection, name: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction that no other process runs at the same time under the same ``name`` (PostgreSQL advisory
    lock; a DuckDB store has one writing process anyway): a compile's new run and series ids, say."""
    with transaction(con, name=name):
        if postgres.is_postgres(con):
            postgres.advisory_lock(con, name)
        yield con


@dataclass
class Store:
    """A store the service (or a long batch) opens a connection to for each unit of work.

    DuckDB file: the file is held only while there is work: the first :meth:`connect` opens it (waiting ``wait``
    seconds for a command that holds it; migrated and checked once), each unit gets its own connection to that
    open database, and once no unit has asked for ``linger`` seconds it is closed (its checkpoint written off the
    request path), which lets other processes in: ``iip show``, ``ingest`` or ``compile`` run while ``iip serve``
    does (they wait for the file up to $IIP_STORE_WAIT). Opening and checkpointing the file for every request
    cost ~0.1 s. PostgreSQL: one DuckDB session with the database attached is kept, and each
    :meth:`connect` is a new cursor of it (its own transaction and PostgreSQL connection): many writers at
    once."""

    target: str | None
    read_only: bool = False
    wait: float = 10.0
    pool: int = 32
    linger: float = 0.5

    def __post_init__(self) -> None:
        self.target = store_target(self.target)
        self._session: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._open: duckdb.DuckDBPyConnection | None = None     # DuckDB: the file while there is work
        self._closer: threading.Thread | None = None              # DuckDB: closes the file once idle
        self._closing = threading.Event()                          # set by :meth:`close`: the closer ends now
        self._last = 0.0
        self._units = 0                                          # units of work running (:meth:`unit`)
        if self.postgres:
            self._session = connect(self.target, read_only=self.read_only, pool=self.pool)
        else:   # open once now: migrate, check, fail early with a clear message
            connect(self.target, read_only=self.read_only, create=not self.read_only, wait=self.wait).close()

    @property
    def postgres(self) -> bool:
        """Whether the store is a PostgreSQL database."""
        return postgres.is_url(store_target(self.target))

    def __str__(self) -> str:
        return describe(self.target)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection for one unit of work; close it when done."""
        if self._session is None:
            if self.postgres:
                raise StoreError(f"the store {self} is closed")
            return self._duckdb_cursor()
        with self._lock:
            return postgres.use(self._session.cursor())

    def _duckdb_cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection to the open DuckDB file (DuckDB shares one database per file within a process), opening
        it (migrated, checked; and starting its idle closer) when it is not open."""
        with self._lock:
            self._last = time.monotonic()
            if self._open is None:
                if self._closer is not None:    # the file's previous closer finishes its checkpoint first
                    self._closer.join()
                self._open = connect(self.target, read_only=self.read_only, create=False, wait=self.wait)
                self._closer = threading.Thread(target=self._close_when_idle, args=(self._open,), daemon=True,
                                                name="iip-store-linger")
                self._closer.start()
            # the open database is shared: this connection needs no migration check
            return _open_duckdb(Path(str(self.target)), read_only=self.read_only, wait=self.wait)

    def _close_when_idle(self, con: duckdb.DuckDBPyConnection) -> None:
        """Close the open DuckDB file once no unit of work runs and none has asked for a connection for
        ``linger`` seconds (or at once when :meth:`close` took it)."""
        while True:
            self._closing.wait(max(0.01, self.linger - (time.monotonic() - self._last)))
            with self._lock:
                if self._open is not con:
                    return
                if not self._units and time.monotonic() - self._last >= self.linger:
                    self._open = None
                    break
        con.close()

    def stamp(self) -> tuple | None:
        """What the DuckDB file and its WAL look like on disk (size, modification time): the same stamp means
        nobody wrote to the store in between (None on PostgreSQL: no such sign)."""
        if self.postgres:
            return None
        out: list[tuple[int, int] | None] = []
        for p in (Path(str(self.target)), Path(f"{self.target}.wal")):
            try:
                st = p.stat()
                out.append((st.st_size, st.st_mtime_ns))
            except OSError:
                out.append(None)
        return tuple(out)

    def begin_unit(self) -> duckdb.DuckDBPyConnection:
        """A connection for a unit of work that :meth:`end_unit` ends: while one runs, a DuckDB file stays open
        (a batch longer than ``linger`` does not make the next unit open the file again)."""
        con = self.connect()
        with self._lock:
            self._units += 1
        return con

    def end_unit(self, con: duckdb.DuckDBPyConnection) -> None:
        """Close the connection of a unit of work begun with :meth:`begin_unit`."""
        try:
            con.close()
        finally:
            with self._lock:
                self._units -= 1
                self._last = time.monotonic()

    @contextmanager
    def unit(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """:meth:`begin_unit` ... :meth:`end_unit` as a ``with`` block."""
        con = self.begin_unit()
        try:
            yield con
        finally:
            self.end_unit(con)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """The same as :meth:`connect` (a store handle can stand where a DuckDB database handle did)."""
        return self.connect()

    def close(self) -> None:
        """Close the kept session (PostgreSQL) or the open file (DuckDB), and wait for the idle closer: a thread
        still inside DuckDB when the interpreter exits aborts the process ("terminate called without an active
        exception", duckdb/duckdb#13904)."""
        if self._session is not None:
            self._session.close()
            self._session = None
        with self._lock:
            con, self._open = self._open, None
            closer, self._closer = self._closer, None
            self._closing.set()
        if con is not None:
            con.close()
        if closer is not None:
            closer.join()
        self._closing.clear()
