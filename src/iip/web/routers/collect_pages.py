"""/collect: the report collection pages (log in, report form, review queue, accounts), in the dashboard's
layout and both languages.

A session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) carries the token of ``accounts.login``. Every
form that changes something carries a CSRF token and must come from this site (``iip.web.security``). The
signed-in user is resolved from the cookie before a form is read; anonymous visitors are sent to the login page.
Each page shows only what the role may use: there is no 403 page for a role, only its own pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from iip.collection import accounts
from iip.collection.accounts import Principal
from iip.errors import IIPError, TooManyRequestsError
from iip.web import security
from iip.web.deps import get_con, get_lang
from iip.web.services import collect_forms as forms
from iip.web.services import collection as svc
from iip.web.services.collect_pages import render_page

router = APIRouter(prefix="/collect", include_in_schema=False, default_response_class=HTMLResponse)


def page_user(request: Request, con=Depends(get_con)) -> Principal | None:
    """The signed-in user (session cookie), resolved before any form is read."""
    return svc.page_principal(con, request)


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def _form(request: Request):
    """The posted form, from this site and with this browser's CSRF token (403 otherwise)."""
    security.check_origin(request)
    form = await request.form()
    security.check_csrf(request, form)
    return form


@router.get("/login")
def login_page(request: Request):
    """The login form."""
    return render_page(request, "collect/login.html", {"error": None}, user=None)


@router.post("/login")
async def login(request: Request, con=Depends(get_con)):
    """Log in from the form; sets the session cookie."""
    form = await _form(request)
    try:
        out = await run_in_threadpool(svc.login, con, request, str(form.get("username", "")),
                                      str(form.get("password", "")))
    except IIPError as exc:
        page = render_page(request, "collect/login.html", {"error": str(exc)}, user=None,
                           status_code=exc.http_status)
        if isinstance(exc, TooManyRequestsError):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    resp = _to("/collect/")
    security.set_cookie(resp, request, security.SESSION_COOKIE, out["token"],
                        max_age=int(accounts.TOKEN_HOURS * 3600))
    return resp


@router.post("/logout")
async def logout(request: Request, user: Principal | None = Depends(page_user), con=Depends(get_con)):
    """Log out: revoke the session's token and drop the cookie."""
    if user is not None:
        await _form(request)
        accounts.logout(con, request.cookies.get(security.SESSION_COOKIE, ""))
    resp = _to("/collect/login")
    resp.delete_cookie(security.SESSION_COOKIE, path=security.COOKIE_PATH)
    return resp


@router.get("/")
def dashboard(request: Request, enterprise: str | None = None, user: Principal | None = Depends(page_user),
              con=Depends(get_con)):
    """The report page (admins go to the accounts page)."""
    if user is None:
        return _to("/collect/login")
    if not user.can_see_microdata():
        return _to("/collect/users")
    ctx = forms.dashboard(con, user, get_lang(request), enterprise_id=enterprise)
    return render_page(request, "collect/dashboard.html", ctx, user=user)


@router.post("/submit")
async def submit(request: Request, user: Principal | None = Depends(page_user), con=Depends(get_con)):
    """Submit the report form."""
    if user is None:
        return _to("/collect/login")
    form = await _form(request)
    status, ctx = await run_in_threadpool(forms.submit, con, user, form, get_lang(request))
    return render_page(request, "collect/dashboard.html", ctx, user=user, status_code=status)


@router.get("/review")
def review_page(request: Request, done: str | None = None, user: Principal | None = Depends(page_user),
                con=Depends(get_con)):
    """The review page (statisticians; others go to their own page)."""
    if user is None:
        return _to("/collect/login")
    if not user.can_review():
        return _to("/collect/")
    ctx = forms.review_context(con, user, get_lang(request))
    return render_page(request, "collect/review.html", {**ctx, "done": done}, user=user)


async def _decide(request: Request, user: Principal | None, con, fn, item_id: int, back: str):
    if user is None:
        return _to("/collect/login")
    form = await _form(request)
    lang = get_lang(request)
    try:
        await run_in_threadpool(fn, con, user, item_id, form, lang)
    except IIPError as exc:
        ctx = await run_in_threadpool(forms.review_context, con, user, lang) if user.can_review() else {}
        return render_page(request, "collect/review.html", {"flags": [], "revisions": [], "total_flags": 0, **ctx,
                                                            "error": str(exc)}, user=user,
                           status_code=exc.http_status)
    return _to(back)


@router.post("/review/{flag_id}")
async def review_post(flag_id: int, request: Request, user: Principal | None = Depends(page_user),
                      con=Depends(get_con)):
    """Decide an outlier flag from the review page."""
    return await _decide(request, user, con, forms.decide_flag, flag_id, "/collect/review?done=1")


@router.post("/revisions/{revision_id}")
async def revision_post(revision_id: int, request: Request, user: Principal | None = Depends(page_user),
                        con=Depends(get_con)):
    """Decide a revision request from the review page."""
    return await _decide(request, user, con, forms.decide_revision, revision_id, "/collect/review?done=1#revisions")


@router.get("/users")
def users_page(request: Request, done: str | None = None, user: Principal | None = Depends(page_user),
               con=Depends(get_con)):
    """The accounts page (admin; national: approvals)."""
    if user is None:
        return _to("/collect/login")
    if not (user.can_administer() or user.can_approve()):
        return _to("/collect/")
    ctx = forms.accounts_context(con, user, get_lang(request))
    return render_page(request, "collect/users.html", {**ctx, "done": done}, user=user)


async def _account_action(request: Request, user: Principal | None, con, action: str, username: str | None):
    if user is None:
        return _to("/collect/login")
    form = await _form(request)
    try:
        pending = await run_in_threadpool(forms.account_action, con, user, action, username, form)
    except IIPError as exc:
        ctx = await run_in_threadpool(forms.accounts_context, con, user, get_lang(request))
        return render_page(request, "collect/users.html", {**ctx, "error": str(exc), "done": None}, user=user,
                           status_code=exc.http_status)
    return _to("/collect/users?done=" + ("pending" if pending else "1"))


@router.post("/users")
async def add_user(request: Request, user: Principal | None = Depends(page_user), con=Depends(get_con)):
    """Create an account from the accounts page."""
    return await _account_action(request, user, con, "add", None)


@router.post("/users/{username}/{action}")
async def user_action(username: str, action: str, request: Request, user: Principal | None = Depends(page_user),
                      con=Depends(get_con)):
    """Disable, re-enable, reset the password of, or approve an account."""
    return await _account_action(request, user, con, action, username)
