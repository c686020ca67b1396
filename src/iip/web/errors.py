"""One error shape for every failure: ``{"ok": false, "error": <message>, "status": <HTTP status>}``.

``install(app)`` registers one handler for HTTP errors (unknown routes, wrong methods), request validation
errors (422), the domain errors of :mod:`iip.errors` and anything unexpected (500, a generic message; the
traceback goes to the server log only). Browsers asking for HTML outside ``/api`` get the same fields
rendered in the ``error.html`` template.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from iip.errors import IIPError

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


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


async def handle(request: Request, exc: Exception):
    """The app's single exception handler."""
    status, message = classify(exc)
    if status >= 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = getattr(exc, "headers", None) if isinstance(exc, StarletteHTTPException) else None
    if _wants_html(request):
        try:
            return _html(request, status, message, headers)
        except Exception:  # the error page itself must never fail: fall back to JSON
            log.exception("error page failed")
    return JSONResponse(
        {"ok": False, "error": message, "status": status}, status_code=status, headers=headers
    )


def _html(request: Request, status: int, message: str, headers) -> HTMLResponse:
    from iip.web.i18n import COOKIE, DEFAULT_LANG, LANGS
    from iip.web.pages_common import render

    lang = request.query_params.get("lang")
    lang = (
        lang
        if lang in LANGS
        else (request.cookies.get(COOKIE) if request.cookies.get(COOKIE) in LANGS else DEFAULT_LANG)
    )
    resp = render(request, "error.html", {"error": message, "status": status}, lang=lang, status_code=status)
    if headers:
        resp.headers.update(headers)
    return resp


def install(app: FastAPI) -> None:
    """Register the one exception handler: every error answers {ok: false, error, status} (HTML pages: the error page)."""
    for exc_type in (StarletteHTTPException, RequestValidationError, IIPError, Exception):
        app.add_exception_handler(exc_type, handle)
