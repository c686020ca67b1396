"""Accounts, roles and bearer tokens.

Roles: ``enterprise`` (its own reports only), ``provincial`` (its province's microdata), ``national`` (everything;
compiles and releases) and ``admin`` (accounts only). Passwords are hashed with argon2id (argon2-cffi); a token is
32 random bytes shown once to the client, stored only as its sha256 with an expiry.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from iip.collection import audit
from iip.collection.service import write_transaction
from iip.errors import AuthenticationError, IIPError, NotFoundError

ROLES = ("enterprise", "provincial", "national", "admin")
TOKEN_HOURS = 8.0
_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_DUMMY = _HASHER.hash("not a password")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, the role and its scope (an enterprise or a province)."""

    username: str
    role: str
    enterprise_id: str | None = None
    province: str | None = None

    def can_see_microdata(self) -> bool:
        return self.role in ("enterprise", "provincial", "national")

    def can_review(self) -> bool:
        return self.role in ("provincial", "national")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def add_user(con: duckdb.DuckDBPyConnection, username: str, password: str, role: str, *,
             enterprise_id: str | None = None, province: str | None = None, by: str | None = None) -> Principal:
    """Create an account. Enterprise users need a registered enterprise; provincial users a province."""
    if not _USERNAME.match(username or ""):
        raise IIPError("username must be 1-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise IIPError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if len(password or "") < 8:
        raise IIPError("password must have at least 8 characters")
    if role == "enterprise":
        if not enterprise_id:
            raise IIPError("an enterprise user needs --enterprise ENTERPRISE_ID")
        row = con.execute("SELECT province FROM register WHERE enterprise_id = ?", [enterprise_id]).fetchone()
        if row is None:
            raise IIPError(f"enterprise {enterprise_id!r} is not in the register")
        province = row[0]
    elif role == "provincial":
        if not province:
            raise IIPError("a provincial user needs --province CODE (2-digit GSO code)")
        enterprise_id = None
    else:
        enterprise_id = province = None
    with write_transaction(con):
        if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise IIPError(f"user {username!r} already exists")
        con.execute("INSERT INTO users (username, password_hash, role, enterprise_id, province, created_by) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [username, hash_password(password), role, enterprise_id, province, by])
        audit.log(con, username=by, role="admin", action="user_add", enterprise_id=enterprise_id,
                  detail={"user": username, "role": role, "province": province})
    return Principal(username, role, enterprise_id, province)


def list_users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT username, role, enterprise_id, province, active, created_at, created_by FROM users "
                       "ORDER BY username").df()


def disable_user(con: duckdb.DuckDBPyConnection, username: str, *, by: str | None = None) -> None:
    """Disable an account: it can no longer log in and its tokens stop working (the row is kept)."""
    with write_transaction(con):
        if not con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise NotFoundError(f"no user {username!r}")
        con.execute("UPDATE users SET active = false WHERE username = ?", [username])
        audit.log(con, username=by, role="admin", action="user_disable", detail={"user": username})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def login(con: duckdb.DuckDBPyConnection, username: str, password: str, *, hours: float = TOKEN_HOURS
          ) -> tuple[str, datetime, Principal]:
    """Check the password and issue a token valid ``hours``; returns (token, expires_at, principal)."""
    row = con.execute("SELECT password_hash, role, enterprise_id, province, active FROM users WHERE username = ?",
                      [str(username)]).fetchone()
    try:
        _HASHER.verify(row[0] if row else _DUMMY, str(password))
        ok = row is not None and bool(row[4])
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise AuthenticationError("wrong username or password, or the account is disabled")
    token = secrets.token_urlsafe(32)
    expires = datetime.now() + timedelta(hours=hours)
    with write_transaction(con):
        con.execute("INSERT INTO tokens (token_hash, username, expires_at) VALUES (?, ?, ?)",
                    [_token_hash(token), username, expires])
        audit.log(con, username=username, role=row[1], action="login", enterprise_id=row[2])
    return token, expires, Principal(username, row[1], row[2], row[3])


def resolve(con: duckdb.DuckDBPyConnection, token: str | None) -> Principal:
    """The principal of a bearer token; AuthenticationError if missing, unknown, expired, revoked or the user disabled."""
    if not token:
        raise AuthenticationError("authentication required: send Authorization: Bearer <token>")
    row = con.execute(
        "SELECT u.username, u.role, u.enterprise_id, u.province FROM tokens t JOIN users u USING (username) "
        "WHERE t.token_hash = ? AND t.expires_at > ? AND u.active "
        "AND t.token_hash NOT IN (SELECT token_hash FROM token_revocations)",
        [_token_hash(str(token)), datetime.now()]).fetchone()
    if row is None:
        raise AuthenticationError("invalid or expired token")
    return Principal(*row)


def logout(con: duckdb.DuckDBPyConnection, token: str) -> None:
    with write_transaction(con):
        con.execute("INSERT INTO token_revocations (token_hash) SELECT ? WHERE NOT EXISTS "
                    "(SELECT 1 FROM token_revocations WHERE token_hash = ?)", [_token_hash(token)] * 2)
