"""/api/collect: the collection API (accounts, submissions, review, revisions, labour), JSON.

Authentication: ``Authorization: Bearer <token>`` from ``POST /api/collect/login``. The token is checked in a
dependency, before any body is read; bodies are read by the route afterwards (size-limited by
:class:`iip.web.security.BodyLimit`). Errors have the app's one shape (``iip.web.errors``): 401, 403, 404,
409 (already decided), 413, 422 (with ``problems``), 429 (login throttled, ``Retry-After``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from iip.collection import accounts, views
from iip.collection.accounts import Principal
from iip.errors import ValidationError
from iip.web.deps import close_con, get_con
from iip.web.models import ErrorOut, ProblemsErrorOut
from iip.web.services import collection as svc

router = APIRouter(
    prefix="/api/collect",
    tags=["collection"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut},
               409: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ProblemsErrorOut}},
)


def caller(request: Request, con=Depends(get_con)) -> Principal:
    """The authenticated caller (401 otherwise), resolved from the headers before any body is read."""
    return svc.api_principal(con, request)


def submitter(request: Request, con=Depends(get_con)) -> Principal:
    """:func:`caller` of a submission route, its connection closed at once in the same worker thread: the writer
    checks and writes on its own connections, so the request holds none while it waits."""
    try:
        return caller(request, con)
    finally:
        close_con(request)


# ------------------------------------------------------------------------------------------------ accounts
@router.post("/login", summary="Log in: {username, password} -> a bearer token (429 after repeated failures)",
             responses={429: {"model": ErrorOut}})
async def login(request: Request, con=Depends(get_con)):
    """Check the password (throttled) and issue a bearer token."""
    body = svc.json_object(await svc.read_json(request), "{username, password}")
    return svc.ok(await run_in_threadpool(svc.login, con, request, str(body.get("username", "")),
                                          str(body.get("password", ""))))


@router.post("/logout", summary="Revoke this token")
def logout(request: Request, p: Principal = Depends(caller), con=Depends(get_con)):
    """Revoke the caller's token."""
    accounts.logout(con, svc.bearer(request) or "")
    return svc.ok({})


@router.get("/me", summary="The caller's account")
def me(p: Principal = Depends(caller)):
    """The caller's account."""
    return svc.ok({"user": p.as_dict()})


@router.get("/users", summary="Every account (admin)")
def users(p: Principal = Depends(caller), con=Depends(get_con)):
    """Every account (admin)."""
    return svc.ok(svc.users(con, p))


@router.post("/users", summary="Create an account (admin); provincial and national accounts await approval")
async def add_user(request: Request, p: Principal = Depends(caller), con=Depends(get_con)):
    """Create an account (admin): role checked first, then the body read."""
    svc.require_role(p, "admin")
    body = svc.json_object(await svc.read_json(request), "{username, password, role, enterprise_id?, province?}")
    return svc.ok(await run_in_threadpool(svc.add_user, con, p, body))


@router.post("/users/{username}/disable", summary="Disable an account (admin)")
def disable_user(username: str, p: Principal = Depends(caller), con=Depends(get_con)):
    """Disable an account (admin)."""
    accounts.disable_user(con, username, actor=svc.require_role(p, "admin"))
    return svc.ok({})


@router.post("/users/{username}/enable", summary="Re-enable an account (admin)")
def enable_user(username: str, p: Principal = Depends(caller), con=Depends(get_con)):
    """Re-enable an account (admin)."""
    pending = accounts.enable_user(con, username, actor=svc.require_role(p, "admin"))
    return svc.ok({"awaits_approval": pending})


@router.post("/users/{username}/password", summary="Set a new password {password} (admin); revokes its tokens")
async def reset_password(username: str, request: Request, p: Principal = Depends(caller), con=Depends(get_con)):
    """Set a new password (admin)."""
    svc.require_role(p, "admin")
    body = svc.json_object(await svc.read_json(request), "{password}")
    pending = await run_in_threadpool(accounts.reset_password, con, username, str(body.get("password", "")),
                                      actor=p)
    return svc.ok({"awaits_approval": pending})


@router.get("/approvals", summary="Accounts awaiting a national statistician's approval")
def approvals(p: Principal = Depends(caller), con=Depends(get_con)):
    """Accounts awaiting approval."""
    return svc.ok(svc.approvals(con, p))


@router.post("/users/{username}/approve", summary="Approve an account's microdata access (national)")
def approve(username: str, p: Principal = Depends(caller), con=Depends(get_con)):
    """Approve an account's microdata access (national)."""
    accounts.approve(con, username, p)
    return svc.ok({})


# ------------------------------------------------------------------------------------------------ reports
@router.post("/reports", summary="Submit a month's report (JSON)")
async def submit(request: Request, p: Principal = Depends(submitter)):
    """Check and write a JSON submission."""
    body = await svc.read_json(request)
    return svc.ok(await svc.written(request, await run_in_threadpool(svc.json_submission, p, body)))


@router.post("/reports/upload", summary="Submit report lines as a .csv or .xlsx file (multipart field 'file')")
async def upload(request: Request, p: Principal = Depends(submitter)):
    """Check and write an uploaded CSV/XLSX file (read after authentication, size-limited)."""
    try:
        form = await request.form()
    except HTTPException:
        raise ValidationError.one("send multipart/form-data with a file field", rule="multipart") from None
    file, comment = form.get("file"), form.get("comment")
    if file is None or isinstance(file, str):
        raise ValidationError.one("send the report as a 'file' field (.csv or .xlsx)", field="file", rule="required")
    data, name = await file.read(), file.filename or "upload.csv"
    sub = await run_in_threadpool(svc.upload_submission, p, data, name, comment if isinstance(comment, str) else None)
    return svc.ok(await svc.written(request, sub))


@router.get("/reports", summary="Current report lines in the caller's scope")
def reports(enterprise_id: str | None = None, period: str | None = None, p: Principal = Depends(caller),
            con=Depends(get_con)):
    """Current report lines in the caller's scope."""
    return svc.ok(svc.reports(con, p, enterprise_id, period))


@router.get("/reports/{enterprise_id}/{period}", summary="One enterprise x month: versions and submissions")
def report(enterprise_id: str, period: str, p: Principal = Depends(caller), con=Depends(get_con)):
    """One enterprise x month with its versions and submissions."""
    return svc.ok(views.detail(con, p, enterprise_id, period))


@router.get("/audit", summary="The audit log in the caller's scope")
def audit(p: Principal = Depends(caller), con=Depends(get_con)):
    """The audit log in the caller's scope."""
    return svc.ok({"audit": svc.records(views.audit_entries(con, p))})


# ------------------------------------------------------------------------------------------------ review
@router.get("/outliers", summary="Outlier flags awaiting review (statisticians)")
def outliers(p: Principal = Depends(caller), con=Depends(get_con)):
    """Outlier flags awaiting review."""
    from iip.collection import review

    return svc.ok({"outliers": svc.records(review.queue(con, p))})


@router.post("/outliers/{flag_id}/{action}", summary="Decide a flag: accept, or edit {produced?, sold?, "
             "closing_stock?, comment}; 409 when already decided")
async def decide_flag(flag_id: int, action: str, request: Request, p: Principal = Depends(caller),
                      con=Depends(get_con)):
    """Accept or correct an outlier flag."""
    body = svc.json_object(await svc.read_json(request, empty={}), "{comment, ...}")
    return svc.ok(await run_in_threadpool(svc.decide_flag, con, p, flag_id, action, body))


@router.get("/revisions", summary="Revision requests of released months in the caller's scope")
def revisions(status: str | None = Query("pending", description="pending | accepted | rejected | all"),
              p: Principal = Depends(caller), con=Depends(get_con)):
    """Revision requests in the caller's scope."""
    return svc.ok(svc.revision_list(con, p, status))


@router.post("/revisions/{revision_id}/{action}", summary="Decide a revision request: accept or reject "
             "{comment}; 409 when already decided")
async def decide_revision(revision_id: int, action: str, request: Request, p: Principal = Depends(caller),
                          con=Depends(get_con)):
    """Accept or reject a revision request."""
    body = svc.json_object(await svc.read_json(request, empty={}), "{comment}")
    return svc.ok(await run_in_threadpool(svc.decide_revision, con, p, revision_id, action, body))


@router.get("/labour", summary="Labour-usage index of a month in the caller's scope, disclosure-controlled")
def labour(period: str, p: Principal = Depends(caller), con=Depends(get_con)):
    """The labour-usage index of a month, scoped and disclosure-controlled."""
    return svc.ok(svc.labour(con, p, period))
