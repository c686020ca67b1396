"""Services of the collection API and pages: who is calling, reading a JSON body, and the calls into
:mod:`iip.collection` that the routers make (each one function, so that routers only parse and call).

Authentication comes first: :func:`api_principal` (bearer token) and :func:`page_principal` (session cookie)
read headers only, so a route that depends on them has rejected an anonymous caller before its body is read.
"""
from __future__ import annotations

import asyncio
import json

import duckdb
import pandas as pd
from fastapi import Request

from iip.collection import accounts, review, revisions, submissions, views
from iip.collection.accounts import Principal
from iip.errors import AuthenticationError, ForbiddenError, NotFoundError, OptionError, ValidationError
from iip.reference.periods import month
from iip.web.security import SESSION_COOKIE


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header."""
    h = request.headers.get("authorization", "")
    return h[7:].strip() if h.lower().startswith("bearer ") else None


def api_principal(con: duckdb.DuckDBPyConnection, request: Request) -> Principal:
    """The caller of an API request (401 without a valid bearer token)."""
    return accounts.resolve(con, bearer(request))


def page_principal(con: duckdb.DuckDBPyConnection, request: Request) -> Principal | None:
    """The signed-in user of a page (session cookie), or None."""
    try:
        return accounts.resolve(con, request.cookies.get(SESSION_COOKIE))
    except AuthenticationError:
        return None


def require_role(p: Principal, *roles: str) -> Principal:
    """``p`` if its role is one of ``roles``, else ForbiddenError (403)."""
    if p.role not in roles:
        raise ForbiddenError(f"this needs one of the roles {', '.join(roles)}")
    return p


def client_address(request: Request) -> str | None:
    """The client's address (behind a trusted proxy, the one it forwarded)."""
    return request.client.host if request.client else None


async def read_json(request: Request, *, empty: object = None) -> object:
    """The request's JSON body (422 when it is not UTF-8 JSON); ``empty`` when there is no body."""
    raw = await request.body()
    if not raw.strip():
        if empty is not None:
            return empty
        raise ValidationError.one("send a JSON body", rule="json")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValidationError.one("the body is not valid UTF-8 JSON", rule="json") from None


def json_object(body: object, expected: str) -> dict:
    """``body`` when it is a JSON object, else a 422 naming the ``expected`` shape."""
    if not isinstance(body, dict):
        raise ValidationError.one(f"send a JSON object {expected}", rule="shape")
    return body


def text(body: dict, key: str) -> str | None:
    """A string field of a JSON object (None when absent or not a string)."""
    v = body.get(key)
    return v if isinstance(v, str) else None


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe records of a frame."""
    return views.records(df)


def results(res: list[submissions.SubmissionResult]) -> dict:
    """The answer of a submission: one entry per enterprise x month."""
    return {"submissions": [r.as_dict() for r in res]}


# ------------------------------------------------------------------------------------------------ accounts
def login(con, request: Request, username: str, password: str) -> dict:
    """Log in; the answer holds the token (shown once), its expiry and the user."""
    token, expires, p = accounts.login(con, username, password, address=client_address(request))
    return {"token": token, "expires_at": expires.isoformat(timespec="seconds"), "user": p.as_dict()}


def add_user(con, admin: Principal, body: dict) -> dict:
    """Create an account from a JSON body {username, password, role, enterprise_id?, province?}."""
    p = accounts.add_user(con, str(body.get("username", "")), str(body.get("password", "")),
                          str(body.get("role", "")), enterprise_id=text(body, "enterprise_id"),
                          province=text(body, "province"), actor=admin)
    pending = p.role in accounts.APPROVED_ROLES
    return {"user": p.as_dict(), "awaits_approval": pending}


def users(con, admin: Principal) -> dict:
    """Every account (admin only)."""
    require_role(admin, "admin")
    return {"users": records(accounts.list_users(con))}


def approvals(con, p: Principal) -> dict:
    """Accounts awaiting approval (national statisticians and admins)."""
    require_role(p, "national", "admin")
    return {"approvals": records(accounts.pending_approvals(con))}


# ------------------------------------------------------------------------------------------------ reports
def reports(con, p: Principal, enterprise_id: str | None, period: str | None) -> dict:
    """Current report lines in the caller's scope."""
    if enterprise_id:
        views.require_enterprise(con, p, enterprise_id)
    return {"reports": records(views.reports(con, p, enterprise_id=enterprise_id, period=period))}


def upload_submission(p: Principal, data: bytes, name: str, comment: str | None) -> submissions.Submission:
    """An uploaded CSV/XLSX file of report lines as a submission (read and shaped; checked when written)."""
    frame = submissions.frame_from_upload(data, name, p)
    channel = name.rsplit(".", 1)[-1].lower() if "." in name else "csv"
    return submissions.Submission(p, frame, channel, comment=comment, file=name)


def json_submission(p: Principal, body: object) -> submissions.Submission:
    """A JSON body as a submission (shaped; checked when written)."""
    frame = submissions.frame_from_json(body, p)
    comment = text(body, "comment") if isinstance(body, dict) else None
    return submissions.Submission(p, frame, "json", comment=comment)


async def written(request: Request, sub: submissions.Submission) -> dict:
    """Hand ``sub`` to the app's submission writer (:mod:`iip.collection.writer`: checked and written with the
    others that queued meanwhile) and wait for its results, holding no worker thread."""
    return results(await asyncio.wrap_future(request.app.state.writer.submit(sub)))


# ------------------------------------------------------------------------------------------------ review
def decide_flag(con, p: Principal, flag_id: int, action: str, body: dict) -> dict:
    """Accept or correct (``edit``) an outlier flag."""
    comment = text(body, "comment")
    if action == "accept":
        review.accept(con, p, flag_id, comment=comment)
        return {}
    if action == "edit":
        values = {k: body[k] for k in review.VARIABLES if k in body}
        return {"submission": review.edit(con, p, flag_id, values, comment=comment or "").as_dict()}
    raise NotFoundError(f"unknown action {action[:20]!r}: accept or edit")


def revision_list(con, p: Principal, status: str | None) -> dict:
    """Revision requests in the caller's scope (an enterprise sees its own)."""
    if status not in (None, "pending", "accepted", "rejected", "all"):
        raise OptionError(f"status must be pending, accepted, rejected or all, got {status[:20]!r}", option="status")
    if not p.can_see_microdata():
        raise ForbiddenError(f"role {p.role!r} cannot read revision requests")
    return {"revisions": records(revisions.requests(con, p, status=None if status == "all" else status))}


def decide_revision(con, p: Principal, revision_id: int, action: str, body: dict) -> dict:
    """Accept or reject a revision request."""
    comment = text(body, "comment")
    if action == "accept":
        return {"submission": review.accept_revision(con, p, revision_id, comment=comment).as_dict()}
    if action == "reject":
        review.reject_revision(con, p, revision_id, comment=comment or "")
        return {}
    raise NotFoundError(f"unknown action {action[:20]!r}: accept or reject")


# ------------------------------------------------------------------------------------------------ labour
def labour(con, p: Principal, period: str) -> dict:
    """The month's labour-usage index in the caller's scope (a provincial statistician: its province's
    enterprises only; national: the whole country), disclosure-controlled."""
    from iip.quality.drivers.labour import labour_view

    require_role(p, "provincial", "national")
    period = month(period, option="period")
    scope = p.province if p.role == "provincial" else None
    df = labour_view(con, period, province=scope)
    return {"period": period, "scope": scope or "VN", "labour": records(df)}


def _plain(o):
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "as_dict"):
        return o.as_dict()
    return str(o)


def ok(result: dict) -> dict:
    """``{"ok": true, **result}`` as plain JSON values (NumPy scalars unwrapped, NaN and infinities as null)."""
    return json.loads(json.dumps({"ok": True, **result}, default=_plain), parse_constant=lambda _: None)
