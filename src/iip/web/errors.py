"""One error shape for every failure: ``{"ok": false, "error": <message>, "status": <HTTP status>}``.

``install(app)`` registers one handler for HTTP errors (unknown routes, wrong methods), request validation
errors (422), the domain errors of :mod:`iip.errors` (401, 403, 404, 409, 413, 422, 429, 503 ...) and anything
unexpected (500, a generic message; the traceback goes to the server log only). Input rejected by validation
rules (:class:`iip.errors.ValidationError`, 422) also lists its ``problems`` (``[{message, field, rule, row,
file, severity}]``), and a submission whose only problems are warnings says ``needs_confirmation: true``.
401 answers carry ``WWW-Authenticate: Bearer``, 429 ``Retry-After``. Browsers asking for HTML outside ``/api``
get the same fields rendered in the ``error.html`` template.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from iip.errors import IIPError, TooManyRequestsError, ValidationError

log = logging.getLogger("iip.web")

def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        where = loc[0] if loc else "request"
        name = ".".join(loc[1:]) or where
        msg = str(e.get("msg", "invalid value"))
        got = e.get("input")
        shown = "" if got is None or isinstance(got, (dict, list)) else f" (got {str(got)[:60]!r})"
        parts.append(f"invalid {where} parameter {name!r}: {msg}{shown}")
    return "; ".join(parts) or "invalid request"


def classify(exc: Exception) -> tuple[int, str]:
    """HTTP status and client-facing message for an exception (never a traceback)."""
    if isinstance(exc, RequestValidationError):
        return 422, _validation_message(exc)
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404 and exc.detail in (None, "Not Found"):
            return 404, "not found: no such page or API route"
        return exc.status_code, str(exc.detail)
    if isinstance(exc, IIPError):
        return exc.http_status, str(exc)
    return 500, "internal server error (the details are in the server log)"


MAX_PROBLEMS = 200


def details(exc: Exception) -> dict:
    """The extra fields of an error's body: ``problems`` of a validation error (at most MAX_PROBLEMS) and
    ``needs_confirmation`` when every problem is a warning."""
    if not isinstance(exc, ValidationError):
        return {}
    out: dict = {"problems": [p.as_dict() for p in exc.problems[:MAX_PROBLEMS]]}
    if exc.problems and not any(p.is_error for p in exc.problems):
        out["needs_confirmation"] = True
    return out


def error_headers(exc: Exception, request_path: str) -> dict[str, str]:
    """Headers an error answer carries: the HTTPException's own, WWW-Authenticate on an API 401, Retry-After
    on a 429."""
    headers = dict(getattr(exc, "headers", None) or {}) if isinstance(exc, StarletteHTTPException) else {}
    status = classify(exc)[0]
    if status == 401 and request_path.startswith("/api"):
        headers.setdefault("WWW-Authenticate", "Bearer")
    if isinstance(exc, TooManyRequestsError):
        headers["Retry-After"] = str(exc.retry_after)
    return headers


def body(status: int, message: str, **extra) -> dict:
    """The error body: ``{"ok": false, "error", "status", ...extra}``."""
    return {"ok": False, "error": message, "status": status, **extra}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


async def handle(request: Request, exc: Exception):
    """The app's single exception handler."""
    status, message = classify(exc)
    if status >= 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = error_headers(exc, request.url.path)
    if _wants_html(request):
        try:
            return _html(request, status, message, headers)
        except Exception:  # the error page itself must never fail: fall back to JSON
            log.exception("error page failed")
    return JSONResponse(body(status, message, **details(exc)), status_code=status, headers=headers)


def _html(request: Request, status: int, message: str, headers) -> HTMLResponse:
    from iip.web.i18n import COOKIE, DEFAULT_LANG, LANGS
    from iip.web.pages_common import render

    asked, cookie = request.query_params.get("lang"), request.cookies.get(COOKIE)
    lang = asked if asked in LANGS else cookie if cookie in LANGS else DEFAULT_LANG
    resp = render(request, "error.html", {"error": message, "status": status}, lang=lang, status_code=status)
    if headers:
        resp.headers.update(headers)
    return resp


def install(app: FastAPI) -> None:
    """Register :func:`handle` for every exception type the app can raise."""
    for exc_type in (StarletteHTTPException, RequestValidationError, IIPError, Exception):
        app.add_exception_handler(exc_type, handle)
