"""HTTP protections of the web service: request size limits, security headers, CSRF and cookie settings.

* :class:`BodyLimit` (ASGI middleware): a request whose ``Content-Length`` exceeds its path's limit is answered
  413 before a byte of its body is read; a body sent without a length (chunked) is counted while it streams and
  stopped with a 413 at the limit. Limits (:func:`limit_for`): report uploads ``UPLOAD_BYTES``, other collection
  requests ``FORM_BYTES``, anything else ``OTHER_BYTES`` (the public API takes no body). Authentication runs
  before a body is read: the collection routes resolve the token in a dependency and read the body afterwards.
* :class:`SecurityHeaders` (ASGI middleware): ``X-Frame-Options: DENY``, a Content-Security-Policy (scripts and
  everything else from this site only; no framing), ``X-Content-Type-Options: nosniff`` and
  ``Referrer-Policy: same-origin`` on every answer that does not set its own.
* CSRF on every state-changing page form: the form carries a token derived from a random per-browser nonce (cookie
  ``iip_csrf``, HttpOnly) and the session token, and the request's ``Origin`` (or ``Referer``) must be this
  site (:func:`check_csrf`). The JSON API is not exposed to CSRF: it authenticates with a bearer header, which a
  browser never adds by itself.
* Cookies are ``Secure`` when the app was created with ``secure_cookies=True``, or, by default, when the request
  came over HTTPS (directly, or through a proxy's ``X-Forwarded-Proto`` that uvicorn trusts: ``iip serve
  --proxy-headers``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from iip.errors import ForbiddenError, PayloadTooLargeError

UPLOAD_BYTES = 5 * 2**20
FORM_BYTES = 2**20
OTHER_BYTES = 64 * 2**10
SESSION_COOKIE = "iip_token"
CSRF_COOKIE = "iip_csrf"
CSRF_FIELD = "csrf"
COOKIE_PATH = "/collect"


def _sha256_source(js: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(js.encode()).digest()).decode() + "'"


#: Inline handlers the dashboard's filter forms use (allowed by hash, nothing else inline).
INLINE_HANDLERS = ("this.form.submit()",)


def content_security_policy(script_hashes: tuple[str, ...] = ()) -> str:
    """The CSP: everything from this site only, inline styles allowed (server-drawn charts), inline script only
    by hash, no plugins, no framing, forms posting only here."""
    handlers = " ".join(_sha256_source(h) for h in INLINE_HANDLERS)
    extra = " ".join(_sha256_source(s) for s in script_hashes)
    return ("default-src 'self'; "
            f"script-src 'self' 'unsafe-hashes' {handlers}{' ' + extra if extra else ''}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


CSP = content_security_policy()
HEADERS = {
    b"x-frame-options": b"DENY",
    b"content-security-policy": CSP.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
}


def limit_for(path: str) -> int:
    """Largest request body accepted on ``path``, in bytes."""
    if path.rstrip("/") == "/api/collect/reports/upload":
        return UPLOAD_BYTES
    if path.startswith(("/api/collect", "/collect")):
        return FORM_BYTES
    return OTHER_BYTES


async def _send_413(send, limit: int) -> None:
    msg = f"request body too large: at most {limit:,} bytes here"
    data = json.dumps({"ok": False, "error": msg, "status": 413}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """ASGI middleware: 413 for a declared length over the limit (body never read) or a streamed body that
    passes it (PayloadTooLargeError raised from ``receive``, mapped by the app's error handler)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            return await _send_413(send, limit)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLargeError(f"request body too large: at most {limit:,} bytes here")
            return message

        return await self.app(scope, counted, send)


class SecurityHeaders:
    """ASGI middleware: the headers of :data:`HEADERS` on every answer that does not set them itself."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in HEADERS.items() if k not in have]
            await send(message)

        return await self.app(scope, receive, with_headers)


# ---------------------------------------------------------------------------------------------- cookies and CSRF
def secure_cookies(request: Request) -> bool:
    """Whether cookies get the Secure flag: the app's setting, else whether this request came over HTTPS."""
    setting = getattr(request.app.state, "secure_cookies", None)
    return bool(setting) if setting is not None else request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    """An HttpOnly, SameSite=Strict cookie for the collection pages (Secure per :func:`secure_cookies`)."""
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=secure_cookies(request))


def csrf_nonce(request: Request) -> tuple[str, bool]:
    """The browser's CSRF nonce and whether it is new (then the page must set the cookie)."""
    have = request.cookies.get(CSRF_COOKIE)
    return (have, False) if have and 16 <= len(have) <= 128 else (secrets.token_urlsafe(24), True)


def csrf_token(nonce: str, session: str | None) -> str:
    """The token a form carries: sha256 of the nonce and the session token (neither readable by another site)."""
    return hashlib.sha256(f"iip-csrf|{nonce}|{session or ''}".encode()).hexdigest()


def own_origin(request: Request) -> str:
    """scheme://host[:port] of this site as the browser addressed it."""
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def check_origin(request: Request) -> None:
    """ForbiddenError when the request's Origin (or, without one, its Referer) is another site."""
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("referer"):
        ref = urlsplit(request.headers["referer"])
        origin = f"{ref.scheme}://{ref.netloc}"
    if origin is not None and origin != own_origin(request):
        raise ForbiddenError(f"cross-site request refused: it came from {origin[:80]}, not from this site")


def check_csrf(request: Request, form: FormData) -> None:
    """ForbiddenError unless the request comes from this site and the form's token matches this browser's."""
    check_origin(request)
    nonce = request.cookies.get(CSRF_COOKIE) or ""
    sent = str(form.get(CSRF_FIELD) or "")
    expected = csrf_token(nonce, request.cookies.get(SESSION_COOKIE))
    if not nonce or not hmac.compare_digest(sent, expected):
        raise ForbiddenError("this form has expired or did not come from this site: reload the page and try again")
