"""Template rendering shared by the dashboard pages and the report collection pages.

``render(request, "page.html", context, lang=...)`` renders a template that extends ``base.html`` with
``t`` (label in the page's language), ``num`` (number in the page's format), ``lang``, ``other_lang_url``
and the navigation; it sets the ``lang`` cookie when the page was asked for with ``?lang=``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from iip.web.i18n import COOKIE, fmt_growth_number, fmt_number, plotly_separators, translator

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

NAV = [
    ("/", "nav_overview"),
    ("/series", "nav_series"),
    ("/provinces", "nav_provinces"),
    ("/products", "nav_products"),
    ("/releases", "nav_releases"),
    ("/targets", "nav_targets"),
    ("/collect/", "nav_collect"),
]


def lang_url(request: Request, lang: str) -> str:
    """The current URL with ?lang= set to ``lang``."""
    return request.url.path + "?" + str(request.url.include_query_params(lang=lang).query)


def render(request: Request, name: str, context: dict, *, lang: str, status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the page's language helpers and navigation (sets the ``lang`` cookie on ?lang=)."""
    t = translator(lang)
    ctx = {
        "t": t,
        "lang": lang,
        "nav": NAV,
        "path": request.url.path,
        "num": lambda v, nd=1, sign=False: fmt_number(v, lang, nd, sign=sign),
        "growth": lambda v, nd=1: fmt_growth_number(v, lang, nd),
        "separators": plotly_separators(lang),
        "other_lang": "en" if lang == "vi" else "vi",
        "other_lang_url": lang_url(request, "en" if lang == "vi" else "vi"),
        **context,
    }
    resp = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if request.query_params.get("lang") == lang and request.cookies.get(COOKIE) != lang:
        resp.set_cookie(COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return resp
