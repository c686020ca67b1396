"""A throwaway PostgreSQL cluster for tests, benchmarks and trying iip on PostgreSQL.

``TempCluster`` runs the server binaries of the machine (Debian's ``postgresql`` package:
/usr/lib/postgresql/<version>/bin) -- ``initdb`` into a temporary folder, ``pg_ctl start`` on a free loopback
port, trust authentication for its one user ``iip`` -- and removes everything on ``stop()``. PostgreSQL refuses to
run as root, so as root the server runs as the ``postgres`` system user (``runuser``). Not used by iip itself:
an office points ``--db`` at its own server.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from iip.errors import StoreError

USER = "iip"


def server_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and createdb ($IIP_PG_BIN, PATH, or the newest /usr/lib/postgresql/*/bin)."""
    env = os.environ.get("IIP_PG_BIN")
    candidates = [Path(env)] if env else []
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(found).resolve().parent)
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                      if Path(p).parent.name.isdigit() else 0, reverse=True)
    candidates += [Path(v) for v in versions]
    return next((c for c in candidates if all((c / b).exists() for b in ("initdb", "pg_ctl", "createdb"))), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempCluster:
    """initdb + pg_ctl on a free port in a temporary folder; ``url(dbname)`` after ``create(dbname)``."""

    def __init__(self, *, max_connections: int = 300) -> None:
        found = server_bin()
        if found is None:
            raise StoreError("no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql package "
                             "or set IIP_PG_BIN")
        self.bin: Path = found
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="iip-pg-"))
        self.data = self.dir / "data"
        self.max_connections = max_connections
        self.os_user: str | None = None
        if os.geteuid() == 0:                      # the server will not run as root
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise StoreError("running as root and there is no 'postgres' user to run the server as") from None
            self.os_user = "postgres"
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self.os_user:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise StoreError(f"{Path(args[0]).name} failed: {(res.stderr or res.stdout).strip()[-800:]}")
        return res

    def start(self) -> TempCluster:
        """initdb and start the server (fsync off: a throwaway cluster)."""
        self._run(self.bin / "initdb", "-D", self.data, "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync",
                  "--locale=C")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections={self.max_connections}")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.dir / "server.log", "-w", "start")
        return self

    def create(self, dbname: str) -> str:
        """Create database ``dbname``; its URL."""
        self._run(self.bin / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, dbname)
        return self.url(dbname)

    def url(self, dbname: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> TempCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
