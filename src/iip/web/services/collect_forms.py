"""What each collection page does with a request: the page's context, and the action behind each form (one
function per form, called by :mod:`iip.web.routers.collect_pages`). Domain errors propagate as
:class:`iip.errors.IIPError`; the report form turns rejected input into messages on the form itself.
"""
from __future__ import annotations

import duckdb
from starlette.datastructures import FormData

from iip.collection import accounts, review, submissions
from iip.collection.accounts import Principal
from iip.errors import ForbiddenError, IIPError, NotFoundError, ValidationError
from iip.web.services import collect_pages as pages


def dashboard(con: duckdb.DuckDBPyConnection, user: Principal, lang: str, *, enterprise_id: str | None = None,
              form: dict | None = None, **extra) -> dict:
    """The report page: the form for the chosen enterprise and the recent submissions."""
    ctx: dict = {"result": None, "problems": [], "needs_comment": False, "error": None}
    try:
        ctx.update(pages.report_form(con, user, lang, enterprise_id=enterprise_id, form=form))
    except (ForbiddenError, NotFoundError) as exc:
        ctx.update(pages.report_form(con, user, lang, enterprise_id=None))
        ctx["error"] = str(exc)
    return {**ctx, **pages.recent(con, user), **extra}


def submit(con: duckdb.DuckDBPyConnection, user: Principal, form: FormData, lang: str) -> tuple[int, dict]:
    """Read, check and write the report form; (HTTP status, page context) with the result or the problems,
    named by product and field."""
    typed = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    payload, codes, unreadable = pages.form_submission(form, user, lang)
    eid = payload["enterprise_id"]
    comment = str(form.get("comment", "")).strip() or None
    try:
        if unreadable:
            raise ValidationError(unreadable)
        res = submissions.submit(con, user, submissions.frame_from_json(payload, user), channel="form",
                                 comment=comment)
    except ValidationError as exc:
        names = _names(con, user, eid, lang)
        ctx = dashboard(con, user, lang, enterprise_id=eid, form=typed,
                        problems=pages.describe(exc.problems, codes, names, lang),
                        needs_comment=isinstance(exc, submissions.NeedsConfirmation))
        return exc.http_status, ctx
    except IIPError as exc:
        return exc.http_status, dashboard(con, user, lang, enterprise_id=eid, form=typed, error=str(exc))
    return 200, dashboard(con, user, lang, enterprise_id=eid, result=pages.submission_results(res, lang))


def _names(con, user: Principal, enterprise_id: str | None, lang: str) -> dict[str, str]:
    try:
        return {c["code"]: c["label"] for c in pages.catalogue(con, user, enterprise_id, lang)}
    except IIPError:
        return {}


def review_context(con: duckdb.DuckDBPyConnection, user: Principal, lang: str) -> dict:
    """The review page: outlier flags and revision requests awaiting a decision."""
    return {**pages.review_queue(con, user, lang), "revisions": pages.revision_queue(con, user, lang)}


def decide_flag(con: duckdb.DuckDBPyConnection, user: Principal, flag_id: int, form: FormData, lang: str) -> None:
    """Accept a flag, or correct it with the value typed (in the page's number format)."""
    comment = str(form.get("comment", "")).strip() or None
    if form.get("action") != "edit":
        review.accept(con, user, flag_id, comment=comment)
        return
    flag = review.queue(con, user, include_reviewed=True)
    row = flag[flag["flag_id"] == flag_id]
    if row.empty:
        raise NotFoundError(f"no outlier flag {flag_id} in your scope")
    value = pages.parse_number(str(form.get("value", "")), lang)
    if not value:
        raise ValidationError.one("type the corrected value (or accept the value as it is)", field="value",
                                  rule="number")
    review.edit(con, user, flag_id, {str(row["variable"].iloc[0]): value}, comment=comment or "")


def decide_revision(con: duckdb.DuckDBPyConnection, user: Principal, revision_id: int, form: FormData,
                    lang: str) -> None:
    """Accept or reject a revision request."""
    comment = str(form.get("comment", "")).strip() or None
    if form.get("action") == "reject":
        review.reject_revision(con, user, revision_id, comment=comment or "")
    else:
        review.accept_revision(con, user, revision_id, comment=comment)


def accounts_context(con: duckdb.DuckDBPyConnection, user: Principal, lang: str) -> dict:
    """The accounts page."""
    return pages.accounts_page(con, user, lang)


def account_action(con: duckdb.DuckDBPyConnection, user: Principal, action: str, username: str | None,
                   form: FormData) -> bool:
    """add | disable | enable | password | approve; returns True when the account now awaits approval."""
    if action == "approve" and username:
        accounts.approve(con, username, user)
        return False
    if not user.can_administer():
        raise ForbiddenError("only an admin manages accounts")
    if action == "add":
        p = accounts.add_user(con, str(form.get("username", "")).strip(), str(form.get("password", "")),
                              str(form.get("role", "")), enterprise_id=str(form.get("enterprise_id", "")).strip()
                              or None, province=str(form.get("province", "")).strip() or None, actor=user)
        return p.role in accounts.APPROVED_ROLES
    if username and action == "disable":
        accounts.disable_user(con, username, actor=user)
        return False
    if username and action == "enable":
        return accounts.enable_user(con, username, actor=user)
    if username and action == "password":
        return accounts.reset_password(con, username, str(form.get("password", "")), actor=user)
    raise NotFoundError(f"unknown account action {action[:20]!r}")
