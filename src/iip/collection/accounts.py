"""Accounts, roles and bearer tokens.

Roles: ``enterprise`` (its own reports only), ``provincial`` (its province's microdata), ``national`` (everything;
compiles and releases) and ``admin`` (accounts only). Passwords are hashed with argon2id (argon2-cffi); a token is
32 random bytes shown once to the client, stored only as its sha256 with an expiry.

Roles kept apart: account administration never gives itself microdata access. When an admin (``actor``, on the
web) creates a provincial or national account, resets its password or re-enables it, the account stays unusable
until a national statistician other than that account approves it (table ``account_approvals``). Enterprise
accounts need no approval: each sees only its own enterprise's reports, which the enterprise itself supplies, and
there are thousands of them. Commands run on the server (``iip users ...``, ``actor=None``) act at once: whoever
runs them can open the store directly anyway. Failed logins are throttled (:mod:`iip.collection.throttle`) and
audited (``login_failed``, ``login_locked``).
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

from iip.collection import audit, throttle
from iip.collection.service import write_transaction
from iip.errors import AuthenticationError, ConflictError, ForbiddenError, NotFoundError, ValidationError
from iip.store import next_id

ROLES = ("enterprise", "provincial", "national", "admin")
#: Roles that read other enterprises' microdata: granted by account administration only with an approval.
APPROVED_ROLES = ("provincial", "national")
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
        """Enterprise, provincial and national accounts read reports (each in its own scope)."""
        return self.role in ("enterprise", "provincial", "national")

    def can_review(self) -> bool:
        """Statisticians (provincial, national) decide outlier flags and revision requests."""
        return self.role in ("provincial", "national")

    def can_administer(self) -> bool:
        """Admins manage accounts (and read no microdata)."""
        return self.role == "admin"

    def can_approve(self) -> bool:
        """National statisticians approve accounts with microdata access granted by an admin."""
        return self.role == "national"

    def as_dict(self) -> dict:
        """Plain dict for JSON."""
        return {"username": self.username, "role": self.role, "enterprise_id": self.enterprise_id,
                "province": self.province}


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    return _HASHER.hash(password)


def _check_password(password: str) -> None:
    if len(password or "") < 8:
        raise ValidationError.one("password must have at least 8 characters", field="password", rule="length")


def valid_province(code: str | None) -> str:
    """The 2-digit GSO province code, checked against the reference list (the codes the register uses)."""
    from iip.reference import provinces

    codes = set(provinces()["code"])
    text = str(code or "").strip()
    if text not in codes:
        raise ValidationError.one(f"province must be a 2-digit GSO province code such as 01 (Ha Noi) or 79 (Ho Chi "
                                  f"Minh City), got {text[:20]!r}", field="province", rule="known_province")
    return text


def _by(actor: Principal | None, by: str | None) -> str | None:
    return actor.username if actor is not None else by


def _needs_approval(role: str, actor: Principal | None) -> bool:
    """An admin on the web granting a role with microdata access needs a national statistician's approval."""
    return actor is not None and role in APPROVED_ROLES


def _request_approval(con, username: str, reason: str, requested_by: str) -> None:
    """Open an approval request (inside the caller's write transaction); the account is unusable until approved."""
    con.execute("INSERT INTO account_approvals (request_id, username, reason, requested_by) VALUES (?, ?, ?, ?)",
                [next_id(con, "approval_seq"), username, reason, requested_by])
    audit.log(con, username=requested_by, role="admin", action="user_approval_requested",
              detail={"user": username, "reason": reason})


def _require_admin(actor: Principal | None) -> None:
    if actor is not None and not actor.can_administer():
        raise ForbiddenError("only an admin manages accounts")


def add_user(con: duckdb.DuckDBPyConnection, username: str, password: str, role: str, *,
             enterprise_id: str | None = None, province: str | None = None, by: str | None = None,
             actor: Principal | None = None) -> Principal:
    """Create an account. Enterprise users need a registered enterprise; provincial users a province of the
    reference list. ``actor``: the admin acting on the web (a provincial or national account then awaits
    approval); ``by``: the operator's name otherwise (CLI)."""
    _require_admin(actor)
    if not _USERNAME.match(username or ""):
        raise ValidationError.one("username must be 1-64 letters, digits or . _ @ -", field="username",
                                  rule="username")
    if role not in ROLES:
        raise ValidationError.one(f"role must be one of {', '.join(ROLES)}, got {str(role)[:20]!r}", field="role",
                                  rule="role")
    _check_password(password)
    if role == "enterprise":
        if not enterprise_id:
            raise ValidationError.one("an enterprise user needs an enterprise id (--enterprise)",
                                      field="enterprise_id", rule="required")
        row = con.execute("SELECT province FROM register WHERE enterprise_id = ?", [enterprise_id]).fetchone()
        if row is None:
            raise ValidationError.one(f"enterprise {str(enterprise_id)[:40]!r} is not in the register",
                                      field="enterprise_id", rule="known_enterprise")
        province = row[0]
    elif role == "provincial":
        if not province:
            raise ValidationError.one("a provincial user needs a province (--province, 2-digit GSO code)",
                                      field="province", rule="required")
        province = valid_province(province)
        enterprise_id = None
    else:
        enterprise_id = province = None
    who = _by(actor, by)
    with write_transaction(con):
        if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise ConflictError(f"user {username!r} already exists")
        con.execute("INSERT INTO users (username, password_hash, role, enterprise_id, province, created_by) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [username, hash_password(password), role, enterprise_id, province,
                                                  who])
        audit.log(con, username=who, role="admin", action="user_add", enterprise_id=enterprise_id,
                  detail={"user": username, "role": role, "province": province})
        if _needs_approval(role, actor):
            _request_approval(con, username, "add", who or "")
    return Principal(username, role, enterprise_id, province)


def list_users(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every account (never a password hash), with the reason of its open approval request if any."""
    return con.execute("""SELECT u.username, u.role, u.enterprise_id, u.province, u.active, u.created_at,
            u.created_by, a.reason AS pending, a.requested_by
        FROM users u LEFT JOIN account_approvals a ON a.username = u.username AND a.approved_at IS NULL
        ORDER BY u.username""").df()


def _user_role(con, username: str) -> str:
    row = con.execute("SELECT role FROM users WHERE username = ?", [username]).fetchone()
    if row is None:
        raise NotFoundError(f"no user {username!r}")
    return str(row[0])


def _revoke_all(con, username: str) -> None:
    con.execute("INSERT INTO token_revocations (token_hash) SELECT token_hash FROM tokens WHERE username = ? "
                "AND token_hash NOT IN (SELECT token_hash FROM token_revocations)", [username])


def disable_user(con: duckdb.DuckDBPyConnection, username: str, *, by: str | None = None,
                 actor: Principal | None = None) -> None:
    """Disable an account: it can no longer log in and its tokens stop working (the row is kept)."""
    _require_admin(actor)
    who = _by(actor, by)
    with write_transaction(con):
        _user_role(con, username)
        con.execute("UPDATE users SET active = false WHERE username = ?", [username])
        audit.log(con, username=who, role="admin", action="user_disable", detail={"user": username})


def _reopen(con, username: str, reason: str, actor: Principal | None, who: str | None) -> bool:
    """The common end of enabling and resetting (inside the transaction): forget failed logins, audit, and open
    an approval request when an admin reopened a provincial or national account. True when one was opened."""
    role = _user_role(con, username)
    throttle.clear_account(con, username)
    audit.log(con, username=who, role="admin", action=f"user_{reason}", detail={"user": username})
    pending = _needs_approval(role, actor)
    if pending:
        _request_approval(con, username, reason, who or "")
    return pending


def enable_user(con: duckdb.DuckDBPyConnection, username: str, *, by: str | None = None,
                actor: Principal | None = None) -> bool:
    """Re-enable an account and forget its failed logins. Returns True when it now awaits approval (an admin
    re-enabling a provincial or national account)."""
    _require_admin(actor)
    with write_transaction(con):
        _user_role(con, username)
        con.execute("UPDATE users SET active = true WHERE username = ?", [username])
        return _reopen(con, username, "enable", actor, _by(actor, by))


def reset_password(con: duckdb.DuckDBPyConnection, username: str, password: str, *, by: str | None = None,
                   actor: Principal | None = None) -> bool:
    """Set a new password: every token of the account is revoked and its failed logins forgotten. Returns True
    when the account now awaits approval (an admin resetting a provincial or national account's password)."""
    _require_admin(actor)
    _check_password(password)
    with write_transaction(con):
        _user_role(con, username)
        con.execute("UPDATE users SET password_hash = ? WHERE username = ?", [hash_password(password), username])
        _revoke_all(con, username)
        return _reopen(con, username, "reset_password", actor, _by(actor, by))


def pending_approvals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Open approval requests with the account's role and scope."""
    return con.execute("""SELECT a.request_id, a.username, u.role, u.province, a.reason, a.requested_by,
            a.requested_at FROM account_approvals a JOIN users u USING (username)
        WHERE a.approved_at IS NULL ORDER BY a.request_id""").df()


def approve(con: duckdb.DuckDBPyConnection, username: str, approver: Principal) -> None:
    """A national statistician (not the account itself) approves the account's open request(s); a second
    approval of the same request is a ConflictError (409)."""
    if not approver.can_approve():
        raise ForbiddenError("only a national statistician approves accounts with microdata access")
    if approver.username == username:
        raise ForbiddenError("an account cannot approve itself")
    with write_transaction(con):
        _user_role(con, username)
        open_ = con.execute("SELECT 1 FROM account_approvals WHERE username = ? AND approved_at IS NULL",
                            [username]).fetchone()
        if open_ is None:
            raise ConflictError(f"user {username!r} has no request awaiting approval")
        con.execute("UPDATE account_approvals SET approved_by = ?, approved_at = ? WHERE username = ? "
                    "AND approved_at IS NULL", [approver.username, datetime.now(), username])
        audit.log(con, username=approver.username, role=approver.role, action="user_approve",
                  detail={"user": username})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _verify(row, password: str) -> bool:
    try:
        _HASHER.verify(row[0] if row else _DUMMY, str(password))
    except (VerificationError, InvalidHashError):
        return False
    return row is not None and bool(row[4])


def _fail(con, username: str, address: str | None, reason: str) -> None:
    with write_transaction(con):
        locked = throttle.record_failure(con, username, address)
        audit.log(con, username=username[:64], role=None, action="login_failed",
                  detail={"address": address, "reason": reason})
        if locked:
            audit.log(con, username=username[:64], role=None, action="login_locked",
                      detail={"address": address, "seconds": locked})


def login(con: duckdb.DuckDBPyConnection, username: str, password: str, *, hours: float = TOKEN_HOURS,
          address: str | None = None) -> tuple[str, datetime, Principal]:
    """Check the password and issue a token valid ``hours``; returns (token, expires_at, principal).

    Refused with 429 while the account or the client ``address`` is locked by failed logins (the password is
    then not even checked); a failure is counted and audited (``login_failed``)."""
    username = str(username)
    throttle.check(con, username, address)
    row = con.execute("SELECT password_hash, role, enterprise_id, province, active FROM users WHERE username = ?",
                      [username]).fetchone()
    if row is None or not _verify(row, password):
        _fail(con, username, address, "wrong password, unknown user or disabled account")
        raise AuthenticationError("wrong username or password, or the account is disabled")
    if con.execute("SELECT 1 FROM account_approvals WHERE username = ? AND approved_at IS NULL",
                   [username]).fetchone():
        raise AuthenticationError("this account awaits approval by a national statistician")
    token = secrets.token_urlsafe(32)
    expires = datetime.now() + timedelta(hours=hours)
    with write_transaction(con):
        throttle.clear_account(con, username)
        con.execute("INSERT INTO tokens (token_hash, username, expires_at) VALUES (?, ?, ?)",
                    [_token_hash(token), username, expires])
        audit.log(con, username=username, role=row[1], action="login", enterprise_id=row[2],
                  detail={"address": address})
    return token, expires, Principal(username, row[1], row[2], row[3])


def resolve(con: duckdb.DuckDBPyConnection, token: str | None) -> Principal:
    """The principal of a bearer token; AuthenticationError if missing, unknown, expired, revoked, the user
    disabled or awaiting approval."""
    if not token:
        raise AuthenticationError("authentication required: send Authorization: Bearer <token>")
    row = con.execute(   # anti-joins as LEFT JOIN ... IS NULL: planned in 2/3 of the time of NOT IN / NOT EXISTS
        "SELECT u.username, u.role, u.enterprise_id, u.province FROM tokens t JOIN users u USING (username) "
        "LEFT JOIN token_revocations r ON r.token_hash = t.token_hash "
        "LEFT JOIN account_approvals a ON a.username = u.username AND a.approved_at IS NULL "
        "WHERE t.token_hash = ? AND t.expires_at > ? AND u.active AND r.token_hash IS NULL AND a.username IS NULL",
        [_token_hash(str(token)), datetime.now()]).fetchone()
    if row is None:
        raise AuthenticationError("invalid or expired token")
    return Principal(*row)


def logout(con: duckdb.DuckDBPyConnection, token: str) -> None:
    """Revoke one token."""
    with write_transaction(con):
        con.execute("INSERT INTO token_revocations (token_hash) SELECT ? WHERE NOT EXISTS "
                    "(SELECT 1 FROM token_revocations WHERE token_hash = ?)", [_token_hash(token)] * 2)
