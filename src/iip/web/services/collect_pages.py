"""What the collection pages show and how their forms are read: rendering with the CSRF token, the report
form (products picked by name from the enterprise's own catalogue, numbers in the page's language: ``1,4`` in
Vietnamese), problems named by product and field, the review queue with names, formatted numbers, the reason of
each flag and the unit's recent history as a small server-drawn chart, revision requests and accounts.
"""
from __future__ import annotations

import json
import math
import re

import duckdb
import pandas as pd
from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from iip.collection import accounts, review, revisions, views
from iip.collection.accounts import Principal
from iip.errors import Problem, ValidationError
from iip.reference import rounding
from iip.reference.periods import month_add, month_range
from iip.web import html_charts as hc
from iip.web.deps import get_lang
from iip.web.i18n import LABELS, translator
from iip.web.pages_common import render
from iip.web.security import CSRF_COOKIE, SESSION_COOKIE, csrf_nonce, csrf_token, set_cookie

MAX_FORM_LINES = 60
BLANK_LINES = 3
NUMBER_FIELDS = ("produced", "sold", "closing_stock", "value")
FIELD_LABELS = {"product_code": "product", "produced": "produced", "sold": "sold", "closing_stock": "closing_stock",
                "value": "value_field", "employees": "employees", "period": "report_month",
                "enterprise_id": "enterprise_id", "products": "product", "comment": "comment"}
_LINE_FIELD = re.compile(r"^products\[(\d+)\]\.(\w+)$")


def tabs(user: Principal | None) -> list[tuple[str, str]]:
    """The collection pages this user can use: (href, label key)."""
    if user is None:
        return []
    out = []
    if user.can_see_microdata():
        out.append(("/collect/", "reports_tab"))
    if user.can_review():
        out.append(("/collect/review", "review_tab"))
    if user.can_administer() or user.can_approve():
        out.append(("/collect/users", "accounts_tab"))
    return out


def render_page(request: Request, name: str, context: dict, *, user: Principal | None,
                status_code: int = 200) -> HTMLResponse:
    """A collection page in the dashboard's layout and language, with this browser's CSRF token (``csrf``) and
    the user's tabs; sets the CSRF nonce cookie on a first visit."""
    nonce, new = csrf_nonce(request)
    ctx = {"user": user, "csrf": csrf_token(nonce, request.cookies.get(SESSION_COOKIE)), "tabs": tabs(user),
           "plotly": False, **context}
    resp = render(request, name, ctx, lang=get_lang(request), status_code=status_code)
    if new:
        set_cookie(resp, request, CSRF_COOKIE, nonce)
    return resp


# ------------------------------------------------------------------------------------------------ report form
def parse_number(text: str, lang: str) -> str | None:
    """A number typed in the page's language (:func:`iip.reference.rounding.parse_number`: Vietnamese '1,4' and
    '1.234,5', English '1.4' and '1,234.5') as text for the submission; '' when blank, None when malformed."""
    s = str(text or "").strip().replace("\u00a0", "").replace(" ", "")
    if not s:
        return ""
    try:
        return repr(rounding.parse_number(s, lang=lang))
    except ValidationError:
        return None


def product_label(row: dict, lang: str) -> str:
    """'name (unit)' of a product in the page's language."""
    name = row.get(f"name_{lang}") or row.get("name_vi") or row.get("product_code")
    return f"{name} ({row['unit']})" if row.get("unit") else str(name)


def catalogue(con: duckdb.DuckDBPyConnection, user: Principal, enterprise_id: str | None, lang: str) -> list[dict]:
    """The enterprise's products (own first) as {code, label, own}; empty without an enterprise."""
    if not enterprise_id:
        return []
    df = views.catalogue(con, user, enterprise_id)
    return [{"code": r["product_code"], "label": product_label(r, lang), "own": bool(r["own"])}
            for r in views.records(df)]


def form_submission(form: FormData, user: Principal, lang: str) -> tuple[dict, list[str], list[Problem]]:
    """The JSON payload of the report form, the product code of each payload line (for messages), and the
    numbers that could not be read (problems with fields like ``products[0].sold``)."""
    lines: list[dict] = []
    problems: list[Problem] = []
    for i in range(MAX_FORM_LINES):
        code = str(form.get(f"product_{i}", "")).strip()
        raw = {f: str(form.get(f"{f}_{i}", "")) for f in NUMBER_FIELDS}
        if not any(v.strip() for v in raw.values()):
            continue  # a product of the catalogue left empty: not reported this month
        k, line = len(lines), {"product_code": code}
        for f, v in raw.items():
            num = parse_number(v, lang)
            if num is None:
                problems.append(Problem(f"{v.strip()[:30]!r} is not a number", field=f"products[{k}].{f}",
                                        rule="number", row=k + 1))
            line[f] = num if num is not None else v
        lines.append(line)
    emp = parse_number(str(form.get("employees", "")), lang)
    if emp is None:
        problems.append(Problem(f"{str(form.get('employees'))[:30]!r} is not a number", field="employees",
                                rule="number"))
    payload = {"enterprise_id": str(form.get("enterprise_id", "")).strip() or user.enterprise_id,
               "period": str(form.get("period", "")).strip(), "employees": emp or "", "products": lines}
    return payload, [ln["product_code"] for ln in lines], problems


def describe(problems: list[Problem], codes: list[str], names: dict[str, str], lang: str) -> list[dict]:
    """Problems as the form shows them: {where, message, detail, severity}, ``where`` naming the product and
    the field ('Thép cán (nghìn tấn) · Tiêu thụ'), not 'products[0].sold'."""
    t = translator(lang)
    out = []
    for p in problems:
        field = p.field or ""
        m = _LINE_FIELD.match(field)
        name = m.group(2) if m else field
        label = t(FIELD_LABELS.get(name, name)) if name else ""
        if m and name not in ("period", "employees", "enterprise_id"):
            k = int(m.group(1))
            code = codes[k] if k < len(codes) else ""
            product = names.get(code) or (code or f"#{k + 1}")
            where = f"{product} · {label}"
        else:
            where = label
        key = f"rule_{p.rule}"
        message = t(key) if lang == "vi" and key in LABELS else p.message
        out.append({"where": where, "message": message, "detail": p.message, "severity": p.severity})
    return out


def report_form(con: duckdb.DuckDBPyConnection, user: Principal, lang: str, *, enterprise_id: str | None,
                form: dict | None = None) -> dict:
    """The report form's context: enterprise choices (statisticians), the chosen enterprise's catalogue, the
    rows (its own products pre-selected, then blank rows) and the values typed so far."""
    form = form or {}
    eid = user.enterprise_id if user.role == "enterprise" else (enterprise_id or form.get("enterprise_id") or None)
    choices = views.records(views.enterprises(con, user)) if user.role in ("provincial", "national") else []
    cat = catalogue(con, user, eid, lang) if eid else []
    chosen = [str(form.get(f"product_{i}", "")) for i in range(MAX_FORM_LINES) if form.get(f"product_{i}")]
    n_rows = max(len(chosen), sum(c["own"] for c in cat)) + BLANK_LINES
    preset = chosen or [c["code"] for c in cat if c["own"]]
    rows = [{"i": i, "product": preset[i] if i < len(preset) else ""} for i in range(min(n_rows, MAX_FORM_LINES))]
    return {"enterprise_id": eid, "enterprise_choices": choices, "catalogue": cat, "rows": rows,
            "number_fields": NUMBER_FIELDS, "form": form}


def submission_results(res: list, lang: str) -> list[dict]:
    """Submission results as the page shows them."""
    t = translator(lang)
    return [{**r.as_dict(), "text": t(f"result_{r.action}") if f"result_{r.action}" in LABELS else r.action}
            for r in res]


def recent(con: duckdb.DuckDBPyConnection, user: Principal) -> dict:
    """Recent submissions and (enterprises) their revision requests."""
    subs = views.records(views.submissions(con, user)) if user.can_see_microdata() else []
    revs = views.records(revisions.requests(con, user, status=None, limit=20)) if user.role == "enterprise" else []
    return {"submissions": subs, "my_revisions": revs}


# ------------------------------------------------------------------------------------------------ review
def quantity(v, lang: str) -> str:
    """A reported quantity: thousands separated, 2 decimals below 1,000 (none from 1,000 up); '–' when missing."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return rounding.fmt(float(v), 0 if abs(v) >= 1000 else 2, lang=lang)


def flag_reason(f: dict, lang: str) -> str:
    """Why a line was flagged: its change on the previous month and where its HB effect lies."""
    t = translator(lang)
    ratio, eff = f.get("ratio"), f.get("effect")
    parts = []
    if ratio is not None and not pd.isna(ratio):
        key = "reason_rose" if ratio >= 1 else "reason_fell"
        parts.append(t(key).format(var=t(f["variable"]), pct=rounding.fmt(abs(ratio - 1) * 100, 1, lang=lang),
                                   prev=quantity(f.get("previous"), lang), value=quantity(f.get("value"), lang),
                                   unit=f.get("unit") or ""))
    if eff is not None and not pd.isna(eff):
        above = f.get("upper") is not None and not pd.isna(f["upper"]) and eff > f["upper"]
        bound = f["upper"] if above else f.get("lower")
        if bound is not None and not pd.isna(bound):
            parts.append(t("reason_above" if above else "reason_below").format(
                effect=rounding.fmt(eff, 1, lang=lang), bound=rounding.fmt(bound, 1, lang=lang)))
    return "; ".join(parts)


def _history_points(con, user: Principal, f: dict) -> list[tuple[str, float | None]]:
    h = review.unit_history(con, user, f["enterprise_id"], f["product_code"], f["period"])
    values = dict(zip(h["period"], h[f["variable"]]))
    months = month_range(month_add(f["period"], -12), f["period"])
    return [(m, None if pd.isna(values.get(m, math.nan)) else float(values[m])) for m in months]


def review_queue(con: duckdb.DuckDBPyConnection, user: Principal, lang: str, *, limit: int = 50) -> dict:
    """The flags awaiting review (at most ``limit``, largest effect first) ready to show."""
    t = translator(lang)
    q = views.records(review.queue(con, user))
    rows = []
    for f in q[:limit]:
        pts = _history_points(con, user, f)
        rows.append({**f, "product": product_label({**f, "name_vi": f.get("product_name_vi"),
                                                    "name_en": f.get("product_name_en")}, lang),
                     "value_text": quantity(f.get("value"), lang), "previous_text": quantity(f.get("previous"), lang),
                     "reason": flag_reason(f, lang),
                     "chart": hc.sparkline(pts, chart_id=f"spark-{f['flag_id']}", lang=lang,
                                           title=f"{t(f['variable'])} · {t('history_13')}",
                                           highlight=f["period"], unit=f.get("unit") or "")})
    return {"flags": rows, "total_flags": len(q)}


def revision_queue(con: duckdb.DuckDBPyConnection, user: Principal, lang: str) -> list[dict]:
    """Pending revision requests with each line's current and requested values, products named."""
    out = []
    for r in views.records(revisions.requests(con, user)):
        cur = {x["product_code"]: x for x in views.records(views.reports(con, user, enterprise_id=r["enterprise_id"],
                                                                          period=r["period"]))}
        names = {c["code"]: c["label"] for c in catalogue(con, user, r["enterprise_id"], lang)}
        lines = []
        for ln in json.loads(r["lines"]) if isinstance(r["lines"], str) else r["lines"]:
            now = cur.get(ln["product_code"], {})
            lines.append({"product": names.get(ln["product_code"], ln["product_code"]),
                          "fields": [(f, quantity(now.get(f), lang), quantity(ln.get(f), lang))
                                     for f in ("produced", "sold", "closing_stock")]})
        out.append({**r, "line_rows": lines})
    return out


# ------------------------------------------------------------------------------------------------ accounts
def accounts_page(con: duckdb.DuckDBPyConnection, user: Principal, lang: str) -> dict:
    """Accounts (admin), the accounts awaiting approval (admin and national) and the province choices."""
    from iip.reference import provinces

    prov = provinces()
    names = dict(zip(prov["code"], prov["name_vi" if lang == "vi" else "name_en"]))
    users = views.records(accounts.list_users(con)) if user.can_administer() else []
    for u in users:
        u["scope"] = u["enterprise_id"] or (f"{u['province']} {names.get(u['province'], '')}" if u["province"]
                                            else "")
    return {"users": users, "approvals": views.records(accounts.pending_approvals(con)),
            "provinces": sorted(names.items()), "roles": accounts.ROLES}

