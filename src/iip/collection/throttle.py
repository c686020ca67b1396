"""Login throttling with exponential backoff, per account and per client address.

Each key (an account name, or a client address) counts its failed logins; a count is forgotten ``WINDOW`` after the
last failure. Once a key has ``free`` failures, it is locked after each further failure for

    delay(n) = min(CAP, BASE * 2 ** (n - free))   seconds,  n = failures so far,

(accounts: free = 5, so the 6th failure locks the account for 2 s, the 7th for 4 s, ... up to 15 minutes;
addresses: free = 20, since several people may share one address). While a key is locked every login attempt is
refused with HTTP 429 and ``Retry-After`` -- the right password included, and without checking it. A successful
login clears the account's count (not the address's). State lives in table ``login_throttle`` so that it holds
across worker processes and restarts. Call inside the caller's write transaction.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import duckdb

from iip.errors import TooManyRequestsError

BASE = 1.0
CAP = 900.0
WINDOW = timedelta(hours=1)
FREE = {"user": 5, "address": 20}


def delay(failures: int, free: int) -> float:
    """Seconds a key stays locked after its ``failures``-th failure: 0 up to ``free``, then doubling to CAP."""
    if failures <= free:
        return 0.0
    return min(CAP, BASE * 2.0 ** (failures - free))


def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
    keys = [("user", username[:128])]
    if address:
        keys.append(("address", address[:64]))
    return keys


def check(con: duckdb.DuckDBPyConnection, username: str, address: str | None, *,
          now: datetime | None = None) -> None:
    """TooManyRequestsError (429, ``retry_after`` seconds) when the account or the address is locked."""
    now = now or datetime.now()
    for kind, key in _keys(username, address):
        row = con.execute("SELECT locked_until FROM login_throttle WHERE kind = ? AND key = ?", [kind, key]).fetchone()
        if row and row[0] is not None and row[0] > now:
            wait = max(1, math.ceil((row[0] - now).total_seconds()))
            what = "this account" if kind == "user" else "this address"
            raise TooManyRequestsError(f"too many failed logins for {what}: try again in {wait} s",
                                       retry_after=wait)


def record_failure(con: duckdb.DuckDBPyConnection, username: str, address: str | None, *,
                   now: datetime | None = None) -> float:
    """Count one failed login for the account and the address; returns the longest lock it starts (seconds)."""
    now = now or datetime.now()
    longest = 0.0
    for kind, key in _keys(username, address):
        row = con.execute("SELECT failures, last_failure FROM login_throttle WHERE kind = ? AND key = ?",
                          [kind, key]).fetchone()
        n = (row[0] if row and row[1] > now - WINDOW else 0) + 1
        wait = delay(n, FREE[kind])
        until = now + timedelta(seconds=wait) if wait else None
        con.execute("INSERT INTO login_throttle (kind, key, failures, last_failure, locked_until) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET failures = excluded.failures, "
                    "last_failure = excluded.last_failure, locked_until = excluded.locked_until",
                    [kind, key, n, now, until])
        longest = max(longest, wait)
    return longest


def clear_account(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """Forget the account's failures (a successful login, a password reset, re-enabling the account)."""
    con.execute("DELETE FROM login_throttle WHERE kind = 'user' AND key = ?", [username[:128]])
