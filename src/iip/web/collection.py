"""Collection API (``router``, JSON under /api/collect) and pages (``pages``, HTML under /collect).

API auth: ``Authorization: Bearer <token>`` from POST /api/collect/login. Pages use the same token in an
HttpOnly, SameSite=Strict cookie. Every error is ``{"ok": false, "error", "status", "problems"}``; no traceback
ever reaches a client. All writes go through the service layer (one lock, one transaction).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from iip.collection import accounts, submissions, views
from iip.collection.accounts import Principal
from iip.errors import AuthenticationError, ForbiddenError, IIPError, NotFoundError, Problem, ValidationError
from iip.web.deps import get_con

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/collect", tags=["collection"])
pages = APIRouter(prefix="/collect", tags=["collection pages"])
TEMPLATES = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))
COOKIE = "iip_token"
MAX_BODY = 2_000_000


def error_body(status: int, error: str, problems: list | None = None, **extra) -> dict:
    return {"ok": False, "error": error, "status": status, "problems": _safe(problems or []), **extra}


def _safe(x):
    def plain(o):
        return o.as_dict() if isinstance(o, Problem) else str(o)
    return json.loads(json.dumps(x, default=plain, ensure_ascii=False).replace("NaN", "null"))


def fail(status: int, error: str, problems: list | None = None, **extra) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(status, error, problems, **extra), status_code=status, headers=headers)


def as_response(exc: BaseException) -> JSONResponse:
    """Map a domain error to its HTTP status; anything else is a logged 500 without details."""
    if isinstance(exc, submissions.NeedsConfirmation):
        return fail(422, "the submission has warnings: resubmit with a comment to confirm it", exc.problems,
                    needs_confirmation=True)
    if isinstance(exc, ValidationError):
        noun = "problem" if exc.total == 1 else "problems"
        return fail(422, f"the submission was rejected: {exc.total:,} {noun}", exc.problems, total=exc.total)
    if isinstance(exc, IIPError):
        return fail(exc.http_status, str(exc))
    log.exception("collection API error")
    return fail(500, "internal error")


async def call(fn, *args, **kwargs):
    """Run blocking store work in the thread pool; domain errors -> JSON error responses."""
    try:
        result = await run_in_threadpool(fn, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - one error shape, never a traceback
        return as_response(exc)
    return result if isinstance(result, JSONResponse) else JSONResponse(_safe({"ok": True, **result}))


def bearer(request: Request) -> str | None:
    h = request.headers.get("authorization", "")
    return h[7:].strip() if h.lower().startswith("bearer ") else None


async def json_body(request: Request):
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ValidationError.one("request body too large", rule="size")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValidationError.one("the body is not valid UTF-8 JSON", rule="json") from None


def _results(res) -> dict:
    return {"submissions": [r.as_dict() for r in res]}


# ----------------------------------------------------------------- API: accounts
@router.post("/login")
async def api_login(request: Request, con=Depends(get_con)):
    try:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise ValidationError.one("send {username, password}", rule="shape")
    except ValidationError as exc:
        return as_response(exc)

    def run():
        token, expires, p = accounts.login(con, str(body.get("username", "")), str(body.get("password", "")))
        return {"token": token, "expires_at": expires.isoformat(timespec="seconds"), "user": p.__dict__}
    return await call(run)


def _auth(con, request: Request, *, roles: tuple[str, ...] | None = None) -> Principal:
    p = accounts.resolve(con, bearer(request))
    if roles and p.role not in roles:
        raise ForbiddenError(f"this needs one of the roles {', '.join(roles)}")
    return p


@router.post("/logout")
async def api_logout(request: Request, con=Depends(get_con)):
    def run():
        _auth(con, request)
        accounts.logout(con, bearer(request))
        return {}
    return await call(run)


@router.get("/me")
async def api_me(request: Request, con=Depends(get_con)):
    return await call(lambda: {"user": _auth(con, request).__dict__})


@router.get("/users")
async def api_users(request: Request, con=Depends(get_con)):
    def run():
        _auth(con, request, roles=("admin",))
        return {"users": views.records(accounts.list_users(con))}
    return await call(run)


@router.post("/users")
async def api_add_user(request: Request, con=Depends(get_con)):
    try:
        body = await json_body(request)
    except ValidationError as exc:
        return as_response(exc)

    def run():
        admin = _auth(con, request, roles=("admin",))
        if not isinstance(body, dict):
            raise IIPError("send {username, password, role, enterprise_id?, province?}")
        p = accounts.add_user(con, str(body.get("username", "")), str(body.get("password", "")),
                              str(body.get("role", "")), enterprise_id=body.get("enterprise_id"),
                              province=body.get("province"), by=admin.username)
        return {"user": p.__dict__}
    return await call(run)


@router.post("/users/{username}/disable")
async def api_disable_user(username: str, request: Request, con=Depends(get_con)):
    def run():
        admin = _auth(con, request, roles=("admin",))
        accounts.disable_user(con, username, by=admin.username)
        return {}
    return await call(run)


# ----------------------------------------------------------------- API: reports
@router.post("/reports")
async def api_submit(request: Request, con=Depends(get_con)):
    try:
        body = await json_body(request)
    except ValidationError as exc:
        return as_response(exc)

    def run():
        p = _auth(con, request)
        frame = submissions.frame_from_json(body, p)
        comment = body.get("comment") if isinstance(body.get("comment"), str) else None
        return _results(submissions.submit(con, p, frame, channel="json", comment=comment))
    return await call(run)


@router.post("/reports/upload")
async def api_upload(request: Request, con=Depends(get_con)):
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - malformed multipart
        return fail(422, "send multipart/form-data with a file field")
    upload, comment = form.get("file"), form.get("comment")
    if upload is None or isinstance(upload, str):
        return fail(422, "send the report as a 'file' field (.csv or .xlsx)")
    data, name = await upload.read(), upload.filename or "upload.csv"

    def run():
        p = _auth(con, request)
        frame = submissions.frame_from_upload(data, name, p)
        return _results(submissions.submit(con, p, frame, channel=Path(name).suffix.lstrip(".").lower() or "csv",
                                           comment=comment if isinstance(comment, str) else None, file=name))
    return await call(run)


@router.get("/reports")
async def api_reports(request: Request, enterprise_id: str | None = None, period: str | None = None,
                      con=Depends(get_con)):
    def run():
        p = _auth(con, request)
        if enterprise_id:
            views.require_enterprise(con, p, enterprise_id)
        return {"reports": views.records(views.reports(con, p, enterprise_id=enterprise_id, period=period))}
    return await call(run)


@router.get("/reports/{enterprise_id}/{period}")
async def api_report(enterprise_id: str, period: str, request: Request, con=Depends(get_con)):
    return await call(lambda: views.detail(con, _auth(con, request), enterprise_id, period))


@router.get("/audit")
async def api_audit(request: Request, con=Depends(get_con)):
    return await call(lambda: {"audit": views.records(views.audit_entries(con, _auth(con, request)))})


# ----------------------------------------------------------------- API: quality
@router.get("/outliers")
async def api_outliers(request: Request, con=Depends(get_con)):
    from iip.quality import outliers
    return await call(lambda: {"outliers": views.records(outliers.queue(con, _auth(con, request)))})


@router.post("/outliers/{flag_id}/{action}")
async def api_review(flag_id: int, action: str, request: Request, con=Depends(get_con)):
    from iip.quality import outliers
    try:
        body = await json_body(request) if await request.body() else {}
    except ValidationError as exc:
        return as_response(exc)

    def run():
        p = _auth(con, request, roles=("provincial", "national"))
        b = body if isinstance(body, dict) else {}
        comment = b.get("comment") if isinstance(b.get("comment"), str) else None
        if action == "accept":
            outliers.accept(con, p, flag_id, comment=comment)
            return {}
        if action == "edit":
            return {"submission": outliers.edit(con, p, flag_id, b, comment=comment or "").as_dict()}
        raise NotFoundError(f"unknown action {action!r}: accept or edit")
    return await call(run)


@router.get("/labour")
async def api_labour(request: Request, period: str, con=Depends(get_con)):
    def run():
        _auth(con, request, roles=("provincial", "national"))
        df = con.execute("SELECT * EXCLUDE (computed_at) FROM labour_index WHERE period = ? ORDER BY dimension, code",
                         [period]).df()
        return {"labour": views.records(df)}
    return await call(run)


# ----------------------------------------------------------------- HTML pages
def render(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    """Render a collect/ template inside the site's base.html when it exists, else a minimal layout."""
    if (TEMPLATES / "base.html").exists():
        from iip.web.deps import get_lang
        from iip.web.pages_common import render as site_render
        return site_render(request, name, {"layout": "base.html", **context}, lang=get_lang(request),
                           status_code=status_code)
    return templates.TemplateResponse(request, name, {"layout": "collect/_layout.html", **context},
                                      status_code=status_code)


def _page_user(con, request: Request) -> Principal | None:
    try:
        return accounts.resolve(con, request.cookies.get(COOKIE))
    except AuthenticationError:
        return None


def _to_login() -> RedirectResponse:
    return RedirectResponse("/collect/login", status_code=303)


@pages.get("/login", response_class=HTMLResponse)
def page_login(request: Request):
    return render(request, "collect/login.html", {"error": None})


@pages.post("/login", response_class=HTMLResponse)
async def page_login_post(request: Request, con=Depends(get_con)):
    form = await request.form()
    try:
        token, expires, _ = await run_in_threadpool(accounts.login, con, str(form.get("username", "")),
                                                    str(form.get("password", "")))
    except AuthenticationError as exc:
        return render(request, "collect/login.html", {"error": str(exc)}, status_code=401)
    resp = RedirectResponse("/collect/", status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=int(accounts.TOKEN_HOURS * 3600),
                    path="/collect")
    return resp


@pages.post("/logout")
def page_logout(request: Request, con=Depends(get_con)):
    if _page_user(con, request):
        accounts.logout(con, request.cookies[COOKIE])
    resp = _to_login()
    resp.delete_cookie(COOKIE, path="/collect")
    return resp


def _dashboard(request, con, user: Principal, status_code: int = 200, **ctx) -> HTMLResponse:
    subs = views.records(views.submissions(con, user)) if user.can_see_microdata() else []
    return render(request, "collect/dashboard.html", {"user": user, "submissions": subs, "rows": range(6),
                                                      "result": None, "problems": [], "needs_comment": False,
                                                      "form": {}, **ctx}, status_code=status_code)


@pages.get("/", response_class=HTMLResponse)
def page_dashboard(request: Request, con=Depends(get_con)):
    user = _page_user(con, request)
    return _dashboard(request, con, user) if user else _to_login()


def _form_payload(form, user: Principal) -> dict:
    lines = []
    for i in range(50):
        code = str(form.get(f"product_code_{i}", "")).strip()
        if code:
            lines.append({k: str(form.get(f"{k}_{i}", "")) for k in submissions.LINE_FIELDS})
    return {"enterprise_id": str(form.get("enterprise_id", "")).strip() or user.enterprise_id,
            "period": str(form.get("period", "")).strip(), "employees": str(form.get("employees", "")).strip(),
            "products": lines}


@pages.post("/submit", response_class=HTMLResponse)
async def page_submit(request: Request, con=Depends(get_con)):
    user = _page_user(con, request)
    if not user:
        return _to_login()
    form = await request.form()
    payload, comment = _form_payload(form, user), str(form.get("comment", "")).strip() or None

    def run():
        return submissions.submit(con, user, submissions.frame_from_json(payload, user), channel="form",
                                  comment=comment)
    try:
        res = await run_in_threadpool(run)
    except IIPError as exc:
        problems = getattr(exc, "problems", None) or [Problem(str(exc))]
        return _dashboard(request, con, user, problems=problems, form=dict(form), status_code=422,
                          needs_comment=isinstance(exc, submissions.NeedsConfirmation))
    return _dashboard(request, con, user, result=[r.as_dict() for r in res])


@pages.get("/review", response_class=HTMLResponse)
def page_review(request: Request, con=Depends(get_con)):
    from iip.quality import outliers
    user = _page_user(con, request)
    if not user:
        return _to_login()
    if not user.can_review():
        return render(request, "collect/review.html", {"user": user, "flags": [], "error": "statisticians only"},
                      status_code=403)
    return render(request, "collect/review.html", {"user": user, "flags": views.records(outliers.queue(con, user)),
                                                   "error": None})


@pages.post("/review/{flag_id}")
async def page_review_post(flag_id: int, request: Request, con=Depends(get_con)):
    from iip.quality import outliers
    user = _page_user(con, request)
    if not user:
        return _to_login()
    form = await request.form()
    comment = str(form.get("comment", "")).strip() or None

    def run():
        if form.get("action") == "edit":
            vals = {k: str(form.get(k)) for k in outliers.VARIABLES if str(form.get(k, "")).strip()}
            return outliers.edit(con, user, flag_id, vals, comment=comment or "")
        return outliers.accept(con, user, flag_id, comment=comment)
    try:
        await run_in_threadpool(run)
    except IIPError as exc:
        flags = views.records(outliers.queue(con, user)) if user.can_review() else []
        return render(request, "collect/review.html", {"user": user, "flags": flags, "error": str(exc)},
                      status_code=403 if isinstance(exc, ForbiddenError) else 422)
    return RedirectResponse("/collect/review", status_code=303)
